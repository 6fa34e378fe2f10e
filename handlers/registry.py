"""The full set of conversation handlers, merged into one router."""

from __future__ import annotations

from handlers import (
    eligibility,
    language,
    privacy,
    profile,
    questions,
    staff,
    start,
    survey_results,
    surveys,
)
from handlers.routing import Router


def build_router() -> Router:
    router = Router()
    for module in (start, questions, eligibility, profile, language, privacy, staff,
                   surveys, survey_results):
        router.include(module.router)
    return router
