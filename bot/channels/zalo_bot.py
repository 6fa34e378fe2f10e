"""Zalo Bot Platform (bot.zaloplatforms.com): events in, replies out; nothing else.

The API is Telegram-like: `https://bot-api.zaloplatforms.com/bot<TOKEN>/<method>`, answers
`{ok, result, error_code, description}`. There are no buttons, so choices go out as numbered
lists and the user answers with the number or the label; text is at most 2,000 characters;
photos go by URL only, so charts, exports and broadcast attachments are served from our own
server under expiring links (bot/media.py); a document goes as a link. A photo a user sends
comes as a link (`photo_url`), downloaded only where a form asks for one. See
../shared/platforms.md, part 3a.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from bot.channels.base import Capabilities, answer
from bot.channels.download import downloader
from bot.channels.rendering import render, with_attachment
from bot.delivery import SENT, DeliveryOutcome, Outcome
from handlers.error_report import anonymous_traceback
from handlers.types import (
    Attachment,
    Document,
    FileKind,
    Incoming,
    IncomingFile,
    MessageKind,
    Reply,
)

if TYPE_CHECKING:
    from bot.app import Core
    from bot.settings import Settings

logger = logging.getLogger(__name__)

CHANNEL = "zalo_bot"
WEBHOOK_PATH = "/webhooks/zalo-bot"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_SECRET_LENGTH = 256
CAPABILITIES = Capabilities(max_text_length=2000, max_buttons=0, photos=True,
                            documents=False, edit=False, caption_length=2000)
POLL_TIMEOUT = 30  # seconds a getUpdates call waits for an event (the API's default)
REQUEST_TIMEOUT = 20  # seconds, for calls other than getUpdates
# The API names no wait with its 429 ("quota exceeded"): the outbox tries again after this.
QUOTA_RETRY_AFTER = 60.0
_KINDS = {
    "message.text.received": MessageKind.TEXT,
    "message.image.received": MessageKind.PHOTO,
    "message.sticker.received": MessageKind.STICKER,
    # Also what a legally protected user (a child…) sends, without its content.
    "message.unsupported.received": MessageKind.OTHER,
}


class ZaloBotError(Exception):
    """An unsuccessful answer of the Bot API; its description quotes no user data."""

    def __init__(self, error_code: int, description: str) -> None:
        super().__init__(f"{error_code} {description}")
        self.error_code = error_code
        self.description = description


class ZaloBotChannel:
    """Webhook updates from our aiohttp server, or long polling for development."""

    name = CHANNEL
    capabilities = CAPABILITIES

    def __init__(self, core: Core, *, token: str, api_base_url: str, secret: str,
                 webhook_url: str | None = None, poll_timeout: int = POLL_TIMEOUT) -> None:
        self._core = core
        self._base = f"{api_base_url.rstrip('/')}/bot{token}"
        self._secret = secret.encode()
        self._webhook_url = webhook_url
        self._poll_timeout = poll_timeout
        self._session: ClientSession | None = None
        self._poller: asyncio.Task | None = None

    @classmethod
    def from_settings(cls, settings: Settings, core: Core) -> ZaloBotChannel:
        assert settings.zalo_bot_token and settings.zalo_bot_secret
        webhook_url = f"{settings.public_url}{WEBHOOK_PATH}" if settings.public_url else None
        return cls(core, token=settings.zalo_bot_token,
                   api_base_url=settings.zalo_bot_api_base_url,
                   secret=settings.zalo_bot_secret, webhook_url=webhook_url)

    @property
    def uses_webhook(self) -> bool:
        return self._webhook_url is not None

    def add_routes(self, app: web.Application) -> None:
        if self.uses_webhook:
            app.router.add_post(WEBHOOK_PATH, self.handle_webhook)

    async def start(self) -> None:
        self._session = ClientSession(timeout=ClientTimeout(total=REQUEST_TIMEOUT))
        if self.uses_webhook:
            await self._call("setWebhook", url=self._webhook_url,
                             secret_token=self._secret.decode())
        else:
            # getUpdates and a webhook are mutually exclusive.
            try:
                await self._call("deleteWebhook")
            except (ZaloBotError, ClientError, TimeoutError) as error:
                logger.warning("zalo bot: deleteWebhook failed: %s", _describe(error))
            self._poller = asyncio.create_task(self._poll(), name="zalo-bot-poll")
        logger.info("zalo bot channel started (%s)",
                    "webhook" if self.uses_webhook else "polling")

    async def stop(self) -> None:
        if self._poller:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
            self._poller = None
        if self._session:
            await self._session.close()
            self._session = None

    # ------------------------------------------------------------------ receiving

    async def handle_webhook(self, request: web.Request) -> web.Response:
        """POST /webhooks/zalo-bot: 403 without the secret, 400 for what is not an event,
        200 once the event is applied (replies that could not be sent go to the outbox:
        whether Zalo delivers a failed event again is not documented)."""
        if not self._authentic(request.headers.get(SECRET_HEADER)):
            logger.warning("zalo bot webhook: wrong or missing secret, refused")
            return web.Response(status=403, text="forbidden")
        event = await _read_event(request)
        if event is None:
            return web.Response(status=400, text="bad event")
        try:
            await self.process(event)
        except Exception as error:
            logger.error("zalo bot event failed: %s", anonymous_traceback(error))
            return web.Response(status=500, text="failed")
        return web.Response(text="ok")

    def _authentic(self, header: str | None) -> bool:
        if header is None or not 1 <= len(header) <= MAX_SECRET_LENGTH:
            return False
        return hmac.compare_digest(header.encode("utf-8", "surrogateescape"), self._secret)

    async def process(self, event: dict[str, Any]) -> None:
        """Apply one event and send its replies."""
        incoming = to_incoming(event, partial(downloader, self._session))
        if incoming is None:
            return
        await answer(self._core, self, incoming, redelivered_on_failure=False)

    async def _poll(self) -> None:
        """Long polling: one event per call; 408 means none came within the timeout."""
        backoff = 1.0
        while True:
            try:
                event = await self._call("getUpdates", timeout=str(self._poll_timeout))
                backoff = 1.0
            except ZaloBotError as error:
                if error.error_code == 408:
                    continue
                logger.warning("zalo bot: getUpdates failed: %s", _describe(error))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            except (ClientError, TimeoutError, ValueError) as error:
                logger.warning("zalo bot: getUpdates failed: %s", _describe(error))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            if not isinstance(event, dict):
                continue
            try:
                await self.process(event)
            except Exception as error:  # keep polling; the error's text may quote data
                logger.error("zalo bot event failed: %s", anonymous_traceback(error))

    # ------------------------------------------------------------------ sending

    async def deliver(self, channel_user_id: str, replies: Sequence[Reply], *,
                      paced: bool = False) -> list[DeliveryOutcome]:
        """Send replies in order; stops at the first that could not be sent whole."""
        outcomes: list[DeliveryOutcome] = []
        for reply in replies:
            try:
                if reply.attachment:
                    await self._send_with_attachment(channel_user_id, reply)
                else:
                    for message in render(reply, self.capabilities):
                        await self._call("sendMessage", chat_id=channel_user_id,
                                         text=message.text)
                if reply.document:
                    await self._send_document(channel_user_id, reply.document)
            except ZaloBotError as error:
                outcomes.append(outcome_of(error))
                return outcomes
            except (ClientError, TimeoutError, ValueError) as error:
                outcomes.append(DeliveryOutcome(Outcome.FAILED, transient=True,
                                                error=type(error).__name__))
                return outcomes
            except MediaUnavailable as error:
                outcomes.append(DeliveryOutcome(Outcome.FAILED, error=str(error)))
                return outcomes
            outcomes.append(SENT)
        return outcomes

    async def _send_with_attachment(self, chat_id: str, reply: Reply) -> None:
        """A photo by our link with the text as its caption when it fits (2,000
        characters), else the photo first and the text after; a document as a link, first,
        then the text."""
        attachment = reply.attachment
        assert attachment is not None
        media = self._core.media
        if not media.available:
            raise MediaUnavailable("no PUBLIC_URL to serve files from")
        url = media.url_of(attachment.media_token, attachment.filename)
        if attachment.kind is FileKind.PHOTO:
            caption, after = with_attachment(reply, self.capabilities)
            extra = {"caption": caption} if caption is not None else {}
            await self._call("sendPhoto", chat_id=chat_id, photo=url, **extra)
        else:
            after = render(replace(reply, attachment=None), self.capabilities)
            await self._call("sendMessage", chat_id=chat_id,
                             text=f"📎 {attachment.filename}\n{url}")
        for message in after:
            await self._call("sendMessage", chat_id=chat_id, text=message.text)

    async def prepare_attachment(self, attachment: Attachment) -> Attachment:
        """Nothing to upload: Zalo fetches the photo from our link."""
        return attachment

    async def _send_document(self, chat_id: str, document: Document) -> None:
        """A photo by URL (the only way the API takes one); another file as a link."""
        media = self._core.media
        if not media.available:
            raise MediaUnavailable("no PUBLIC_URL to serve files from")
        url = await media.link(document)
        if document.mime_type.startswith("image/"):
            await self._call("sendPhoto", chat_id=chat_id, photo=url)
        else:
            await self._call("sendMessage", chat_id=chat_id,
                             text=f"📎 {document.filename}\n{url}")

    async def _call(self, method: str, **params: Any) -> Any:
        """Call a Bot API method with JSON parameters; its result, or ZaloBotError."""
        assert self._session is not None, "the channel is not started"
        # Only a long poll waits longer than the session's limit; passing timeout=None would
        # lift the limit altogether (aiohttp), and a hung API would hold a sender for ever.
        extra: dict[str, Any] = {}
        if method == "getUpdates":
            extra["timeout"] = ClientTimeout(total=self._poll_timeout + 15)
        async with self._session.post(f"{self._base}/{method}", json=params,
                                      **extra) as response:
            status = response.status
            try:
                body = await response.json(content_type=None)
            except ValueError:
                body = None
        if not isinstance(body, dict):
            raise ZaloBotError(status, f"HTTP {status}")
        if not body.get("ok"):
            code = body.get("error_code")
            raise ZaloBotError(code if isinstance(code, int) else status,
                               str(body.get("description") or "")[:64])
        return body.get("result")


class MediaUnavailable(Exception):
    """A photo or file cannot be sent: there is no public address to serve it from."""


def outcome_of(error: ZaloBotError) -> DeliveryOutcome:
    """What a Bot API error means for delivery."""
    code, description = error.error_code, f"{error.error_code} {error.description}"[:64]
    if code == 429:  # "quota exceeded"
        return DeliveryOutcome(Outcome.RETRY_AFTER, retry_after=QUOTA_RETRY_AFTER,
                               error=description)
    if code == 403:
        return DeliveryOutcome(Outcome.NOT_ALLOWED, error=description)
    if code == 408 or code >= 500:
        return DeliveryOutcome(Outcome.FAILED, transient=True, error=description)
    return DeliveryOutcome(Outcome.FAILED, error=description)  # 400, 401 (token), 404


def _describe(error: BaseException) -> str:
    # Never str() of a client error: it may quote the URL, which carries the token.
    if isinstance(error, ZaloBotError):
        return f"{error.error_code} {error.description}"
    return type(error).__name__


async def _read_event(request: web.Request) -> dict[str, Any] | None:
    """The event of a webhook request. The docs show it wrapped as `{ok, result: {…}}`;
    OpenClaw reports it arriving bare, so both are read."""
    try:
        data = json.loads((await request.read()).decode("utf-8"))
    except (ValueError, RecursionError):  # RecursionError: nested thousands deep
        return None
    if isinstance(data, dict) and data.get("ok") is True and isinstance(data.get("result"),
                                                                        dict):
        data = data["result"]
    if not isinstance(data, dict) or not isinstance(data.get("event_name"), str):
        return None
    return data  # an event without a message is acknowledged and ignored (to_incoming)


def to_incoming(event: dict[str, Any],
                downloader: Callable[[str], Callable[[int], Awaitable[bytes]] | None]
                | None = None) -> Incoming | None:
    """Translate an event from a private chat; None for what the bot does not handle. A
    photo's link is downloaded through `downloader(url)` if and when a form wants it."""
    message = event.get("message")
    if not isinstance(message, dict):
        return None
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    if chat.get("chat_type", "PRIVATE") != "PRIVATE" or sender.get("is_bot"):
        return None  # groups are still in testing on Zalo's side
    chat_id = chat.get("id")
    if not isinstance(chat_id, str | int) or not str(chat_id):
        return None
    event_name = str(event.get("event_name"))
    message_id = message.get("message_id")
    update_id = f"{event_name}:{message_id}" if message_id not in (None, "") else None
    kind = _KINDS.get(event_name, MessageKind.OTHER)
    name = sender.get("display_name") or sender.get("name")
    common = {"channel": CHANNEL, "user_id": str(chat_id), "update_id": update_id,
              "display_name": name if isinstance(name, str) else None}
    text = message.get("text")
    if kind is MessageKind.TEXT and isinstance(text, str):
        return Incoming(**common, text=text)
    if kind is MessageKind.TEXT:
        kind = MessageKind.OTHER
    photo_url = message.get("photo_url") or message.get("photo")
    if kind is MessageKind.PHOTO and isinstance(photo_url, str) and photo_url:
        caption = message.get("caption")
        return Incoming(**common, kind=kind, text=caption if isinstance(caption, str) else "",
                        file=IncomingFile(FileKind.PHOTO, "photo.jpg", "image/jpeg",
                                          fetch=downloader(photo_url) if downloader else None))
    return Incoming(**common, kind=kind)
