"""Telegram through python-telegram-bot: updates in, replies out; nothing else."""

from __future__ import annotations

import hmac
import logging
from typing import TYPE_CHECKING

from aiohttp import web
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Update,
)
from telegram.constants import MessageLimit
from telegram.error import Forbidden, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.channels.text_split import split_text
from handlers.types import Incoming, MessageKind, Reply

if TYPE_CHECKING:
    from bot.app import Core
    from bot.settings import Settings

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class TelegramChannel:
    """Wraps a PTB Application: polling, or webhook updates fed from our aiohttp server."""

    def __init__(self, application: Application, core: Core, *, webhook_url: str | None = None,
                 webhook_secret: str | None = None) -> None:
        self.application = application
        self._core = core
        self._webhook_url = webhook_url
        self._webhook_secret = webhook_secret
        application.add_handler(TypeHandler(Update, self._on_polled_update))

    @classmethod
    def from_settings(cls, settings: Settings, core: Core) -> TelegramChannel:
        builder = (
            ApplicationBuilder()
            .token(settings.telegram_token)
            # Waits out a 429 retry_after and retries, instead of dropping a reply.
            .rate_limiter(AIORateLimiter(max_retries=3))
        )
        if settings.telegram_api_base_url:
            base = settings.telegram_api_base_url.rstrip("/")
            builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
        if settings.telegram_webhook_url:
            builder = builder.updater(None)  # our aiohttp server receives the updates
        return cls(builder.build(), core, webhook_url=settings.telegram_webhook_url,
                   webhook_secret=settings.telegram_webhook_secret)

    @property
    def uses_webhook(self) -> bool:
        return self._webhook_url is not None

    async def start(self) -> None:
        await self.application.initialize()
        await self._set_commands()
        if self.uses_webhook:
            await self.application.bot.set_webhook(
                self._webhook_url, secret_token=self._webhook_secret,
                allowed_updates=["message", "callback_query", "my_chat_member"],
            )
        else:
            await self.application.bot.delete_webhook()
            await self.application.updater.start_polling(allowed_updates=[
                "message", "callback_query", "my_chat_member"])
        await self.application.start()
        logger.info("telegram channel started (%s)", "webhook" if self.uses_webhook else "polling")

    async def stop(self) -> None:
        if self.application.updater and self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def handle_webhook(self, request: web.Request) -> web.Response:
        """POST /webhooks/telegram: answer 2xx only once the update is applied."""
        if self._webhook_secret and not hmac.compare_digest(
            request.headers.get(SECRET_HEADER, ""), self._webhook_secret
        ):
            return web.Response(status=403, text="forbidden")
        try:
            data = await request.json()
            update = Update.de_json(data, self.application.bot)
        except (ValueError, KeyError, TypeError):
            return web.Response(status=400, text="bad update")
        # Failing here returns 500, so Telegram delivers the update again later.
        await self.process(update)
        return web.Response(text="ok")

    async def _on_polled_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.process(update)

    async def process(self, update: Update) -> None:
        incoming = to_incoming(update)
        if update.callback_query:
            # Stops the client's progress indicator; ignore a query that is too old.
            try:
                await update.callback_query.answer()
            except TelegramError as error:
                logger.info("callback answer failed: %s", error)
        if incoming is None:
            return
        replies = await self._core.dispatcher.handle(incoming)
        await self.send(update.effective_chat.id, replies)

    async def send(self, chat_id: int, replies: list[Reply]) -> None:
        """Send replies in order; a chat that blocked the bot is logged and skipped."""
        bot = self.application.bot
        try:
            for reply in replies:
                chunks = split_text(reply.text, MessageLimit.MAX_TEXT_LENGTH)
                for i, chunk in enumerate(chunks):
                    markup = _keyboard(reply) if i == len(chunks) - 1 else None
                    await bot.send_message(chat_id, chunk, reply_markup=markup)
                if reply.document:
                    await bot.send_document(chat_id, InputFile(
                        reply.document.content, filename=reply.document.filename))
        except Forbidden:
            logger.info("a reply was refused: the user blocked the bot")

    async def send_queued(self, channel_user_id: str, text: str) -> bool:
        """Outbox delivery: True when done or undeliverable for good, False to retry."""
        try:
            await self.send(int(channel_user_id), [Reply(text)])
        except TelegramError as error:
            logger.warning("queued message not sent: %s", type(error).__name__)
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


def _keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.choices:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(c.label, callback_data=c.payload)] for c in reply.choices]
    )


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
        return Incoming(**common, kind=MessageKind.PHOTO)
    if message.sticker:
        return Incoming(**common, kind=MessageKind.STICKER)
    return Incoming(**common, kind=MessageKind.OTHER)
