"""A fake Zalo Bot Platform API for tests (../shared/platforms.md, part 3a).

What it mirrors from the documented API (bot.zaloplatforms.com/docs):

- Requests go to ``/bot<token>/<method>`` by GET or POST, parameters as query string, form or
  JSON; method names are case-sensitive. Answers are ``{"ok": true, "result": ...}`` or
  ``{"ok": false, "error_code": N, "description": ...}``. Wrong token: 401; unknown method:
  404; injected failures: any code (429 "quota exceeded", 403, 408…).
- ``getUpdates`` returns **one** event per call (not a list) and 408 when none arrived within
  ``timeout`` (seconds, sent as a string).
- ``setWebhook`` needs ``url`` and a ``secret_token`` of 8-256 characters; events are then
  POSTed to the webhook wrapped as ``{"ok": true, "result": event}`` with header
  ``X-Bot-Api-Secret-Token``. ``deleteWebhook`` and ``getWebhookInfo`` (``url``,
  ``updated_at``) exist.
- ``sendMessage`` takes ``chat_id`` and ``text`` of 1-2000 characters; ``sendPhoto`` takes a
  photo **URL**, which the fake downloads (as Zalo must) and keeps.
- Ids are strings (hex), ``date`` is in milliseconds. Events: ``message.text.received``,
  ``message.image.received`` (``photo_url``, a link to Zalo's copy, and ``caption``, as
  OpenClaw's client reads them), ``message.sticker.received``,
  ``message.unsupported.received``. The fake serves the photos users send itself, under
  ``/cdn/``, as Zalo's servers would.

Where the fake knowingly differs: the HTTP status of an error answer is its error_code (the
docs do not say); getUpdates while a webhook is set is refused with 409 (undocumented); an
event refused by the webhook is not retried unless a test calls `deliver_again`.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import secrets
import time
from typing import Any

from aiohttp import ClientError, web

from tests.fakes.loopback import LoopbackFake

SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_TEXT_LENGTH = 2000
DESCRIPTIONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
                408: "Request Timeout", 429: "Quota exceeded"}


class _Error(Exception):
    def __init__(self, code: int, description: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.description = description or DESCRIPTIONS.get(code, f"Error {code}")

    def response(self) -> web.Response:
        return web.json_response({"ok": False, "error_code": self.code,
                                  "description": self.description}, status=self.code)


class FakeZaloBot(LoopbackFake):
    """A Bot Platform server for one bot, plus controls that play the users' side."""

    def __init__(self, token: str = "3210987654321:ZaloTestSecretAbc") -> None:
        super().__init__()
        self.token = token
        self.bot = {"id": token.split(":", 1)[0], "account_name": "Bot Khuyến Công (test)",
                    "account_type": "BASIC", "can_join_groups": False}
        self.webhook_deliveries: list[tuple[dict[str, Any], int]] = []  # (event, status)
        self.photos: dict[str, bytes] = {}  # photo URL -> what the fake downloaded
        self.hosted: dict[str, bytes] = {}  # what users sent, served under /cdn/
        self._pending: list[dict[str, Any]] = []  # events for getUpdates
        self._webhook: dict[str, Any] | None = None
        self._messages: list[dict[str, Any]] = []  # what the bot sent
        self._ids = itertools.count(1)
        self._handlers = {
            "getMe": self._get_me, "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook, "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info, "sendMessage": self._send_message,
            "sendPhoto": self._send_photo, "sendChatAction": self._send_chat_action,
        }

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/cdn/{name}", self._serve_hosted)

    # ------------------------------------------------------------------ HTTP layer

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _Error(401).response()
        method = request.match_info["method"]
        handler = self._handlers.get(method)
        if handler is None:
            return _Error(404).response()
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.body_exists:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
            else:
                params.update(await request.post())
        self.record(method, params)
        try:
            failure = self.take_failure(method)
            if failure is not None:
                raise failure
            result = await handler(params)
        except _Error as error:
            return error.response()
        finally:
            self.notify()
        return web.json_response({"ok": True, "result": result})

    async def _serve_hosted(self, request: web.Request) -> web.Response:
        self.record("cdn", {"name": request.match_info["name"]})
        content = self.hosted.get(request.match_info["name"])
        if content is None:
            return web.Response(status=404)
        return web.Response(body=content, content_type="image/jpeg")

    def host(self, content: bytes) -> str:
        """Keep a file a user sends; its URL on the fake's CDN."""
        name = f"{secrets.token_hex(8)}.jpg"
        self.hosted[name] = content
        return f"{self.url}/cdn/{name}"

    def fail_next(self, method: str, error_code: int = 429, times: int = 1,
                  description: str | None = None) -> None:
        """The next `times` calls of `method` answer `error_code` instead of running."""
        if method not in self._handlers:
            raise ValueError(f"FakeZaloBot does not implement {method!r}")
        self.inject_failure(method, _Error(error_code, description), times)

    # ------------------------------------------------------------------ methods

    async def _get_me(self, _params: dict[str, Any]) -> dict[str, Any]:
        return dict(self.bot)

    async def _get_updates(self, params: dict[str, Any]) -> dict[str, Any]:
        if self._webhook is not None:
            raise _Error(409, "Conflict: a webhook is set")
        try:
            timeout = float(params.get("timeout") or 30)
        except ValueError:
            raise _Error(400) from None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._pending:
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing:
                raise _Error(408)
            await self.wait_for_change(remaining)
        return self._pending.pop(0)

    async def _set_webhook(self, params: dict[str, Any]) -> dict[str, Any]:
        url, secret = str(params.get("url") or ""), str(params.get("secret_token") or "")
        if not url.startswith(("http://127.0.0.1", "https://")):
            raise _Error(400, "Bad Request: invalid url")
        if not 8 <= len(secret) <= 256:
            raise _Error(400, "Bad Request: secret_token must be 8-256 characters")
        self._webhook = {"url": url, "secret_token": secret,
                         "updated_at": int(time.time() * 1000)}
        return {"url": url, "updated_at": self._webhook["updated_at"]}

    async def _delete_webhook(self, _params: dict[str, Any]) -> dict[str, Any]:
        self._webhook = None
        return {"url": "", "updated_at": int(time.time() * 1000)}

    async def _get_webhook_info(self, _params: dict[str, Any]) -> dict[str, Any]:
        hook = self._webhook or {"url": "", "updated_at": 0}
        return {"url": hook["url"], "updated_at": hook["updated_at"]}

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        text = str(params.get("text") or "")
        if not 1 <= len(text) <= MAX_TEXT_LENGTH:
            raise _Error(400, "Bad Request: text must be 1-2000 characters")
        return self._store(params, text=text)

    async def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        url = str(params.get("photo") or "")
        caption = params.get("caption")
        if caption is not None and len(str(caption)) > MAX_TEXT_LENGTH:
            raise _Error(400, "Bad Request: caption too long")
        try:  # Zalo fetches the photo from its URL
            async with self.session.get(url) as response:
                if response.status != 200:
                    raise _Error(400, "Bad Request: photo could not be downloaded")
                self.photos[url] = await response.read()
        except (ClientError, ValueError):
            raise _Error(400, "Bad Request: photo could not be downloaded") from None
        return self._store(params, photo=url, caption=caption)

    async def _send_chat_action(self, _params: dict[str, Any]) -> bool:
        return True

    def _store(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = str(params.get("chat_id") or "")
        if not chat_id:
            raise _Error(400, "Bad Request: chat_id is required")
        message = {"message_id": secrets.token_hex(10), "chat_id": chat_id,
                   "date": int(time.time() * 1000), **content}
        self._messages.append(message)
        return {"message_id": message["message_id"], "date": message["date"]}

    # ------------------------------------------------------------------ users' side

    def event(self, user_id: str, event_name: str, *, display_name: str = "Chị Lan",
              chat_type: str = "PRIVATE", **content: Any) -> dict[str, Any]:
        """An event as the platform builds it (ids as strings, date in milliseconds)."""
        message = {"from": {"id": user_id, "display_name": display_name, "is_bot": False},
                   "chat": {"id": user_id, "chat_type": chat_type},
                   "message_id": f"{next(self._ids):04x}{secrets.token_hex(8)}",
                   "date": int(time.time() * 1000), **content}
        return {"event_name": event_name, "message": message}

    async def user_sends(self, user_id: str, text: str, **kwargs: Any) -> dict[str, Any]:
        return await self.push(self.event(user_id, "message.text.received", text=text,
                                          **kwargs))

    async def user_sends_photo(self, user_id: str, content: bytes, *,
                               caption: str | None = None) -> dict[str, Any]:
        """The user sends a photo: the event carries a link to it (and its caption)."""
        extra = {"caption": caption} if caption else {}
        return await self.push(self.event(user_id, "message.image.received",
                                          photo_url=self.host(content), **extra))

    async def user_sends_sticker(self, user_id: str) -> dict[str, Any]:
        return await self.push(self.event(user_id, "message.sticker.received",
                                          sticker="sticker-id-1"))

    async def user_sends_unsupported(self, user_id: str) -> dict[str, Any]:
        """What a legally protected user's message looks like to the bot: no content."""
        return await self.push(self.event(user_id, "message.unsupported.received"))

    async def push(self, event: dict[str, Any]) -> dict[str, Any]:
        """Deliver an event: POSTed to the webhook when one is set (returns once the bot
        answered), else kept for getUpdates."""
        if self._webhook is None:
            self._pending.append(copy.deepcopy(event))
            self.notify()
        else:
            await self.deliver_again(event)
        return event

    async def deliver_again(self, event: dict[str, Any]) -> int:
        """POST an event to the webhook (again); returns the HTTP status."""
        assert self._webhook is not None, "no webhook set"
        headers = {SECRET_HEADER: self._webhook["secret_token"]}
        async with self.session.post(self._webhook["url"], json={"ok": True, "result": event},
                                     headers=headers) as response:
            await response.read()
            status = response.status
        self.webhook_deliveries.append((event, status))
        self.notify()
        return status

    # ------------------------------------------------------------------ inspection

    @property
    def webhook_url(self) -> str:
        return self._webhook["url"] if self._webhook else ""

    @property
    def webhook_secret(self) -> str:
        return self._webhook["secret_token"] if self._webhook else ""

    def messages_to(self, chat_id: str) -> list[dict[str, Any]]:
        return [copy.deepcopy(m) for m in self._messages if m["chat_id"] == chat_id]

    async def wait_for_messages(self, chat_id: str, count: int,
                                timeout: float = 5) -> list[dict[str, Any]]:
        await self.wait_until(
            lambda: len(self.messages_to(chat_id)) >= count, timeout,
            lambda: f"expected {count} message(s) to {chat_id}, got "
                    f"{[m.get('text') for m in self.messages_to(chat_id)]}")
        return self.messages_to(chat_id)
