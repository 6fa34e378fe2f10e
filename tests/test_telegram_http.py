"""PTB's Bot on our aiohttp client behaves as on PTB's own httpx one: parameters and uploads
arrive whole, Bot API errors become PTB's exceptions, and network trouble becomes
TimedOut/NetworkError (which the delivery code retries) rather than an aiohttp error."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession, encode_basic_auth, web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut

from bot.channels.telegram_http import AiohttpRequest
from tests.fakes.telegram_server import FakeTelegram

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40


def bot_for(base_url: str, token: str, **timeouts: float) -> Bot:
    return Bot(token, base_url=f"{base_url}/bot", base_file_url=f"{base_url}/file/bot",
               request=AiohttpRequest(**timeouts),
               get_updates_request=AiohttpRequest(connection_pool_size=1))


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with bot_for(tg.url, tg.token) as started:
        yield started


async def test_text_and_buttons_arrive_as_sent(tg: FakeTelegram, bot: Bot) -> None:
    text = "Hội chợ Hải Phòng 2027: còn 3 gian hàng & phí 0 đồng?"
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Đăng ký ✅", callback_data="fair:1")]])
    message = await bot.send_message(41, text, reply_markup=markup)
    (call,) = tg.calls("sendMessage")
    assert call["text"] == text == message.text
    assert call["reply_markup"]["inline_keyboard"][0][0]["text"] == "Đăng ký ✅"


async def test_an_upload_with_a_vietnamese_name_arrives_whole_and_downloads_back(
        tg: FakeTelegram, bot: Bot) -> None:
    message = await bot.send_document(
        41, InputFile(PDF, filename="Kế hoạch hội chợ.pdf"), caption="Kế hoạch")
    assert message.document.file_name == "Kế hoạch hội chợ.pdf"
    assert tg.file_bytes(message.document.file_id) == PDF
    file = await bot.get_file(message.document.file_id)
    assert bytes(await file.download_as_bytearray()) == PDF


async def test_bot_api_errors_become_ptb_s_exceptions(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail_next("sendMessage", 429, retry_after=7)
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(41, "một")
    assert flood.value.retry_after == 7
    tg.block(42)
    with pytest.raises(Forbidden):
        await bot.send_message(42, "hai")


async def test_a_server_that_does_not_answer_times_out() -> None:
    release = asyncio.Event()

    async def stall(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", stall)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    request = AiohttpRequest(read_timeout=0.2)
    await request.initialize()
    try:
        started = asyncio.get_running_loop().time()
        with pytest.raises(TimedOut):
            await request.post(f"http://127.0.0.1:{port}/bot1:x/getMe")
        assert asyncio.get_running_loop().time() - started < 5
    finally:
        release.set()
        await request.shutdown()
        await runner.cleanup()


async def test_a_refused_connection_is_a_network_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens once it is closed
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as error:
            await request.post(f"http://127.0.0.1:{port}/bot1:x/getMe")
        assert not isinstance(error.value, TimedOut)
    finally:
        await request.shutdown()


async def test_a_request_before_initialize_or_after_shutdown_is_refused() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError):
        await request.do_request("http://127.0.0.1:9/bot1:x/getMe", "POST")
    await request.initialize()
    await request.shutdown()
    with pytest.raises(RuntimeError):
        await request.do_request("http://127.0.0.1:9/bot1:x/getMe", "POST")


async def test_no_network_error_quotes_the_bot_token() -> None:
    """The token is part of every Bot API URL; aiohttp quotes the URL in some errors (an
    invalid URL, a connect timeout): PTB's exception, its message and its chain must not."""
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as error:
            await request.post("http://127.0.0.1:99999/bot123:SECRET-TOKEN/getMe")
        assert "SECRET-TOKEN" not in str(error.value)
        assert error.value.__cause__ is None and error.value.__suppress_context__
    finally:
        await request.shutdown()


class FakeProxy:
    """A plain HTTP forward proxy: takes requests in absolute form and passes them on."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.logins: list[str | None] = []

    async def forward(self, request: web.Request) -> web.Response:
        self.seen.append(request.path)
        self.logins.append(request.headers.get("Proxy-Authorization"))
        async with ClientSession() as session, session.request(
                request.method, str(request.url), data=await request.read(),
                headers={"Content-Type": request.content_type}) as answer:
            return web.Response(status=answer.status, body=await answer.read(),
                                content_type=answer.content_type)


@pytest.fixture
async def proxy() -> AsyncIterator[tuple[FakeProxy, str]]:
    fake = FakeProxy()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.forward)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield fake, f"127.0.0.1:{port}"
    await runner.cleanup()


async def test_calls_go_through_the_proxy_the_environment_names(
        tg: FakeTelegram, proxy: tuple[FakeProxy, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake, address = proxy
    for name in ("no_proxy", "NO_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://centre:s3cret@{address}")
    async with bot_for(tg.url, tg.token) as bot:
        await bot.send_message(41, "qua proxy")
        # Read once: a changed environment does not reroute a running bot.
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
        await bot.send_message(41, "vẫn qua proxy")
    assert fake.seen == [f"/bot{tg.token}/getMe", f"/bot{tg.token}/sendMessage",
                         f"/bot{tg.token}/sendMessage"]
    assert fake.logins[0] == encode_basic_auth("centre", "s3cret")
    assert [call["text"] for call in tg.calls("sendMessage")] == ["qua proxy", "vẫn qua proxy"]


async def test_no_proxy_exempts_a_host(tg: FakeTelegram, proxy: tuple[FakeProxy, str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    fake, address = proxy
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://{address}")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    async with bot_for(tg.url, tg.token) as bot:
        await bot.send_message(41, "thẳng tới Telegram")
    assert fake.seen == []
    assert [call["text"] for call in tg.calls("sendMessage")] == ["thẳng tới Telegram"]
