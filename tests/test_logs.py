"""Nothing secret or personal reaches a log, at any level."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import text

from bot.logs import MASK, QUIET_LIBRARIES, SecretRedactor, configure_logging, quiet_libraries
from tests.conftest import webhook_bot as serving_webhook
from tests.fakes.telegram_server import FakeTelegram

OWNER = 777123456
WEBHOOK_SECRET = "s3cret-webhook-XYZ"
DISPLAY_NAME = "Phượng Nguyễn"
NAME = "Công ty TNHH Cơ khí đúc Thành Phương"
TAX_CODE = "0100109106"
PHONE = "0912 345 678"
QUESTION = "giá vàng hôm nay ở Kiến Thụy bao nhiêu"


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    """Everything logged, at DEBUG, formatted with tracebacks, as production's libraries are
    configured (quiet_libraries) but without the redactor: the fixes must hold on their own."""
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in QUIET_LIBRARIES}
    root_level = root.level
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    quiet_libraries()
    yield buffer
    root.removeHandler(handler)
    root.setLevel(root_level)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture
async def webhook_bot(tg: FakeTelegram, sqlite_url: str, locales_dir) -> AsyncIterator:
    async with serving_webhook(tg, sqlite_url, locales_dir,
                               telegram_webhook_secret=WEBHOOK_SECRET) as (core, _channel, _url):
        yield core


async def test_a_whole_session_logs_no_secret_and_no_personal_value(
    log: io.StringIO, tg: FakeTelegram, webhook_bot
) -> None:
    await tg.user_sends(OWNER, "/hoso", first_name=DISPLAY_NAME)
    await tg.user_presses(OWNER, "profile:consent")
    for answer in (NAME, TAX_CODE, PHONE, "an thanh"):
        await tg.user_sends(OWNER, answer)
    tg.fail_next("sendMessage", error_code=500)  # Telegram fails once; the update comes back
    await tg.user_sends(OWNER, QUESTION)
    await tg.deliver_pending_updates()
    # Saving the profile fails: its INSERT, with the name, tax code and phone, is refused.
    async with webhook_bot.engine.begin() as connection:
        await connection.execute(text(
            "CREATE TRIGGER refuse BEFORE INSERT ON enterprise_profiles "
            "BEGIN SELECT RAISE(ABORT, 'disk full'); END"))
    await tg.user_presses(OWNER, "pf:o:4")  # the sector: machinery, electrical…
    assert "Xin lỗi, hệ thống vừa gặp lỗi" in tg.messages_to(OWNER)[-1]["text"]

    written = log.getvalue()
    for value in (tg.token, tg.token.split(":")[1], WEBHOOK_SECRET, DISPLAY_NAME, NAME,
                  TAX_CODE, PHONE, PHONE.replace(" ", ""), QUESTION, str(OWNER)):
        assert value not in written, f"{value!r} was logged"
    assert "handler failed for user #1" in written  # the log was captured, the failure seen


def test_the_redactor_masks_secrets_in_messages_arguments_and_tracebacks() -> None:
    redactor = SecretRedactor()
    redactor.hide("123:ABC-secret", "ABC-secret", None, "")
    try:
        raise ValueError("POST https://api.telegram.org/bot123:ABC-secret/getMe failed")
    except ValueError as error:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "call to %s failed: %s",
                                   ("/bot123:ABC-secret/x", "ABC-secret%3A"), (
                                       type(error), error, error.__traceback__))
    assert redactor.filter(record)
    formatted = logging.Formatter().format(record)
    assert "ABC-secret" not in formatted
    assert f"call to /bot{MASK}/x failed: {MASK}%3A" in formatted
    assert f"https://api.telegram.org/bot{MASK}/getMe" in formatted


def test_logging_as_the_cli_configures_it_quiets_libraries_and_masks_secrets() -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in QUIET_LIBRARIES}
    root.handlers = []
    buffer = io.StringIO()
    try:
        redactor = configure_logging(verbose=True, stream=buffer)
        redactor.hide("the-bot-token")
        logging.getLogger("httpx").info("HTTP Request: POST /botthe-bot-token/sendMessage")
        logging.getLogger("telegram.Bot").debug("Calling endpoint with parameters {...}")
        logging.getLogger("bot.x").warning("token %s", "the-bot-token")
    finally:
        root.handlers, root.level = handlers, level
        for name, saved in levels.items():
            logging.getLogger(name).setLevel(saved)
    assert buffer.getvalue().splitlines()[-1].endswith(f"bot.x: token {MASK}")
    assert "HTTP Request" not in buffer.getvalue() and "endpoint" not in buffer.getvalue()


def test_the_access_log_leaves_out_the_clients_address() -> None:
    """An IP address is personal data; the request line, status, size and time are enough."""
    from aiohttp.web_log import AccessLogger

    from bot.app import ACCESS_LOG_FORMAT

    logged = [key for key, _method in
              AccessLogger(logging.getLogger("test"), ACCESS_LOG_FORMAT)._methods]
    assert "remote_address" not in logged
    assert {"first_request_line", "response_status"} <= set(logged)


async def test_a_malformed_request_logs_no_cookie_no_query_and_no_address(
        log, sqlite_url, locales_dir, knowledge_base, aiohttp_server) -> None:
    """aiohttp logged "Error handling request from <address>" with the raw bytes received."""
    import asyncio

    from bot.app import build_core
    from bot.server import build_web_app
    from tests.conftest import make_settings

    core = build_core(make_settings(sqlite_url, locales_dir), kb=knowledge_base)
    server = await aiohttp_server(build_web_app(core, cookie_secret="test-secret"))
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(b"GET /?phone=0912345678 HTTP/1.1\r\nHost: a\r\n"
                 b"Cookie: kc_visitor=very-secret\x7f\r\n\r\n")
    await writer.drain()
    answer = await reader.read(200)
    assert b" 400 Bad Request" in answer.split(b"\r\n")[0], answer
    writer.close()
    await core.close()
    logged = log.getvalue()
    assert "error handling a request" in logged  # the error is still seen, by its type
    assert "0912345678" not in logged and "very-secret" not in logged
    assert "request from" not in logged  # the address (the access log in production has none)
