"""The web chat with its database down: it starts, says so politely, and recovers by itself."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestClient
from sqlalchemy.exc import OperationalError

from bot.app import build_core
from bot.server import build_web_app
from bot.settings import PROJECT_ROOT, Settings


async def expect_unavailable(response: aiohttp.ClientResponse, polite: str) -> None:
    assert response.status == 503
    body = await response.json()
    assert body["error"] and polite in body["message"]


async def test_no_database_at_start_then_it_comes_back(tmp_path: Path, sqlite_template: Path,
                                                       locales_dir, knowledge_base,
                                                       aiohttp_client) -> None:
    database = tmp_path / "not-yet" / "bot.db"
    # No WEB_COOKIE_SECRET: it lives in the database, which is not there.
    core = build_core(Settings(database_url=f"sqlite+aiosqlite:///{database}",
                               locales_dir=locales_dir), kb=knowledge_base)
    client: TestClient = await aiohttp_client(build_web_app(core))
    page = await client.get("/")
    assert page.status == 200 and "Khuyến công" in await page.text()
    assert (await client.get("/healthz")).status == 503
    for _ in range(2):  # retried on every request, not given up after the first
        await expect_unavailable(await client.post("/api/messages", json={"text": "/start"}),
                                 "vui lòng thử lại")
    await expect_unavailable(await client.get("/api/inbox"), "vui lòng thử lại")
    await expect_unavailable(await client.post("/api/inbox/ack", json={"ids": [1]}),
                             "vui lòng thử lại")

    database.parent.mkdir()
    shutil.copy(sqlite_template, database)  # the operator ran the migrations

    assert (await client.get("/healthz")).status == 200
    response = await client.post("/api/messages", json={"text": "/start"})
    assert response.status == 200 and "kc_visitor" in response.cookies
    assert (await response.json())["replies"][0]["text"].startswith("Xin chào")
    await core.close()


async def test_nobody_listening_on_the_postgresql_port(locales_dir, knowledge_base,
                                                       aiohttp_client) -> None:
    core = build_core(Settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none",
                               locales_dir=locales_dir), kb=knowledge_base)
    client: TestClient = await aiohttp_client(build_web_app(core))
    assert (await client.get("/")).status == 200
    await expect_unavailable(await client.post("/api/messages", json={"text": "/start"}),
                             "vui lòng thử lại")
    await core.close()


async def test_a_database_error_mid_conversation_is_a_polite_503(core, aiohttp_client,
                                                                  monkeypatch, caplog) -> None:
    client: TestClient = await aiohttp_client(build_web_app(core, cookie_secret="s"))
    await client.post("/api/messages", json={"text": "/lang en"})

    async def database_gone(_msg):
        raise OperationalError("UPDATE users SET phone=?", ("0912345678",), Exception("gone"))

    monkeypatch.setattr(core.dispatcher, "handle", database_gone)
    response = await client.post("/api/messages", json={"text": "0912345678"})
    await expect_unavailable(response, "please try again")  # the visitor's language
    assert response.headers["Retry-After"]
    assert "OperationalError" in caplog.text and "0912345678" not in caplog.text


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.asynccontextmanager
async def khuyencong_run(env: dict[str, str]) -> AsyncIterator[tuple[str, aiohttp.ClientResponse,
                                                                   list[str]]]:
    """`khuyencong run` in a process of its own with `env`: its address, its first answer to
    /healthz, and (once the block ends and it is stopped) everything it printed."""
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--host", "127.0.0.1", "--port", str(port),
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    printed: list[str] = []
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(200):
                assert server.returncode is None, (await server.stdout.read()).decode()
                try:
                    health = await http.get(f"{base}/healthz")
                    break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            yield base, health, printed
            assert server.returncode is None, "it stopped while serving"
    finally:
        if server.returncode is None:
            server.terminate()
        printed.append((await asyncio.wait_for(server.communicate(), 10))[0].decode())


async def test_khuyencong_run_serves_while_the_database_is_down(tmp_path: Path,
                                                                sqlite_template: Path,
                                                                locales_dir) -> None:
    """The reported crash: `khuyencong run` exited with a traceback before serving."""
    database = tmp_path / "later" / "bot.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
           "LOCALES_DIR": str(locales_dir), "WEB_COOKIE_SECRET": ""}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    async with khuyencong_run(env) as (base, health, printed), aiohttp.ClientSession() as http:
        assert health.status == 503
        assert (await http.get(f"{base}/")).status == 200
        await expect_unavailable(await http.post(f"{base}/api/messages",
                                                 json={"text": "/start"}),
                                 "vui lòng thử lại")
        database.parent.mkdir()
        shutil.copy(sqlite_template, database)
        assert (await http.get(f"{base}/healthz")).status == 200
        response = await http.post(f"{base}/api/messages", json={"text": "/start"})
        assert response.status == 200
    assert "Traceback" not in printed[0]
    assert "0912345678" not in printed[0]


async def test_khuyencong_run_serves_the_web_chat_while_telegram_is_unreachable(
        tmp_path: Path, sqlite_template: Path, locales_dir) -> None:
    """The process exited when Telegram could not be reached at start (getMe), and the web
    chat with it: the channel is now started again in the background."""
    database = tmp_path / "bot.db"
    shutil.copy(sqlite_template, database)
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
           "LOCALES_DIR": str(locales_dir), "TELEGRAM_BOT_TOKEN": "123456:UNREACHABLE",
           "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{free_port()}"}
    async with khuyencong_run(env) as (base, health, printed), aiohttp.ClientSession() as http:
        assert health.status == 200
        await asyncio.sleep(0.5)  # the first start has failed by now
        response = await http.post(f"{base}/api/messages", json={"text": "/start"})
        assert response.status == 200
    assert "telegram channel could not start" in printed[0]
    assert "UNREACHABLE" not in printed[0]


async def test_waiting_requests_share_one_attempt_to_read_the_cookie_secret() -> None:
    from bot.channels.webchat import VisitorCookie

    attempts = []
    release = asyncio.Event()

    async def fetch_secret() -> str:
        attempts.append(1)
        await release.wait()
        if len(attempts) == 1:
            raise OperationalError("SELECT", (), Exception("database down"))
        return "secret"

    cookie = VisitorCookie(fetch_secret)
    waiting = [asyncio.create_task(cookie.signer()) for _ in range(5)]
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert len(attempts) == 1 and all(isinstance(r, OperationalError) for r in results)
    await cookie.signer()  # the next request tries again, and it works
    await cookie.signer()
    assert len(attempts) == 2
