"""The full set of conversation handlers, merged into one router."""

from __future__ import annotations

from handlers import (
    broadcasts,
    eligibility,
    fairs,
    language,
    privacy,
    profile,
    questions,
    staff,
    start,
    survey_results,
    surveys,
)
from handlers.context import JobHandler
from handlers.routing import Router


def build_give_ups() -> dict[str, JobHandler]:
    """What to do, by job kind, when a job fails for good."""
    return {**broadcasts.GIVE_UP}


def build_jobs() -> dict[str, JobHandler]:
    """The scheduled jobs the conversation defines, by kind."""
    return {**fairs.JOBS, **broadcasts.JOBS}


def build_router() -> Router:
    router = Router()
    for module in (start, questions, eligibility, profile, language, privacy, staff,
                   surveys, survey_results, fairs, broadcasts):
        router.include(module.router)
    return router
