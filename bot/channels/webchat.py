"""Web chat: a small page and its JSON API; visitors are anonymous, known by a signed cookie."""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING

from aiohttp import web
from itsdangerous import BadSignature, URLSafeSerializer

from handlers.i18n import N_
from handlers.types import Incoming, Reply

if TYPE_CHECKING:
    from bot.app import Core

CHANNEL = "web"
COOKIE = "kc_visitor"
WEB_DIR = Path(__file__).resolve().parent.parent / "web"
MAX_BODY_BYTES = 16 * 1024
# Strings of the page itself; the conversation's own text comes from the dispatcher.
PAGE_STRINGS = {
    "title": N_("Hai Phong industrial promotion — chat"),
    "placeholder": N_("Type your question…"),
    "send": N_("Send"),
    "heading": N_("Hai Phong industrial promotion"),
    "offline": N_("Cannot reach the server. Please try again."),
}


class WebChat:
    def __init__(self, core: Core, cookie_secret: str) -> None:
        self._core = core
        self._signer = URLSafeSerializer(cookie_secret, salt="web-visitor")
        self._page = Template((WEB_DIR / "index.html").read_text(encoding="utf-8"))

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self.page)
        app.router.add_post("/api/messages", self.post_message)
        app.router.add_get("/api/inbox", self.inbox)
        app.router.add_static("/static", WEB_DIR / "static")

    async def page(self, request: web.Request) -> web.Response:
        # Both languages go to the page; it shows the one the conversation is in.
        ui = {
            locale: {key: t.gettext(msgid) for key, msgid in PAGE_STRINGS.items()}
            for locale, t in self._core.translators.items()
        }
        html = self._page.substitute(title=ui["vi"]["title"],
                                     ui_json=json.dumps(ui, ensure_ascii=False))
        response = web.Response(text=html, content_type="text/html")
        self._visitor(request, response)
        return response

    async def post_message(self, request: web.Request) -> web.Response:
        """POST {"text": …} or {"payload": …}, with an optional client "id" for retries."""
        if request.content_length and request.content_length > MAX_BODY_BYTES:
            return web.json_response({"error": "too large"}, status=413)
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": "invalid JSON"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"error": "expected an object"}, status=400)
        response = web.json_response({})
        visitor = self._visitor(request, response)
        client_id = body.get("id")
        incoming = Incoming(
            channel=CHANNEL, user_id=visitor,
            text=str(body.get("text") or ""),
            payload=str(body["payload"]) if body.get("payload") else None,
            update_id=f"{visitor}:{client_id}" if client_id else None,
        )
        replies = await self._core.dispatcher.handle(incoming)
        locale = await self._core.dispatcher.locale_of(CHANNEL, visitor)
        response.text = json.dumps({"replies": [reply_json(r) for r in replies],
                                    "locale": locale}, ensure_ascii=False)
        return response

    async def inbox(self, request: web.Request) -> web.Response:
        """GET: messages queued for this visitor since their last message (staff answers)."""
        response = web.json_response({})
        visitor = self._visitor(request, response)
        queued = await self._core.dispatcher.queued_for(CHANNEL, visitor)
        # Still queued until the page acknowledges them (POST /api/inbox/ack, helper's work).
        await self._core.dispatcher.acknowledge(CHANNEL, visitor, [i for i, _r in queued])
        response.text = json.dumps({"replies": [reply_json(r) for _i, r in queued]},
                                   ensure_ascii=False)
        return response

    def _visitor(self, request: web.Request, response: web.StreamResponse) -> str:
        """The visitor id from the signed cookie, issuing a new one when absent or forged."""
        try:
            return str(self._signer.loads(request.cookies.get(COOKIE, "")))
        except BadSignature:
            visitor = secrets.token_hex(12)
            response.set_cookie(COOKIE, self._signer.dumps(visitor), httponly=True,
                                samesite="Lax", max_age=365 * 24 * 3600,
                                secure=request.secure)
            return visitor


def reply_json(reply: Reply) -> dict:
    document = None
    if reply.document:
        data = base64.b64encode(reply.document.content).decode()
        document = {"filename": reply.document.filename,
                    "url": f"data:{reply.document.mime_type};base64,{data}"}
    return {"text": reply.text,
            "buttons": [{"label": c.label, "data": c.payload} for c in reply.choices],
            "document": document}
