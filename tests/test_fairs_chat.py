"""Trade fairs in the chat: business owners register, wait, are offered a booth, accept or let
it pass, cancel; staff run a fair; the scheduler expires offers and sends reminders.

Time is the app's injected clock, moved by the tests; jobs run through the real scheduler.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.app import Core, build_core
from bot.channels.console import ConsoleChat
from handlers.communes import CommuneDirectory
from handlers.fairs import booking
from handlers.fairs.jobs import schedule_fair
from handlers.former_districts import FormerDistrictDirectory
from handlers.i18n import LOCAL_TZ
from storage.models import FairRegistration, FairStatus, OutboxMessage, RegistrationStatus, User
from storage.uow import UnitOfWork
from tests.conftest import MovableClock, make_settings
from tests.test_first_conversation import labels, texts

NOW = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)  # 9:00 in Hai Phong
TAX_CODES = ["2010000010", "2010000027", "2010000034", "2010000041", "2010000059"]


@pytest.fixture
async def fair_core(database_url, locales_dir, knowledge_base) -> AsyncIterator[Core]:
    core = build_core(make_settings(database_url, locales_dir), kb=knowledge_base,
                      clock=MovableClock(NOW))
    yield core
    await core.close()


def clock(core: Core) -> MovableClock:
    assert isinstance(core.clock, MovableClock)
    return core.clock


async def add_fair(core: Core, *, booths: int = 2, max_booths: int = 1, code: str = "HC-01",
                   offer_hours: int = 48, status: FairStatus = FairStatus.OPEN,
                   deadline: datetime | None = None, starts_on: date = date(2027, 4, 10)) -> int:
    async with UnitOfWork(core.session_factory) as uow:
        fair = await uow.fairs.add(
            code=code, name={"vi": "Hội chợ Công Thương Hải Phòng 2027",
                             "en": "Hai Phong Industry and Trade Fair 2027"},
            place={"vi": "Trung tâm Hội chợ Triển lãm Hải Phòng"},
            support={"vi": "100% tiền thuê gian hàng", "en": "the whole booth rent"},
            support_max_vnd=15_000_000, starts_on=starts_on,
            ends_on=starts_on + timedelta(days=4),
            registration_deadline=deadline or datetime(2027, 3, 31, 23, 59, tzinfo=LOCAL_TZ),
            booths=booths, max_booths_per_establishment=max_booths, offer_hours=offer_hours,
            reminder_days=[7, 1], status=status, created_at=NOW, updated_at=NOW)
        await schedule_fair(uow, fair, NOW)
        await uow.commit()
        return fair.id


async def owner(core: Core, name: str, tax_code: str, *, phone: str | None = "0912345678"
                ) -> ConsoleChat:
    """A business owner with a complete enterprise profile."""
    chat = ConsoleChat(core.dispatcher, user_id=name)
    await chat.say("/hoso")
    await chat.press("Tôi đồng ý")
    await chat.say(f"Cơ sở {name}")
    await chat.say(tax_code)
    if phone:
        await chat.say(phone)
    else:
        await chat.press("Bỏ qua")
    await chat.press("Bỏ qua")
    await chat.press("Tiểu thủ công nghiệp, thủ công mỹ nghệ")
    return chat


async def register(chat: ConsoleChat, *, booths: str | None = None) -> list:
    replies = await chat.say("/hoicho")
    register_label = next(label for label in labels(replies) if label.startswith("Đăng ký:"))
    await chat.press(register_label)
    await chat.say("Nguyễn Thị Hoa")
    await chat.press("Giữ nguyên")  # the profile's phone
    replies = await chat.say("Nước mắm, mắm tôm")
    if booths is not None:
        replies = await chat.press(booths)
    assert "Vui lòng kiểm tra" in texts(replies) or "kiểm tra" in texts(replies)
    return await chat.press("Gửi")


async def registrations(core: Core) -> list[FairRegistration]:
    async with UnitOfWork(core.session_factory) as uow:
        rows = await uow._session.execute(select(FairRegistration).order_by(FairRegistration.id))
        return list(rows.scalars())


async def queued(core: Core, user: str) -> list[OutboxMessage]:
    """Messages waiting in the outbox for a console user."""
    async with UnitOfWork(core.session_factory) as uow:
        rows = await uow._session.execute(
            select(OutboxMessage).join(User, User.id == OutboxMessage.user_id)
            .where(User.channel_user_id == user).order_by(OutboxMessage.id))
        return list(rows.scalars())


# --- business owners ---------------------------------------------------------------------

async def test_an_owner_sees_the_open_fair_and_registers_for_a_booth(fair_core) -> None:
    await add_fair(fair_core, booths=10)
    chat = await owner(fair_core, "hoa", TAX_CODES[0])
    replies = await chat.say("/hoicho")
    shown = texts(replies)
    assert "Hội chợ Công Thương Hải Phòng 2027" in shown
    assert "Trung tâm Hội chợ Triển lãm Hải Phòng" in shown
    assert "10/4/2027 – 14/4/2027" in shown
    assert "23:59 31/3/2027" in shown  # the deadline, in Vietnam's time
    assert "Còn 10/10 gian hàng" in shown
    assert "15.000.000\xa0₫" in shown  # money through Babel
    replies = await register(chat)
    assert "Đăng ký thành công" in texts(replies)
    (registration,) = await registrations(fair_core)
    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.answers == {"contact_name": "Nguyễn Thị Hoa",
                                    "contact_phone": "0912345678",
                                    "products": "Nước mắm, mắm tôm"}
    replies = await chat.say("/hoicho")
    assert "Còn 9/10 gian hàng" in texts(replies)
    # Held, not yet approved: one state, not "confirmed (to be reviewed)".
    assert "đã xác nhận giữ gian hàng, chờ Trung tâm duyệt" in texts(replies)
    assert not any(label.startswith("Đăng ký:") for label in labels(replies))


async def test_registering_needs_consent_and_a_tax_code_first(fair_core) -> None:
    fair_id = await add_fair(fair_core)
    chat = ConsoleChat(fair_core.dispatcher, user_id="newcomer")
    replies = await chat.say(payload=f"fr:{fair_id}")
    assert "đồng ý" in texts(replies)
    assert await registrations(fair_core) == []
    # Agreeing and filling in the profile leads back to the registration.
    await chat.press("Đọc và đồng ý")
    await chat.press("Tôi đồng ý")
    replies = await chat.say("Cơ sở Mắm Cát Hải")
    # Without a tax code the registration could not go on: it cannot be skipped here.
    assert "Cần có mã số thuế để tiếp tục" in texts(replies)
    assert "Bỏ qua" not in labels(replies)
    await chat.say(TAX_CODES[0])
    await chat.say("0912345678")
    await chat.press("Bỏ qua")
    replies = await chat.press("Tiểu thủ công nghiệp, thủ công mỹ nghệ")
    assert labels(replies)[0] == "Tiếp tục đăng ký hội chợ"
    replies = await chat.press("Tiếp tục đăng ký hội chợ")
    assert "Hội chợ Công Thương Hải Phòng 2027" in texts(replies)


async def test_when_booths_run_out_the_next_ones_wait_in_order_and_get_offers(fair_core) -> None:
    await add_fair(fair_core, booths=1, offer_hours=48)
    first = await owner(fair_core, "first", TAX_CODES[0])
    second = await owner(fair_core, "second", TAX_CODES[1])
    third = await owner(fair_core, "third", TAX_CODES[2])
    await register(first)
    replies = await register(second)
    assert "danh sách chờ, số thứ tự 1" in texts(replies)
    replies = await register(third)
    assert "số thứ tự 2" in texts(replies)

    # The first cancels: its booth is offered to the second, for 48 hours.
    replies = await first.press("Đăng ký của tôi")
    replies = await first.press(next(x for x in labels(replies) if x.startswith("Hủy:")))
    replies = await first.press("Có, hủy đăng ký")
    assert "Đã hủy đăng ký" in texts(replies)
    statuses = [r.status for r in await registrations(fair_core)]
    assert statuses == ["cancelled", "offered", "waitlisted"]
    (offer,) = await queued(fair_core, "second")
    assert "Tin vui" in offer.text and "09:00 3/3/2027" in offer.text
    assert [label for label, _payload in offer.choices] == ["Có, chúng tôi nhận",
                                                           "Không, nhường lại"]
    replies = await third.press("Đăng ký của tôi")
    assert "số thứ tự 1" in texts(replies)

    # The second accepts, some hours later, by typing "có" to the offer's message (once the
    # menu's "Vâng ạ": the offer stayed pending, and could have lapsed).
    clock(fair_core).advance(hours=5)
    replies = await second.say("có ạ")
    assert "Xong: cơ sở của anh/chị có 1 gian hàng" in texts(replies)
    assert [r.status for r in await registrations(fair_core)] == [
        "cancelled", "confirmed", "waitlisted"]


async def test_an_unanswered_offer_expires_and_passes_to_the_next(fair_core) -> None:
    await add_fair(fair_core, booths=1, offer_hours=48)
    chats = [await owner(fair_core, name, code)
             for name, code in zip(("a", "b", "c"), TAX_CODES, strict=False)]
    for chat in chats:
        await register(chat)
    cancel_payload = f"fxy:{(await registrations(fair_core))[0].id}"
    await chats[0].say(payload=f"fx:{(await registrations(fair_core))[0].id}")
    await chats[0].say(payload=cancel_payload)
    clock(fair_core).advance(hours=47)
    await fair_core.scheduler.run_due()
    assert [r.status for r in await registrations(fair_core)][1] == "offered"
    clock(fair_core).advance(hours=1, seconds=1)
    await fair_core.scheduler.run_due()
    assert [r.status for r in await registrations(fair_core)] == [
        "cancelled", "expired", "offered"]
    texts_b = [m.text for m in await queued(fair_core, "b")]
    assert any("quá thời hạn nhận" in t for t in texts_b)
    assert any("Tin vui" in m.text for m in await queued(fair_core, "c"))


async def test_an_offer_accepted_one_second_late_is_refused_and_passed_on(fair_core) -> None:
    await add_fair(fair_core, booths=1, offer_hours=48)
    chats = [await owner(fair_core, name, code)
             for name, code in zip(("a", "b", "c"), TAX_CODES, strict=False)]
    for chat in chats:
        await register(chat)
    first_id = (await registrations(fair_core))[0].id
    await chats[0].say(payload=f"fx:{first_id}")
    await chats[0].say(payload=f"fxy:{first_id}")
    (offer,) = await queued(fair_core, "b")
    clock(fair_core).advance(hours=48, seconds=1)  # the expiry job has not run yet
    replies = await chats[1].say(payload=offer.choices[0][1])
    assert "Rất tiếc" in texts(replies)
    assert [r.status for r in await registrations(fair_core)] == [
        "cancelled", "expired", "offered"]
    await fair_core.scheduler.run_due()  # the job finds nothing left to do
    assert [r.status for r in await registrations(fair_core)] == [
        "cancelled", "expired", "offered"]


async def test_an_offer_never_outlives_the_deadline(fair_core) -> None:
    deadline = NOW + timedelta(hours=10)
    await add_fair(fair_core, booths=1, offer_hours=48, deadline=deadline)
    a = await owner(fair_core, "a", TAX_CODES[0])
    b = await owner(fair_core, "b", TAX_CODES[1])
    await register(a)
    await register(b)
    first_id = (await registrations(fair_core))[0].id
    await a.say(payload=f"fx:{first_id}")
    await a.say(payload=f"fxy:{first_id}")
    offered = (await registrations(fair_core))[1]
    assert offered.offer_expires_at == deadline


async def test_the_deadline_closes_registration_mid_form_and_the_waitlist(fair_core) -> None:
    deadline = NOW + timedelta(hours=1)
    await add_fair(fair_core, booths=1, deadline=deadline)
    a = await owner(fair_core, "a", TAX_CODES[0])
    b = await owner(fair_core, "b", TAX_CODES[1])
    c = await owner(fair_core, "c", TAX_CODES[2])
    await register(a)
    await register(b)  # waitlisted
    replies = await c.say("/hoicho")
    await c.press(next(x for x in labels(replies) if x.startswith("Đăng ký:")))
    await c.say("Trần Văn Nam")
    clock(fair_core).advance(hours=2)
    replies = await c.press("Giữ nguyên")
    assert "đã đóng đăng ký" in texts(replies)
    assert len(await registrations(fair_core)) == 2
    await fair_core.scheduler.run_due()
    assert [r.status for r in await registrations(fair_core)] == ["confirmed", "expired"]
    assert any("hết hạn đăng ký" in m.text for m in await queued(fair_core, "b"))
    replies = await c.say("/hoicho")
    assert "chưa có hội chợ nào nhận đăng ký" in texts(replies).lower()


async def test_a_double_tap_on_submit_registers_once(fair_core) -> None:
    await add_fair(fair_core, booths=5)
    chat = await owner(fair_core, "hoa", TAX_CODES[0])
    replies = await chat.say("/hoicho")
    await chat.press(next(x for x in labels(replies) if x.startswith("Đăng ký:")))
    await chat.say("Nguyễn Thị Hoa")
    await chat.press("Giữ nguyên")
    replies = await chat.say("Gốm")
    submit = next(c.payload for r in replies for c in r.choices if c.label == "Gửi")
    await chat.say(payload=submit)
    replies = await chat.say(payload=submit)
    assert len(await registrations(fair_core)) == 1
    assert "Đăng ký thành công" not in texts(replies)


async def test_one_registration_per_establishment_whoever_registers(fair_core) -> None:
    await add_fair(fair_core, booths=5)
    boss = await owner(fair_core, "boss", TAX_CODES[0])
    clerk = await owner(fair_core, "clerk", TAX_CODES[0])  # same tax code, another account
    # The second profile does not rename the firm in staff's lists and exports: anyone may
    # type a tax code.
    async with UnitOfWork(fair_core.session_factory) as uow:
        assert (await uow.establishments.find(TAX_CODES[0])).name == "Cơ sở boss"
    await register(boss)
    replies = await clerk.say("/hoicho")
    assert "đã xác nhận" in texts(replies)
    assert not any(x.startswith("Đăng ký:") for x in labels(replies))
    fair_id = (await registrations(fair_core))[0].fair_id
    replies = await clerk.say(payload=f"fr:{fair_id}")
    assert "đã đăng ký" in texts(replies)
    # The clerk sees it under "My registrations" but cannot cancel it: a tax code is anyone's
    # to type (an outside probe cancelled a firm's booth so, 7 Dec 2026).
    replies = await clerk.press("Đăng ký của tôi")
    assert "đã xác nhận" in texts(replies) and "Do người khác của cơ sở đăng ký" in texts(replies)
    assert not any(x.startswith("Hủy:") for x in labels(replies))
    registration_id = (await registrations(fair_core))[0].id
    replies = await clerk.say(payload=f"fx:{registration_id}")
    assert "không còn hiệu lực" in texts(replies) and "Có, hủy" not in labels(replies)
    await clerk.say(payload=f"fxy:{registration_id}")
    (registration,) = await registrations(fair_core)
    assert registration.status == "confirmed"
    # The one who registered can.
    replies = await boss.press("Đăng ký của tôi")
    assert any(x.startswith("Hủy:") for x in labels(replies))


async def test_someone_else_cannot_cancel_or_accept_for_another_establishment(
        fair_core) -> None:
    await add_fair(fair_core, booths=1)
    a = await owner(fair_core, "a", TAX_CODES[0])
    stranger = await owner(fair_core, "stranger", TAX_CODES[1])
    await register(a)
    registration_id = (await registrations(fair_core))[0].id
    await stranger.say(payload=f"fx:{registration_id}")
    replies = await stranger.say(payload=f"fxy:{registration_id}")
    await stranger.say(payload=f"fo:yes:{registration_id}")
    assert "Đăng ký thành công" not in texts(replies)
    assert (await registrations(fair_core))[0].status == "confirmed"


async def test_more_booths_per_establishment_are_asked_and_counted(fair_core) -> None:
    await add_fair(fair_core, booths=3, max_booths=2)
    a = await owner(fair_core, "a", TAX_CODES[0])
    b = await owner(fair_core, "b", TAX_CODES[1])
    await register(a, booths="2")
    replies = await register(b, booths="2")  # only one left: waits
    assert "danh sách chờ" in texts(replies)
    assert [(r.booths, r.status) for r in await registrations(fair_core)] == [
        (2, "confirmed"), (2, "waitlisted")]


# --- reminders -------------------------------------------------------------------------------

async def test_reminders_go_once_seven_days_and_one_day_before(fair_core, database_url,
                                                              locales_dir,
                                                              knowledge_base) -> None:
    await add_fair(fair_core, booths=2, starts_on=date(2027, 4, 10))
    a = await owner(fair_core, "a", TAX_CODES[0])
    await register(a)
    second_worker = build_core(make_settings(database_url, locales_dir), kb=knowledge_base,
                               clock=fair_core.clock)
    try:
        clock(fair_core).set(datetime(2027, 4, 3, 1, 0, tzinfo=UTC))  # 8:00, 7 days before
        for _ in range(2):
            await second_worker.scheduler.run_due()
            await fair_core.scheduler.run_due()
        reminders = [m.text for m in await queued(fair_core, "a") if "Nhắc lịch" in m.text]
        assert reminders == ["Nhắc lịch: còn 7 ngày nữa là «Hội chợ Công Thương Hải Phòng "
                             "2027» khai mạc (10/4/2027 – 14/4/2027).\nĐịa điểm: Trung tâm "
                             "Hội chợ Triển lãm Hải Phòng\nCơ sở của anh/chị có 1 gian hàng "
                             "tại đó."]
        clock(fair_core).set(datetime(2027, 4, 9, 3, 0, tzinfo=UTC))
        await second_worker.scheduler.run_due()
        await fair_core.scheduler.run_due()
        reminders = [m.text for m in await queued(fair_core, "a") if "Nhắc lịch" in m.text]
        assert len(reminders) == 2 and "ngày mai" in reminders[1]
    finally:
        await second_worker.close()


# --- staff -------------------------------------------------------------------------------

async def staff_chat(core: Core) -> ConsoleChat:
    chat = ConsoleChat(core.dispatcher, user_id="clerk")
    await chat.say("/start")
    async with UnitOfWork(core.session_factory) as uow:
        user = await uow.users.find("console", "clerk")
        assert user is not None
        user.role = "staff"
        await uow.commit()
    return chat


async def test_staff_create_a_fair_with_the_guided_form_and_open_it(fair_core) -> None:
    staff = await staff_chat(fair_core)
    replies = await staff.say("/hoicho")
    replies = await staff.press("Quản lý hội chợ")
    replies = await staff.press("Tạo hội chợ mới")
    for answer in ("HC-2027-05", "Hội chợ OCOP Hải Phòng", "OCOP Fair", "Quảng trường Nhà hát",
                   "Opera House Square", "20/05/2027", "19/05/2027"):
        replies = await staff.say(answer)
    assert "Ngày bế mạc không thể trước ngày khai mạc" in texts(replies)
    replies = await staff.say("24/05/2027")
    replies = await staff.say("20/05/2027")  # the first day: it would close after the opening
    assert "Hạn đăng ký phải trước ngày khai mạc" in texts(replies)
    for answer in ("10/05/2027", "6"):
        replies = await staff.say(answer)
    replies = await staff.press("Giữ nguyên")  # 1 booth per establishment
    replies = await staff.say("70% tiền thuê gian hàng")
    replies = await staff.press("Bỏ qua")
    replies = await staff.say("12 triệu")
    replies = await staff.press("Giữ nguyên")  # 48 hours
    replies = await staff.press("Giữ nguyên")  # 7, 1
    replies = await staff.press("Gửi")
    assert "Đã lưu dạng nháp" in texts(replies)
    owner_chat = await owner(fair_core, "a", TAX_CODES[0])
    assert "Hội chợ OCOP" not in texts(await owner_chat.say("/hoicho"))  # a draft
    replies = await staff.press("Mở đăng ký")
    assert "Đã mở đăng ký" in texts(replies)
    shown = texts(await owner_chat.say("/hoicho"))
    assert "Hội chợ OCOP Hải Phòng" in shown and "12.000.000\xa0₫" in shown
    assert "70% tiền thuê gian hàng" in shown and "23:59 10/5/2027" in shown
    async with UnitOfWork(fair_core.session_factory) as uow:
        fair = await uow.fairs.by_code("HC-2027-05")
        assert fair is not None and fair.booths == 6
        jobs = [job.key for job in await uow.jobs.pending(f"fair:{fair.id}:")]
        assert len(jobs) == 3  # the deadline and two reminders
        actions = [entry.action for entry in await uow.audit.recent()]
        assert "fair.create" in actions and "fair.open" in actions


async def test_staff_reject_with_a_reason_that_reaches_the_owner_and_frees_the_booth(
        fair_core) -> None:
    await add_fair(fair_core, booths=1)
    a = await owner(fair_core, "a", TAX_CODES[0])
    b = await owner(fair_core, "b", TAX_CODES[1])
    await register(a)
    await register(b)
    staff = await staff_chat(fair_core)
    await staff.say("/hoicho")
    await staff.press("Quản lý hội chợ")
    await staff.press("HC-01")
    replies = await staff.press("Danh sách đăng ký và danh sách chờ")
    assert "Cơ sở a" in texts(replies) and "số thứ tự 1" in texts(replies)
    first_id = (await registrations(fair_core))[0].id
    replies = await staff.press(f"#{first_id}")
    assert "Nguyễn Thị Hoa" in texts(replies) and "0912345678" in texts(replies)
    await staff.press("Từ chối (kèm lý do)")
    replies = await staff.say("Sản phẩm không thuộc ngành công nghiệp nông thôn")
    assert "Đã từ chối" in texts(replies)
    (rejection,) = await queued(fair_core, "a")
    assert "Lý do: Sản phẩm không thuộc ngành công nghiệp nông thôn" in rejection.text
    assert [r.status for r in await registrations(fair_core)] == ["rejected", "offered"]
    replies = await a.press("Đăng ký của tôi")
    assert "không được chấp nhận: Sản phẩm không thuộc" in texts(replies)


async def test_more_booths_promote_the_waitlist_in_order(fair_core) -> None:
    await add_fair(fair_core, booths=1)
    for name, code in zip(("a", "b", "c"), TAX_CODES, strict=False):
        await register(await owner(fair_core, name, code))
    staff = await staff_chat(fair_core)
    await staff.say("/hoicho")
    await staff.press("Quản lý hội chợ")
    await staff.press("HC-01")
    await staff.press("Đổi số gian hàng")
    replies = await staff.say("2")
    assert "đã mời 1 gian hàng" in texts(replies)
    assert [r.status for r in await registrations(fair_core)] == [
        "confirmed", "offered", "waitlisted"]
    await staff.press("Đổi số gian hàng")
    replies = await staff.say("0")
    assert "từ 1 đến 1000" in texts(replies)
    replies = await staff.say("1")  # below the two booths given
    assert "Đã giao 2 gian hàng" in texts(replies)
    # Asked again: the next number is the booths, not the fair card's button of that rank
    # ("4" closed registration, a staff walkthrough, 8 Dec 2026).
    replies = await staff.say("4")
    assert "đã mời 1 gian hàng" in texts(replies)
    async with UnitOfWork(fair_core.session_factory) as uow:
        (fair,) = await uow.fairs.listed()
        assert (fair.booths, fair.status) == (4, "open")


async def test_fair_management_is_staff_only(fair_core) -> None:
    fair_id = await add_fair(fair_core, booths=1)
    a = await owner(fair_core, "a", TAX_CODES[0])
    await register(a)
    registration_id = (await registrations(fair_core))[0].id
    for payload in ("fa", f"fa:r:{registration_id}", f"fs:no:{registration_id}",
                    f"fs:close:{fair_id}", f"fa:xlsx:{fair_id}"):
        replies = await a.say(payload=payload)
        assert "Nguyễn Thị Hoa" not in texts(replies)
        assert all(r.document is None for r in replies)
    replies = await a.say("/hoicho")
    assert "Quản lý hội chợ" not in labels(replies)
    async with UnitOfWork(fair_core.session_factory) as uow:
        fair = await uow.fairs.get(fair_id)
        assert fair is not None and fair.status == FairStatus.OPEN


# --- deleting one's data -----------------------------------------------------------------

async def test_deleting_ones_data_cancels_the_registration_and_frees_the_booth(
        fair_core) -> None:
    await add_fair(fair_core, booths=1)
    a = await owner(fair_core, "a", TAX_CODES[0])
    b = await owner(fair_core, "b", TAX_CODES[1])
    await register(a)
    await register(b)
    await a.say("/xoadulieu")
    await a.say(payload="privacy:delete")
    remaining = await registrations(fair_core)
    assert [(r.status, r.answers.get("contact_name")) for r in remaining] == [
        ("offered", "Nguyễn Thị Hoa")]  # the second's own registration, now offered a booth
    assert any("Tin vui" in m.text for m in await queued(fair_core, "b"))
    async with UnitOfWork(fair_core.session_factory) as uow:  # staff can see which fair
        (entry,) = [e for e in await uow.audit.recent(10) if e.action == "user.delete_own_data"]
        assert entry.details["fairs"] == ["HC-01"]


async def test_a_registration_passes_to_a_colleague_without_the_leavers_contact_details(
        fair_core) -> None:
    await add_fair(fair_core, booths=1)
    boss = await owner(fair_core, "boss", TAX_CODES[0])
    await owner(fair_core, "clerk", TAX_CODES[0])
    await register(boss)
    await boss.say("/xoadulieu")
    await boss.say(payload="privacy:delete")
    (registration,) = await registrations(fair_core)
    assert registration.status == "confirmed"
    assert registration.answers == {"products": "Nước mắm, mắm tôm"}
    async with UnitOfWork(fair_core.session_factory) as uow:
        heir = await uow.users.get(registration.user_id)
        assert heir is not None and heir.channel_user_id == "clerk"
    # ... and told so (it became theirs without a word, reminders and all)
    assert any("nay đứng tên anh/chị" in m.text for m in await queued(fair_core, "clerk"))


async def test_staff_edit_a_fair_and_its_reminders_follow_the_new_dates(fair_core) -> None:
    fair_id = await add_fair(fair_core, booths=1)
    a = await owner(fair_core, "a", TAX_CODES[0])
    b = await owner(fair_core, "b", TAX_CODES[1])
    await register(a)
    await register(b)
    staff = await staff_chat(fair_core)
    await staff.say("/hoicho")
    await staff.press("Quản lý hội chợ")
    await staff.press("HC-01")
    replies = await staff.press("Sửa thông tin")
    assert "Giữ nguyên" in labels(replies)
    for _ in range(3):  # names and the place kept
        replies = await staff.press("Giữ nguyên")
    replies = await staff.press("Bỏ qua")  # no place in English
    replies = await staff.say("17/04/2027")  # a week later
    replies = await staff.say("21/04/2027")
    replies = await staff.press("Giữ nguyên")  # deadline
    replies = await staff.say("2")  # one more booth
    for _ in range(6):
        replies = await staff.press("Giữ nguyên")
    replies = await staff.press("Gửi")
    assert "Đã lưu" in texts(replies)
    assert "Đã gửi ngày và địa điểm mới cho 2 cơ sở đã đăng ký" in texts(replies)
    assert [r.status for r in await registrations(fair_core)] == ["confirmed", "offered"]
    # The reminders sent before gave the old dates: everyone registered is told the new ones.
    for user in ("a", "b"):
        assert any("có thay đổi: nay diễn ra 17/4/2027 – 21/4/2027" in m.text
                   for m in await queued(fair_core, user))
    async with UnitOfWork(fair_core.session_factory) as uow:
        fair = await uow.fairs.get(fair_id)
        assert fair is not None and (fair.booths, fair.starts_on) == (2, date(2027, 4, 17))
        keys = sorted(job.key for job in await uow.jobs.pending(f"fair:{fair_id}:remind"))
        assert keys == [f"fair:{fair_id}:remind:1:2027-04-17",
                        f"fair:{fair_id}:remind:7:2027-04-17"]


async def test_an_edit_over_a_change_made_meanwhile_is_refused_not_saved(fair_core) -> None:
    """A colleague raised the booths while the form was open: "Keep" on the old number and
    "Gửi" undid it without a word (staff walkthrough, 8 Dec 2026)."""
    fair_id = await add_fair(fair_core, booths=1)
    staff = await staff_chat(fair_core)
    await staff.say(payload=f"fa:f:{fair_id}")
    await staff.press("Sửa thông tin")
    async with UnitOfWork(fair_core.session_factory) as uow:
        await booking.set_booths(uow, fair_id, 8, datetime(2027, 1, 5, 3, tzinfo=UTC))
        await uow.commit()
    for _ in range(3):
        await staff.press("Giữ nguyên")
    await staff.press("Bỏ qua")
    for _ in range(10):
        replies = await staff.press("Giữ nguyên")
    replies = await staff.press("Gửi")
    assert "Chưa lưu" in texts(replies) and "người khác thay đổi" in texts(replies)
    async with UnitOfWork(fair_core.session_factory) as uow:
        fair = await uow.fairs.get(fair_id)
        assert fair is not None and fair.booths == 8


async def test_a_fair_closed_by_staff_mid_form_keeps_nothing_half_done(fair_core) -> None:
    fair_id = await add_fair(fair_core, booths=3)
    a = await owner(fair_core, "a", TAX_CODES[0])
    replies = await a.say("/hoicho")
    await a.press(next(x for x in labels(replies) if x.startswith("Đăng ký:")))
    await a.say("Nguyễn Thị Hoa")
    async with UnitOfWork(fair_core.session_factory) as uow:
        fair = await uow.fairs.get(fair_id)
        assert fair is not None
        fair.status = FairStatus.CLOSED
        await uow.commit()
    replies = await a.press("Giữ nguyên")
    assert "đã đóng đăng ký" in texts(replies)
    assert await registrations(fair_core) == []
    replies = await a.say("Gốm sứ")  # the form is over: this is a question now
    assert await registrations(fair_core) == []


@pytest.mark.parametrize("forged", [
    "fo:yes:99999999999999999999", "fo:no:²", "fx:-1", "fxy:1e3", "fr:٣", "fr:", "fmy:x",
    "fa:f:99999999999999999999", "fa:r:²", "fs:ok:99999999999", "fs:close:٣"])
async def test_forged_ids_in_buttons_get_a_polite_answer_on_every_backend(
        fair_core, forged: str) -> None:
    """Ids past an integer column's range, or digits int() refuses, must not reach the
    database (PostgreSQL refuses them with an error)."""
    await add_fair(fair_core, booths=1)
    staff = await staff_chat(fair_core)
    replies = await staff.say(payload=forged)
    assert replies and "hệ thống vừa gặp lỗi" not in texts(replies)


async def test_a_staff_member_who_deletes_their_data_leaves_no_id_on_fairs(fair_core) -> None:
    fair_id = await add_fair(fair_core, booths=1)
    await register(await owner(fair_core, "a", TAX_CODES[0]))
    staff = await staff_chat(fair_core)
    registration_id = (await registrations(fair_core))[0].id
    await staff.say(payload=f"fa:f:{fair_id}")
    await staff.say(payload=f"fs:close:{fair_id}")
    await staff.say(payload=f"fa:r:{registration_id}")
    await staff.say(payload=f"fs:no:{registration_id}")
    await staff.say("Hồ sơ thiếu giấy tờ")
    async with UnitOfWork(fair_core.session_factory) as uow:
        fair = await uow.fairs.get(fair_id)
        registration = await uow.registrations.get(registration_id)
        assert (fair.updated_by, registration.decided_by) == ("console:clerk",) * 2
    await staff.say("/xoadulieu")
    await staff.say(payload="privacy:delete")
    async with UnitOfWork(fair_core.session_factory) as uow:
        fair = await uow.fairs.get(fair_id)
        registration = await uow.registrations.get(registration_id)
        assert fair.updated_by.startswith("deleted user #")
        assert registration.decided_by == fair.updated_by


async def test_an_offer_whose_expiry_job_failed_for_good_still_ends(fair_core) -> None:
    deadline = NOW + timedelta(days=5)
    await add_fair(fair_core, booths=1, offer_hours=48, deadline=deadline)
    a = await owner(fair_core, "a", TAX_CODES[0])
    b = await owner(fair_core, "b", TAX_CODES[1])
    await register(a)
    await register(b)
    first_id = (await registrations(fair_core))[0].id
    await a.say(payload=f"fx:{first_id}")
    await a.say(payload=f"fxy:{first_id}")
    async with UnitOfWork(fair_core.session_factory) as uow:  # the job failed for good
        for job in await uow.jobs.pending("fair-offer:"):
            job.status = "failed"
        await uow.commit()
    clock(fair_core).advance(days=6)  # past the offer and the deadline
    await fair_core.scheduler.run_due()
    assert [r.status for r in await registrations(fair_core)] == ["cancelled", "expired"]


async def test_an_answer_about_fairs_leads_to_the_open_fairs(fair_core: Core) -> None:
    await add_fair(fair_core)
    chat = ConsoleChat(fair_core.dispatcher, user_id="hoi-dang-ky")
    replies = await chat.say("muốn đăng ký gian hàng hội chợ thì làm thế nào")
    assert any(reply.titled for reply in replies)  # a knowledge-base answer
    assert labels(replies)[0] == "Hội chợ triển lãm: đăng ký gian hàng"
    listed = await chat.press("Hội chợ triển lãm: đăng ký gian hàng")
    assert "Hội chợ Công Thương Hải Phòng 2027" in texts(listed)
    assert "Đăng ký: Hội chợ Công Thương Hải Phòng 2027" in labels(listed)


async def test_an_answer_on_another_topic_has_no_fair_button(fair_core: Core) -> None:
    chat = ConsoleChat(fair_core.dispatcher, user_id="hoi-may-moc")
    replies = await chat.say("mua máy được hỗ trợ bao nhiêu tiền")
    assert any(reply.titled for reply in replies)
    assert "Hội chợ triển lãm: đăng ký gian hàng" not in labels(replies)


async def test_asking_for_more_booths_than_are_free_says_how_many_are(fair_core) -> None:
    """"All booths are taken" beside "1 of 3 booths left" (a phone user asking for 2)."""
    await add_fair(fair_core, booths=3, max_booths=2)
    first = await owner(fair_core, "first", TAX_CODES[0])
    second = await owner(fair_core, "second", TAX_CODES[1])
    await register(first, booths="2")
    replies = await register(second, booths="2")
    shown = texts(replies)
    assert "chỉ còn 1 gian hàng trống, ít hơn 2 gian" in shown and "đã hết gian hàng" not in shown
    assert "số thứ tự 1" in shown


async def test_a_forged_button_does_not_reveal_a_fair_staff_are_preparing(fair_core) -> None:
    """An owner's forged "fr:<id>" of a draft got its name and "closed (until 10/5/2027)"."""
    fair_id = await add_fair(fair_core, status=FairStatus.DRAFT)
    chat = await owner(fair_core, "curious", TAX_CODES[0])
    replies = await chat.say(payload=f"fr:{fair_id}")
    assert "Tôi không tìm thấy hội chợ này" in texts(replies)
    assert "Hội chợ Công Thương" not in texts(replies)


async def test_an_announcement_to_a_fairs_registrants_names_the_fair(fair_core) -> None:
    """Its preview, `broadcasts show` and the audit log said "hội chợ #2", which staff, who
    know fairs by their code, read as another fair."""
    from types import SimpleNamespace

    from handlers.broadcasts.compose import _named_audience, describe_audience

    fair_id = await add_fair(fair_core)
    async with UnitOfWork(fair_core.session_factory) as uow:
        audience = await _named_audience({"fair_group": "registrants", "fair": str(fair_id)},
                                         SimpleNamespace(uow=uow))
    shown = describe_audience(audience, fair_core.translators["vi"],
                              CommuneDirectory.load(), FormerDistrictDirectory.load())
    assert shown == "Cơ sở đã đăng ký hội chợ HC-01 Hội chợ Công Thương Hải Phòng 2027"
    assert audience.to_json()["labels"]["fair"].startswith("HC-01")  # kept with the broadcast


async def test_the_number_of_booths_may_be_typed_with_what_it_counts(fair_core) -> None:
    """"2 gian", "2 gian hàng" got "please choose an answer" beside buttons 1 and 2."""
    await add_fair(fair_core, booths=3, max_booths=2)
    chat = await owner(fair_core, "typist", TAX_CODES[0])
    replies = await chat.say("/hoicho")
    await chat.press(next(label for label in labels(replies) if label.startswith("Đăng ký:")))
    await chat.say("Nguyễn Thị Hoa")
    await chat.press("Giữ nguyên")
    await chat.say("Nước mắm, mắm tôm")
    replies = await chat.say("2 gian hàng")
    assert "Vui lòng kiểm tra" in texts(replies) or "kiểm tra" in texts(replies)
    assert "chọn một câu trả lời" not in texts(replies)


async def test_an_offer_pushed_into_a_form_is_taken_by_its_label_not_saved_as_an_answer(
        fair_core) -> None:
    """On Zalo OA a tap sends the button's label as text: "Có, chúng tôi nhận" tapped while a
    survey's name question was open was saved as the establishment's name, and the offer was
    left pending (a channel walkthrough, 8 Dec 2026)."""
    await add_fair(fair_core, booths=1, offer_hours=48)
    first = await owner(fair_core, "first", TAX_CODES[0])
    second = await owner(fair_core, "second", TAX_CODES[1])
    await register(first)
    await register(second)
    await second.say("/hoso")
    await second.press("Sửa")  # in the profile's form: its name question is open
    replies = await first.press("Đăng ký của tôi")
    await first.press(next(x for x in labels(replies) if x.startswith("Hủy:")))
    await first.press("Có, hủy đăng ký")
    replies = await second.say("Có, chúng tôi nhận")
    assert "Xong: cơ sở của anh/chị có 1 gian hàng" in texts(replies)
    assert [r.status for r in await registrations(fair_core)] == ["cancelled", "confirmed"]
    async with UnitOfWork(fair_core.session_factory) as uow:
        user = (await uow._session.execute(select(User).where(
            User.channel_user_id == "second"))).scalar_one()
        profile = await uow.profiles.get(user.id)
        assert profile is not None and profile.name != "Có, chúng tôi nhận"


async def test_fairs_named_alike_get_buttons_told_apart_by_their_code(fair_core) -> None:
    """Two fairs cut to the same words had identical buttons; on Zalo OA, where a tap sends
    the label, the second one's registered for the first (a channel walkthrough)."""
    await add_fair(fair_core, code="HC-01")
    second_id = await add_fair(fair_core, code="HC-02")
    chat = await owner(fair_core, "a", TAX_CODES[0])
    replies = await chat.say("/hoicho")
    register_labels = [x for x in labels(replies) if x.startswith("Đăng ký:")]
    assert len(set(register_labels)) == 2
    assert any("HC-02" in x for x in register_labels)
    second = next(x for x in register_labels if "HC-02" in x)
    await chat.say(second)  # typed, as Zalo OA sends it
    async with UnitOfWork(fair_core.session_factory) as uow:
        state = await uow.conversations.get((await uow._session.execute(select(User).where(
            User.channel_user_id == "a"))).scalar_one().id)
        assert state is not None and state.draft.get("fair") == second_id


async def test_staff_see_an_open_fair_past_its_deadline_as_such(fair_core) -> None:
    """It read "đang mở" while enterprises no longer saw it (a staff walkthrough)."""
    await add_fair(fair_core, deadline=NOW + timedelta(days=1))
    staff = await staff_chat(fair_core)
    await staff.say("/hoicho")
    assert "đã quá hạn đăng ký" not in texts(await staff.press("Quản lý hội chợ"))
    clock(fair_core).advance(days=2)
    await staff.say("/hoicho")
    assert "đang mở, đã quá hạn đăng ký" in texts(await staff.press("Quản lý hội chợ"))
