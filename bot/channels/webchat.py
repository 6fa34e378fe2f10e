"""Web chat: a small page and its JSON API; visitors are anonymous, known by a signed cookie."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import json
import math
import re
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING

from aiohttp import web
from itsdangerous import BadSignature, URLSafeSerializer

from bot.channels.base import Capabilities
from bot.delivery import DeliveryOutcome, Outcome
from bot.media import MediaLinks
from bot.rate_limit import SlidingWindowLimiter
from bot.web_security import client_network
from handlers.dispatcher import MAX_INPUT_CHARS, TOO_LONG
from handlers.i18n import DEFAULT_LOCALE, N_
from handlers.types import Attachment, Incoming, Reply

if TYPE_CHECKING:
    from bot.app import Core

CHANNEL = "web"
# The page shows every choice as a button and any length of text; it fetches queued messages
# itself (its inbox), so nothing is pushed.
CAPABILITIES = Capabilities(max_text_length=1_000_000, max_buttons=1000,
                            max_button_label=1000, photos=True, documents=True, push=False)
COOKIE = "kc_visitor"
WEB_DIR = Path(__file__).resolve().parent.parent / "web"
MAX_BODY_BYTES = 16 * 1024
MAX_CLIENT_ID_CHARS = 64
MAX_ACK_IDS = 100
# The page asks for its inbox every 15 seconds and acknowledges what it shows: a few requests a
# minute. Far more is a script (an outside probe sent 1,500 a second, each ack a write).
INBOX_REQUESTS_PER_MINUTE = 60
BUTTONS_PER_MESSAGE = 3  # button taps allowed a minute for each typed message allowed
MAX_MESSAGE_ID = 2**63 - 1  # the largest a database's BIGINT holds
# Strings of the page itself; the conversation's own text comes from the dispatcher.
PAGE_STRINGS = {
    "title": N_("Hai Phong industrial promotion — chat"),
    "placeholder": N_("Type your question…"),
    "send": N_("Send"),
    "heading": N_("Hai Phong industrial promotion"),
    "offline": N_("Cannot reach the server. Please try again."),
    # The dispatcher's own words: the page says them before sending, and keeps the text.
    "too_long": TOO_LONG,
}
TOO_FAST = N_("You are writing faster than I can answer. Please wait a minute and try again.")
# NUL cannot be stored by PostgreSQL, and a lone surrogate cannot be encoded at all.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class BadRequest(Exception):
    """A request body we refuse, with the reason for the answer."""

    status = 400


class TooLarge(BadRequest):
    status = 413


class VisitorCookie:
    """Signs and reads the visitor cookie; the secret is fetched when first needed."""

    def __init__(self, fetch_secret: Callable[[], Awaitable[str]]) -> None:
        self._fetch_secret = fetch_secret
        self._signer: URLSafeSerializer | None = None
        self._fetching: asyncio.Future[str] | None = None

    async def signer(self) -> URLSafeSerializer:
        """The signer; raises (and is retried next time) while the database is down."""
        # Never a made-up per-process secret: other workers could not read its cookies.
        if self._signer is None:
            # Requests arriving together share one fetch: while the database hangs, they
            # fail together instead of queueing one timeout after another.
            if self._fetching is None:
                self._fetching = asyncio.ensure_future(self._fetch_secret())
            fetching = self._fetching
            try:
                secret = await asyncio.shield(fetching)
            finally:
                if self._fetching is fetching and fetching.done():
                    self._fetching = None
            self._signer = URLSafeSerializer(secret, salt="web-visitor")
        return self._signer

    async def read(self, request: web.Request) -> str | None:
        """The visitor id from a validly signed cookie, if any."""
        signer = await self.signer()
        try:
            return str(signer.loads(request.cookies.get(COOKIE, "")))
        except BadSignature:
            return None

    def read_if_ready(self, request: web.Request) -> str | None:
        """Like `read`, but only with the secret already in hand: never asks the database."""
        if self._signer is None:
            return None
        try:
            return str(self._signer.loads(request.cookies.get(COOKIE, "")))
        except BadSignature:
            return None

    async def issue(self, request: web.Request, response: web.StreamResponse) -> str:
        visitor = secrets.token_hex(12)
        response.set_cookie(COOKIE, (await self.signer()).dumps(visitor), httponly=True,
                            samesite="Lax", max_age=365 * 24 * 3600, secure=request.secure)
        return visitor

    @staticmethod
    def drop(request: web.Request, response: web.StreamResponse) -> None:
        response.del_cookie(COOKIE, httponly=True, samesite="Lax", secure=request.secure)


class WebChat:
    name = CHANNEL
    capabilities = CAPABILITIES

    def __init__(self, core: Core, fetch_secret: Callable[[], Awaitable[str]]) -> None:
        self._core = core
        self._cookie = VisitorCookie(fetch_secret)
        self._page = Template((WEB_DIR / "index.html").read_text(encoding="utf-8"))
        settings = core.settings
        self.message_limit = SlidingWindowLimiter(settings.web_messages_per_minute)
        # Taps on buttons count apart, three times as many: ticking several of a dozen choices
        # ran into the limit for typed messages.
        self.button_limit = SlidingWindowLimiter(BUTTONS_PER_MESSAGE *
                                                 settings.web_messages_per_minute)
        self.new_visitor_limit = SlidingWindowLimiter(settings.web_new_visitors_per_minute)
        self.inbox_limit = SlidingWindowLimiter(INBOX_REQUESTS_PER_MINUTE)
        # Each visitor's language as of their last answer here, for the texts of refusals
        # without asking the database; bounded like the limiters.
        self._locales: OrderedDict[str, str] = OrderedDict()

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def deliver(self, channel_user_id: str, replies: Sequence[Reply], *,
                      paced: bool = False) -> list[DeliveryOutcome]:
        """Nothing is pushed to a web page: it fetches its queued messages (`inbox`)."""
        return [DeliveryOutcome(Outcome.NOT_ALLOWED, error="the web page fetches its messages")]

    async def prepare_attachment(self, attachment: Attachment) -> Attachment:
        """Nothing to upload: the page shows our own link (see `reply_json`)."""
        return attachment

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self.page)
        app.router.add_post("/api/messages", self.post_message)
        app.router.add_get("/api/inbox", self.inbox)
        app.router.add_post("/api/inbox/ack", self.acknowledge)
        app.router.add_static("/static", WEB_DIR / "static")
        app.router.add_get("/favicon.ico", self.favicon)

    async def page(self, request: web.Request) -> web.Response:
        """The page; it needs no database, so it loads even while the database is down."""
        # Both languages go to the page; it shows the one the conversation is in.
        ui = {
            locale: {key: t.gettext(msgid) for key, msgid in PAGE_STRINGS.items()}
            for locale, t in self._core.translators.items()
        }
        text = self._page.substitute(
            limit=MAX_INPUT_CHARS,
            title=html.escape(ui[DEFAULT_LOCALE]["title"]),
            ui_json=html.escape(json.dumps(ui, ensure_ascii=False), quote=True))
        return web.Response(text=text, content_type="text/html")

    async def favicon(self, _request: web.Request) -> web.FileResponse:
        """The icon, also where browsers and crawlers look for it without a link."""
        return web.FileResponse(WEB_DIR / "static" / "favicon.svg")

    async def post_message(self, request: web.Request) -> web.Response:
        """POST {"text": …} or {"payload": …}, with an optional client "id" for retries."""
        try:
            body = await _json_object(request)
            text = _clean(body.get("text"), "text") or ""
            payload = _clean(body.get("payload"), "payload") or None
            client_id = _client_id(body.get("id"))
        except BadRequest as error:
            return web.json_response({"error": str(error)}, status=error.status)
        response = web.json_response({})
        visitor = await self._cookie.read(request)
        if visitor is None:
            # A visitor is counted when their cookie is issued (per client address, IPv6 by
            # its /64).
            wait = self.new_visitor_limit.hit(client_network(request.remote))
            if wait:
                return self._too_fast(DEFAULT_LOCALE, wait)
            visitor = await self._cookie.issue(request, response)
        wait = (self.button_limit if payload else self.message_limit).hit(visitor)
        if wait:
            return self._too_fast(self.known_locale(request), wait)
        incoming = Incoming(
            channel=CHANNEL, user_id=visitor, text=text, payload=payload,
            update_id=_update_id(visitor, client_id) if client_id else None,
        )
        replies = await self._core.dispatcher.handle(incoming)
        if any(reply.forget_user for reply in replies):
            # Deleted: the next message starts a new, unrelated visitor.
            self._cookie.drop(request, response)
            self._locales.pop(visitor, None)
            locale = DEFAULT_LOCALE
        else:
            locale = await self._core.dispatcher.locale_of(CHANNEL, visitor)
            self._remember_locale(visitor, locale)
        response.text = json.dumps({"replies": [reply_json(r) for r in replies],
                                    "locale": locale}, ensure_ascii=False)
        return response

    async def inbox(self, request: web.Request) -> web.Response:
        """GET: messages queued for this visitor (staff answers), kept until acknowledged."""
        visitor = await self._cookie.read(request)
        if wait := self._inbox_wait(request, visitor):
            return self._too_fast(self.known_locale(request), wait)
        queued = await self._core.dispatcher.queued_for(CHANNEL, visitor) if visitor else []
        return web.json_response(
            {"replies": [{"id": message_id, **reply_json(reply)}
                         for message_id, reply in queued]},
            dumps=lambda data: json.dumps(data, ensure_ascii=False))

    async def acknowledge(self, request: web.Request) -> web.Response:
        """POST {"ids": [...]}: the page has shown these inbox messages."""
        try:
            ids = (await _json_object(request)).get("ids")
            if (not isinstance(ids, list) or len(ids) > MAX_ACK_IDS
                    or not all(type(i) is int and 0 < i <= MAX_MESSAGE_ID for i in ids)):
                raise BadRequest(f"ids must be a list of at most {MAX_ACK_IDS} message ids")
        except BadRequest as error:
            return web.json_response({"error": str(error)}, status=error.status)
        visitor = await self._cookie.read(request)
        if wait := self._inbox_wait(request, visitor):
            return self._too_fast(self.known_locale(request), wait)
        marked = await self._core.dispatcher.acknowledge(CHANNEL, visitor, ids) if visitor else 0
        return web.json_response({"acknowledged": marked})

    def _inbox_wait(self, request: web.Request, visitor: str | None) -> float:
        """Seconds to wait before the inbox answers this visitor again (0: now); without a
        cookie, counted per client address."""
        return self.inbox_limit.hit(visitor or f"address:{request.remote or ''}")

    def known_locale(self, request: web.Request) -> str:
        """The visitor's language as last answered here, for refusals; never asks the database."""
        visitor = self._cookie.read_if_ready(request)
        return self._locales.get(visitor, DEFAULT_LOCALE) if visitor else DEFAULT_LOCALE

    def _too_fast(self, locale: str, wait: float) -> web.Response:
        message = self._core.translators[locale].gettext(TOO_FAST)
        return web.json_response(
            {"error": "too many requests", "message": message}, status=429,
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
            dumps=lambda data: json.dumps(data, ensure_ascii=False))

    def _remember_locale(self, visitor: str, locale: str) -> None:
        self._locales[visitor] = locale
        self._locales.move_to_end(visitor)
        if len(self._locales) > 50_000:
            self._locales.popitem(last=False)


async def _json_object(request: web.Request) -> dict:
    if request.content_length and request.content_length > MAX_BODY_BYTES:
        raise TooLarge("request too large")
    raw = await request.read()
    if len(raw) > MAX_BODY_BYTES:  # a chunked body has no Content-Length to check first
        raise TooLarge("request too large")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as error:  # RecursionError: nested thousands deep
        raise BadRequest("invalid JSON") from error
    if not isinstance(body, dict):
        raise BadRequest("expected a JSON object")
    return body


def _clean(value: object, name: str) -> str | None:
    """A text field: absent, or a string without what the database cannot store."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string")
    return _UNSTORABLE.sub("", value)


def _client_id(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= MAX_CLIENT_ID_CHARS:
        raise BadRequest(f"id must be a string of 1 to {MAX_CLIENT_ID_CHARS} characters")
    return value


def _update_id(visitor: str, client_id: str) -> str:
    """The ledger key of a web message: stable for retries, and no visitor id in the ledger."""
    key = f"{visitor}\n{client_id}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(key).hexdigest()[:40]


def reply_json(reply: Reply) -> dict:
    document = None
    if reply.document:
        data = base64.b64encode(reply.document.content).decode()
        document = {"filename": reply.document.filename,
                    "url": f"data:{reply.document.mime_type};base64,{data}"}
    attachment = None
    if reply.attachment:
        # A link on our own server, which serves the page: it needs no PUBLIC_URL.
        attachment = {"kind": reply.attachment.kind.value,
                      "filename": reply.attachment.filename,
                      "url": MediaLinks.path_of(reply.attachment.media_token,
                                                reply.attachment.filename)}
    return {"text": reply.text,
            "buttons": [{"label": c.label, "data": c.payload} for c in reply.choices],
            "document": document, "attachment": attachment, "forget": reply.forget_user,
            "titled": reply.titled,
            "links": [{"label": link.label, "url": link.url} for link in reply.links]}
