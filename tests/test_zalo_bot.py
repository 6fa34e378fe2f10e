"""Zalo Bot Platform end to end: the bot's own server and webhook against the fake Bot API."""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import ClientSession
from sqlalchemy import func, select

from bot.app import Core, build_core
from bot.channels.zalo_bot import SECRET_HEADER, ZaloBotChannel
from bot.logs import QUIET_LIBRARIES, quiet_libraries
from bot.outbox_sender import OutboxSender
from bot.settings import Settings
from handlers.types import Document, Reply
from storage.models import DeliveryStatus, OutboxMessage, ProcessedUpdate, User
from storage.uow import UnitOfWork
from tests.conftest import make_settings, zalo_bot_settings
from tests.fakes.zalo_bot_server import FakeZaloBot

LAN = "6ede9afa66b88fe6d6a9"  # Zalo ids are strings


async def count(core: Core, model) -> int:
    async with UnitOfWork(core.session_factory) as uow:
        return (await uow._session.execute(select(func.count()).select_from(model))).scalar()


def texts(fake: FakeZaloBot, user: str = LAN) -> list[str]:
    return [m.get("text", "") for m in fake.messages_to(user)]


async def test_the_webhook_is_set_with_a_secret_and_a_conversation_runs(
    zbot: FakeZaloBot, zalo_bot: Core
) -> None:
    (call,) = zbot.calls("setWebhook")
    assert call["url"].endswith("/webhooks/zalo-bot")
    assert 8 <= len(call["secret_token"]) <= 256
    await zbot.user_sends(LAN, "/start")
    (greeting,) = texts(zbot)
    assert greeting.startswith("Xin chào")
    assert "\n1. " in greeting  # the menu as a numbered list: Zalo has no buttons
    assert zbot.webhook_deliveries[-1][1] == 200


@pytest.mark.parametrize("secret", [None, "wrong-secret", "sécret-ĐÚNG-x"])
async def test_an_event_with_a_wrong_secret_is_refused_and_applies_nothing(
    zbot: FakeZaloBot, zalo_bot: Core, secret: str | None
) -> None:
    event = zbot.event(LAN, "message.text.received", text="/capquyen zalo_bot:x")
    headers = {} if secret is None else {SECRET_HEADER: secret}
    async with ClientSession() as session, session.post(
        zbot.webhook_url, json={"ok": True, "result": event}, headers=headers
    ) as response:
        assert response.status == 403
    assert zbot.messages_to(LAN) == []
    assert await count(zalo_bot, User) == 0 and await count(zalo_bot, ProcessedUpdate) == 0


async def test_a_repeated_event_is_applied_once(zbot: FakeZaloBot, zalo_bot: Core) -> None:
    event = await zbot.user_sends(LAN, "/menu")
    assert await zbot.deliver_again(event) == 200
    assert await zbot.deliver_again(event) == 200
    assert len(zbot.messages_to(LAN)) == 1
    assert await count(zalo_bot, ProcessedUpdate) == 1


async def test_a_bare_event_is_read_too(zbot: FakeZaloBot, zalo_bot: Core) -> None:
    """The docs show events wrapped in {ok, result}; OpenClaw reports them bare."""
    event = zbot.event(LAN, "message.text.received", text="/menu")
    async with ClientSession() as session, session.post(
        zbot.webhook_url, json=event, headers={SECRET_HEADER: zbot.webhook_secret}
    ) as response:
        assert response.status == 200
    assert texts(zbot)[0].startswith("Anh/chị muốn làm gì?")


async def test_stickers_and_protected_users_get_a_polite_reply(zbot: FakeZaloBot,
                                                               zalo_bot: Core) -> None:
    await zbot.user_sends_sticker(LAN)
    await zbot.user_sends_unsupported("protected-user-1")
    assert "chỉ đọc được tin nhắn chữ" in texts(zbot)[0]
    assert "chỉ đọc được tin nhắn chữ" in texts(zbot, "protected-user-1")[0]


async def test_group_messages_are_ignored(zbot: FakeZaloBot, zalo_bot: Core) -> None:
    await zbot.push(zbot.event("group-1", "message.text.received", text="/menu",
                               chat_type="GROUP"))
    assert zbot.messages_to("group-1") == [] and await count(zalo_bot, User) == 0


async def test_a_long_answer_is_split_under_2000_characters(zbot: FakeZaloBot,
                                                            zalo_bot: Core) -> None:
    channel = _channel(zalo_bot)
    long_text = ("Cơ sở công nghiệp nông thôn được hỗ trợ. " * 120).strip()
    outcomes = await channel.deliver(LAN, [Reply(long_text)])
    assert [o.kind for o in outcomes] == ["sent"]
    sent = texts(zbot)
    assert len(sent) == 3 and all(len(t) <= 2000 for t in sent)
    assert all(t.endswith("được hỗ trợ.") for t in sent)


async def test_charts_go_as_a_photo_by_an_expiring_link_and_exports_as_a_link(
    zbot: FakeZaloBot, zalo_bot: Core
) -> None:
    from matplotlib.figure import Figure

    png = io.BytesIO()
    Figure(figsize=(2, 1)).savefig(png, format="png")
    channel = _channel(zalo_bot)
    outcomes = await channel.deliver(LAN, [
        Reply("Biểu đồ", document=Document("bieu-do.png", png.getvalue(), "image/png")),
        Reply("Tệp", document=Document("nhu_cau.xlsx", b"PK\x03\x04", "application/zip"))])
    assert [o.kind for o in outcomes] == ["sent", "sent"]
    (photo,) = zbot.calls("sendPhoto")
    assert zbot.photos[photo["photo"]] == png.getvalue()  # Zalo could fetch it
    link_message = texts(zbot)[-1]
    assert link_message.startswith("📎 nhu_cau.xlsx\nhttp://127.0.0.1:")
    link = link_message.split("\n")[1]
    assert len(link.split("/media/")[1].split("/")[0]) >= 40  # unguessable
    async with ClientSession() as session:
        async with session.get(link) as response:
            assert response.status == 200 and await response.read() == b"PK\x03\x04"
        guessed = link.replace(link.split("/media/")[1].split("/")[0], "x" * 43)
        async with session.get(guessed) as response:
            assert response.status == 404
        zalo_bot.media._clock = lambda: _later(hours=25)
        async with session.get(link) as response:
            assert response.status == 404  # expired


def _later(**delta: float):
    from datetime import UTC, datetime

    return datetime.now(UTC) + timedelta(**delta)


def _channel(core: Core) -> ZaloBotChannel:
    """The running channel (it holds the HTTP session)."""
    return core.channels[0]


async def test_quota_exceeded_goes_to_the_outbox_and_is_retried_later(
    zbot: FakeZaloBot, zalo_bot: Core
) -> None:
    zbot.fail_next("sendMessage", error_code=429)
    await zbot.user_sends(LAN, "/menu")
    assert zbot.messages_to(LAN) == []
    await _settle(zalo_bot)
    sender = OutboxSender(zalo_bot.session_factory, _channel(zalo_bot))
    assert await sender.deliver_once() == 1
    assert texts(zbot)[0].startswith("Anh/chị muốn làm gì?\n\n1. ")


async def test_forbidden_is_not_allowed_and_not_retried(zbot: FakeZaloBot,
                                                        zalo_bot: Core) -> None:
    await zbot.user_sends(LAN, "/menu")
    async with UnitOfWork(zalo_bot.session_factory) as uow:
        user = await uow.users.find("zalo_bot", LAN)
        await uow.outbox.add(user.id, "Cán bộ đã trả lời.", _later())
        await uow.commit()
    zbot.fail_next("sendMessage", error_code=403)
    sender = OutboxSender(zalo_bot.session_factory, _channel(zalo_bot))
    assert await sender.deliver_once() == 1
    async with UnitOfWork(zalo_bot.session_factory) as uow:
        (message,) = (await uow._session.execute(select(OutboxMessage))).scalars()
    assert message.status == DeliveryStatus.NOT_ALLOWED
    assert await sender.deliver_once() == 0


async def _settle(core: Core) -> None:
    for _ in range(1000):
        if await count(core, OutboxMessage):
            return
        await asyncio.sleep(0.02)


async def test_long_polling_reads_one_event_per_call_and_waits_out_408(
    zbot: FakeZaloBot, sqlite_url: str, locales_dir: Path
) -> None:
    core = build_core(make_settings(sqlite_url, locales_dir, **zalo_bot_settings(zbot)))
    channel = ZaloBotChannel.from_settings(core.settings, core)
    channel._poll_timeout = 0.2  # the real default is 30 s
    await channel.start()
    try:
        assert not channel.uses_webhook and zbot.calls("deleteWebhook")
        await zbot.wait_for_calls("getUpdates", 2)  # the first timed out with 408
        await zbot.user_sends(LAN, "/start")
        await zbot.user_sends(LAN, "2")
        replies = await zbot.wait_for_messages(LAN, 2)
        assert replies[0]["text"].startswith("Xin chào")
    finally:
        await channel.stop()
        await core.close()


def test_settings_refuse_a_secret_zalo_would_refuse() -> None:
    with pytest.raises(ValueError, match="ZALO_BOT_WEBHOOK_SECRET"):
        Settings.from_env({"ZALO_BOT_TOKEN": "1:x", "ZALO_BOT_WEBHOOK_SECRET": "short"})
    derived = Settings.from_env({"ZALO_BOT_TOKEN": "1:x"}).zalo_bot_secret
    assert derived and len(derived) == 43
    assert derived in Settings.from_env({"ZALO_BOT_TOKEN": "1:x"}).secrets


async def test_nothing_secret_or_personal_is_logged(zbot: FakeZaloBot, zalo_bot: Core,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    quiet_libraries()  # as production configures them (bot.logs)
    zbot.fail_next("sendMessage", error_code=500)
    await zbot.user_sends(LAN, "Cơ sở Mây tre Phú Nghĩa, 0912 345 678")
    event = zbot.event(LAN, "message.text.received", text="/menu")
    async with ClientSession() as session, session.post(
        zbot.webhook_url, json=event, headers={SECRET_HEADER: "wrong-secret"}
    ):
        pass
    assert "not sent" in caplog.text or "queued" in caplog.text
    for value in (zbot.token, zbot.token.split(":")[1], zbot.webhook_secret, LAN,
                  "Phú Nghĩa", "0912"):
        assert value not in caplog.text, value


@pytest.fixture(autouse=True)
def _library_levels():
    levels = {name: logging.getLogger(name).level for name in QUIET_LIBRARIES}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


async def test_a_revoked_token_fails_for_good(
    zbot: FakeZaloBot, zalo_bot: Core
) -> None:
    channel = _channel(zalo_bot)
    zbot.token = "3210987654321:ResetInZaloBotCreator"  # the operator reset the token
    (outcome,) = await channel.deliver(LAN, [Reply("Xin chào")])
    assert (outcome.kind, outcome.transient) == ("failed", False)
    assert outcome.error.startswith("401")


async def test_an_event_without_a_message_is_acknowledged_and_ignored(
    zbot: FakeZaloBot, zalo_bot: Core
) -> None:
    async with ClientSession() as session, session.post(
        zbot.webhook_url, json={"ok": True, "result": {"event_name": "bot.added"}},
        headers={SECRET_HEADER: zbot.webhook_secret}
    ) as response:
        assert response.status == 200
    assert await count(zalo_bot, User) == 0
