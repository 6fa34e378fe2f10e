"""Staff broadcasts: the /thongbao form on Telegram end to end (real PTB Application, fake Bot
API), Zalo Bot and Zalo OA recipients, subscriptions, audiences, two senders sharing the rows,
a sender killed mid-way, cancelling and scheduling."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.app import Core, build_broadcasting, build_core
from bot.broadcast_sender import BroadcastSender, ChannelPace, SharedSlots
from bot.channels.base import Channel
from bot.channels.console import ConsoleChat
from bot.channels.telegram import TelegramChannel
from bot.outbox_sender import OutboxSender
from handlers.broadcasts.compose import former_province
from handlers.broadcasts.jobs import LIST_JOB, list_job_key
from handlers.communes import CommuneDirectory
from storage.broadcasts import Audience
from storage.models import (
    AuditEntry,
    BroadcastPace,
    BroadcastRecipient,
    BroadcastStatus,
    EnterpriseProfile,
    Establishment,
    RecipientStatus,
    ReplyWindow,
    User,
)
from storage.uow import UnitOfWork
from tests.conftest import MovableClock, make_settings
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.zalo_bot_server import FakeZaloBot
from tests.fakes.zalo_oa_server import FakeZaloOA
from tests.test_telegram import buttons

STAFF = 900
FOOTER = "/huydangky"


async def add_users(core: Core, channel: str, ids: list[str]) -> None:
    now = datetime.now(UTC)
    async with UnitOfWork(core.session_factory) as uow:
        for user_id in ids:
            await uow.users.get_for_update(channel, user_id, locale="vi", display_name=None,
                                           now=now)
        await uow.commit()


async def create(core: Core, text: str, audience: Audience | None = None, *,
                 at: datetime | None = None, staff: tuple[str, str] | None = None) -> int:
    now = core.clock()
    async with UnitOfWork(core.session_factory) as uow:
        staff_user = await uow.users.find(*staff) if staff else None
        broadcast = await uow.broadcasts.add(
            text=text, audience=audience or Audience(), created_by="test:staff",
            staff_user_id=staff_user.id if staff_user else None, now=now,
            scheduled_at=at or now)
        await uow.jobs.schedule(LIST_JOB, at or now, now, payload={"broadcast": broadcast.id},
                                key=list_job_key(broadcast.id, 0))
        await uow.commit()
        return broadcast.id


async def run_to_end(core: Core, channels: list[Channel], broadcast_id: int, *,
                     timeout: float = 20) -> None:
    """List, send and finish a broadcast with the worker's real senders and monitor."""
    senders, monitor = build_broadcasting(core, channels, monitor_interval=0.05)
    for sender in senders:
        sender._idle = 0.05
        sender.start()
    try:
        async with asyncio.timeout(timeout):
            while True:
                await core.scheduler.run_due()
                await monitor.check()
                async with UnitOfWork(core.session_factory) as uow:
                    broadcast = await uow.broadcasts.get(broadcast_id)
                if broadcast.status != BroadcastStatus.SENDING:
                    break
                await asyncio.sleep(0.05)
    finally:
        for sender in senders:
            await sender.stop()


async def rows(core: Core, broadcast_id: int) -> dict[str, str]:
    """Each recipient's status, by channel user id."""
    async with UnitOfWork(core.session_factory) as uow:
        result = await uow._session.execute(
            select(User.channel_user_id, BroadcastRecipient.status)
            .join(User, User.id == BroadcastRecipient.user_id)
            .where(BroadcastRecipient.broadcast_id == broadcast_id))
        return dict(result.all())


# --- Telegram, end to end ------------------------------------------------------------------

async def _press(tg: FakeTelegram, chat: int, data: str, new: int = 1) -> list[dict]:
    count = len(tg.messages_to(chat))
    await tg.user_presses(chat, data)
    return (await tg.wait_for_messages(chat, count + new))[count:]


async def _say(tg: FakeTelegram, chat: int, text: str, new: int = 1) -> list[dict]:
    count = len(tg.messages_to(chat))
    await tg.user_sends(chat, text)
    return (await tg.wait_for_messages(chat, count + new))[count:]


async def test_staff_broadcast_on_telegram_reaches_subscribers_once_with_progress_and_report(
        tg: FakeTelegram, polling: Core) -> None:
    for chat in (STAFF, 11, 12, 13, 14):
        await _say(tg, chat, "/start")
    await _say(tg, 13, "/huydangky")
    tg.block(14)  # blocked the bot; we do not know it yet
    async with UnitOfWork(polling.session_factory) as uow:
        await uow._session.execute(update(User).where(User.channel_user_id == str(STAFF))
                                   .values(role="staff"))
        await uow.commit()

    intro, _question = await _say(tg, STAFF, "/thongbao", 2)
    assert "Hủy" not in intro["text"]
    # Its paragraphs stay (they came out as one run-on line until 7 Dec 2026).
    (attach,) = await _say(tg, STAFF, "Hội chợ OCOP Hải Phòng\r\n\r\nMở đăng ký đến 20/12.")
    assert "bf:skip" in dict((d, label) for label, d in buttons(attach))
    await _press(tg, STAFF, "bf:skip")  # no photo or document
    (area,) = await _press(tg, STAFF, "bf:o:0")  # anywhere
    assert "bf:skip" in dict((d, label) for label, d in buttons(area))
    (review,) = await _press(tg, STAFF, "bf:skip")  # every sector
    assert "Hội chợ OCOP" in review["text"]
    _notice, preview, counts = await _press(tg, STAFF, "bf:submit", 3)
    assert preview["text"].endswith("Hội chợ OCOP Hải Phòng\n\nMở đăng ký đến 20/12.")
    assert "Telegram: 4" in counts["text"]  # staff included; the unsubscribed one not
    (created,) = await _press(tg, STAFF, "bc:now")
    assert any(d.startswith("bk:") for _label, d in buttons(created))
    broadcast_id = int(next(d for _l, d in buttons(created) if d.startswith("bk:"))[3:])

    await run_to_end(polling, [polling.telegram], broadcast_id)
    for chat in (11, 12):
        (message,) = [m for m in tg.messages_to(chat) if "OCOP" in m["text"]]
        assert FOOTER in message["text"]
        assert "Hội chợ OCOP Hải Phòng\n\nMở đăng ký đến 20/12." in message["text"]
    assert not [m for m in tg.messages_to(13) if "OCOP" in m["text"]]
    assert await rows(polling, broadcast_id) == {
        str(STAFF): "sent", "11": "sent", "12": "sent", "14": "blocked"}
    async with UnitOfWork(polling.session_factory) as uow:
        assert (await uow.users.find("telegram", "14")).blocked_at is not None
        actions = [e.action for e in (await uow._session.execute(
            select(AuditEntry).order_by(AuditEntry.id))).scalars()]
    assert actions[-3:] == ["broadcast.create", "broadcast.start", "broadcast.finish"]
    # The progress message, edited in place, then the final report through the outbox.
    (progress,) = [m for m in tg.messages_to(STAFF) if "Đã gửi:" in m["text"]]
    assert progress["text"].startswith(f"Thông báo #{broadcast_id}: đã gửi xong")
    assert "Còn lại: 0" in progress["text"]
    sender = OutboxSender(polling.session_factory, polling.telegram)
    assert await sender.deliver_once() == 1
    report = tg.messages_to(STAFF)[-1]["text"]
    assert "Đã gửi: 3" in report and "Đã chặn bot: 1" in report and "Còn lại: 0" in report

    # A second broadcast: no footer any more; the one who blocked is skipped from then on.
    second = await create(polling, "Khảo sát nhu cầu 2027 đã mở.")
    await run_to_end(polling, [polling.telegram], second)
    (message,) = [m for m in tg.messages_to(11) if "Khảo sát" in m["text"]]
    assert FOOTER not in message["text"]
    assert "14" not in await rows(polling, second)


async def test_flood_control_slows_the_channel_and_nobody_is_lost(
        tg: FakeTelegram, polling: Core) -> None:
    chats = [str(100 + i) for i in range(40)]
    await add_users(polling, "telegram", chats)
    tg.enforce_rate(30, burst=3)  # the default pace: 30 a second
    tg.flood(0.5)
    broadcast_id = await create(polling, "Tin nhanh")
    await run_to_end(polling, [polling.telegram], broadcast_id)
    assert tg.flood_replies > 0
    assert set((await rows(polling, broadcast_id)).values()) == {"sent"}
    assert all(len(tg.messages_to(int(chat))) == 1 for chat in chats)


# --- Zalo ----------------------------------------------------------------------------------

async def test_zalo_bot_subscribers_get_the_broadcast(zbot: FakeZaloBot,
                                                      zalo_bot: Core) -> None:
    for user in ("zb-1", "zb-2", "zb-3"):
        await zbot.user_sends(user, "/start")
    await zbot.user_sends("zb-3", "/huydangky")
    zbot.fail_next("sendMessage", error_code=500)  # a server error: retried with backoff
    broadcast_id = await create(zalo_bot, "Chương trình khuyến công 2027")
    senders, _monitor = build_broadcasting(zalo_bot, zalo_bot.channels)
    (sender,) = senders
    await zalo_bot.scheduler.run_due()
    assert await sender.claim_once() == 2
    await asyncio.gather(*(sender.send_one() for _ in range(2)))
    statuses = await rows(zalo_bot, broadcast_id)
    assert sorted(statuses.values()) == ["queued", "sent"]  # one waits for its retry
    async with UnitOfWork(zalo_bot.session_factory) as uow:
        await uow._session.execute(update(BroadcastRecipient)
                                   .values(next_attempt_at=datetime.now(UTC)))
        await uow.commit()
    await run_to_end(zalo_bot, zalo_bot.channels, broadcast_id)
    assert await rows(zalo_bot, broadcast_id) == {"zb-1": "sent", "zb-2": "sent"}
    for user in ("zb-1", "zb-2"):
        (message,) = [m for m in zbot.messages_to(user) if "khuyến công 2027" in m["text"]]
        assert FOOTER in message["text"]


async def test_zalo_oa_users_outside_the_window_are_not_allowed_never_failed(
        zoa: FakeZaloOA, zalo_oa: Core) -> None:
    for user in ("oa-1", "oa-2"):
        await zoa.user_sends(user, "/start")
    async with UnitOfWork(zalo_oa.session_factory) as uow:
        quiet = await uow.users.find("zalo_oa", "oa-2")
        await uow._session.execute(update(ReplyWindow).where(ReplyWindow.user_id == quiet.id)
                                   .values(opened_at=datetime.now(UTC) - timedelta(days=3)))
        await uow.commit()
    before = len(zoa.messages_to("oa-2"))
    broadcast_id = await create(zalo_oa, "Hội chợ tháng 12")
    await run_to_end(zalo_oa, zalo_oa.channels, broadcast_id)
    assert await rows(zalo_oa, broadcast_id) == {"oa-1": "sent", "oa-2": "not_allowed"}
    assert len(zoa.messages_to("oa-2")) == before
    async with UnitOfWork(zalo_oa.session_factory) as uow:
        counts = await uow.broadcasts.counts(broadcast_id)
    assert counts == {"sent": 1, "not_allowed": 1}


# --- durability ----------------------------------------------------------------------------

async def test_two_senders_never_send_the_same_row(tg: FakeTelegram, database_url: str,
                                                   locales_dir: Path) -> None:
    core = build_core(make_settings(database_url, locales_dir, telegram_token=tg.token,
                                    telegram_api_base_url=tg.url))
    channel = TelegramChannel.from_settings(core.settings, core)
    await channel.application.initialize()
    try:
        chats = [str(1000 + i) for i in range(60)]
        await add_users(core, "telegram", chats)
        broadcast_id = await create(core, "Hai người gửi")
        await core.scheduler.run_due()
        senders = [BroadcastSender(core.session_factory, channel, core.translators,
                                   ChannelPace(500, 100), idle=0.02,
                                   batch=5)
                   for i in range(2)]
        for sender in senders:
            sender.start()
        async with asyncio.timeout(20):
            while sum(s.sent for s in senders) < len(chats):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        for sender in senders:
            await sender.stop()
        assert all(s.sent > 0 for s in senders)
        assert all(len(tg.messages_to(int(chat))) == 1 for chat in chats)
        assert set((await rows(core, broadcast_id)).values()) == {"sent"}
    finally:
        await channel.application.shutdown()
        await core.close()


async def test_a_sender_killed_mid_broadcast_is_resumed_after_its_lease(
        tg: FakeTelegram, sqlite_url: str, locales_dir: Path) -> None:
    clock = MovableClock(datetime.now(UTC))
    core = build_core(make_settings(sqlite_url, locales_dir, telegram_token=tg.token,
                                    telegram_api_base_url=tg.url), clock=clock)
    channel = TelegramChannel.from_settings(core.settings, core)
    await channel.application.initialize()
    try:
        chats = [str(2000 + i) for i in range(25)]
        await add_users(core, "telegram", chats)
        broadcast_id = await create(core, "Sau sự cố")
        await core.scheduler.run_due()
        lease = timedelta(seconds=60)
        dead = BroadcastSender(core.session_factory, channel, core.translators,
                               ChannelPace(100, 100), clock=clock, lease=lease)
        assert await dead.claim_once() == 25  # claimed, then killed: nothing sent, nothing freed
        other = BroadcastSender(core.session_factory, channel, core.translators,
                                ChannelPace(100, 100), clock=clock, lease=lease)
        assert await other.claim_once() == 0  # still leased
        clock.advance(seconds=61)
        assert await other.claim_once() == 25
        await asyncio.gather(*(other.send_one() for _ in range(25)))
        assert set((await rows(core, broadcast_id)).values()) == {"sent"}
        assert all(len(tg.messages_to(int(chat))) == 1 for chat in chats)
    finally:
        await channel.application.shutdown()
        await core.close()


# --- subscriptions, audiences, cancel, schedule ---------------------------------------------

async def test_unsubscribing_and_subscribing_work_in_the_middle_of_a_form(core: Core) -> None:
    chat = ConsoleChat(core.dispatcher, user_id="owner-9")
    await chat.say("/dieukien")
    (reply,) = await chat.say("/huydangky")
    assert "/dangky" in reply.text
    async with UnitOfWork(core.session_factory) as uow:
        user = await uow.users.find("console", "owner-9")
        assert user.unsubscribed_at is not None
        state = await uow.conversations.get(user.id)
        assert state is not None and state.flow  # the form is still open
    await chat.say("/dangky")
    async with UnitOfWork(core.session_factory) as uow:
        assert (await uow.users.find("console", "owner-9")).unsubscribed_at is None


async def add_establishments(core: Core, people: list[tuple[str, str, str | None, str | None]]
                             ) -> None:
    """Users (channel, id) whose profile names an establishment in a commune and a sector (no
    commune: a user without one)."""
    now = datetime.now(UTC)
    async with UnitOfWork(core.session_factory) as uow:
        for number, (channel, user_id, commune, sector) in enumerate(people):
            user = await uow.users.get_for_update(channel, user_id, locale="vi",
                                                  display_name=None, now=now)
            if commune:
                establishment = Establishment(tax_code=f"02012345{number:02d}", commune=commune,
                                              sector=sector, created_at=now, updated_at=now)
                uow._session.add(establishment)
                await uow._session.flush()
                uow._session.add(EnterpriseProfile(user_id=user.id,
                                                   establishment_id=establishment.id,
                                                   updated_at=now))
        await uow.commit()


async def test_audiences_combine_place_sector_and_channel(db_core: Core) -> None:
    await add_establishments(db_core, [
        ("telegram", "1", "10525", "food"),  # Hải Dương ward, former Hải Dương province
        ("telegram", "2", "11311", "food"),  # Hồng Bàng, former Hai Phong
        ("zalo_bot", "3", "11311", "handicraft"),
        ("telegram", "4", None, None)])
    channels = ("telegram", "zalo_bot")
    haiphong = tuple(c.code for c in CommuneDirectory.load()
                     if former_province(c.code) == "haiphong")
    async with UnitOfWork(db_core.session_factory) as uow:
        count = uow.broadcasts.count_audience
        assert await count(Audience(), channels) == {"telegram": 3, "zalo_bot": 1}
        assert await count(Audience(communes=haiphong), channels) == {"telegram": 1,
                                                                        "zalo_bot": 1}
        assert await count(Audience(communes=("10525",)), channels) == {"telegram": 1}
        assert await count(Audience(communes=haiphong, sectors=("food",)),
                           channels) == {"telegram": 1}
        assert await count(Audience(channels=("zalo_bot",)), channels) == {"zalo_bot": 1}
        assert await count(Audience(survey_code="KS", survey_submitted=False),
                           channels) == {"telegram": 3, "zalo_bot": 1}
        assert await count(Audience(survey_code="KS", survey_submitted=True), channels) == {}


async def test_a_scheduled_broadcast_waits_and_a_cancelled_one_sends_nothing(
        tg: FakeTelegram, sqlite_url: str, locales_dir: Path) -> None:
    clock = MovableClock(datetime(2026, 12, 6, 1, 0, tzinfo=UTC))
    core = build_core(make_settings(sqlite_url, locales_dir, telegram_token=tg.token,
                                    telegram_api_base_url=tg.url, admin_ids=frozenset(
                                        {"console:boss"})), clock=clock)
    try:
        await add_users(core, "telegram", ["31", "32"])
        staff = ConsoleChat(core.dispatcher, user_id="boss")
        await staff.say("/thongbao")
        await staff.say("Lịch tập huấn")
        await staff.say("", payload="bf:skip")  # no attachment
        await staff.say("", payload="bf:o:0")
        await staff.say("", payload="bf:skip")
        await staff.say("", payload="bf:submit")
        await staff.say("", payload="bc:later")
        (refused,) = await staff.say("06/12/2026 07:00")  # 00:00 UTC: passed
        assert refused.choices
        (scheduled,) = await staff.say("06/12/2026 09:30")
        assert "09:30 6/12/2026" in scheduled.text
        await core.scheduler.run_due()
        async with UnitOfWork(core.session_factory) as uow:
            (broadcast,) = await uow.broadcasts.unfinished()
            assert broadcast.status == BroadcastStatus.SCHEDULED
            assert broadcast.scheduled_at == datetime(2026, 12, 6, 2, 30, tzinfo=UTC)
        (confirm,) = await staff.say("", payload=f"bk:{broadcast.id}")
        assert confirm.choices[0].payload == f"by:{broadcast.id}"
        # Nothing was counted yet: not "sent to 0; 0 left" (a staff walkthrough's finding), and
        # the button says what it cancels, not a registration.
        assert "chưa gửi tới ai" in confirm.text and "0 người còn lại" not in confirm.text
        assert confirm.choices[0].label == "Có, hủy thông báo"
        await staff.say("", payload=f"by:{broadcast.id}")
        clock.advance(hours=2)
        await core.scheduler.run_due()
        async with UnitOfWork(core.session_factory) as uow:
            broadcast = await uow.broadcasts.get(broadcast.id)
            assert broadcast.status == BroadcastStatus.CANCELLED
            assert await uow.broadcasts.counts(broadcast.id) == {}
            assert broadcast.cancelled_by == "console:boss"
    finally:
        await core.close()


async def test_recipient_statuses_are_the_documented_ones() -> None:
    assert {s.value for s in RecipientStatus} >= {"queued", "sending", "sent", "blocked",
                                                   "not_allowed", "failed"}


async def test_the_progress_message_is_edited_in_place(tg: FakeTelegram,
                                                       polling: Core) -> None:
    await _say(tg, STAFF, "/start")
    await add_users(polling, "telegram", ["51", "52"])
    broadcast_id = await create(polling, "Tiến độ", staff=("telegram", str(STAFF)))
    assert broadcast_id == 1
    await polling.scheduler.run_due()
    _senders, monitor = build_broadcasting(polling, [polling.telegram], monitor_interval=0.05)
    await monitor.check()
    (progress,) = [m for m in tg.messages_to(STAFF) if "Đã gửi:" in m["text"]]
    assert "Đã gửi: 0" in progress["text"] and "Còn lại: 3" in progress["text"]
    async with UnitOfWork(polling.session_factory) as uow:
        await uow._session.execute(update(BroadcastRecipient).values(
            status=RecipientStatus.SENT, sent_at=datetime.now(UTC)))
        await uow.commit()
    await asyncio.sleep(0.15)  # the monitor's turn has passed
    await monitor.check()
    (edited,) = [m for m in tg.messages_to(STAFF) if "Đã gửi:" in m["text"]]
    assert edited["message_id"] == progress["message_id"]
    assert "Đã gửi: 3" in edited["text"] and "đã gửi xong" in edited["text"]
    assert tg.calls("editMessageText")


async def test_the_command_line_lists_and_shows_broadcasts(
        tg: FakeTelegram, polling: Core, locales_dir: Path) -> None:
    from tests.test_cli import khuyencong

    await add_users(polling, "telegram", ["61", "62"])
    tg.block(62)
    broadcast_id = await create(polling, "Thông báo kiểm tra dòng lệnh")
    await run_to_end(polling, [polling.telegram], broadcast_id)
    env = {"DATABASE_URL": polling.settings.database_url, "LOCALES_DIR": str(locales_dir)}
    listed = await asyncio.to_thread(khuyencong, "broadcasts", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.splitlines()
    assert header.split()[:3] == ["id", "status", "by"]
    assert row.split()[:2] == [str(broadcast_id), "done"]
    assert row.split()[-5:] == ["1", "1", "0", "0", "0"]
    shown = await asyncio.to_thread(khuyencong, "broadcasts", "show", str(broadcast_id),
                                    env=env)
    assert shown.returncode == 0, shown.stderr
    assert "Đã gửi: 1" in shown.stdout and "Đã chặn bot: 1" in shown.stdout
    assert "Telegram: blocked 1, sent 1" in shown.stdout
    assert "Thông báo kiểm tra dòng lệnh" in shown.stdout


async def test_flood_control_told_to_one_worker_holds_back_the_other(
        tg: FakeTelegram, database_url: str, locales_dir: Path) -> None:
    core = build_core(make_settings(database_url, locales_dir, telegram_token=tg.token,
                                    telegram_api_base_url=tg.url))
    channel = TelegramChannel.from_settings(core.settings, core)
    await channel.application.initialize()
    try:
        await add_users(core, "telegram", ["71", "72", "73"])
        await create(core, "Chậm lại")
        await core.scheduler.run_due()
        first, second = (BroadcastSender(core.session_factory, channel, core.translators,
                                         ChannelPace(30, 1), batch=1)
                         for name in ("first", "second"))
        assert await first.claim_once() == 1
        assert await second.claim_once() == 1
        tg.fail_next("sendMessage", retry_after=30)
        await first.send_one()
        # The channel's row says so at once: the second's next reservation starts after it.
        assert await SharedSlots(core.session_factory, "telegram").take(0.1) > 25
        before = len(tg.calls("sendMessage"))
        try:
            await asyncio.wait_for(second.send_one(), timeout=1)
        except TimeoutError:
            pass
        assert len(tg.calls("sendMessage")) == before  # held back, not sent into the flood
        await first.stop()
        await second.stop()
    finally:
        await channel.application.shutdown()
        await core.close()


async def test_two_senders_on_one_channel_keep_its_rate_together(
        tg: FakeTelegram, database_url: str, locales_dir: Path) -> None:
    """Two workers (each its own PTB application); each paced at the channel's whole rate on
    its own, they would send 200 a second."""
    core = build_core(make_settings(database_url, locales_dir, telegram_token=tg.token,
                                    telegram_api_base_url=tg.url,
                                    telegram_messages_per_second=100))
    channels = [TelegramChannel.from_settings(core.settings, core) for _ in range(2)]
    for channel in channels:
        await channel.application.initialize()
    try:
        chats = [str(3000 + i) for i in range(200)]
        await add_users(core, "telegram", chats)
        broadcast_id = await create(core, "Cùng một nhịp")
        await core.scheduler.run_due()
        # 100 a second, with a third of a second's burst for a busy test machine: two
        # senders at 100 each would overflow it within the run.
        tg.enforce_rate(100, burst=33)
        senders = [BroadcastSender(core.session_factory, channel, core.translators,
                                   ChannelPace(100, 100), idle=0.02,
                                   batch=20)
                   for i, channel in enumerate(channels)]
        for sender in senders:
            sender.start()
        async with asyncio.timeout(30):
            while sum(s.sent for s in senders) < len(chats):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        for sender in senders:
            await sender.stop()
        assert tg.flood_replies == 0
        assert all(s.sent > 0 for s in senders)
        assert set((await rows(core, broadcast_id)).values()) == {"sent"}
        assert all(len(tg.messages_to(int(chat))) == 1 for chat in chats)
    finally:
        for channel in channels:
            await channel.application.shutdown()
        await core.close()


async def test_the_channel_s_slots_are_reserved_once_and_held_for_flood_control(
        db_core: Core) -> None:
    """The row the senders share: each reservation starts where the last one ended (or now),
    so a dead sender's time is the next one's; flood control moves it past retry_after."""
    async with UnitOfWork(db_core.session_factory) as uow:
        repo = uow.broadcasts
        now, start = await repo.take_slots("telegram", 100.0)
        assert start == pytest.approx(now, abs=1e-5)  # nobody before
        later_now, later = await repo.take_slots("telegram", 100.0)
        assert later == pytest.approx(start + 100.0, abs=1e-5) and later_now >= now
        assert await repo.take_slots("zalo_bot", 1.0) != (later_now, later)  # its own row
        await uow._session.execute(update(BroadcastPace).values(next_slot=now - 50))
        # The time of a sender that died reserving is free again once it has passed.
        now, start = await repo.take_slots("telegram", 0.1)
        assert start == pytest.approx(now, abs=1e-5)
        await repo.hold_slots("telegram", 300.0)
        now, start = await repo.take_slots("telegram", 0.1)
        assert start - now > 299
        await repo.hold_slots("telegram", 1.0)  # a shorter one does not shorten it
        now, start = await repo.take_slots("telegram", 0.1)
        assert start - now > 299
        await uow.commit()


async def test_a_listing_that_fails_for_good_stops_and_the_staff_member_is_told(
        sqlite_url: str, locales_dir: Path, monkeypatch) -> None:
    """Without this the broadcast stayed "sending" for ever."""
    from storage.broadcasts import BroadcastRepository

    clock = MovableClock(datetime(2026, 12, 6, 1, 0, tzinfo=UTC))
    core = build_core(make_settings(sqlite_url, locales_dir), clock=clock)
    try:
        await add_users(core, "console", ["boss"])

        async def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("audience query broke")

        monkeypatch.setattr(BroadcastRepository, "list_batch", broken)
        broadcast_id = await create(core, "Lịch tập huấn", staff=("console", "boss"))
        for _ in range(6):  # five tries with backoff, then given up
            await core.scheduler.run_due()
            clock.advance(minutes=20)
        async with UnitOfWork(core.session_factory) as uow:
            broadcast = await uow.broadcasts.get(broadcast_id)
            assert broadcast is not None and broadcast.listed
            assert broadcast.status == BroadcastStatus.SENDING  # so the monitor finishes it
            staff = await uow.users.find("console", "boss")
            (told,) = await uow.outbox.pending_for_user(staff.id)
            assert f"#{broadcast_id}" in told.text and "đã lập được" in told.text
            actions = [entry.action for entry in await uow.audit.recent()]
            assert "broadcast.listing_failed" in actions
    finally:
        await core.close()


async def test_rows_given_back_after_a_cancel_end_cancelled_not_left(
        tg: FakeTelegram, sqlite_url: str, locales_dir: Path) -> None:
    """A row a sender held at the cancel and gave back (a retry) used to wait for ever."""
    clock = MovableClock(datetime(2026, 12, 6, 1, 0, tzinfo=UTC))
    core = build_core(make_settings(sqlite_url, locales_dir, telegram_token=tg.token,
                                    telegram_api_base_url=tg.url), clock=clock)
    try:
        await add_users(core, "telegram", ["41", "42"])
        broadcast_id = await create(core, "Lịch tập huấn")
        await core.scheduler.run_due()  # lists the two recipients
        now = clock()
        async with UnitOfWork(core.session_factory) as uow:
            claimed = await uow.broadcasts.claim("telegram", now, timedelta(seconds=60), 10)
            await uow.commit()
        assert len(claimed) == 2
        async with UnitOfWork(core.session_factory) as uow:
            broadcast = await uow.broadcasts.lock(broadcast_id)
            await uow.broadcasts.cancel(broadcast, by="test:staff", now=now)
            await uow.commit()
        async with UnitOfWork(core.session_factory) as uow:  # the sender gives them back
            await uow.broadcasts.settle([(c, RecipientStatus.QUEUED, {}) for c in claimed])
            await uow.commit()
            counts = await uow.broadcasts.counts(broadcast_id)
        assert counts == {RecipientStatus.CANCELLED: 2}
    finally:
        await core.close()
