"""Trade fairs: booths with a quota, a waitlist with time-limited offers, reminders, and the
staff's tools to run a fair from the bot."""

from __future__ import annotations

from handlers.fairs import admin, owner
from handlers.fairs.jobs import JOBS
from handlers.routing import Router

router = Router()
router.include(owner.router)
router.include(admin.router)

__all__ = ["JOBS", "router"]
