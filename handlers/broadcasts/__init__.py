"""Staff broadcasts: the /thongbao form, audiences, subscriptions (/huydangky, /dangky) and
the background listing of recipients; the sending itself is bot/broadcast_sender.py."""

from __future__ import annotations

from handlers.broadcasts import compose, subscriptions
from handlers.broadcasts.jobs import GIVE_UP, JOBS
from handlers.routing import Router

router = Router()
router.include(subscriptions.router)
router.include(compose.router)

__all__ = ["GIVE_UP", "JOBS", "router"]
