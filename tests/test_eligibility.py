"""The "Am I eligible?" check: verdicts with the rule that was applied."""

from __future__ import annotations

import pytest

from bot.channels.console import ConsoleChat
from storage.uow import UnitOfWork
from tests.test_first_conversation import labels, texts


async def start_check(chat: ConsoleChat) -> None:
    await chat.say("/start")
    await chat.press("Tôi có được hỗ trợ không?")


async def test_household_business_in_a_commune_is_eligible(chat: ConsoleChat) -> None:
    await start_check(chat)
    await chat.press("Hộ kinh doanh")
    await chat.say("an thanh")
    replies = await chat.press("Chế biến nông, lâm, thủy sản và thực phẩm")
    result = texts(replies)
    assert "có vẻ thuộc đối tượng được hỗ trợ" in result
    assert "Xã An Thành thuộc địa bàn được hỗ trợ" in result
    assert "Nghị định 235/2025/NĐ-CP" in result


async def test_a_commune_typed_with_a_typo_gets_suggestions(chat: ConsoleChat) -> None:
    await start_check(chat)
    await chat.press("Hộ kinh doanh")
    replies = await chat.say("an thanhh")
    assert "Tôi không tìm thấy \"an thanhh\"" in texts(replies)
    assert labels(replies)[0] == "Xã An Thành"
    await chat.press("Xã An Thành")
    replies = await chat.press("Chế biến nông, lâm, thủy sản và thực phẩm")
    assert "Xã An Thành thuộc địa bàn được hỗ trợ" in texts(replies)


async def test_a_commune_named_among_other_words_is_found(chat: ConsoleChat) -> None:
    """An industrial park and the ward after a comma: "could not find" and no suggestion,
    though the ward was there (a phone user, 7 Dec 2026)."""
    await start_check(chat)
    await chat.press("Hộ kinh doanh")
    replies = await chat.say("KCN Tràng Duệ, An Dương")
    assert "Đã ghi nhận: Phường An Dương." in texts(replies)


@pytest.mark.parametrize(("typed", "today"), [
    # Lập Lễ went into Nam Triệu on 1/7/2025; "Thủy Nguyên" after the comma, a ward of its
    # own today, was taken instead (a phone user, 7 Dec 2026).
    ("xa lap le, thuy nguyen", "Phường Nam Triệu"),
    ("lap le", "Phường Nam Triệu"),
    ("xã Tân Phong, Kiến Thụy", "Xã Kiến Hải"),  # two former Tân Phong: the district says
])
async def test_a_commune_named_as_before_july_2025_is_the_unit_it_went_into(
        chat: ConsoleChat, typed: str, today: str) -> None:
    await start_check(chat)
    await chat.press("Hộ kinh doanh")
    replies = await chat.say(typed)
    assert f"Đã ghi nhận: {today} (" in texts(replies) and "cũ nay thuộc" in texts(replies)


async def test_large_enterprise_is_probably_not_eligible(chat: ConsoleChat) -> None:
    await start_check(chat)
    await chat.press("Doanh nghiệp (công ty)")
    replies = await chat.press("Trên 200 người")
    result = texts(replies)
    assert "có thể không thuộc đối tượng" in result
    assert "Nghị định 80/2021/NĐ-CP" in result


async def test_ward_outside_a_craft_village_is_sent_to_the_centre(chat: ConsoleChat) -> None:
    await start_check(chat)
    await chat.press("Doanh nghiệp (công ty)")
    await chat.press("Từ 200 người trở xuống")
    await chat.press("Có")
    replies = await chat.say("Hồng Bàng")
    assert "làng nghề" in texts(replies)
    await chat.press("Không")
    replies = await chat.press("Cơ khí, điện, điện tử, công nghiệp hỗ trợ")
    result = texts(replies)
    assert "Trung tâm cần trao đổi thêm" in result
    assert "chưa được xác nhận" in result


SECTOR_FOOD = "Chế biến nông, lâm, thủy sản và thực phẩm"


async def test_the_result_can_be_passed_to_staff(chat: ConsoleChat, core) -> None:
    """Staff once got "[eligibility] eligible: kind=household, place=11824, sector=food",
    sent at once: now the answers in words, shown to the person before they are sent."""
    await start_check(chat)
    await chat.press("Hộ kinh doanh")
    await chat.say("vinh bao")
    await chat.press(SECTOR_FOOD)
    replies = await chat.press("Hỏi cán bộ Trung tâm")
    shown = texts(replies)
    assert "Hộ kinh doanh" in shown and "Vĩnh Bảo" in shown and "kind=" not in shown
    replies = await chat.press("Gửi câu hỏi này")
    assert "đã chuyển câu hỏi" in texts(replies)
    async with UnitOfWork(core.session_factory) as uow:
        ((question, _asker),) = await uow.questions.waiting()
    assert "Hộ kinh doanh" in question.text and "11824" not in question.text


async def test_typing_instead_of_tapping_repeats_the_question(chat: ConsoleChat) -> None:
    await start_check(chat)
    replies = await chat.say("toi la cong ty")
    assert "chọn một câu trả lời" in texts(replies)
    assert "Cơ sở của anh/chị thuộc loại hình nào?" in texts(replies)


async def test_short_typed_answers_pick_their_buttons(chat: ConsoleChat) -> None:
    """A phone user typed "hkd", "co" and "ko" to buttons "Hộ kinh doanh", "Có", "Không":
    only "co" and "khong" worked, the others got "please choose"."""
    await start_check(chat)
    await chat.say("hkd")  # Hộ kinh doanh
    replies = await chat.say("vinh bao")
    assert "Vui lòng chọn" not in texts(replies) and "chọn một câu trả lời" not in texts(replies)


async def test_yes_and_no_typed_to_a_yes_no_question(chat: ConsoleChat) -> None:
    await start_check(chat)
    await chat.press("Doanh nghiệp (công ty)")
    await chat.press("Từ 200 người trở xuống")
    await chat.say("có ạ")
    replies = await chat.say("Hồng Bàng")
    assert "làng nghề" in texts(replies)
    replies = await chat.say("ko")
    assert "chọn một câu trả lời" not in texts(replies)
    result = texts(await chat.press("Cơ khí, điện, điện tử, công nghiệp hỗ trợ"))
    assert "Trung tâm cần trao đổi thêm" in result


@pytest.mark.parametrize(("typed", "next_asked"), [("120 lao động", "doanh thu"),
                                                   ("khoảng 350", "có thể không thuộc")])
async def test_the_number_of_workers_may_be_typed(chat: ConsoleChat, typed: str,
                                                  next_asked: str) -> None:
    """"120 lao động" typed to "200 or fewer" / "More than 200" got "please choose"."""
    await start_check(chat)
    await chat.press("Doanh nghiệp (công ty)")
    replies = await chat.say(typed)
    assert next_asked in texts(replies).lower() or next_asked in texts(replies)
