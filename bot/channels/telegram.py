"""Telegram through python-telegram-bot: updates in, replies out; nothing else."""

from __future__ import annotations

import asyncio
import functools
import hmac
import html
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web
from telegram import (
    BotCommand,
    ChatMemberUpdated,
    Document,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    PhotoSize,
    Update,
)
from telegram.constants import ChatMemberStatus, MessageLimit, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.channels.base import AttachmentNotReady, Capabilities, RepliesNotSent, answer
from bot.channels.rendering import buttons_fit, render, with_attachment
from bot.channels.telegram_http import AiohttpRequest
from bot.delivery import SENT, DeliveryOutcome, Outcome
from handlers.error_report import anonymous_traceback
from handlers.types import (
    Attachment,
    Choice,
    FileKind,
    FileTooLarge,
    Incoming,
    IncomingFile,
    MessageKind,
    Reply,
)

if TYPE_CHECKING:
    from bot.app import Core
    from bot.settings import Settings

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_SECRET_LENGTH = 256
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
CAPABILITIES = Capabilities(
    max_text_length=MessageLimit.MAX_TEXT_LENGTH,
    # Every choice as an inline button, one per row, as the bot has always shown them.
    max_buttons=100, max_button_label=MessageLimit.MAX_TEXT_LENGTH,
    photos=True, documents=True, edit=True, caption_length=MessageLimit.CAPTION_LENGTH,
    utf16_lengths=True,
)
# Seconds for downloading what staff send (up to 20 MB) and for uploading an attachment.
FILE_TIMEOUT = 60
UPLOADS_REMEMBERED = 256

__all__ = ["CHANNEL", "RepliesNotSent", "TelegramChannel"]


# `rate_limit_args` of a send whose caller paces itself and obeys flood control (broadcasts).
PACED = -1


class _RateLimiter(AIORateLimiter):
    """PTB's limiter, which waits out a 429 and retries, pausing every request meanwhile;
    a PACED send gets its 429 back at once instead: the broadcast sender pauses the whole
    channel itself, and requests piled up behind PTB's pause would go out in one burst."""

    async def process_request(self, callback: Any, args: Any, kwargs: dict[str, Any],
                              endpoint: str, data: dict[str, Any],
                              rate_limit_args: int | None) -> Any:
        if rate_limit_args != PACED:
            return await super().process_request(callback, args, kwargs, endpoint, data,
                                                 rate_limit_args)
        # PTB's own step (v22): its overall limiter and its pause after another 429, once.
        return await self._run_request(chat=data.get("chat_id") is not None, group=False,
                                       allow_paid_broadcast=False, callback=callback,
                                       args=args, kwargs=kwargs)


def application_builder(settings: Settings) -> ApplicationBuilder:
    """The PTB application as the bot runs it, before the rate limiter (the webhook
    benchmark builds it without one)."""
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .request(AiohttpRequest())
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
    )
    if settings.telegram_api_base_url:
        base = settings.telegram_api_base_url.rstrip("/")
        builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    if settings.telegram_webhook_url:
        builder = builder.updater(None)  # our aiohttp server receives the updates
    return builder


class TelegramChannel:
    """Wraps a PTB Application: polling, or webhook updates fed from our aiohttp server."""

    name = CHANNEL
    capabilities = CAPABILITIES

    def __init__(self, application: Application, core: Core, *, webhook_url: str | None = None,
                 webhook_secret: str | None = None) -> None:
        if webhook_url and not webhook_secret:
            raise ValueError("webhook mode needs a secret (Settings.webhook_secret)")
        self.application = application
        self._core = core
        self._webhook_url = webhook_url
        self._webhook_secret = webhook_secret.encode() if webhook_secret else b""
        # file_ids Telegram gave attachments this process uploaded (one composed on another
        # channel), by media token: uploaded once, then sent by id.
        self._uploaded: OrderedDict[str, str] = OrderedDict()
        self._upload_lock = asyncio.Lock()
        application.add_handler(TypeHandler(Update, self._on_polled_update))

    @classmethod
    def from_settings(cls, settings: Settings, core: Core) -> TelegramChannel:
        builder = application_builder(settings).rate_limiter(
            # Waits out a 429 retry_after and retries, instead of dropping a reply; paces
            # every send to the bot's overall limit (replies and broadcasts together).
            _RateLimiter(overall_max_rate=settings.telegram_messages_per_second, max_retries=3))
        return cls(builder.build(), core, webhook_url=settings.telegram_webhook_url,
                   webhook_secret=settings.webhook_secret)

    @property
    def uses_webhook(self) -> bool:
        return self._webhook_url is not None

    def add_routes(self, app: web.Application) -> None:
        if self.uses_webhook:
            app.router.add_post("/webhooks/telegram", self.handle_webhook)

    async def start(self) -> None:
        await self.application.initialize()
        await self._set_commands()
        if self.uses_webhook:
            await self.application.bot.set_webhook(
                self._webhook_url, secret_token=self._webhook_secret.decode(),
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            await self.application.bot.delete_webhook()
            await self.application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        await self.application.start()
        logger.info("telegram channel started (%s)", "webhook" if self.uses_webhook else "polling")

    async def stop(self) -> None:
        if self.application.updater and self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def handle_webhook(self, request: web.Request) -> web.Response:
        """POST /webhooks/telegram: 403 without Telegram's secret, 400 for what is not an
        update, 2xx only once the update is applied and its replies were sent."""
        if not self._authentic(request.headers.get(SECRET_HEADER)):
            return web.Response(status=403, text="forbidden")
        update = await self._read_update(request)
        if update is None:
            return web.Response(status=400, text="bad update")
        try:
            await self.process(update, redelivered_on_failure=True)
        except Exception as error:
            # 500: Telegram delivers the update again later.
            logger.error("telegram update %s failed: %s", update.update_id,
                         anonymous_traceback(error))
            return web.Response(status=500, text="failed")
        return web.Response(text="ok")

    def _authentic(self, header: str | None) -> bool:
        if header is None or not 1 <= len(header) <= MAX_SECRET_LENGTH:
            return False
        # As bytes: compare_digest refuses str with non-ASCII characters.
        return hmac.compare_digest(header.encode("utf-8", "surrogateescape"),
                                   self._webhook_secret)

    async def _read_update(self, request: web.Request) -> Update | None:
        try:
            data = json.loads((await request.read()).decode("utf-8"))
        except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested thousands deep
            return None
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            return None
        try:
            update = Update.de_json(data, self.application.bot)
        except (TypeError, ValueError, KeyError, AttributeError):
            return None
        return update if _well_typed(update) else None

    async def _on_polled_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await self.process(update, redelivered_on_failure=False)
        except Exception as error:  # PTB would log the error's message, which may quote data
            logger.error("telegram update %s failed: %s", update.update_id,
                         anonymous_traceback(error))

    async def process(self, update: Update, *, redelivered_on_failure: bool) -> None:
        """Apply an update and send its replies. When they cannot all be sent, the unsent
        ones are kept for the update's redelivery (webhook: this raises RepliesNotSent, so the
        webhook answers 500) or handed to the outbox (polling: nothing is redelivered)."""
        if update.my_chat_member:
            await self._on_membership(update.my_chat_member)
            return
        incoming = to_incoming(update)
        if update.callback_query:
            # Stops the client's progress indicator; ignore a query that is too old.
            try:
                await update.callback_query.answer()
            except TelegramError as error:
                logger.info("callback answer failed: %s", type(error).__name__)
        if incoming is None:
            return
        await answer(self._core, self, incoming, redelivered_on_failure=redelivered_on_failure)

    async def _on_membership(self, change: ChatMemberUpdated) -> None:
        """A private chat's user blocked the bot (kicked) or unblocked it (member again)."""
        if change.chat.type != "private":
            return
        status = change.new_chat_member.status
        if status in (ChatMemberStatus.BANNED, ChatMemberStatus.MEMBER):
            await self._core.deliveries.set_blocked(
                CHANNEL, str(change.chat.id), blocked=status == ChatMemberStatus.BANNED)

    async def deliver(self, channel_user_id: str, replies: Sequence[Reply], *,
                      paced: bool = False) -> list[DeliveryOutcome]:
        """Send replies in order; stops at the first that could not be sent whole."""
        bot = self.application.bot
        chat_id = int(channel_user_id)
        limit = {"rate_limit_args": PACED} if paced else {}
        outcomes: list[DeliveryOutcome] = []
        for reply in replies:
            try:
                if reply.attachment:
                    await self._send_with_attachment(chat_id, reply, limit)
                else:
                    await self._send_text(chat_id, reply, limit)
                if reply.document:
                    upload = InputFile(reply.document.content, filename=reply.document.filename)
                    if reply.document.mime_type == "image/png":
                        # Charts: shown in the chat as a picture, not a file to open.
                        await bot.send_photo(chat_id, upload, **limit)
                    else:
                        await bot.send_document(chat_id, upload, **limit)
            except TelegramError as error:
                outcomes.append(outcome_of(error))
                return outcomes
            except AttachmentNotReady as error:
                outcomes.append(error.outcome)
                return outcomes
            outcomes.append(SENT)
        return outcomes

    async def _send_text(self, chat_id: int, reply: Reply, limit: dict[str, Any]) -> None:
        bot = self.application.bot
        # A reply kept for a redelivery may have lost its document and be empty.
        formatted = _html(reply)
        if formatted is not None and buttons_fit(reply.choices, self.capabilities):
            # Title in bold and sources as links: one message, its buttons under it.
            await bot.send_message(chat_id, formatted, parse_mode=ParseMode.HTML,
                                   reply_markup=_keyboard(tuple(reply.choices)), **limit)
        else:
            for message in render(reply, self.capabilities):
                await bot.send_message(chat_id, message.text,
                                       reply_markup=_keyboard(tuple(message.buttons)), **limit)

    async def _send_with_attachment(self, chat_id: int, reply: Reply,
                                    limit: dict[str, Any]) -> None:
        """The photo or document with the text as its caption when it fits (1,024
        characters), else the file first and the text after it."""
        caption, _after = with_attachment(reply, self.capabilities)
        extra: dict[str, Any] = {}
        if caption is not None:
            formatted = _html(reply)
            extra = ({"caption": formatted, "parse_mode": ParseMode.HTML} if formatted
                     else {"caption": caption})
        await self._send_file(chat_id, reply.attachment, {**extra, **limit})
        if caption is None:
            await self._send_text(chat_id, replace(reply, attachment=None), limit)

    async def _send_file(self, chat_id: int, attachment: Attachment,
                         extra: dict[str, Any]) -> None:
        """By the file_id Telegram knows it by (the staff member sent it to this bot, or
        this process uploaded it), else uploaded from media storage once."""
        bot = self.application.bot
        send = bot.send_photo if attachment.kind is FileKind.PHOTO else bot.send_document
        token = attachment.media_token
        file_id = self._uploaded.get(token) or attachment.refs.get(CHANNEL)
        if file_id:
            try:
                await send(chat_id, file_id, **extra)
                return
            except BadRequest as error:
                if not _unknown_file(error):
                    raise
                logger.info("telegram: an attachment's file_id was refused, uploading it")
                self._uploaded.pop(token, None)
        async with self._upload_lock:  # concurrent sends wait for the one upload
            if file_id := self._uploaded.get(token):
                await send(chat_id, file_id, **extra)
                return
            document = await self._core.media.content(attachment)
            if document is None:
                raise AttachmentNotReady(DeliveryOutcome(
                    Outcome.FAILED, error="attachment no longer stored"))
            sent = await send(chat_id, InputFile(document.content, filename=document.filename),
                              write_timeout=FILE_TIMEOUT, **extra)
            if file_id := _file_id(sent):
                self._uploaded[token] = file_id
                while len(self._uploaded) > UPLOADS_REMEMBERED:
                    self._uploaded.popitem(last=False)

    async def prepare_attachment(self, attachment: Attachment) -> Attachment:
        """Nothing to do before sending: by file_id, or uploaded with the first message."""
        return attachment

    async def send_editable(self, channel_user_id: str, text: str) -> str | None:
        try:
            message = await self.application.bot.send_message(int(channel_user_id), text)
        except TelegramError as error:
            logger.info("telegram: editable message not sent (%s)", type(error).__name__)
            return None
        return str(message.message_id)

    async def edit(self, channel_user_id: str, message_id: str, text: str) -> bool:
        try:
            await self.application.bot.edit_message_text(
                text, chat_id=int(channel_user_id), message_id=int(message_id))
        except BadRequest as error:
            return "not modified" in str(error).lower()
        except TelegramError as error:
            logger.info("telegram: message not edited (%s)", type(error).__name__)
            return False
        return True

    async def _set_commands(self) -> None:
        router = self._core.dispatcher.router
        public = router.visible_commands(staff=False)
        for locale in ("vi", "en"):
            translator = self._core.translators[locale]
            commands = [BotCommand(c.name, translator.gettext(c.description)[:256])
                        for c in public]
            await self.application.bot.set_my_commands(commands, language_code=locale)
            if locale == "vi":
                # Vietnamese is also the list for users of any other language.
                await self.application.bot.set_my_commands(commands)


def _fetcher(media: PhotoSize | Document) -> Callable[[int], Awaitable[bytes]]:
    async def fetch(limit: int) -> bytes:
        """Download what a user sent (getFile, then the file): Telegram lets a bot have
        files of at most 20 MB."""
        try:
            file = await media.get_file(read_timeout=FILE_TIMEOUT)
        except BadRequest as error:
            if "too big" in str(error).lower():
                raise FileTooLarge from None
            raise
        if file.file_size is not None and file.file_size > limit:
            raise FileTooLarge
        content = bytes(await file.download_as_bytearray(read_timeout=FILE_TIMEOUT))
        if len(content) > limit:
            raise FileTooLarge
        return content

    return fetch


def _html(reply: Reply) -> str | None:
    """The reply as Telegram HTML (title in bold, links clickable) when it has a title or links
    and fits one message; None to send the plain text."""
    if not (reply.titled or reply.links) or not reply.text:
        return None
    title, newline, body = reply.text.partition("\n") if reply.titled else ("", "", reply.text)
    pieces = [f"<b>{html.escape(title)}</b>{newline}"] if reply.titled else []
    rest = body
    links = [link for link in reply.links if link.url.startswith(("https://", "http://"))]
    while rest:
        found = [(rest.find(link.label), link) for link in links if link.label in rest]
        if not found:
            pieces.append(html.escape(rest))
            break
        at, link = min(found, key=lambda item: item[0])
        pieces.append(html.escape(rest[:at]))
        pieces.append(f'<a href="{html.escape(link.url)}">{html.escape(link.label)}</a>')
        rest = rest[at + len(link.label):]
    text = "".join(pieces)
    return text if len(text) <= MessageLimit.MAX_TEXT_LENGTH else None


@functools.lru_cache(maxsize=256)
def _keyboard(buttons: tuple[Choice, ...]) -> InlineKeyboardMarkup | None:
    # Cached: the same menus go out all day, and PTB's objects are immutable.
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(c.label, callback_data=c.payload)] for c in buttons]
    )


def _unknown_file(error: BadRequest) -> bool:
    """Telegram does not know the file_id, or it is of another kind of file."""
    message = str(error).lower()
    return "file identifier" in message or "file mismatch" in message or \
        "file_id" in message


def _file_id(message: Message) -> str | None:
    if message.photo:
        return message.photo[-1].file_id
    return message.document.file_id if message.document else None


def outcome_of(error: TelegramError) -> DeliveryOutcome:
    """What a Bot API error means for delivery (its text quotes no message or user)."""
    description = str(error)[:64]
    if isinstance(error, RetryAfter):
        wait = error.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        return DeliveryOutcome(Outcome.RETRY_AFTER, retry_after=seconds, error=description)
    if isinstance(error, Forbidden):
        lowered = description.lower()
        if "blocked" in lowered or "deactivated" in lowered:
            return DeliveryOutcome(Outcome.BLOCKED, error=description)
        return DeliveryOutcome(Outcome.NOT_ALLOWED, error=description)
    if isinstance(error, BadRequest):
        return DeliveryOutcome(Outcome.FAILED, error=description)
    # Network errors, 5xx, and the rest (e.g. a 409 while the webhook is being changed).
    return DeliveryOutcome(Outcome.FAILED, transient=True,
                           error=description if isinstance(error, NetworkError)
                           else type(error).__name__)


def _well_typed(update: Update) -> bool:
    """Whether the fields the bot reads have the Bot API's types: PTB builds an update from
    any JSON, and a text of 12345 or a chat id of "abc" failed only once applied (a 500, so
    Telegram would deliver it again and again)."""
    chat, user = update.effective_chat, update.effective_user
    message, query = update.message, update.callback_query
    membership = update.my_chat_member
    return all((
        chat is None or (type(chat.id) is int and isinstance(chat.type, str)),
        user is None or (type(user.id) is int and isinstance(user.first_name, str)
                         and isinstance(user.last_name, str | None)),
        message is None or all(isinstance(value, str | None)
                               for value in (message.text, message.caption)),
        query is None or isinstance(query.data, str | None),
        membership is None or isinstance(membership.new_chat_member.status, str),
    ))


def to_incoming(update: Update) -> Incoming | None:
    """Translate an update from a private chat; None for what the bot does not handle."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != "private":
        return None
    common = {"channel": CHANNEL, "user_id": str(user.id), "update_id": str(update.update_id),
              "display_name": user.full_name}
    if update.callback_query:
        return Incoming(**common, payload=update.callback_query.data or "",
                        kind=MessageKind.BUTTON)
    message = update.message
    if message is None:
        return None
    if message.text is not None:
        return Incoming(**common, text=message.text)
    if message.photo:
        largest = message.photo[-1]  # sizes come smallest first
        return Incoming(**common, kind=MessageKind.PHOTO, text=message.caption or "",
                        file=IncomingFile(FileKind.PHOTO, "photo.jpg", "image/jpeg",
                                          largest.file_size, largest.file_id,
                                          fetch=_fetcher(largest)))
    if message.document:
        document = message.document
        return Incoming(**common, kind=MessageKind.OTHER, text=message.caption or "",
                        file=IncomingFile(FileKind.DOCUMENT, document.file_name or "document",
                                          document.mime_type or "application/octet-stream",
                                          document.file_size, document.file_id,
                                          fetch=_fetcher(document)))
    if message.sticker:
        return Incoming(**common, kind=MessageKind.STICKER)
    return Incoming(**common, kind=MessageKind.OTHER)
