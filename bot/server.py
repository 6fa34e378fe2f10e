"""The HTTP server: web chat, health check and webhooks."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy import text

from bot.channels.webchat import WebChat

if TYPE_CHECKING:
    from bot.app import Core
    from bot.channels.telegram import TelegramChannel

logger = logging.getLogger(__name__)


def build_web_app(core: Core, *, cookie_secret: str,
                  telegram: TelegramChannel | None = None) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    WebChat(core, cookie_secret).add_routes(app)

    async def healthz(_request: web.Request) -> web.Response:
        try:
            async with core.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:  # any failure means "not healthy"
            logger.warning("health check failed: %s", error)
            return web.json_response({"status": "error", "database": "unreachable"}, status=503)
        return web.json_response({"status": "ok", "database": "ok"})

    app.router.add_get("/healthz", healthz)
    if telegram is not None and telegram.uses_webhook:
        app.router.add_post("/webhooks/telegram", telegram.handle_webhook)
    return app
