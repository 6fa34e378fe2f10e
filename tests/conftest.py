"""Shared fixtures: compiled catalogs, migrated databases (SQLite always, PostgreSQL when
TEST_DATABASE_URL is set), the application core and a console chat."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import text

from bot.app import Core, build_core
from bot.channels.console import ConsoleChat
from bot.channels.telegram import TelegramChannel
from bot.settings import KB_DIR, PROJECT_ROOT, Settings
from handlers.kb.knowledge_base import KnowledgeBase
from storage.db import create_engine
from storage.migrate import upgrade
from storage.models import Base
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.zalo_bot_server import FakeZaloBot
from tests.fakes.zalo_oa_server import FakeZaloOA

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(scope="session")
def locales_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed .po files compiled afresh, so tests never see a stale .mo."""
    out = tmp_path_factory.mktemp("locales")
    for po_path in (PROJECT_ROOT / "locales").glob("*/LC_MESSAGES/messages.po"):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        target = out / po_path.parent.parent.name / "LC_MESSAGES" / "messages.mo"
        target.parent.mkdir(parents=True)
        with target.open("wb") as mo_file:
            write_mo(mo_file, catalog)
    return out


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_migrated() -> str | None:
    """Reset the test database's schema once and migrate it."""
    if not POSTGRES_URL:
        return None

    async def reset() -> None:
        engine = create_engine(POSTGRES_URL)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(reset())
    upgrade(POSTGRES_URL)
    return POSTGRES_URL


async def _truncate(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await engine.dispose()


def _sqlite_copy(template: Path, tmp_path: Path) -> str:
    path = tmp_path / "bot.db"
    shutil.copy(template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path,
                       sqlite_template: Path, postgres_migrated: str | None) -> str:
    """A migrated, empty database on each backend under test."""
    if request.param == "sqlite":
        return _sqlite_copy(sqlite_template, tmp_path)
    await _truncate(postgres_migrated)
    return postgres_migrated


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    return _sqlite_copy(sqlite_template, tmp_path)


class MovableClock:
    """The app's clock in tests: stands still until moved."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)

    def set(self, now: datetime) -> None:
        self.now = now


def make_settings(database_url: str, locales_dir: Path, **overrides: object) -> Settings:
    return Settings(database_url=database_url, locales_dir=locales_dir,
                    web_cookie_secret="test-secret", **overrides)


@pytest.fixture(scope="session")
def knowledge_base() -> KnowledgeBase:
    """Built once: every core gets its own StaffAnswerSync, which resets the run-time entries
    from its own database."""
    return KnowledgeBase.from_directory(KB_DIR)


@pytest.fixture
async def core(sqlite_url: str, locales_dir: Path,
               knowledge_base: KnowledgeBase) -> AsyncIterator[Core]:
    core = build_core(make_settings(sqlite_url, locales_dir), kb=knowledge_base)
    yield core
    await core.close()


@pytest.fixture
async def db_core(database_url: str, locales_dir: Path,
                  knowledge_base: KnowledgeBase) -> AsyncIterator[Core]:
    """The core on every backend under test (for storage-sensitive stories)."""
    core = build_core(make_settings(database_url, locales_dir), kb=knowledge_base)
    yield core
    await core.close()


@pytest.fixture
def chat(core: Core) -> ConsoleChat:
    return ConsoleChat(core.dispatcher, user_id="owner-1")


@pytest.fixture
def export_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "exports"


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """A fake Telegram Bot API server on loopback."""
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def polling(tg: FakeTelegram, sqlite_url: str, locales_dir: Path) -> AsyncIterator[Core]:
    """The bot polling the fake Telegram, as production runs it without a webhook."""
    core = build_core(make_settings(sqlite_url, locales_dir, telegram_token=tg.token,
                                    telegram_api_base_url=tg.url))
    channel = TelegramChannel.from_settings(core.settings, core)
    await channel.start()
    core.telegram = channel  # for tests that run an outbox sender on it
    yield core
    await channel.stop()
    await core.close()


def free_port() -> int:
    """A TCP port free on loopback now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def webhook_bot(tg: FakeTelegram, database_url: str, locales_dir: Path,
                      **overrides: object) -> AsyncIterator[tuple[Core, TelegramChannel, str]]:
    """The bot's own aiohttp server on loopback in webhook mode, with Telegram (the fake) set
    to call it: (core, channel, webhook URL)."""
    from aiohttp import web

    from bot.server import build_web_app

    port = free_port()
    url = f"http://127.0.0.1:{port}/webhooks/telegram"
    core = build_core(make_settings(database_url, locales_dir, telegram_token=tg.token,
                                    telegram_api_base_url=tg.url, telegram_webhook_url=url,
                                    **overrides))
    channel = TelegramChannel.from_settings(core.settings, core)
    runner = web.AppRunner(build_web_app(core, cookie_secret="x", channels=[channel]))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await channel.start()
    try:
        yield core, channel, url
    finally:
        await channel.stop()
        await runner.cleanup()
        await core.close()


@asynccontextmanager
async def bot_server(database_url: str, locales_dir: Path, *, kb: KnowledgeBase | None = None,
                     port: int | None = None,
                     **overrides: object) -> AsyncIterator[tuple[Core, list, str]]:
    """The bot's own aiohttp server on loopback with the channels the settings configure,
    started as `khuyencong run` starts them: (core, channels, public URL)."""
    from aiohttp import web

    from bot.app import build_channels
    from bot.server import build_web_app

    port = port or free_port()
    public_url = f"http://127.0.0.1:{port}"
    core = build_core(make_settings(database_url, locales_dir, public_url=public_url,
                                    **overrides), kb=kb)
    channels = build_channels(core.settings, core)
    runner = web.AppRunner(build_web_app(core, cookie_secret="x", channels=channels))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    started = []
    try:
        for channel in channels:
            await channel.start()
            started.append(channel)
        yield core, channels, public_url
    finally:
        for channel in reversed(started):
            await channel.stop()
        await runner.cleanup()
        await core.close()


@pytest.fixture
async def zbot() -> AsyncIterator[FakeZaloBot]:
    """A fake Zalo Bot Platform API on loopback."""
    async with FakeZaloBot() as fake:
        yield fake


@pytest.fixture
async def zoa() -> AsyncIterator[FakeZaloOA]:
    """A fake Zalo OA API and OAuth server on loopback."""
    async with FakeZaloOA() as fake:
        yield fake


def zalo_bot_settings(fake: FakeZaloBot) -> dict:
    return {"zalo_bot_token": fake.token, "zalo_bot_api_base_url": fake.url}


def zalo_oa_settings(fake: FakeZaloOA) -> dict:
    return {"zalo_oa_app_id": fake.app_id, "zalo_oa_secret_key": fake.secret_key,
            "zalo_oa_access_token": fake.access_token,
            "zalo_oa_refresh_token": fake.refresh_token,
            "zalo_oa_api_base_url": fake.url, "zalo_oa_oauth_base_url": fake.url}


@pytest.fixture
async def zalo_bot(zbot: FakeZaloBot, sqlite_url: str, locales_dir: Path,
                   knowledge_base: KnowledgeBase) -> AsyncIterator[Core]:
    """The bot serving the fake Zalo Bot Platform through its webhook."""
    async with bot_server(sqlite_url, locales_dir, kb=knowledge_base,
                          **zalo_bot_settings(zbot)) as (core, channels, _url):
        core.channels = channels
        yield core


@pytest.fixture
async def zalo_oa(zoa: FakeZaloOA, sqlite_url: str, locales_dir: Path,
                  knowledge_base: KnowledgeBase) -> AsyncIterator[Core]:
    """The bot serving the fake Zalo OA through its webhook."""
    async with bot_server(sqlite_url, locales_dir, kb=knowledge_base,
                          **zalo_oa_settings(zoa)) as (core, channels, url):
        zoa.webhook_url = f"{url}/webhooks/zalo-oa"
        core.channels = channels
        yield core
