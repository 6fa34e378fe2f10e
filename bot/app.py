"""The one place that builds things: settings → engine → translators → dispatcher → servers."""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels.telegram import CHANNEL as TELEGRAM
from bot.channels.telegram import TelegramChannel
from bot.delivery import Clock, Deliveries, utc_now
from bot.housekeeping import PRUNE_EVERY, PRUNE_LEDGER, prune_ledger
from bot.logs import hide_secrets
from bot.outbox_sender import OutboxSender
from bot.scheduler import Scheduler
from bot.server import build_web_app
from bot.settings import Settings
from handlers.communes import CommuneDirectory
from handlers.dispatcher import Dispatcher
from handlers.i18n import Translator, load_translators
from handlers.kb.knowledge_base import KnowledgeBase
from handlers.kb.staff_answers import StaffAnswerSync
from handlers.registry import build_jobs, build_router
from handlers.services import Services
from storage.db import create_engine, create_session_factory
from storage.uow import UnitOfWork

logger = logging.getLogger(__name__)

ACCESS_LOG_FORMAT = '"%r" %s %b %Tf'


@dataclass
class Core:
    """What every channel shares: database, translations and the dispatcher."""

    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    translators: dict[str, Translator]
    dispatcher: Dispatcher
    deliveries: Deliveries
    scheduler: Scheduler
    clock: Clock = utc_now

    async def close(self) -> None:
        await self.deliveries.close()
        await self.engine.dispose()

    async def web_cookie_secret(self) -> str:
        """The configured secret, or one generated once and shared by all workers."""
        if self.settings.web_cookie_secret:
            return self.settings.web_cookie_secret
        async with UnitOfWork(self.session_factory) as uow:
            secret = await uow.app_settings.get_or_create(
                "web_cookie_secret", lambda: secrets.token_urlsafe(32))
            await uow.commit()
        hide_secrets(secret)  # generated, so the log filter could not know it before
        return secret


def build_core(settings: Settings, *, kb: KnowledgeBase | None = None,
               clock: Clock = utc_now) -> Core:
    """Build the shared parts; tests pass a knowledge base they built once, and a clock they
    can move."""
    engine = create_engine(settings.database_url)
    session_factory = create_session_factory(engine)
    translators = load_translators(settings.locales_dir)
    kb = kb or KnowledgeBase.from_directory(settings.kb_dir)
    services = Services(communes=CommuneDirectory.load(), kb=kb,
                        staff_answers=StaffAnswerSync(kb), admin_ids=settings.admin_ids)
    dispatcher = Dispatcher(session_factory, build_router(), translators, services,
                            clock=clock)
    scheduler = Scheduler(session_factory, clock, translators=translators, services=services)
    for kind, handler in build_jobs().items():
        scheduler.register(kind, handler)
    scheduler.register(PRUNE_LEDGER, prune_ledger, every=PRUNE_EVERY)
    return Core(settings, engine, session_factory, translators, dispatcher,
                Deliveries(session_factory, clock=clock), scheduler, clock)


async def serve(settings: Settings, host: str, port: int) -> None:
    """Serve the web chat, health check and webhooks; run Telegram when configured."""
    core = build_core(settings)
    telegram = TelegramChannel.from_settings(settings, core) if settings.telegram_token else None
    # The cookie secret is read lazily: a database that is down at start must not stop the
    # page, the health check or the recovery once it is back.
    app = build_web_app(core, telegram=telegram, cookie_secret=settings.web_cookie_secret)
    # The access log names the request line, status, size and time, never the client's
    # address, which is personal data (no route of ours carries anything personal in its URL).
    runner = web.AppRunner(app, access_log_format=ACCESS_LOG_FORMAT)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    logger.info("web chat on http://%s:%s/", host, port)
    core.scheduler.start()
    outbox = None
    if telegram:
        await telegram.start()
        outbox = OutboxSender(core.session_factory, TELEGRAM, telegram.deliver,
                              clock=core.clock)
        outbox.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await core.scheduler.stop()
        if outbox:
            await outbox.stop()
        if telegram:
            await telegram.stop()
        await runner.cleanup()
        await core.close()
