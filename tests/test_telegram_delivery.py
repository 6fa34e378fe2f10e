"""Telegram trust: the webhook's secret and body checks, replies that survive a failed send,
and the outbox's delivery states, against the fake Bot API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import ClientSession
from sqlalchemy import func, select

from bot.app import Core, build_core
from bot.broadcast_sender import SharedSlots
from bot.channels.telegram import SECRET_HEADER, TelegramChannel
from bot.outbox_sender import OutboxSender
from bot.settings import Settings, derive_webhook_secret
from storage.models import DeliveryStatus, OutboxMessage, ProcessedUpdate, User
from storage.uow import UnitOfWork
from tests.conftest import MovableClock, make_settings, webhook_bot
from tests.fakes.telegram_server import FakeTelegram

OWNER = 111
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
async def webhook(tg: FakeTelegram, sqlite_url: str, locales_dir) -> AsyncIterator[Core]:
    """The bot's own server in webhook mode, with no TELEGRAM_WEBHOOK_SECRET configured."""
    async with webhook_bot(tg, sqlite_url, locales_dir) as (core, _channel, _url):
        yield core


def update_from(user: int, text: str, update_id: int = 900) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": 1, "date": 1764230000, "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        "chat": {"id": user, "type": "private", "first_name": "X"},
        "from": {"id": user, "is_bot": False, "first_name": "X"}}}


async def count(core: Core, model) -> int:
    async with UnitOfWork(core.session_factory) as uow:
        return (await uow._session.execute(select(func.count()).select_from(model))).scalar()


# ------------------------------------------------------------------ webhook authentication


async def test_without_a_configured_secret_the_webhook_uses_one_derived_from_the_token(
    tg: FakeTelegram, webhook
) -> None:
    (call,) = tg.calls("setWebhook")
    assert call["secret_token"] == derive_webhook_secret(tg.token)
    assert len(call["secret_token"]) == 43
    await tg.user_sends(OWNER, "/menu")  # Telegram sends it along: accepted
    assert tg.last_webhook_status == 200
    assert (await tg.wait_for_messages(OWNER, 1))[0]["text"] == "Anh/chị muốn làm gì?"


@pytest.mark.parametrize("secret", [None, "wrong", "sécret-ĐÚNG", "a" * 300,
                                    derive_webhook_secret("123456:TEST-TOKEN") + "x"])
async def test_a_forged_update_is_refused_and_applies_nothing(
    tg: FakeTelegram, webhook, secret: str | None
) -> None:
    forged = update_from(999, "/capquyen telegram:999")
    headers = {} if secret is None else {SECRET_HEADER: secret}
    async with ClientSession() as session, session.post(
        tg.webhook_url, json=forged, headers=headers
    ) as response:
        assert response.status == 403
    assert tg.messages_to(999) == []
    assert await count(webhook, User) == 0 and await count(webhook, ProcessedUpdate) == 0


def _mistyped(path: str, value: object) -> bytes:
    update = update_from(OWNER, "/menu")
    *parents, field = path.split(".")
    place = update
    for key in parents:
        place = place[key]
    place[field] = value
    return json.dumps(update).encode()


@pytest.mark.parametrize("body", [
    b"[]", b"123", b"null", b'"x"', b"{}", b'{"update_id": "1"}', b'{"update_id": true}',
    b'{"update_id": 5, "message": 7}', b"{not json", b'{"update_id": 5, "x": "\xff\xfe"}',
    # Fields of the wrong type were applied, then failed with a 500, which Telegram
    # redelivers.
    _mistyped("message.text", 12345), _mistyped("message.chat.id", "abc"),
    _mistyped("message.from.id", [1]), _mistyped("message.from.first_name", {"x": 1}),
    _mistyped("message.caption", 7),
])
async def test_a_body_that_is_not_an_update_is_a_bad_request(
    tg: FakeTelegram, webhook, body: bytes
) -> None:
    headers = {SECRET_HEADER: derive_webhook_secret(tg.token),
               "Content-Type": "application/json"}
    async with ClientSession() as session, session.post(
        tg.webhook_url, data=body, headers=headers
    ) as response:
        assert response.status == 400
    assert await count(webhook, User) == 0 and await count(webhook, ProcessedUpdate) == 0


# ------------------------------------------------------------------ replies that survive


async def test_a_reply_lost_to_a_telegram_error_arrives_once_with_the_redelivery(
    tg: FakeTelegram, webhook
) -> None:
    tg.fail_next("sendMessage", error_code=500)
    update_id = await tg.user_sends(OWNER, "/menu")
    assert tg.last_webhook_status == 500
    assert tg.messages_to(OWNER) == [] and len(tg.pending_updates) == 1
    await tg.deliver_pending_updates()  # Telegram tries again
    assert tg.last_webhook_status == 200
    assert [m["text"] for m in tg.messages_to(OWNER)] == ["Anh/chị muốn làm gì?"]

    await webhook.deliveries.close()  # the batched "sent" mark reaches the database
    async with UnitOfWork(webhook.session_factory) as uow:
        row = await uow._session.get(ProcessedUpdate, ("telegram", str(update_id)))
        assert row.sent_at is not None and row.replies is None  # nothing personal kept
    await tg.push_update(update_from(OWNER, "/menu", update_id=update_id))
    assert tg.last_webhook_status == 200
    assert len(tg.messages_to(OWNER)) == 1  # a redelivery after success sends nothing


async def test_a_redelivery_right_after_success_sends_nothing(tg: FakeTelegram, webhook) -> None:
    update_id = await tg.user_sends(OWNER, "/menu")
    await tg.push_update(update_from(OWNER, "/menu", update_id=update_id))
    assert tg.last_webhook_status == 200
    assert len(tg.messages_to(OWNER)) == 1


async def test_in_polling_mode_an_unsent_reply_comes_later_through_the_outbox(
    tg: FakeTelegram, polling
) -> None:
    tg.fail_next("sendMessage", error_code=500)
    await tg.user_sends(OWNER, "/menu")
    await tg.wait_for_calls("sendMessage", 1)
    assert tg.messages_to(OWNER) == []
    sender = OutboxSender(polling.session_factory, polling.telegram)
    for _ in range(1000):  # the polled update's handling hands the reply over meanwhile
        if await sender.deliver_once():
            break
        await asyncio.sleep(0.02)
    (menu,) = tg.messages_to(OWNER)
    assert menu["text"].startswith("Anh/chị muốn làm gì?")
    assert "\n1. " in menu["text"]  # its buttons as a numbered list: typing 1, 2… picks one
    assert await sender.deliver_once() == 0


# ------------------------------------------------------------------ the outbox


@pytest.fixture
async def outbox(tg: FakeTelegram, database_url: str, locales_dir) -> AsyncIterator[dict]:
    """A channel that only sends (no polling), an outbox sender on a fake clock, and a user
    with one queued message, on each database backend."""
    core = build_core(make_settings(database_url, locales_dir, telegram_token=tg.token,
                                    telegram_api_base_url=tg.url))
    channel = TelegramChannel.from_settings(core.settings, core)
    await channel.application.initialize()
    clock = MovableClock(NOW)
    async with UnitOfWork(core.session_factory) as uow:
        user = await uow.users.get_for_update("telegram", str(OWNER), locale="vi",
                                              display_name=None, now=NOW)
        await uow.outbox.add(user.id, "Cán bộ Trung tâm đã trả lời câu hỏi của bạn.", NOW)
        await uow.commit()

    def sender() -> OutboxSender:
        return OutboxSender(core.session_factory, channel, clock=clock)

    yield {"core": core, "clock": clock, "sender": sender, "channel": channel}
    await channel.application.shutdown()
    await core.close()


async def message_row(core: Core) -> tuple[OutboxMessage, User]:
    async with UnitOfWork(core.session_factory) as uow:
        session = uow._session
        return (await session.execute(
            select(OutboxMessage, User).join(User, User.id == OutboxMessage.user_id))).one()


async def test_a_sender_dying_after_its_claim_delays_the_message_and_never_loses_it(
    tg: FakeTelegram, outbox
) -> None:
    dead = outbox["sender"]()
    assert len(await dead.claim()) == 1  # leased, then the process dies before sending
    survivor = outbox["sender"]()
    assert await survivor.deliver_once() == 0  # the lease still holds
    outbox["clock"].advance(seconds=61)
    assert await survivor.deliver_once() == 1
    assert await survivor.deliver_once() == 0
    assert [m["text"] for m in tg.messages_to(OWNER)] == [
        "Cán bộ Trung tâm đã trả lời câu hỏi của bạn."]
    message, _user = await message_row(outbox["core"])
    assert (message.status, message.attempts, message.lease_until) == ("sent", 2, None)
    assert message.delivered_at == outbox["clock"].now


async def test_a_user_who_blocked_the_bot_is_marked_and_not_tried_again(
    tg: FakeTelegram, outbox
) -> None:
    tg.block(OWNER)
    sender = outbox["sender"]()
    assert await sender.deliver_once() == 1
    message, user = await message_row(outbox["core"])
    assert message.status == DeliveryStatus.BLOCKED and user.blocked_at == NOW
    outbox["clock"].advance(days=1)
    async with UnitOfWork(outbox["core"].session_factory) as uow:
        await uow.outbox.add(user.id, "Một tin nữa", outbox["clock"].now)
        await uow.commit()
    assert await sender.deliver_once() == 0
    assert len(tg.calls("sendMessage")) == 1


async def test_the_outbox_skips_users_whose_my_chat_member_said_they_blocked_the_bot(
    tg: FakeTelegram, outbox
) -> None:
    channel: TelegramChannel = outbox["channel"]
    await tg.user_blocks_bot(OWNER)
    await channel.process(_update(channel, tg.pending_updates[-1]), redelivered_on_failure=True)
    assert await outbox["sender"]().deliver_once() == 0
    assert tg.calls("sendMessage") == []
    message, user = await message_row(outbox["core"])
    assert message.status == DeliveryStatus.BLOCKED and user.blocked_at is not None

    await tg.user_unblocks_bot(OWNER)
    await channel.process(_update(channel, tg.pending_updates[-1]), redelivered_on_failure=True)
    _message, user = await message_row(outbox["core"])
    assert user.blocked_at is None


async def test_writing_again_clears_the_blocked_mark(tg: FakeTelegram, outbox) -> None:
    core = outbox["core"]
    async with UnitOfWork(core.session_factory) as uow:
        await uow.users.set_blocked("telegram", str(OWNER), NOW)
        await uow.commit()
    await core.dispatcher.handle(replace(_incoming(), update_id="77"))
    _message, user = await message_row(core)
    assert user.blocked_at is None


async def test_flood_control_retry_after_is_honoured(tg: FakeTelegram, outbox) -> None:
    # Refused more often than PTB's rate limiter retries (3): the sender gets RetryAfter.
    tg.fail_next("sendMessage", error_code=429, retry_after=1, times=4)
    sender = outbox["sender"]()
    assert await sender.deliver_once() == 1
    message, _user = await message_row(outbox["core"])
    assert message.status == "pending" and message.attempts == 0
    assert message.next_attempt_at == NOW + timedelta(seconds=1)
    assert await sender.deliver_once() == 0  # not before its time
    outbox["clock"].advance(seconds=1)
    assert await sender.deliver_once() == 1
    assert len(tg.messages_to(OWNER)) == 1


async def test_a_server_error_is_retried_with_backoff_then_given_up(
    tg: FakeTelegram, outbox
) -> None:
    tg.fail_next("sendMessage", error_code=500, times=100)
    sender = OutboxSender(outbox["core"].session_factory, outbox["channel"],
                          clock=outbox["clock"], max_attempts=3)
    assert await sender.deliver_once() == 1
    assert await sender.deliver_once() == 0  # backing off
    outbox["clock"].advance(seconds=30)
    assert await sender.deliver_once() == 1
    outbox["clock"].advance(seconds=59)
    assert await sender.deliver_once() == 0
    outbox["clock"].advance(seconds=1)
    assert await sender.deliver_once() == 1
    message, _user = await message_row(outbox["core"])
    assert (message.status, message.attempts) == ("failed", 3)
    assert message.last_error and "OWNER" not in message.last_error
    outbox["clock"].advance(days=1)
    assert await sender.deliver_once() == 0


async def test_a_bad_request_fails_for_good_at_once(tg: FakeTelegram, outbox) -> None:
    tg.fail_next("sendMessage", error_code=400)
    assert await outbox["sender"]().deliver_once() == 1
    message, _user = await message_row(outbox["core"])
    assert (message.status, message.attempts) == ("failed", 1)


async def _pause() -> None:
    await asyncio.sleep(0.01)


def _update(channel: TelegramChannel, data: dict):
    from telegram import Update

    return Update.de_json(data, channel.application.bot)


def _incoming():
    from handlers.types import Incoming

    return Incoming(channel="telegram", user_id=str(OWNER), text="/menu")


@pytest.mark.parametrize("secret", ["with space", "ünicode", "x" * 257])
def test_a_configured_secret_telegram_would_refuse_is_refused_at_start(secret: str) -> None:
    with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_SECRET"):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_WEBHOOK_SECRET": secret})


async def test_an_over_long_update_id_is_marked_sent_on_the_row_the_ledger_keeps(
        db_core) -> None:
    """The ledger stores an id over 64 characters hashed; marking used the raw id and missed
    the row, so a redelivery would have sent the replies again."""
    from bot.channels.base import answer
    from bot.channels.console import ConsoleChat
    from handlers.types import Incoming

    long_id = "message.unsupported.received:" + "7" * 60
    chat = ConsoleChat(db_core.dispatcher, user_id="zalo-like")
    await answer(db_core, chat, Incoming(channel="console", user_id="zalo-like",
                                         text="/menu", update_id=long_id),
                 redelivered_on_failure=True)
    await db_core.deliveries.flush()
    async with UnitOfWork(db_core.session_factory) as uow:
        (row,) = (await uow._session.execute(select(ProcessedUpdate))).scalars()
    assert len(row.update_id) <= 64 and row.sent_at is not None


async def test_the_outbox_takes_its_slots_from_the_channel_s_shared_pace(
    tg: FakeTelegram, outbox
) -> None:
    """Staff answers sent during a broadcast keep within the channel's rate with it: each one
    takes the next slot of the row broadcast senders reserve from (here 1 every 100 s)."""
    core = outbox["core"]
    sender = OutboxSender(core.session_factory, outbox["channel"], clock=outbox["clock"],
                          slots=SharedSlots(core.session_factory, "telegram"), per_second=0.01)
    assert await sender.deliver_once() == 1
    assert len(tg.messages_to(OWNER)) == 1
    assert await SharedSlots(core.session_factory, "telegram").take(0.1) > 90


async def test_flood_control_met_by_the_outbox_holds_the_broadcasts_too(
    tg: FakeTelegram, outbox
) -> None:
    core = outbox["core"]
    sender = OutboxSender(core.session_factory, outbox["channel"], clock=outbox["clock"],
                          slots=SharedSlots(core.session_factory, "telegram"), per_second=30)
    # Refused more often than PTB's rate limiter retries (3): the sender gets RetryAfter.
    tg.fail_next("sendMessage", error_code=429, retry_after=2, times=4)
    assert await sender.deliver_once() == 1
    assert tg.messages_to(OWNER) == []
    message, _user = await message_row(core)
    assert message.status == DeliveryStatus.PENDING
    # The channel's row says so: a broadcast sender's next reservation starts after it.
    assert await SharedSlots(core.session_factory, "telegram").take(0.1) > 1
