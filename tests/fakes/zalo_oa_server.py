"""A fake Zalo Official Account API (Open API v3) and OAuth v4 server for tests
(../shared/platforms.md, part 3b).

What it mirrors:

- ``POST /v3.0/oa/message/cs`` with header ``access_token``; body ``{"recipient":
  {"user_id"}, "message": {"text", "attachment"?}}``; answers ``{"error": 0, "message":
  "Success", "data": {"message_id", "user_id"}}``, or ``{"error": -216, ...}`` for an
  invalid or expired access token. Injected failures answer any error code (-230: the user
  has not interacted with the OA recently).
- ``POST /v2.0/oa/upload/image`` (multipart ``file``, JPG or PNG of at most 1 MB) answers an
  ``attachment_id``; ``POST /v2.0/oa/upload/file`` (PDF, DOC or DOCX of at most 5 MB) a
  ``token``. A message sends an image as ``{"attachment": {"type": "template", "payload":
  {"template_type": "media", "elements": [{"media_type": "image", "attachment_id"}]}}}`` and
  a file as ``{"attachment": {"type": "file", "payload": {"token"}}}``; an id or token the
  OA did not upload is refused.
- Users' images and files arrive as ``user_send_image`` / ``user_send_file`` events whose
  ``message.attachments[0].payload`` has the ``url`` (and a file's ``name``, ``size`` and
  ``type``); the fake serves them under ``/cdn/``, as Zalo's servers would.
- ``POST /v4/oa/access_token`` (form, header ``secret_key``) with ``grant_type=
  refresh_token``: a new access token and a new refresh token; **a refresh token works once**.
- Webhook events are POSTed with ``X-ZEvent-Signature: mac=<sha256(app_id + body + timestamp
  + secret_key)>``; ids are strings and ``timestamp`` is milliseconds as a string.

Where the fake knowingly differs: the error answered for a spent refresh token, the codes and
messages of the upload and attachment errors, and the upload limits (as we read Zalo's
documentation) are the fake's own; the OA's reply window is not enforced here (the bot
enforces it; `messages_to` lets tests count).
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import itertools
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.fakes.loopback import LoopbackFake

SIGNATURE_HEADER = "X-ZEvent-Signature"
MAX_BUTTON_TITLE = 100
MAX_UPLOAD_IMAGE = 1024 * 1024
MAX_UPLOAD_FILE = 5 * 1024 * 1024
UPLOAD_FILE_TYPES = {".pdf", ".doc", ".docx"}
BAD_ATTACHMENT = -201  # the fake's own code for an id or token it does not know
UPLOAD_REFUSED = -210  # the fake's own code for a file the upload API does not take


def mac(app_id: str, body: bytes, timestamp: str, secret_key: str) -> str:
    return hashlib.sha256(app_id.encode() + body + timestamp.encode()
                          + secret_key.encode()).hexdigest()


class FakeZaloOA(LoopbackFake):
    """One OA and its app, plus controls that play the followers' side."""

    def __init__(self, app_id: str = "2716104359873026511", secret_key: str = "OaTestSecretKey",
                 oa_id: str = "579745863508352884",
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.app_id, self.secret_key, self.oa_id = app_id, secret_key, oa_id
        self.access_token = "oa-access-0"
        self.refresh_token = "oa-refresh-0"
        self.webhook_url = ""  # set in the OA's app settings (here: by the test)
        self.refresh_delay = 0.05  # widens the window in which two refreshes could overlap
        self.spent_refresh_tokens: list[str] = []
        self.refused_refresh_tokens: list[str] = []
        self.webhook_deliveries: list[tuple[dict[str, Any], int]] = []
        self.uploads: dict[str, bytes] = {}  # attachment_id -> image
        self.file_uploads: dict[str, tuple[str, bytes]] = {}  # token -> (name, content)
        self.hosted: dict[str, bytes] = {}  # what users sent, served under /cdn/
        self._clock = clock
        self._valid_access = {self.access_token}
        self._messages: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v3.0/oa/message/cs", self._message_cs)
        app.router.add_post("/v2.0/oa/upload/image", self._upload_image)
        app.router.add_post("/v2.0/oa/upload/file", self._upload_file)
        app.router.add_get("/cdn/{name}", self._serve_hosted)
        app.router.add_post("/v4/oa/access_token", self._access_token)

    def fail_next(self, method: str, error: int, times: int = 1,
                  message: str = "injected failure") -> None:
        """The next `times` calls of "message/cs", "upload/image" or "upload/file" answer
        `error`."""
        self.inject_failure(method, {"error": error, "message": message}, times)

    def server_error_next(self, method: str, status: int = 502, times: int = 1) -> None:
        """The next `times` calls of `method` answer HTTP `status` without a body, as a
        gateway in front of the API does when it is down."""
        self.inject_failure(method, {"http_status": status}, times)

    def _failure_response(self, failure: dict[str, Any]) -> web.Response:
        if "http_status" in failure:
            return web.Response(status=failure["http_status"])
        return web.json_response(failure)

    def expire_access_token(self) -> None:
        """The current access token stops working (-216), as after its 25 hours."""
        self._valid_access.clear()

    # ------------------------------------------------------------------ API

    async def _message_cs(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.record("message/cs", body)
        try:
            if request.headers.get("access_token") not in self._valid_access:
                return web.json_response({"error": -216, "message": "Access token is invalid"})
            failure = self.take_failure("message/cs")
            if failure is not None:
                return web.json_response(failure)
            user_id = str(body["recipient"]["user_id"])
            message = body["message"]
            buttons = ((message.get("attachment") or {}).get("payload") or {}).get("buttons")
            for button in buttons or ():
                if len(button["title"]) > MAX_BUTTON_TITLE:
                    return web.json_response({"error": -201, "message": "title too long"})
            if not self._known_attachment(message):
                return web.json_response({"error": BAD_ATTACHMENT,
                                          "message": "attachment not found"})
            message_id = secrets.token_hex(16)
            self._messages.append({"message_id": message_id, "user_id": user_id,
                                   **copy.deepcopy(message)})
            return web.json_response({"error": 0, "message": "Success",
                                      "data": {"message_id": message_id, "user_id": user_id}})
        finally:
            self.notify()

    async def _upload_image(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.record("upload/image", {"file": getattr(form.get("file"), "filename", None)})
        if request.headers.get("access_token") not in self._valid_access:
            return web.json_response({"error": -216, "message": "Access token is invalid"})
        failure = self.take_failure("upload/image")
        if failure is not None:
            return self._failure_response(failure)
        content = form["file"].file.read()
        if len(content) > MAX_UPLOAD_IMAGE or form["file"].content_type not in (
                "image/jpeg", "image/png"):
            return web.json_response({"error": UPLOAD_REFUSED,
                                      "message": "image must be JPG or PNG, at most 1 MB"})
        attachment_id = secrets.token_hex(12)
        self.uploads[attachment_id] = content
        return web.json_response({"error": 0, "message": "Success",
                                  "data": {"attachment_id": attachment_id}})

    async def _upload_file(self, request: web.Request) -> web.Response:
        form = await request.post()
        name = getattr(form.get("file"), "filename", None) or ""
        self.record("upload/file", {"file": name})
        if request.headers.get("access_token") not in self._valid_access:
            return web.json_response({"error": -216, "message": "Access token is invalid"})
        failure = self.take_failure("upload/file")
        if failure is not None:
            return self._failure_response(failure)
        content = form["file"].file.read()
        extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if len(content) > MAX_UPLOAD_FILE or extension not in UPLOAD_FILE_TYPES:
            return web.json_response({"error": UPLOAD_REFUSED,
                                      "message": "file must be PDF, DOC or DOCX, at most 5 MB"})
        token = secrets.token_hex(16)
        self.file_uploads[token] = (name, content)
        return web.json_response({"error": 0, "message": "Success", "data": {"token": token}})

    def _known_attachment(self, message: dict[str, Any]) -> bool:
        """An image or file in a message must be one the OA uploaded."""
        attachment = message.get("attachment") or {}
        payload = attachment.get("payload") or {}
        if attachment.get("type") == "file":
            return payload.get("token") in self.file_uploads
        for element in payload.get("elements") or ():
            if element.get("media_type") == "image" and "attachment_id" in element and \
                    element["attachment_id"] not in self.uploads:
                return False
        return True

    async def _serve_hosted(self, request: web.Request) -> web.Response:
        content = self.hosted.get(request.match_info["name"])
        if content is None:
            return web.Response(status=404)
        return web.Response(body=content, content_type="application/octet-stream")

    def host(self, content: bytes, name: str = "photo.jpg") -> str:
        """Keep a file a user sends; its URL on the fake's CDN."""
        key = f"{secrets.token_hex(8)}-{name}"
        self.hosted[key] = content
        return f"{self.url}/cdn/{key}"

    async def _access_token(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.record("access_token", dict(form))
        if request.headers.get("secret_key") != self.secret_key or form.get(
                "app_id") != self.app_id:
            return web.json_response({"error": -14002, "error_name": "Invalid app"})
        given = str(form.get("refresh_token") or "")
        if form.get("grant_type") != "refresh_token" or given != self.refresh_token:
            self.refused_refresh_tokens.append(given)
            return web.json_response({"error": -14014, "error_name": "Invalid refresh token"})
        self.refresh_token = ""  # spent at once: a concurrent second use fails
        await asyncio.sleep(self.refresh_delay)
        self.spent_refresh_tokens.append(given)
        number = len(self.spent_refresh_tokens)
        self.access_token, self.refresh_token = f"oa-access-{number}", f"oa-refresh-{number}"
        self._valid_access.add(self.access_token)
        self.notify()
        return web.json_response({"access_token": self.access_token,
                                  "refresh_token": self.refresh_token, "expires_in": "90000"})

    # ------------------------------------------------------------------ followers' side

    def event(self, event_name: str, user_id: str, **fields: Any) -> dict[str, Any]:
        timestamp = str(int(self._clock() * 1000))
        if event_name in ("follow", "unfollow"):
            return {"app_id": self.app_id, "oa_id": self.oa_id, "event_name": event_name,
                    "follower": {"id": user_id}, "source": "testing",
                    "timestamp": timestamp, "user_id_by_app": user_id, **fields}
        message = {"msg_id": f"{next(self._ids):04x}{secrets.token_hex(14)}", **fields}
        return {"app_id": self.app_id, "user_id_by_app": user_id, "event_name": event_name,
                "sender": {"id": user_id}, "recipient": {"id": self.oa_id},
                "message": message, "timestamp": timestamp}

    async def user_sends(self, user_id: str, text: str) -> int:
        return await self.post(self.event("user_send_text", user_id, text=text))

    async def user_taps(self, user_id: str, title: str) -> int:
        """Tap the query button titled `title` on the OA's latest message to the user: it
        comes back as the user's text message carrying the button's payload."""
        for message in reversed(self.messages_to(user_id)):
            for button in _buttons(message):
                if button["title"] == title:
                    return await self.user_sends(user_id, button["payload"])
        raise LookupError(f"no button {title!r} in the messages to {user_id}")

    async def user_sends_image(self, user_id: str, content: bytes) -> int:
        url = self.host(content)
        return await self.post(self.event("user_send_image", user_id, attachments=[
            {"type": "image", "payload": {"thumbnail": url, "url": url}}]))

    async def user_sends_file(self, user_id: str, content: bytes, name: str) -> int:
        url = self.host(content, name)
        return await self.post(self.event("user_send_file", user_id, attachments=[
            {"type": "file", "payload": {"url": url, "name": name, "size": str(len(content)),
                                         "type": name.rsplit(".", 1)[-1],
                                         "checksum": hashlib.md5(content).hexdigest()}}]))

    async def user_sends_sticker(self, user_id: str) -> int:
        return await self.post(self.event("user_send_sticker", user_id,
                                          attachments=[{"type": "sticker"}]))

    async def user_follows(self, user_id: str) -> int:
        return await self.post(self.event("follow", user_id))

    async def user_unfollows(self, user_id: str) -> int:
        return await self.post(self.event("unfollow", user_id))

    async def post(self, event: dict[str, Any], *, signature: str | None = None,
                   raw: bytes | None = None) -> int:
        """POST an event to the webhook, signed as Zalo signs it unless `signature` is
        given; returns the HTTP status once the bot answered."""
        body = raw if raw is not None else json.dumps(event, ensure_ascii=False).encode()
        if signature is None:
            signature = "mac=" + mac(self.app_id, body, str(event.get("timestamp", "")),
                                     self.secret_key)
        async with self.session.post(self.webhook_url, data=body, headers={
            SIGNATURE_HEADER: signature, "Content-Type": "application/json",
        }) as response:
            await response.read()
            status = response.status
        self.webhook_deliveries.append((event, status))
        self.notify()
        return status

    # ------------------------------------------------------------------ inspection

    def messages_to(self, user_id: str) -> list[dict[str, Any]]:
        return [copy.deepcopy(m) for m in self._messages if m["user_id"] == user_id]

    async def wait_for_messages(self, user_id: str, count: int,
                                timeout: float = 5) -> list[dict[str, Any]]:
        await self.wait_until(lambda: len(self.messages_to(user_id)) >= count, timeout)
        return self.messages_to(user_id)


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    payload = (message.get("attachment") or {}).get("payload") or {}
    return list(payload.get("buttons") or ())


def buttons(message: dict[str, Any]) -> list[str]:
    """The titles of a message's query buttons."""
    return [button["title"] for button in _buttons(message)]
