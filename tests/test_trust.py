"""Issue 7 replays: privacy, staff rights, stale buttons, unstorable input, profile edits and
household tax codes. Each story failed on the code before the fix."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.app import build_core
from bot.channels.console import ConsoleChat
from handlers.identifiers import parse_tax_code
from handlers.types import Incoming
from storage.models import Base
from storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.test_first_conversation import labels, texts
from tests.test_profile import VALID_TAX_CODE, fill_profile, profile_of

PRIVATE_QUESTION = "Tôi là Nguyễn Văn Riêng SĐT 0987654321 hỏi lịch nghỉ tết cho xưởng sản xuất"


async def dump_database(core) -> str:
    """Every value of every row of every table, as one string to search."""
    values = []
    async with UnitOfWork(core.session_factory) as uow:
        session = uow.users._session
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                values += [str(value) for value in row]
    return "\n".join(values)


async def ask_and_get_staff_answer(core, asker: ConsoleChat, question: str) -> ConsoleChat:
    """The asker forwards a question; the operator answers it. Returns the operator's chat."""
    replies = await asker.say(question)
    to_staff = next(label for label in labels(replies) if "cán bộ" in label.lower())
    await asker.press(to_staff)
    staff = ConsoleChat(core.dispatcher, user_id="can-bo", operator=True)
    replies = await staff.say("/cauhoi")
    await staff.press(labels(replies)[0])
    await staff.say("Trung tâm nghỉ Tết từ 27 tháng Chạp đến hết mùng 6.")
    return staff


# --- 1. what an asker typed is never published unseen --------------------------------------

async def test_staff_queue_flags_personal_data_and_kb_needs_a_rewrite(core) -> None:
    asker = ConsoleChat(core.dispatcher, user_id="rieng")
    replies = await asker.say(PRIVATE_QUESTION)
    to_staff = next(label for label in labels(replies) if "cán bộ" in label.lower())
    await asker.press(to_staff)
    staff = ConsoleChat(core.dispatcher, user_id="can-bo", operator=True)
    queue = texts(await staff.say("/cauhoi"))
    assert "⚠ Có dữ liệu cá nhân (số điện thoại)" in queue

    await staff.press("Trả lời câu #1")
    await staff.say("Trung tâm nghỉ Tết từ 27 tháng Chạp đến hết mùng 6.")
    replies = await staff.press("Thêm vào cơ sở tri thức")
    assert "0987654321" in texts(replies)  # staff see exactly what would be shown…
    assert "Thêm với câu hỏi này" not in labels(replies)  # …and cannot publish it as is
    # A forged press of the confirm button does not publish it either.
    replies = await staff.say("", payload="qastaff:kbok:1")
    assert "Đã thêm" not in texts(replies)

    await staff.press("Viết lại câu hỏi")
    replies = await staff.say("Lịch nghỉ Tết của Trung tâm thế nào?")
    assert "«Lịch nghỉ Tết của Trung tâm thế nào?»" in texts(replies)
    assert "Đã thêm vào cơ sở tri thức" in texts(await staff.press("Thêm với câu hỏi này"))

    other = ConsoleChat(core.dispatcher, user_id="someone-else")
    shown = texts(await other.say("lịch nghỉ tết của trung tâm thế nào"))
    assert "nghỉ Tết từ 27 tháng Chạp" in shown
    assert "Riêng" not in shown and "0987654321" not in shown


@pytest.mark.parametrize("hidden", [
    "0987\u2066654\u2069321",  # direction isolates, as Android puts around a copied number
    "0987\u200e654321",  # a left-to-right mark
    "09876\u2063\u206454321",  # invisible separator and plus
])
async def test_a_phone_number_split_by_invisible_characters_is_still_flagged(
        core, hidden: str) -> None:
    asker = ConsoleChat(core.dispatcher, user_id="rieng")
    replies = await asker.say(PRIVATE_QUESTION.replace("0987654321", hidden))
    to_staff = next(label for label in labels(replies) if "cán bộ" in label.lower())
    await asker.press(to_staff)
    staff = ConsoleChat(core.dispatcher, user_id="can-bo", operator=True)
    assert "⚠ Có dữ liệu cá nhân (số điện thoại)" in texts(await staff.say("/cauhoi"))


async def test_a_clean_question_is_shown_to_staff_before_it_is_added(core) -> None:
    asker = ConsoleChat(core.dispatcher, user_id="asker")
    staff = await ask_and_get_staff_answer(core, asker,
                                           "lịch nghỉ tết của trung tâm năm nay thế nào")
    replies = await staff.press("Thêm vào cơ sở tri thức")
    assert "«lịch nghỉ tết của trung tâm năm nay thế nào»" in texts(replies)
    assert labels(replies)[0] == "Thêm với câu hỏi này"
    assert "Không thêm" in labels(replies)
    async with UnitOfWork(core.session_factory) as uow:
        assert await uow.staff_answers.all() == []  # nothing is added before confirmation


# --- 2. /xoadulieu leaves nothing behind ----------------------------------------------------

async def test_deleting_my_data_leaves_no_trace_of_what_i_typed_or_my_id(db_core) -> None:
    dispatcher = db_core.dispatcher
    user_id = "5550001234"

    async def say(text: str = "", payload: str | None = None, n: list = [0]) -> list:  # noqa: B006
        n[0] += 1
        return await dispatcher.handle(Incoming(
            channel="telegram", user_id=user_id, text=text, payload=payload,
            update_id=f"90{n[0]}", display_name="Nguyễn Văn Riêng"))

    await say("/hoso")
    await say(payload="profile:consent")
    for answer in ("Xưởng mộc Riêng Phát", VALID_TAX_CODE, "0987654321"):
        replies = await say(answer)
    replies = await say(payload="pf:skip")  # the commune
    handicraft = next(c.payload for c in replies[-1].choices if "thủ công" in c.label)
    await say(payload=handicraft)
    replies = await say(PRIVATE_QUESTION)
    to_staff = next(c.payload for c in replies[-1].choices if c.payload.startswith("qa:"))
    await say(payload=to_staff)
    staff = ConsoleChat(dispatcher, user_id="can-bo", operator=True)
    await staff.say("/cauhoi")
    await staff.press("Trả lời câu #1")
    await staff.say("Trung tâm nghỉ Tết từ 27 tháng Chạp.")  # queued in the outbox for the asker
    grant = ConsoleChat(dispatcher, user_id="admin", operator=True)
    await grant.say(f"/capquyen telegram:{user_id}")  # an audit entry naming the user
    # A fair registration with a contact person and phone typed by the user.
    from tests.test_fairs_chat import add_fair

    fair_id = await add_fair(db_core, booths=3)
    await say(payload=f"fr:{fair_id}")
    await say("Nguyễn Văn Riêng")
    await say("0987654321")
    await say("Bàn ghế gỗ")
    await say(payload="fg:submit")

    before = await dump_database(db_core)
    assert "Bàn ghế gỗ" in before
    assert user_id in before and "Riêng" in before

    await say("/xoadulieu")
    replies = await say(payload="privacy:delete")
    assert replies[-1].forget_user

    after = await dump_database(db_core)
    for personal in (user_id, "Riêng", "0987654321", VALID_TAX_CODE, "lịch nghỉ tết",
                     "Bàn ghế gỗ"):
        assert personal not in after, personal
    async with UnitOfWork(db_core.session_factory) as uow:
        entries = await uow.audit.recent()
    deletion = next(e for e in entries if e.action == "user.delete_own_data")
    assert re.fullmatch(r"deleted user #\d+", deletion.actor)
    grant_entry = next(e for e in entries if e.action == "role.staff")
    assert grant_entry.target == deletion.actor


# --- 5. staff rights are checked when an action is applied ----------------------------------

async def test_revoked_staff_cannot_finish_an_answer(core) -> None:
    asker = ConsoleChat(core.dispatcher, user_id="asker")
    replies = await asker.say("lịch nghỉ tết của trung tâm")
    await asker.press(labels(replies)[0])  # pass it to staff
    admin = ConsoleChat(core.dispatcher, user_id="admin", operator=True)
    clerk = ConsoleChat(core.dispatcher, user_id="clerk")
    await clerk.say("/start")
    await admin.say("/capquyen console:clerk")
    # Told, with their next message (a new staff member once heard nothing).
    assert "đã được cấp quyền cán bộ" in texts(await clerk.say("/cauhoi"))
    await clerk.say("/cauhoi")
    replies = await clerk.press("Trả lời câu #1")
    assert "Nhập câu trả lời" in texts(replies) or "#1" in texts(replies)

    await admin.say("/thuquyen console:clerk")
    replies = await clerk.say("Giá vàng xem ở ngân hàng.")
    assert "chỉ dành cho cán bộ" in texts(replies)
    assert "đã được thu hồi" in texts(replies)
    async with UnitOfWork(core.session_factory) as uow:
        (question, _user), = await uow.questions.waiting()
    assert question.status == "forwarded" and question.answer is None
    assert "Cán bộ Trung tâm đã trả lời" not in texts(await asker.say("/menu"))


async def test_granting_takes_the_channel_in_any_case_and_tells_the_person_once(core) -> None:
    admin = ConsoleChat(core.dispatcher, user_id="admin", operator=True)
    clerk = ConsoleChat(core.dispatcher, user_id="clerk")
    await clerk.say("/start")
    assert "console:clerk đã được cấp quyền" in texts(await admin.say("/capquyen Console:clerk"))
    assert "đã là cán bộ" in texts(await admin.say("/capquyen console:clerk"))
    told = [r for r in await clerk.say("/menu") if "được cấp quyền cán bộ" in r.text]
    assert len(told) == 1


async def test_an_administrator_of_the_settings_is_not_said_to_lose_rights(
        database_url, locales_dir, knowledge_base) -> None:
    core = build_core(make_settings(database_url, locales_dir,
                                    admin_ids=frozenset({"console:boss"})), kb=knowledge_base)
    try:
        boss = ConsoleChat(core.dispatcher, user_id="boss")
        await boss.say("/start")
        replies = await boss.say("/thuquyen console:boss")
        assert "ADMIN_IDS" in texts(replies) and "không còn là cán bộ" not in texts(replies)
    finally:
        await core.close()


async def test_staff_buttons_are_refused_to_users_by_the_router(chat: ConsoleChat) -> None:
    for payload in ("qastaff:answer:1", "qastaff:addkb:1", "staff"):
        assert "chỉ dành cho cán bộ" in texts(await chat.say("", payload=payload))


# --- 6. an old state-changing button does nothing -------------------------------------------

async def test_old_delete_button_after_keep_does_not_delete(chat: ConsoleChat, core) -> None:
    await fill_profile(chat)
    await chat.say("/xoadulieu")
    await chat.press("Không, giữ lại dữ liệu")
    await chat.say("/menu")
    replies = await chat.say("Có, xóa hết", payload="privacy:delete")  # the old button
    assert "thuộc một tin nhắn trước" in texts(replies)
    assert await profile_of(core, "owner-1") is not None
    # Reading buttons from old messages still work.
    assert "Anh/chị muốn làm gì?" in texts(await chat.say("", payload="menu"))


# --- 9. what no column can hold never reaches the database ----------------------------------

async def test_long_names_nul_bytes_and_lone_surrogates_are_stored_safely(db_core) -> None:
    dispatcher = db_core.dispatcher
    long_name = "Nguyễn " + "A" * 61 + " " + "B" * 60  # 129 characters
    replies = await dispatcher.handle(Incoming(
        channel="telegram", user_id="77", text="/start", update_id="1", display_name=long_name))
    assert "Xin chào" in texts(replies)
    await dispatcher.handle(Incoming(channel="telegram", user_id="77", text="/hoso",
                                     update_id="2", display_name=long_name))
    await dispatcher.handle(Incoming(channel="telegram", user_id="77", payload="profile:consent",
                                     update_id="3"))
    replies = await dispatcher.handle(Incoming(
        channel="telegram", user_id="77", text="Cơ sở\x00 Mây tre\ud800 Phú Nghĩa",
        update_id="4" + "9" * 80))  # an over-long update id too
    assert "2/5" in texts(replies)
    # Another user's message goes through meanwhile.
    assert await dispatcher.handle(Incoming(channel="telegram", user_id="78", text="/menu"))
    async with UnitOfWork(db_core.session_factory) as uow:
        user = await uow.users.find("telegram", "77")
        state = await uow.conversations.get(user.id)
    assert len(user.display_name) == 128
    assert state.draft["progress"]["a"]["name"] == "Cơ sở Mây tre Phú Nghĩa"


# --- 13. editing the profile never erases what was not changed ------------------------------

async def test_editing_only_the_name_keeps_everything_else(chat: ConsoleChat, core) -> None:
    await fill_profile(chat)
    await chat.say("/hoso")
    await chat.press("Sửa")
    replies = await chat.say("Công ty TNHH Cơ khí Thành Phương Mới")
    assert "Hiện tại: 0100109106" in texts(replies)
    assert labels(replies) == ["Giữ nguyên", "Quay lại"]  # no Skip, which would erase it
    await chat.press("Giữ nguyên")  # tax code
    replies = await chat.say("", payload="pf:skip")  # a forged Skip
    assert "thuộc một tin nhắn trước" in texts(replies)
    replies = await chat.say("0123")  # a bad phone number while editing
    assert "bấm Giữ nguyên" in texts(replies) and "Bỏ qua" not in texts(replies)
    assert labels(replies) == ["Giữ nguyên", "Quay lại"]
    await chat.press("Giữ nguyên")  # phone
    replies = await chat.press("Giữ nguyên")  # commune
    assert "Hiện tại: Cơ khí, điện, điện tử" in texts(replies)
    await chat.press("Giữ nguyên")  # sector
    profile = await profile_of(core, "owner-1")
    assert profile.name == "Công ty TNHH Cơ khí Thành Phương Mới"
    assert (profile.tax_code, profile.phone, profile.sector) == (
        VALID_TAX_CODE, "0912345678", "mechanical")
    assert profile.commune is not None


# --- 14. household businesses' 12-digit tax code --------------------------------------------

HOUSEHOLD_ID = "031085001234"  # Hai Phong (031), a man born in 1985


async def test_household_business_gives_a_personal_id_shown_masked(chat: ConsoleChat,
                                                                   core) -> None:
    await chat.say("/hoso")
    await chat.press("Tôi đồng ý")
    await chat.say("Hộ kinh doanh Mây tre Phú Nghĩa")
    assert "3/5" in texts(await chat.say("0310 8500 1234"))
    await chat.press("Bỏ qua")
    await chat.press("Bỏ qua")
    replies = await chat.press("Tiểu thủ công nghiệp, thủ công mỹ nghệ")
    assert (await profile_of(core, "owner-1")).tax_code == HOUSEHOLD_ID
    shown = texts(replies) + texts(await chat.say("/hoso"))
    assert "0310•••••234" in shown and HOUSEHOLD_ID not in shown


async def test_tax_code_errors_say_why_and_give_valid_examples(chat: ConsoleChat) -> None:
    await chat.say("/hoso")
    await chat.press("Tôi đồng ý")
    await chat.say("Công ty ABC")
    wrong_digit = texts(await chat.say("0201234567"))
    assert "sai chữ số kiểm tra" in wrong_digit
    not_an_id = texts(await chat.say("123456789012"))
    assert "số định danh cá nhân" in not_an_id
    garbage = texts(await chat.say("12345"))
    examples = re.findall(r"\d{10}(?:-\d{3})?", garbage)
    assert examples and all(parse_tax_code(example) for example in examples)


async def test_an_answer_can_be_added_to_the_knowledge_base_after_doing_something_else(
        core) -> None:
    """The button was refused as "from an earlier message" once staff typed /cauhoi again."""
    asker = ConsoleChat(core.dispatcher, user_id="asker")
    staff = await ask_and_get_staff_answer(core, asker,
                                           "lịch nghỉ tết của trung tâm năm nay thế nào")
    replies = await staff.say("/cauhoi")  # something else first
    replies = await staff.say("", payload="qastaff:addkb:1")
    assert "Thêm với câu hỏi này" in labels(replies)


async def test_the_audit_log_shows_times_and_what_each_entry_did(core) -> None:
    """/nhatky showed a date alone and no details (a staff walkthrough, 8 Dec 2026)."""
    admin = ConsoleChat(core.dispatcher, user_id="admin", operator=True)
    user = ConsoleChat(core.dispatcher, user_id="u1")
    await user.say("/start")
    await user.say("/xoadulieu")
    await user.press("Có, xóa hết")
    replies = await admin.say("/nhatky")
    shown = texts(replies)
    assert re.search(r"\d{1,2}:\d{2} \d{1,2}/\d{1,2}/\d{4} deleted user #\d+ "
                     r"user.delete_own_data", shown)
    assert "channel: console; fairs: -" in shown
