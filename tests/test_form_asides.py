"""What people type in a form besides its answers: leaving it, changing the language, asking a
question where it waits for a tap (a phone user, 8 Dec 2026, met "please tap one of the
answers" for each, or saw the words saved as an answer)."""

from __future__ import annotations

import pytest

from bot.channels.console import ConsoleChat
from tests.test_first_conversation import labels, texts


async def start_check(chat: ConsoleChat) -> None:
    await chat.say("/start")
    await chat.press("Tôi có được hỗ trợ không?")


@pytest.mark.parametrize("typed", ["thôi", "thoat", "hủy ạ", "quay lai menu", "menu", "Cancel"])
async def test_words_for_leaving_leave_a_form_that_waits_for_a_tap(
        chat: ConsoleChat, typed: str) -> None:
    await start_check(chat)
    replies = await chat.say(typed)
    assert "Đã hủy" in texts(replies)
    assert "Hội chợ triển lãm" in labels(replies)  # the main menu
    replies = await chat.say("doanh nghiep nho")  # no longer an answer to the form
    assert "Đã ghi nhận" not in texts(replies)


async def test_a_name_typed_without_diacritics_stays_an_answer_where_text_is_asked(
        chat: ConsoleChat) -> None:
    """"Huy" is a name; only "hủy" with its accent leaves a question that asks for text."""
    await chat.say("/hoso")
    await chat.press("Tôi đồng ý")
    replies = await chat.say("Huy")
    assert "Đã hủy" not in texts(replies)
    assert "mã số thuế" in texts(replies).lower()


async def test_the_refusal_says_how_to_leave(chat: ConsoleChat) -> None:
    await start_check(chat)
    replies = await chat.say("abc xyz")
    assert "gõ “hủy” để dừng" in texts(replies)
    assert "Đã hủy" in texts(await chat.say("hủy"))


async def test_a_question_where_the_form_waits_for_a_tap_is_answered_then_asked_again(
        chat: ConsoleChat) -> None:
    await start_check(chat)
    first = labels(await chat.say("/dieukien"))
    replies = await chat.say("mã số thuế của hộ kinh doanh là gì ạ")
    assert "Quay lại phiếu" in texts(replies)
    assert labels(replies) == first  # the same question, its buttons current
    replies = await chat.press("Hộ kinh doanh")
    assert "Hộ kinh doanh" in texts(replies) or "xã" in texts(replies).lower()


async def test_an_unclear_message_where_the_form_waits_for_a_tap_is_still_refused(
        chat: ConsoleChat) -> None:
    await start_check(chat)
    replies = await chat.say("hôm nay trời đẹp nhỉ")
    assert "vui lòng chọn một câu trả lời" in texts(replies)
    assert "Quay lại phiếu" not in texts(replies)


async def test_a_language_named_in_a_form_switches_and_asks_the_question_again(
        chat: ConsoleChat) -> None:
    await start_check(chat)
    replies = await chat.say("English")
    assert "From now on I will answer in English" in texts(replies)
    assert "Household business" in labels(replies)  # the question again, in English
    replies = await chat.say("tiếng việt")
    assert "Hộ kinh doanh" in labels(replies)


@pytest.mark.parametrize(("typed", "expected"), [
    ("khảo sát", "khảo sát"),
    ("e muon lam khao sat nhu cau ho tro", "khảo sát"),
    ("menu", "Anh/chị muốn làm gì?"),
    ("xoa het du lieu cua toi", "Xóa tất cả?"),
    ("xem ho so cua toi", "Trước khi lưu thông tin về cơ sở"),
    ("dang ky hoi cho", "hội chợ"),
    ("gio chi lam cai khao sat luon nhe em", "khảo sát"),
    ("ok, am i eligible?", "Câu 1/"),
])
async def test_what_a_command_does_typed_in_words_does_it(
        chat: ConsoleChat, typed: str, expected: str) -> None:
    await chat.say("/start")
    replies = await chat.say(typed)
    assert expected in texts(replies)
    assert "ngoài những việc" not in texts(replies)
    assert "Đi khảo sát, học tập" not in texts(replies)


async def test_unsubscribing_says_where_a_fair_registration_is_cancelled(
        chat: ConsoleChat) -> None:
    """"/huydangky" reads as "cancel the registration": a phone user took it for a fair's."""
    replies = await chat.say("/huydangky")
    assert "/hoicho" in texts(replies) and "Hội chợ triển lãm" in labels(replies)
    assert "Hội chợ triển lãm" in labels(await chat.say("/dangky"))


@pytest.mark.parametrize(("typed", "recorded"), [
    ("ho kd", "Hộ kinh doanh"),
    ("hộ kd", "Hộ kinh doanh"),
])
async def test_kinds_of_establishment_as_typed_on_a_phone(
        chat: ConsoleChat, typed: str, recorded: str) -> None:
    await start_check(chat)
    await chat.say(typed)
    replies = await chat.press("Quay lại")  # the answer recorded is shown
    assert f"Hiện tại: {recorded}" in texts(replies)


async def test_a_sector_typed_by_some_of_its_words(chat: ConsoleChat) -> None:
    await start_check(chat)
    await chat.press("Hộ kinh doanh")
    await chat.say("an thanh")
    replies = await chat.say("che bien thuc pham")
    assert "vui lòng chọn" not in texts(replies)


async def test_a_phone_number_alone_offers_the_way_to_staff_it_speaks_of(
        chat: ConsoleChat) -> None:
    replies = await chat.say("0912 345 678")
    assert "Viết cho cán bộ" in texts(replies) and "Viết cho cán bộ" in labels(replies)
    replies = await chat.press("Viết cho cán bộ")
    assert "/huy" in texts(replies)  # asked for the question to pass on


@pytest.mark.parametrize("typed", ["quang hung an lao", "xa quang hung huyen an lao",
                                   "thon my dong xa quang hung huyen an lao"])
async def test_an_address_without_commas_names_the_unit_of_today(
        chat: ConsoleChat, typed: str) -> None:
    """"quang hung an lao" got "Phường Trần Hưng Đạo?", and the others "not found" without
    the "Outside Hai Phong" button (a phone user, 8 Dec 2026)."""
    await start_check(chat)
    await chat.press("Hộ kinh doanh")
    replies = await chat.say(typed)
    assert "Đã ghi nhận: Xã An Quang (" in texts(replies)


async def test_a_place_not_found_keeps_the_outside_button(chat: ConsoleChat) -> None:
    await start_check(chat)
    await chat.press("Hộ kinh doanh")
    replies = await chat.say("zzqx")
    assert "Ngoài Hải Phòng" in labels(replies)


async def test_a_question_asked_before_consenting_leaves_the_consent_to_answer(
        chat: ConsoleChat) -> None:
    """Asked at the consent step, a question's answer replaced its buttons, and "dc" (I
    agree) got "Vâng ạ": the registration was dropped without a word."""
    await chat.say("/hoso")
    replies = await chat.say("mst cua ho kinh doanh la gi a")
    assert "vẫn đang chờ anh/chị trả lời" in texts(replies)
    assert labels(replies)[-2:] == ["Tôi đồng ý", "Tôi không đồng ý"]
    replies = await chat.say("dc")
    assert "Tên cơ sở" in texts(replies)


async def test_the_consent_is_offered_again_once_not_under_every_answer(
        chat: ConsoleChat) -> None:
    await chat.say("/hoso")
    assert "vẫn đang chờ" in texts(await chat.say("hội chợ là gì"))
    assert "vẫn đang chờ" not in texts(await chat.say("khuyến công là gì"))


async def test_yes_under_a_saved_answer_keeps_it(chat: ConsoleChat) -> None:
    """"dc" under "Hiện tại: …" became the establishment's name (a phone walkthrough)."""
    from tests.test_profile import fill_profile

    await fill_profile(chat)
    await chat.say("/hoso")
    await chat.press("Sửa")
    replies = await chat.say("dc")
    assert "mã số thuế" in texts(replies).lower()  # the name kept, on to the next question
    replies = await chat.say("đúng rồi em")
    assert "điện thoại" in texts(replies).lower()


async def test_stop_words_typed_without_diacritics_leave_a_question_asking_for_text(
        chat: ConsoleChat) -> None:
    """"thoi" at a phone question got "the phone number is not right" over and over."""
    await chat.say("/hoso")
    await chat.press("Tôi đồng ý")
    await chat.say("Cơ sở Mây tre")
    assert "Đã hủy" in texts(await chat.say("thoi"))


@pytest.mark.parametrize("typed", ["uh thi dong y", "ok we agree", "vâng, em đồng ý ạ"])
async def test_consent_said_in_a_few_more_words(chat: ConsoleChat, typed: str) -> None:
    await chat.say("/hoso")
    replies = await chat.say(typed)
    assert "Tên cơ sở" in texts(replies)


async def test_start_in_the_middle_of_a_form_keeps_it(chat: ConsoleChat) -> None:
    """The web page sends /start when opened in a new tab: an unfinished form was thrown
    away without a word."""
    await start_check(chat)
    await chat.press("Hộ kinh doanh")
    replies = await chat.say("/start")
    assert "đang điền dở" in texts(replies) and "Câu 2/" in texts(replies)
    assert "Đã ghi nhận: Xã An Thành" in texts(await chat.say("an thanh"))
    assert "Đã hủy" in texts(await chat.say("/huy"))
    assert "đang điền dở" not in texts(await chat.say("/start"))


async def test_english_replies_name_the_english_commands(chat: ConsoleChat) -> None:
    """English users were told "Type /huy to stop", "/khaosat", "/hoso"; both names work."""
    await chat.say("/lang en")
    replies = await chat.say("/hoso")
    replies = await chat.press("I agree")
    assert "/cancel" in texts(replies) and "/huy" not in texts(replies)
    assert "Cancelled" in texts(await chat.say("/cancel"))


async def test_a_phone_and_a_tax_code_given_in_a_sentence_are_taken(chat: ConsoleChat) -> None:
    await chat.say("/hoso")
    await chat.press("Tôi đồng ý")
    await chat.say("Cơ sở Mây tre")
    replies = await chat.say("mst la 0100109106 nhe em")
    assert "điện thoại" in texts(replies).lower()
    replies = await chat.say("so nay nhe em 0987 654 321")
    assert "xã, phường" in texts(replies)


@pytest.mark.parametrize(("typed", "place"), [("Hai An district", "Phường Hải An"),
                                              ("An Lao district", "Xã An Lão")])
async def test_a_place_named_in_english_is_found(chat: ConsoleChat, typed: str,
                                                 place: str) -> None:
    await start_check(chat)
    await chat.press("Hộ kinh doanh")
    assert f"Đã ghi nhận: {place}" in texts(await chat.say(typed))
