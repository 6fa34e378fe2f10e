"""The HTTP server: web chat, health check and webhooks."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy import text

from bot.channels.webchat import WebChat
from bot.web_security import (
    Handler,
    add_security_headers,
    anonymise_server_errors,
    forwarded_middleware,
    same_origin_json,
)
from handlers.i18n import N_, Translator
from storage.db import DATABASE_ERRORS

if TYPE_CHECKING:
    from bot.app import Core
    from bot.channels.base import Channel

logger = logging.getLogger(__name__)

WEB_CHAT = web.AppKey("web_chat", WebChat)

UNAVAILABLE = N_("The service is briefly unavailable. Your saved data is safe; please try "
                 "again in a few minutes.")


def build_web_app(core: Core, *, cookie_secret: str | None = None,
                  channels: Sequence[Channel] = ()) -> web.Application:
    """The aiohttp app: the web chat, the health check, media links and each channel's
    routes; without a cookie secret it is read from the database when needed."""
    async def configured_secret() -> str:
        assert cookie_secret is not None
        return cookie_secret

    webchat = WebChat(core, configured_secret if cookie_secret else core.web_cookie_secret)
    app = web.Application(client_max_size=1024 * 1024, middlewares=[
        forwarded_middleware(core.settings.trusted_proxies),
        database_unavailable(core.translators, webchat.known_locale),
        same_origin_json,
    ])
    app.on_response_prepare.append(add_security_headers)
    anonymise_server_errors()
    webchat.add_routes(app)

    async def healthz(_request: web.Request) -> web.Response:
        try:
            async with core.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:  # any failure means "not healthy"
            logger.warning("health check failed: %s", type(error).__name__)
            return web.json_response({"status": "error", "database": "unreachable"}, status=503)
        return web.json_response({"status": "ok", "database": "ok"})

    app.router.add_get("/healthz", healthz)
    core.media.add_routes(app)
    for channel in channels:
        channel.add_routes(app)
    app[WEB_CHAT] = webchat
    return app


def database_unavailable(translators: dict[str, Translator],
                         locale_of: Callable[[web.Request], str]):
    """A database error in a web chat request answers 503 in JSON, never a 500 traceback."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/webhooks/"):
            # A webhook's failure is the platform's cue to deliver again; its adapter decides.
            return await handler(request)
        try:
            return await handler(request)
        except DATABASE_ERRORS as error:
            # Only the class: a driver's message may quote the statement's parameters, which
            # can be what a user typed.
            # The route's pattern, not the path: a media link's path is its secret token.
            logger.warning("database unavailable during %s %s: %s", request.method,
                           request.match_info.route.resource.canonical
                           if request.match_info.route.resource else "?",
                           type(error).__name__)
            translator = translators[locale_of(request)]
            return web.json_response(
                {"error": "database unavailable", "message": translator.gettext(UNAVAILABLE)},
                status=503, headers={"Retry-After": "30"},
                dumps=lambda data: json.dumps(data, ensure_ascii=False))

    return middleware
