"""Programme questions: sourced answers, did-you-mean, hand-over to staff and back."""

from __future__ import annotations

from bot.app import Core
from bot.channels.console import ConsoleChat
from storage.uow import UnitOfWork
from tests.test_first_conversation import labels, texts


async def test_question_without_diacritics_gets_a_sourced_answer(chat: ConsoleChat) -> None:
    replies = await chat.say("ho tro thue gian hang hoi cho trong nuoc")
    answer = texts(replies)
    assert "Hỗ trợ thuê gian hàng hội chợ trong nước" in answer
    assert "Nguồn: Nghị định 45/2012/NĐ-CP" in answer
    assert "Rà soát lần cuối: 27/11/2026" in answer
    assert "Hỏi cán bộ Trung tâm" in labels(replies)
    assert len(labels(replies)) >= 2  # related entries offered as choices


async def test_unconfirmed_entry_carries_a_warning(chat: ConsoleChat) -> None:
    replies = await chat.say("trung tam khuyen cong hai phong o dau, sdt bn")
    assert "chưa được xác nhận" in texts(replies)


async def test_english_question_gets_an_english_answer(chat: ConsoleChat) -> None:
    await chat.say("/lang en")
    replies = await chat.say("does the state pay for a booth at a trade fair")
    assert "Source:" in texts(replies) and "booth" in texts(replies).lower()


async def test_out_of_scope_question_is_kept_and_can_go_to_staff(chat: ConsoleChat,
                                                                 core: Core) -> None:
    replies = await chat.say("giá vàng hôm nay bao nhiêu")
    assert "tôi chưa có thông tin" in texts(replies)
    async with UnitOfWork(core.session_factory) as uow:
        assert [q.status for q, _u in await uow.questions.waiting()] == ["unanswered"]
    replies = await chat.press("Chuyển cho cán bộ")
    assert "đã chuyển câu hỏi" in texts(replies)
    async with UnitOfWork(core.session_factory) as uow:
        assert [q.status for q, _u in await uow.questions.waiting()] == ["forwarded"]


async def test_staff_answer_reaches_the_asker_and_joins_the_knowledge_base(
    chat: ConsoleChat, core: Core
) -> None:
    replies = await chat.say("xưởng mộc của tôi có được vay vốn ưu đãi mua xe tải không")
    # Whatever the bot answered, every answer offers a way to staff.
    to_staff = next(label for label in labels(replies) if "cán bộ" in label)
    assert "đã chuyển câu hỏi" in texts(await chat.press(to_staff))
    staff = ConsoleChat(core.dispatcher, user_id="can-bo", operator=True)
    replies = await staff.say("/cauhoi")
    assert "1 câu hỏi đang chờ" in texts(replies)
    assert "xưởng mộc của tôi" in texts(replies)
    await staff.press(labels(replies)[0])
    replies = await staff.say("Khuyến công không hỗ trợ mua xe tải; bạn hỏi ngân hàng.")
    assert "đang được gửi tới người hỏi" in texts(replies)
    replies = await staff.press("Thêm vào cơ sở tri thức")
    assert "«xưởng mộc của tôi có được vay vốn ưu đãi mua xe tải không»" in texts(replies)
    replies = await staff.press("Thêm với câu hỏi này")
    assert "Đã thêm vào cơ sở tri thức" in texts(replies)

    # The asker sees the answer with their next message, whatever it is.
    replies = await chat.say("/menu")
    assert "Cán bộ Trung tâm đã trả lời câu hỏi «xưởng mộc" in replies[0].text
    assert "không hỗ trợ mua xe tải" in replies[0].text
    # Another owner now gets it straight from the knowledge base.
    other = ConsoleChat(core.dispatcher, user_id="owner-9")
    replies = await other.say("xuong moc co duoc vay von uu dai mua xe tai khong")
    assert "không hỗ trợ mua xe tải" in texts(replies)
    async with UnitOfWork(core.session_factory) as uow:
        actions = [e.action for e in await uow.audit.recent()]
    assert {"questions.view", "question.answer", "kb.add_staff_answer"} <= set(actions)


async def test_questions_list_is_for_staff_only(chat: ConsoleChat) -> None:
    assert "Tôi không hiểu lệnh /cauhoi" in texts(await chat.say("/cauhoi"))
    replies = await chat.say("x", payload="qastaff:answer:1")
    assert "chỉ dành cho cán bộ" in texts(replies)


async def test_browse_by_topic(chat: ConsoleChat) -> None:
    replies = await chat.say("/start")
    replies = await chat.press("Xem các chương trình theo chủ đề")
    assert len(labels(replies)) >= 15
    replies = await chat.say("1")  # the first topic, typed as a number
    assert "Chọn câu hỏi:" in texts(replies)
    replies = await chat.say("1")
    assert "Nguồn:" in texts(replies)


async def test_low_confidence_asks_did_you_mean(chat: ConsoleChat) -> None:
    replies = await chat.say("hỗ trợ")
    assert "Có phải bạn muốn hỏi" in texts(replies) or "Nguồn:" in texts(replies)
