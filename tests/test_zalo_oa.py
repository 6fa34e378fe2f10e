"""Zalo Official Account end to end: signed webhook events in, consultation messages out,
tokens refreshed once across workers, and the OA's reply window."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import Core, build_core
from bot.channels.zalo_oa import ZaloOAChannel
from bot.logs import QUIET_LIBRARIES, quiet_libraries
from bot.outbox_sender import OutboxSender
from handlers.types import Choice, Document, Reply
from storage.models import ChannelToken, DeliveryStatus, OutboxMessage, ProcessedUpdate, User
from storage.uow import UnitOfWork
from tests.conftest import make_settings, zalo_oa_settings
from tests.fakes.zalo_oa_server import FakeZaloOA, buttons

BINH = "2512523625412515"  # OA user ids are strings of digits


async def count(core: Core, model) -> int:
    async with UnitOfWork(core.session_factory) as uow:
        return (await uow._session.execute(select(func.count()).select_from(model))).scalar()


def texts(fake: FakeZaloOA, user: str = BINH) -> list[str]:
    return [m.get("text", "") for m in fake.messages_to(user)]


def channel_of(core: Core) -> ZaloOAChannel:
    return core.channels[0]


async def test_a_follower_is_greeted_and_taps_a_query_button(zoa: FakeZaloOA,
                                                             zalo_oa: Core) -> None:
    assert await zoa.user_follows(BINH) == 200
    (greeting,) = zoa.messages_to(BINH)
    assert greeting["text"].startswith("Xin chào")
    # Eight choices are more than the buttons a message may carry: a numbered list.
    assert "\n6. Hồ sơ doanh nghiệp của tôi" in greeting["text"] and not buttons(greeting)
    assert await zoa.user_sends(BINH, "6") == 200
    consent = zoa.messages_to(BINH)[-1]
    assert "Anh/chị có đồng ý không?" in consent["text"]
    assert buttons(consent) == ["Tôi đồng ý", "Tôi không đồng ý"]
    assert await zoa.user_taps(BINH, "Tôi đồng ý") == 200
    assert "1/5" in texts(zoa)[-1]


async def test_choices_that_do_not_fit_in_buttons_are_numbered(zoa: FakeZaloOA,
                                                              zalo_oa: Core) -> None:
    choices = tuple(Choice(f"Mục {i}", f"x:{i}") for i in range(1, 8))
    outcomes = await channel_of(zalo_oa).deliver(BINH, [Reply("Chọn:", choices=choices)])
    assert [o.kind for o in outcomes] == ["sent"]  # no user row: the deletion answer's case
    (message,) = zoa.messages_to(BINH)
    assert "attachment" not in message and "\n7. Mục 7" in message["text"]


@pytest.mark.parametrize("signature", ["", "mac=", "mac=" + "0" * 64, "sha256=abc"])
async def test_a_wrongly_signed_event_is_refused_logged_and_applies_nothing(
    zoa: FakeZaloOA, zalo_oa: Core, signature: str, caplog: pytest.LogCaptureFixture
) -> None:
    event = zoa.event("user_send_text", BINH, text="/menu")
    assert await zoa.post(event, signature=signature) == 403
    assert "signature mismatch" in caplog.text and zoa.secret_key not in caplog.text
    assert zoa.messages_to(BINH) == [] and await count(zalo_oa, User) == 0


async def test_a_body_changed_after_signing_is_refused(zoa: FakeZaloOA, zalo_oa: Core) -> None:
    event = zoa.event("user_send_text", BINH, text="/menu")
    body = json.dumps(event).encode()
    from tests.fakes.zalo_oa_server import mac

    signed = "mac=" + mac(zoa.app_id, body, event["timestamp"], zoa.secret_key)
    forged = body.replace(b"/menu", b"/help")
    assert await zoa.post(event, signature=signed, raw=forged) == 403
    assert await zoa.post(event, signature=signed, raw=body) == 200


async def test_a_body_nested_thousands_deep_is_refused_as_no_event(zoa: FakeZaloOA,
                                                                   zalo_oa: Core) -> None:
    """Read before its signature can be checked (the signature covers its timestamp): a 400,
    not a 500 with a traceback in the log (found by an outside probe)."""
    event = zoa.event("user_send_text", BINH, text="/menu")
    nested = b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    assert await zoa.post(event, signature="mac=" + "0" * 64, raw=nested) == 400
    assert await count(zalo_oa, User) == 0


async def test_a_stale_event_is_refused_as_a_replay(zoa: FakeZaloOA, zalo_oa: Core) -> None:
    zoa._clock = lambda: time.time() - 600  # signed ten minutes ago
    assert await zoa.user_sends(BINH, "/menu") == 403
    assert zoa.messages_to(BINH) == [] and await count(zalo_oa, ProcessedUpdate) == 0


async def test_a_replayed_event_is_applied_once(zoa: FakeZaloOA, zalo_oa: Core) -> None:
    event = zoa.event("user_send_text", BINH, text="/menu")
    assert await zoa.post(event) == 200
    assert await zoa.post(event) == 200
    assert len(zoa.messages_to(BINH)) == 1
    assert await count(zalo_oa, ProcessedUpdate) == 1


async def test_unfollow_stops_queued_messages_and_follow_again_resumes(
    zoa: FakeZaloOA, zalo_oa: Core
) -> None:
    await zoa.user_sends(BINH, "/menu")
    await zoa.user_unfollows(BINH)
    await _queue(zalo_oa, "Cán bộ Trung tâm đã trả lời câu hỏi của bạn.")
    sender = OutboxSender(zalo_oa.session_factory, channel_of(zalo_oa))
    assert await sender.deliver_once() == 0
    (message,) = await _outbox(zalo_oa)
    assert message.status == DeliveryStatus.BLOCKED
    await zoa.user_follows(BINH)
    async with UnitOfWork(zalo_oa.session_factory) as uow:
        assert (await uow.users.find("zalo_oa", BINH)).blocked_at is None


async def test_an_expired_access_token_is_refreshed_and_the_message_sent(
    zoa: FakeZaloOA, zalo_oa: Core
) -> None:
    await zoa.user_sends(BINH, "/menu")
    zoa.expire_access_token()
    await zoa.user_sends(BINH, "/help")
    assert len(zoa.messages_to(BINH)) == 2
    assert zoa.spent_refresh_tokens == ["oa-refresh-0"]
    async with UnitOfWork(zalo_oa.session_factory) as uow:
        tokens = await uow.channel_tokens.get("zalo_oa")
    assert (tokens.access_token, tokens.refresh_token) == ("oa-access-1", "oa-refresh-1")
    assert tokens.expires_at is not None


async def test_the_refresh_is_tried_once_then_the_message_fails(zoa: FakeZaloOA,
                                                                zalo_oa: Core) -> None:
    await zoa.user_sends(BINH, "/menu")
    zoa.fail_next("message/cs", error=-216, times=2)
    outcomes = await channel_of(zalo_oa).deliver(BINH, [Reply("Xin chào")])
    assert outcomes[0].kind == "failed" and "-216" in outcomes[0].error
    assert len(zoa.calls("message/cs")) == 3  # /menu's answer, then two tries
    assert len(zoa.spent_refresh_tokens) == 1


async def test_two_workers_refreshing_at_once_spend_the_refresh_token_once(
    zoa: FakeZaloOA, database_url: str, locales_dir: Path
) -> None:
    settings = make_settings(database_url, locales_dir, **zalo_oa_settings(zoa))
    workers = [build_core(settings) for _ in range(2)]
    channels = [ZaloOAChannel.from_settings(settings, core) for core in workers]
    for channel in channels:
        await channel.start()
    try:
        for channel in channels:  # each has read the configured tokens
            await channel.tokens.current(channel._session)
        zoa.expire_access_token()
        fresh = await asyncio.gather(*(c.tokens.refresh(c._session, "oa-access-0")
                                       for c in channels))
        assert fresh == ["oa-access-1", "oa-access-1"]
        assert zoa.spent_refresh_tokens == ["oa-refresh-0"]
        assert zoa.refused_refresh_tokens == []
        assert sum(c.tokens.refreshes for c in channels) == 1
        async with UnitOfWork(workers[0].session_factory) as uow:
            assert (await uow.channel_tokens.get("zalo_oa")).refresh_token == "oa-refresh-1"
            assert await uow._session.scalar(select(func.count()).select_from(
                ChannelToken)) == 1
    finally:
        for channel, core in zip(channels, workers, strict=True):
            await channel.stop()
            await core.close()


async def test_a_restarted_worker_uses_the_stored_tokens_not_the_spent_ones(
    zoa: FakeZaloOA, sqlite_url: str, locales_dir: Path
) -> None:
    settings = make_settings(sqlite_url, locales_dir, **zalo_oa_settings(zoa))
    for _ in range(2):
        core = build_core(settings)
        channel = ZaloOAChannel.from_settings(settings, core)
        await channel.start()
        try:
            token = await channel.tokens.current(channel._session)
            if token == "oa-access-0":
                zoa.expire_access_token()
                await channel.tokens.refresh(channel._session, token)
            else:
                assert token == "oa-access-1"  # not the configured, spent ones
        finally:
            await channel.stop()
            await core.close()
    assert zoa.spent_refresh_tokens == ["oa-refresh-0"]


async def test_the_reply_window_allows_eight_messages_then_not_allowed(
    zoa: FakeZaloOA, zalo_oa: Core
) -> None:
    await zoa.user_sends(BINH, "/menu")  # one reply: 7 left in the window
    for i in range(8):
        await _queue(zalo_oa, f"Thông báo số {i + 1}")
    sender = OutboxSender(zalo_oa.session_factory, channel_of(zalo_oa))
    assert await sender.deliver_once() == 8
    statuses = [m.status for m in await _outbox(zalo_oa)]
    assert statuses == ["sent"] * 7 + ["not_allowed"]
    assert len(zoa.messages_to(BINH)) == 8
    # Writing again opens a new window: the refused message comes with the reply (a staff
    # answer refused so was never seen), and the sender does not try it again.
    await zoa.user_sends(BINH, "/help")
    assert [m.get("text") for m in zoa.messages_to(BINH)][8] == "Thông báo số 8"
    assert await sender.deliver_once() == 0


async def test_after_48_hours_nothing_is_sent(zoa: FakeZaloOA, zalo_oa: Core) -> None:
    await zoa.user_sends(BINH, "/menu")
    await _queue(zalo_oa, "Nhắc lịch hội chợ")
    channel = channel_of(zalo_oa)
    channel._clock = lambda: datetime.now(UTC) + timedelta(hours=49)
    sender = OutboxSender(zalo_oa.session_factory, channel, clock=channel._clock)
    assert await sender.deliver_once() == 1
    (message,) = await _outbox(zalo_oa)
    assert message.status == DeliveryStatus.NOT_ALLOWED and len(zoa.messages_to(BINH)) == 1


async def test_error_230_is_not_allowed_and_gives_the_window_back(zoa: FakeZaloOA,
                                                                  zalo_oa: Core) -> None:
    await zoa.user_sends(BINH, "/menu")
    await _queue(zalo_oa, "Thông báo")
    zoa.fail_next("message/cs", error=-230,
                  message="User has not interacted with the OA in the past 7 days")
    sender = OutboxSender(zalo_oa.session_factory, channel_of(zalo_oa))
    assert await sender.deliver_once() == 1
    (message,) = await _outbox(zalo_oa)
    assert message.status == DeliveryStatus.NOT_ALLOWED and "-230" in message.last_error
    async with UnitOfWork(zalo_oa.session_factory) as uow:
        user = await uow.users.find("zalo_oa", BINH)
        from storage.models import ReplyWindow

        assert (await uow._session.get(ReplyWindow, user.id)).replies == 1  # /menu's only


async def test_a_chart_is_uploaded_and_sent_as_an_image(zoa: FakeZaloOA,
                                                        zalo_oa: Core) -> None:
    from matplotlib.figure import Figure

    await zoa.user_sends(BINH, "/menu")
    png = io.BytesIO()
    Figure(figsize=(2, 1)).savefig(png, format="png")
    outcomes = await channel_of(zalo_oa).deliver(BINH, [
        Reply("Biểu đồ", document=Document("bieu-do.png", png.getvalue(), "image/png"))])
    assert [o.kind for o in outcomes] == ["sent"]
    image = zoa.messages_to(BINH)[-1]["attachment"]["payload"]
    assert image["template_type"] == "media"
    assert zoa.uploads[image["elements"][0]["attachment_id"]] == png.getvalue()


async def test_stickers_get_a_polite_reply_and_receipts_are_ignored(zoa: FakeZaloOA,
                                                                    zalo_oa: Core) -> None:
    await zoa.user_sends_sticker(BINH)
    assert "chỉ đọc được tin nhắn chữ" in texts(zoa)[0]
    assert await zoa.post(zoa.event("user_seen_message", BINH)) == 200
    assert len(zoa.messages_to(BINH)) == 1


async def _queue(core: Core, text: str) -> None:
    async with UnitOfWork(core.session_factory) as uow:
        user = await uow.users.find("zalo_oa", BINH)
        await uow.outbox.add(user.id, text, datetime.now(UTC))
        await uow.commit()


async def _outbox(core: Core) -> list[OutboxMessage]:
    async with UnitOfWork(core.session_factory) as uow:
        return list((await uow._session.execute(
            select(OutboxMessage).order_by(OutboxMessage.id))).scalars())


async def test_nothing_secret_or_personal_is_logged(zoa: FakeZaloOA, zalo_oa: Core,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    quiet_libraries()  # as production configures them (bot.logs)
    await zoa.user_follows(BINH)
    await zoa.user_sends(BINH, "/hoso")
    zoa.expire_access_token()
    await zoa.user_taps(BINH, "Tôi đồng ý")
    await zoa.user_sends(BINH, "Công ty TNHH Cơ khí đúc Thành Phương")
    await zoa.post(zoa.event("user_send_text", BINH, text="x"), signature="mac=00")
    assert zoa.spent_refresh_tokens  # a refresh happened and was logged
    for value in (zoa.secret_key, "oa-access-0", "oa-access-1", "oa-refresh-0",
                  "oa-refresh-1", BINH, "Thành Phương"):
        assert value not in caplog.text, value


@pytest.fixture(autouse=True)
def _library_levels():
    levels = {name: logging.getLogger(name).level for name in QUIET_LIBRARIES}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


async def test_a_separate_webhook_key_signs_the_webhook_and_the_app_secret_refreshes_tokens(
        sqlite_url: str, locales_dir) -> None:
    from bot.app import build_core
    from bot.channels.zalo_oa import ZaloOAChannel, signature
    from tests.conftest import make_settings

    settings = make_settings(sqlite_url, locales_dir, zalo_oa_app_id="123",
                             zalo_oa_secret_key="app-secret",
                             zalo_oa_webhook_secret_key="oa-webhook-key")
    core = build_core(settings)
    channel = ZaloOAChannel.from_settings(settings, core)
    body = b'{"event_name": "user_send_text", "timestamp": "1"}'
    assert channel._secret_key == "oa-webhook-key"
    assert channel.tokens._secret_key == "app-secret"
    assert signature("123", body, "1", "oa-webhook-key") != signature("123", body, "1",
                                                                      "app-secret")
    assert "oa-webhook-key" in settings.secrets  # kept out of every log
    await core.close()
