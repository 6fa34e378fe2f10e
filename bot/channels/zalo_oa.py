"""Zalo Official Account (Open API v3): webhook events in, consultation messages out.

- Webhook events carry `X-ZEvent-Signature: mac=<hex>`, hex = SHA-256 of app_id + raw body +
  timestamp + the OA secret key (a plain hash, not an HMAC). Events older than a few minutes
  are refused as replays; each message is applied once (keyed by its msg_id).
- Replies go through the consultation (CS) message API, with query buttons where the choices
  fit (a tap comes back as a text message carrying the label, which the core matches).
- Access tokens live 25 hours; the refresh token works once. Both are kept in the database
  and replaced under a row lock, so two workers never spend the same refresh token.
- The OA may reply 8 times within 48 hours of the user's last message; past that, a message
  is reported as not allowed instead of being sent.
- A photo or document staff attach to a broadcast is uploaded once (an image: its
  attachment_id; a PDF or Word file: its token) and sent as a message of its own before the
  text; one the upload API does not take (by our reading: images over 1 MB or other than JPG
  and PNG, files over 5 MB or other than PDF, DOC and DOCX) or refuses goes as a link to our
  server. What users send (image and file events) comes as links, downloaded only where a
  form asks for a file.
See ../shared/platforms.md, part 3b.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from aiohttp import ClientError, ClientSession, ClientTimeout, FormData, web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import AttachmentNotReady, Capabilities, answer
from bot.channels.download import downloader
from bot.channels.rendering import Message, render
from bot.delivery import SENT, Clock, DeliveryOutcome, Outcome, utc_now
from bot.logs import hide_secrets
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
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.app import Core
    from bot.settings import Settings

logger = logging.getLogger(__name__)

CHANNEL = "zalo_oa"
WEBHOOK_PATH = "/webhooks/zalo-oa"
SIGNATURE_HEADER = "X-ZEvent-Signature"
MAX_EVENT_AGE = timedelta(minutes=5)
REPLY_WINDOW = timedelta(hours=48)
REPLIES_IN_WINDOW = 8
# Button titles of at most 100 characters (third-party docs); how many buttons a message may
# carry is not documented where we could check: 5 is a conservative guess.
CAPABILITIES = Capabilities(max_text_length=2000, max_buttons=5, max_button_label=100,
                            photos=True, documents=False, edit=False)
TOKEN_INVALID = -216  # access token invalid or expired
NOT_INTERACTED = -230  # the user has not written to the OA recently (reported: 7 days)
REFRESH_AHEAD = timedelta(minutes=5)
REQUEST_TIMEOUT = 20
# What the upload API takes, as we read Zalo's documentation (unconfirmed): beyond it, a link.
UPLOADABLE_IMAGES = frozenset({"image/jpeg", "image/png"})
MAX_UPLOAD_IMAGE = 1024 * 1024
UPLOADABLE_FILES = frozenset({
    "application/pdf", "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document"})
MAX_UPLOAD_FILE = 5 * 1024 * 1024
LINK = "link"  # the reference of an attachment sent as a link to our server
_KINDS = {
    "user_send_text": MessageKind.TEXT,
    "user_send_image": MessageKind.PHOTO,
    "user_send_gif": MessageKind.PHOTO,
    "user_send_sticker": MessageKind.STICKER,
    "user_send_link": MessageKind.OTHER,
    "user_send_audio": MessageKind.OTHER,
    "user_send_video": MessageKind.OTHER,
    "user_send_location": MessageKind.OTHER,
    "user_send_file": MessageKind.OTHER,
    "user_send_business_card": MessageKind.OTHER,
}

NO_PUBLIC_URL = DeliveryOutcome(Outcome.FAILED, error="no PUBLIC_URL to serve files from")


class ZaloOAError(Exception):
    """An unsuccessful answer of the OA API (`error` not 0); quotes no user data."""

    def __init__(self, error: int, message: str) -> None:
        super().__init__(f"{error} {message}")
        self.error = error
        self.message = message


class TokenRefreshFailed(Exception):
    """The OAuth server did not give new tokens."""


def signature(app_id: str, raw_body: bytes, timestamp: str, secret_key: str) -> str:
    """The mac Zalo puts in X-ZEvent-Signature for a webhook request."""
    payload = app_id.encode() + raw_body + timestamp.encode() + secret_key.encode()
    return hashlib.sha256(payload).hexdigest()


class OATokens:
    """The OA's access token, shared by all workers through the database.

    A refresh locks the token row (`SELECT … FOR UPDATE`; SQLite's single writer does the
    same), and only the worker that still holds the stale access token under the lock spends
    the refresh token; the others find the new access token already there.
    """

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], *, app_id: str,
                 secret_key: str, oauth_base_url: str, first_access_token: str | None,
                 first_refresh_token: str | None, clock: Clock = utc_now) -> None:
        self._session_factory = session_factory
        self._app_id = app_id
        self._secret_key = secret_key
        self._oauth_url = f"{oauth_base_url.rstrip('/')}/v4/oa/access_token"
        self._first = (first_access_token, first_refresh_token)
        self._clock = clock
        self._access: str | None = None
        self._expires_at: datetime | None = None
        self._lock = asyncio.Lock()
        self.refreshes = 0  # refresh tokens this process spent

    async def current(self, http: ClientSession) -> str:
        """An access token that has not expired, as far as we know."""
        if self._access is None:
            await self._load()
        if self._expires_at is not None and self._expires_at - REFRESH_AHEAD <= self._clock():
            return await self.refresh(http, self._access)
        if self._access is None:
            raise TokenRefreshFailed("no Zalo OA access token: set ZALO_OA_ACCESS_TOKEN")
        return self._access

    async def _load(self) -> None:
        async with UnitOfWork(self._session_factory) as uow:
            access, refresh = self._first
            if access:
                await uow.channel_tokens.seed(CHANNEL, access_token=access,
                                              refresh_token=refresh, now=self._clock())
                await uow.commit()
            row = await uow.channel_tokens.get(CHANNEL)
        if row is not None:
            self._remember(row.access_token, row.refresh_token, row.expires_at)

    def _remember(self, access: str, refresh: str | None, expires_at: datetime | None) -> None:
        self._access, self._expires_at = access, expires_at
        hide_secrets(access, refresh)

    async def refresh(self, http: ClientSession, stale: str | None) -> str:
        """A new access token in place of `stale`, refreshing at most once across workers."""
        async with self._lock, UnitOfWork(self._session_factory) as uow:
            row = await uow.channel_tokens.lock(CHANNEL)
            if row is None:
                raise TokenRefreshFailed("no Zalo OA tokens stored")
            if row.access_token != stale and not _expiring(row.expires_at, self._clock()):
                self._remember(row.access_token, row.refresh_token, row.expires_at)
                return row.access_token  # another worker refreshed it meanwhile
            if not row.refresh_token:
                raise TokenRefreshFailed("no refresh token: set ZALO_OA_REFRESH_TOKEN")
            access, refresh, lifetime = await self._request(http, row.refresh_token)
            now = self._clock()
            row.access_token, row.refresh_token = access, refresh
            row.expires_at, row.updated_at = now + lifetime, now
            self.refreshes += 1
            try:
                await uow.commit()
            except Exception:
                # The old refresh token is spent: only the log's operator can help now.
                logger.error("zalo oa: new tokens could not be stored; reconnect the OA")
                raise
            self._remember(access, refresh, row.expires_at)
            logger.info("zalo oa: access token refreshed")
            return access

    async def _request(self, http: ClientSession, refresh_token: str
                       ) -> tuple[str, str, timedelta]:
        form = {"refresh_token": refresh_token, "app_id": self._app_id,
                "grant_type": "refresh_token"}
        try:
            async with http.post(self._oauth_url, data=form,
                                 headers={"secret_key": self._secret_key}) as response:
                body = await response.json(content_type=None)
        except (ClientError, TimeoutError, ValueError) as error:
            raise TokenRefreshFailed(type(error).__name__) from None
        if not isinstance(body, dict) or not body.get("access_token") or not body.get(
                "refresh_token"):
            code = body.get("error") if isinstance(body, dict) else None
            raise TokenRefreshFailed(f"refresh refused ({code})")
        try:
            lifetime = timedelta(seconds=int(body.get("expires_in") or 90000))
        except (TypeError, ValueError):
            lifetime = timedelta(hours=25)
        return str(body["access_token"]), str(body["refresh_token"]), lifetime


def _expiring(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is not None and expires_at - REFRESH_AHEAD <= now


@dataclass(frozen=True)
class _Verified:
    event: dict[str, Any]
    at: datetime  # when Zalo says the event happened


class ZaloOAChannel:
    name = CHANNEL
    capabilities = CAPABILITIES

    def __init__(self, core: Core, *, app_id: str, secret_key: str, api_base_url: str,
                 tokens: OATokens, clock: Clock = utc_now) -> None:
        self._core = core
        self._app_id = app_id
        self._secret_key = secret_key  # signs the webhook
        self._api = api_base_url.rstrip("/")
        self.tokens = tokens
        self._clock = clock
        self._session: ClientSession | None = None
        # References of attachments this process uploaded, by media token.
        self._uploads: dict[str, str] = {}
        self._upload_lock = asyncio.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, core: Core, *,
                      clock: Clock = utc_now) -> ZaloOAChannel:
        assert settings.zalo_oa_app_id and settings.zalo_oa_secret_key
        tokens = OATokens(core.session_factory, app_id=settings.zalo_oa_app_id,
                          secret_key=settings.zalo_oa_secret_key,
                          oauth_base_url=settings.zalo_oa_oauth_base_url,
                          first_access_token=settings.zalo_oa_access_token,
                          first_refresh_token=settings.zalo_oa_refresh_token, clock=clock)
        return cls(core, app_id=settings.zalo_oa_app_id,
                   secret_key=settings.zalo_oa_webhook_secret_key or settings.zalo_oa_secret_key,
                   api_base_url=settings.zalo_oa_api_base_url, tokens=tokens, clock=clock)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(WEBHOOK_PATH, self.handle_webhook)

    async def start(self) -> None:
        self._session = ClientSession(timeout=ClientTimeout(total=REQUEST_TIMEOUT))
        logger.info("zalo oa channel started (webhook %s)", WEBHOOK_PATH)

    async def stop(self) -> None:
        if self._session:
            await self._session.close()
            self._session = None

    # ------------------------------------------------------------------ receiving

    async def handle_webhook(self, request: web.Request) -> web.Response:
        """POST /webhooks/zalo-oa: 403 (logged) without a valid signature or for a stale
        event, 400 for what is not an event, 200 once it is applied."""
        raw = await request.read()
        verified = self._verify(raw, request.headers.get(SIGNATURE_HEADER))
        if isinstance(verified, web.Response):
            return verified
        try:
            await self.process(verified.event, verified.at)
        except Exception as error:
            logger.error("zalo oa event failed: %s", anonymous_traceback(error))
            return web.Response(status=500, text="failed")
        return web.Response(text="ok")

    def _verify(self, raw: bytes, header: str | None) -> _Verified | web.Response:
        try:
            event = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):  # RecursionError: nested thousands deep
            event = None
        if not isinstance(event, dict) or not isinstance(event.get("event_name"), str):
            logger.warning("zalo oa webhook: not an event, refused")
            return web.Response(status=400, text="bad event")
        timestamp = event.get("timestamp")
        timestamp = str(timestamp) if isinstance(timestamp, str | int) else ""
        expected = signature(self._app_id, raw, timestamp, self._secret_key)
        given = (header or "").strip()
        given = given[4:] if given.lower().startswith("mac=") else given
        if not hmac.compare_digest(given.lower().encode("ascii", "replace"),
                                   expected.encode()):
            logger.warning("zalo oa webhook: signature mismatch, refused")
            return web.Response(status=403, text="forbidden")
        try:
            at = datetime.fromtimestamp(int(timestamp) / 1000, UTC)
        except (ValueError, OverflowError, OSError):
            logger.warning("zalo oa webhook: no readable timestamp, refused")
            return web.Response(status=403, text="forbidden")
        if abs(self._clock() - at) > MAX_EVENT_AGE:
            logger.warning("zalo oa webhook: event older than %s, refused as a replay",
                           MAX_EVENT_AGE)
            return web.Response(status=403, text="stale event")
        return _Verified(event, at)

    async def process(self, event: dict[str, Any], at: datetime) -> None:
        """Apply one verified event and send its replies."""
        name = event["event_name"]
        deliveries = self._core.deliveries
        if name in ("follow", "unfollow"):
            follower = _id(event.get("follower"))
            if follower is None:
                return
            await deliveries.set_blocked(CHANNEL, follower, blocked=name == "unfollow")
            if name == "unfollow":
                return
            # Following is their first word to the OA: greet them as /start would.
            incoming = Incoming(channel=CHANNEL, user_id=follower, text="/start",
                                update_id=f"follow:{follower}:{event.get('timestamp')}")
        else:
            incoming = to_incoming(event, partial(downloader, self._session))
            if incoming is None:
                return

        async def open_window() -> None:
            async with UnitOfWork(self._core.session_factory) as uow:
                await uow.reply_windows.open(CHANNEL, incoming.user_id, at)
                await uow.commit()

        await answer(self._core, self, incoming, redelivered_on_failure=False,
                     on_applied=open_window)

    # ------------------------------------------------------------------ sending

    async def deliver(self, channel_user_id: str, replies: Sequence[Reply], *,
                      paced: bool = False) -> list[DeliveryOutcome]:
        """Send replies in order as consultation messages, each within the reply window;
        stops at the first that could not be sent whole."""
        outcomes: list[DeliveryOutcome] = []
        for reply in replies:
            outcome = SENT
            if reply.attachment:  # a message of its own, before the text
                outcome = await self._send_attachment(channel_user_id, reply.attachment)
            messages = render(reply, self.capabilities) if outcome.kind is Outcome.SENT else []
            for message in messages:
                outcome = await self._within_window(channel_user_id,
                                                    lambda m=message: _message_body(m))
                if outcome.kind is not Outcome.SENT:
                    break
            if outcome.kind is Outcome.SENT and reply.document:
                outcome = await self._send_document(channel_user_id, reply.document)
            outcomes.append(outcome)
            if outcome.kind is not Outcome.SENT:
                break
        return outcomes

    async def _send_attachment(self, user_id: str, attachment: Attachment) -> DeliveryOutcome:
        try:
            ready = await self.prepare_attachment(attachment)
        except AttachmentNotReady as error:
            return error.outcome
        kind, _sep, value = ready.refs[CHANNEL].partition(":")
        if kind == "image":
            body = _image_body(value)
        elif kind == "file":
            body = {"attachment": {"type": "file", "payload": {"token": value}}}
        else:
            media = self._core.media
            if not media.available:
                return NO_PUBLIC_URL
            body = _link_body(attachment.filename,
                              media.url_of(attachment.media_token, attachment.filename))
        return await self._within_window(user_id, lambda: body)

    async def prepare_attachment(self, attachment: Attachment) -> Attachment:
        """Upload the attachment once (per broadcast: the sender keeps the reference on it;
        per process: remembered here): an image's attachment_id, a file's token, or LINK
        where the API does not take it or refused it."""
        if CHANNEL in attachment.refs:
            return attachment
        async with self._upload_lock:
            ref = self._uploads.get(attachment.media_token)
            if ref is None:
                ref = await self._upload(attachment)
                self._uploads[attachment.media_token] = ref
        return attachment.with_ref(CHANNEL, ref)

    async def _upload(self, attachment: Attachment) -> str:
        image = attachment.kind is FileKind.PHOTO
        if image and (attachment.mime_type not in UPLOADABLE_IMAGES
                      or attachment.size > MAX_UPLOAD_IMAGE):
            return LINK
        if not image and (attachment.mime_type not in UPLOADABLE_FILES
                          or attachment.size > MAX_UPLOAD_FILE):
            return LINK
        document = await self._core.media.content(attachment)
        if document is None:
            raise AttachmentNotReady(DeliveryOutcome(Outcome.FAILED,
                                                     error="attachment no longer stored"))
        try:
            if image:
                return f"image:{await self._upload_image(document)}"
            return f"file:{await self._upload_file(document)}"
        except ZaloOAError as error:  # refused (size, type…): the link still reaches them
            logger.warning("zalo oa: attachment upload refused (%s), sent as a link",
                           error.error)
            return LINK
        except (ClientError, TimeoutError, ValueError, TokenRefreshFailed) as error:
            raise AttachmentNotReady(DeliveryOutcome(
                Outcome.FAILED, transient=True, error=type(error).__name__)) from None

    async def _send_document(self, user_id: str, document: Document) -> DeliveryOutcome:
        """An image through the upload API; another file as a link to our own server."""
        if document.mime_type.startswith("image/"):
            try:
                attachment_id = await self._upload_image(document)
            except ZaloOAError as error:
                return _outcome_of(error)
            except (ClientError, TimeoutError, ValueError, TokenRefreshFailed) as error:
                return DeliveryOutcome(Outcome.FAILED, transient=True,
                                       error=type(error).__name__)
            return await self._within_window(user_id, lambda: _image_body(attachment_id))
        media = self._core.media
        if not media.available:
            return NO_PUBLIC_URL
        url = await media.link(document)
        return await self._within_window(user_id, lambda: _link_body(document.filename, url))

    async def _within_window(self, user_id: str,
                             body: Callable[[], dict[str, Any]]) -> DeliveryOutcome:
        """Send one message if the user's reply window still allows one."""
        session_factory = self._core.session_factory
        async with UnitOfWork(session_factory) as uow:
            taken = await uow.reply_windows.take(CHANNEL, user_id, self._clock(),
                                                 length=REPLY_WINDOW, replies=REPLIES_IN_WINDOW)
            await uow.commit()
        if taken is False:
            return DeliveryOutcome(Outcome.NOT_ALLOWED, error="outside the OA reply window")
        # taken is None: no user row, i.e. the answer to their request to delete their data.
        outcome = await self._send(user_id, body())
        if taken and outcome.kind is not Outcome.SENT:
            async with UnitOfWork(session_factory) as uow:
                await uow.reply_windows.give_back(CHANNEL, user_id)
                await uow.commit()
        return outcome

    async def _send(self, user_id: str, message: dict[str, Any]) -> DeliveryOutcome:
        body = {"recipient": {"user_id": user_id}, "message": message}
        try:
            await self._authorized("POST", "/v3.0/oa/message/cs", json=body)
        except ZaloOAError as error:
            return _outcome_of(error)
        except TokenRefreshFailed as error:
            logger.error("zalo oa: %s", error)
            return DeliveryOutcome(Outcome.FAILED, transient=True, error="token refresh failed")
        except (ClientError, TimeoutError, ValueError) as error:
            return DeliveryOutcome(Outcome.FAILED, transient=True, error=type(error).__name__)
        return SENT

    async def _upload_image(self, document: Document) -> str:
        return await self._upload_document(document, "/v2.0/oa/upload/image", "attachment_id")

    async def _upload_file(self, document: Document) -> str:
        """A PDF or Word file through the upload API: the token to send it by."""
        return await self._upload_document(document, "/v2.0/oa/upload/file", "token")

    async def _upload_document(self, document: Document, path: str, key: str) -> str:
        """The document through one of the upload APIs: the reference its answer names."""
        def form() -> FormData:  # a fresh body for each try (a token refresh retries)
            data = FormData()
            data.add_field("file", document.content, filename=document.filename,
                           content_type=document.mime_type)
            return data

        result = await self._authorized("POST", path, data=form)
        reference = (result.get("data") or {}).get(key)
        if not reference:
            raise ValueError(f"no {key} in the upload's answer")
        return str(reference)

    async def _authorized(self, method: str, path: str, *, json: Any = None,
                          data: Callable[[], FormData] | None = None) -> dict[str, Any]:
        """Call the OA API with the current access token; on -216 refresh it and try once
        more."""
        assert self._session is not None, "the channel is not started"
        token = await self.tokens.current(self._session)
        try:
            return await self._request(method, path, token, json=json, data=data)
        except ZaloOAError as error:
            if error.error != TOKEN_INVALID:
                raise
        token = await self.tokens.refresh(self._session, token)
        return await self._request(method, path, token, json=json, data=data)

    async def _request(self, method: str, path: str, token: str, *, json: Any,
                       data: Callable[[], FormData] | None) -> dict[str, Any]:
        assert self._session is not None
        async with self._session.request(method, f"{self._api}{path}", json=json,
                                         data=data() if data else None,
                                         headers={"access_token": token}) as response:
            status = response.status
            try:
                body = await response.json(content_type=None)
            except ValueError:
                body = None
        if status >= 500:
            raise ClientError(f"HTTP {status}")
        if not isinstance(body, dict):
            raise ValueError(f"HTTP {status} without a JSON object")
        error = body.get("error", 0)
        if error not in (0, "0"):
            try:
                code = int(error)
            except (TypeError, ValueError):
                code = -1
            raise ZaloOAError(code, str(body.get("message") or "")[:48])
        return body


def _message_body(message: Message) -> dict[str, Any]:
    body: dict[str, Any] = {"text": message.text}
    if message.buttons:
        # A query button sends its payload as the user's message; the label is what the core
        # matches against the offered choices.
        body["attachment"] = {"type": "template", "payload": {"buttons": [
            {"title": c.label, "type": "oa.query.show", "payload": c.label}
            for c in message.buttons]}}
    return body


def _outcome_of(error: ZaloOAError) -> DeliveryOutcome:
    description = f"zalo oa error {error.error}"
    if error.error == NOT_INTERACTED:
        return DeliveryOutcome(Outcome.NOT_ALLOWED, error=description)
    return DeliveryOutcome(Outcome.FAILED, error=description)


def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if isinstance(value, str | int) and str(value) else None


def to_incoming(event: dict[str, Any],
                downloader: Callable[[str], Callable[[int], Awaitable[bytes]] | None]
                | None = None) -> Incoming | None:
    """Translate a user's message event; None for what the bot does not handle (the OA's own
    messages, seen and received receipts, anonymous users). An image's or file's link is
    downloaded through `downloader(url)` if and when a form wants it."""
    kind = _KINDS.get(event["event_name"])
    sender = _id(event.get("sender"))
    if kind is None or sender is None:
        return None
    message = event.get("message") if isinstance(event.get("message"), dict) else {}
    msg_id = message.get("msg_id")
    update_id = f"msg:{msg_id}" if isinstance(msg_id, str | int) and str(msg_id) else None
    common = {"channel": CHANNEL, "user_id": sender, "update_id": update_id}
    text = message.get("text")
    if kind is MessageKind.TEXT and isinstance(text, str):
        return Incoming(**common, text=text)
    file = _file_of(event["event_name"], message, downloader)
    return Incoming(**common, kind=MessageKind.OTHER if kind is MessageKind.TEXT else kind,
                    text=text if file is not None and isinstance(text, str) else "",
                    file=file)


def _file_of(event_name: str, message: dict[str, Any],
             downloader: Callable[[str], Callable[[int], Awaitable[bytes]] | None] | None
             ) -> IncomingFile | None:
    """The image or file of a user_send_image / user_send_file event: its first attachment,
    `{type, payload: {url, name?, size?}}`."""
    if event_name not in ("user_send_image", "user_send_file"):
        return None
    attachments = message.get("attachments")
    first = attachments[0] if isinstance(attachments, list) and attachments else None
    payload = first.get("payload") if isinstance(first, dict) else None
    url = payload.get("url") if isinstance(payload, dict) else None
    if not isinstance(url, str) or not url:
        return None
    fetch = downloader(url) if downloader else None
    if event_name == "user_send_image":
        return IncomingFile(FileKind.PHOTO, "photo.jpg", "image/jpeg", fetch=fetch)
    name, size = payload.get("name"), payload.get("size")
    try:
        size = int(size) if size is not None else None
    except (TypeError, ValueError):
        size = None
    return IncomingFile(FileKind.DOCUMENT, name if isinstance(name, str) and name else "file",
                        size=size, fetch=fetch)


def _image_body(attachment_id: str) -> dict[str, Any]:
    """A message of an image uploaded to Zalo."""
    return {"attachment": {"type": "template", "payload": {"template_type": "media",
            "elements": [{"media_type": "image", "attachment_id": attachment_id}]}}}


def _link_body(filename: str, url: str) -> dict[str, Any]:
    """A file the API does not take, as a link to our own server."""
    return {"text": f"📎 {filename}\n{url}"}
