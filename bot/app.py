"""The one place that builds things: settings → engine → translators → dispatcher → servers."""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.broadcast_sender import BroadcastMonitor, BroadcastSender, ChannelPace, SharedSlots
from bot.channels.base import Channel
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo_bot import ZaloBotChannel
from bot.channels.zalo_oa import ZaloOAChannel
from bot.delivery import Clock, Deliveries, utc_now
from bot.housekeeping import PRUNE_EVERY, PRUNE_LEDGER, PRUNE_MEDIA, prune_ledger, prune_media
from bot.logs import hide_secrets
from bot.media import MediaLinks
from bot.outbox_sender import OutboxSender
from bot.scheduler import Scheduler
from bot.server import build_web_app
from bot.settings import Settings
from handlers.communes import CommuneDirectory
from handlers.dispatcher import Dispatcher
from handlers.error_report import anonymous_traceback
from handlers.former_districts import FormerDistrictDirectory
from handlers.i18n import Translator, load_translators
from handlers.kb.knowledge_base import KnowledgeBase
from handlers.kb.staff_answers import StaffAnswerSync
from handlers.registry import build_give_ups, build_jobs, build_router
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
    media: MediaLinks
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
    services = Services(communes=CommuneDirectory.load(),
                        former_districts=FormerDistrictDirectory.load(), kb=kb,
                        staff_answers=StaffAnswerSync(kb), admin_ids=settings.admin_ids,
                        broadcast_channels=settings.broadcast_channels)
    dispatcher = Dispatcher(session_factory, build_router(), translators, services,
                            clock=clock)
    scheduler = Scheduler(session_factory, clock, translators=translators, services=services)
    give_ups = build_give_ups()
    for kind, handler in build_jobs().items():
        scheduler.register(kind, handler, on_give_up=give_ups.get(kind))
    scheduler.register(PRUNE_LEDGER, prune_ledger, every=PRUNE_EVERY)
    scheduler.register(PRUNE_MEDIA, prune_media, every=PRUNE_EVERY)
    return Core(settings, engine, session_factory, translators, dispatcher,
                Deliveries(session_factory, clock=clock),
                MediaLinks(session_factory, settings.public_url), scheduler, clock)


def build_channels(settings: Settings, core: Core) -> list[Channel]:
    """The messaging channels the settings configure (the web chat comes with the server)."""
    channels: list[Channel] = []
    if settings.telegram_token:
        channels.append(TelegramChannel.from_settings(settings, core))
    if settings.zalo_bot_token:
        channels.append(ZaloBotChannel.from_settings(settings, core))
    if settings.zalo_oa_enabled:
        channels.append(ZaloOAChannel.from_settings(settings, core))
    return channels


CHANNEL_RETRY_FIRST = 5.0  # seconds before trying again to start a channel
CHANNEL_RETRY_MAX = 300.0


async def start_with_retries(channel: Channel, *, first: float = CHANNEL_RETRY_FIRST,
                             longest: float = CHANNEL_RETRY_MAX) -> None:
    """Start a channel, trying again after a wait doubled each time (up to `longest`) while
    its platform cannot be reached; its error is logged by type and stack only."""
    wait = first
    while True:
        try:
            await channel.start()
            return
        except Exception as error:
            logger.error("%s channel could not start, trying again in %g s: %s",
                         channel.name, wait, anonymous_traceback(error))
        try:
            await channel.stop()  # what the failed start opened (a client session)
        except Exception as error:
            logger.warning("%s channel: clean-up failed: %s", channel.name,
                           type(error).__name__)
        await asyncio.sleep(wait)
        wait = min(wait * 2, longest)


def build_broadcasting(core: Core, channels: list[Channel], *, monitor_interval: float = 3.0
                       ) -> tuple[list[BroadcastSender], BroadcastMonitor]:
    """A broadcast sender for each channel that pushes, and the progress monitor."""
    settings = core.settings
    lease = timedelta(seconds=settings.broadcast_lease_seconds)
    senders = [BroadcastSender(core.session_factory, channel, core.translators,
                               ChannelPace(*settings.pace(channel.name)), clock=core.clock,
                               lease=lease)
               for channel in channels if channel.name in settings.broadcast_channels]
    monitor = BroadcastMonitor(core.session_factory, {c.name: c for c in channels},
                               core.translators, clock=core.clock,
                               interval=monitor_interval)
    return senders, monitor


async def serve(settings: Settings, host: str, port: int) -> None:
    """Serve the web chat, health check and webhooks; run the configured channels."""
    core = build_core(settings)
    channels = build_channels(settings, core)
    # The cookie secret is read lazily: a database that is down at start must not stop the
    # page, the health check or the recovery once it is back.
    app = build_web_app(core, channels=channels, cookie_secret=settings.web_cookie_secret)
    # The access log names the request line, status, size and time, never the client's
    # address, which is personal data (no route of ours carries anything personal in its URL;
    # media links, keys to their files, are masked there: bot/media.py).
    runner = web.AppRunner(app, access_log_format=ACCESS_LOG_FORMAT)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    logger.info("web chat on http://%s:%s/", host, port)
    core.scheduler.start()
    broadcast_senders, monitor = build_broadcasting(core, channels)
    monitor.start()
    started: list[Channel] = []
    workers: list[OutboxSender | BroadcastSender] = []

    async def run_channel(channel: Channel) -> None:
        await start_with_retries(channel)
        started.append(channel)
        new = [OutboxSender(core.session_factory, channel, clock=core.clock,
                            slots=SharedSlots(core.session_factory, channel.name),
                            per_second=settings.pace(channel.name)[0])
               ] if channel.capabilities.push else []
        new += [sender for sender in broadcast_senders if sender.channel is channel]
        for worker in new:
            worker.start()
        workers.extend(new)

    # A platform unreachable at start (Telegram down, a 429 on setWebhook) must not take the
    # web chat down with it: each channel starts in the background, again until it can.
    starting = [asyncio.create_task(run_channel(channel), name=f"start-{channel.name}")
                for channel in channels]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for task in starting:
            task.cancel()
        await asyncio.gather(*starting, return_exceptions=True)
        await core.scheduler.stop()
        await monitor.stop()
        for worker in workers:
            await worker.stop()
        for channel in reversed(started):
            await channel.stop()
        await runner.cleanup()
        await core.close()
