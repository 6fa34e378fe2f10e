"""User stories through the console channel: greeting, menu, language, help, profile."""

from __future__ import annotations

import pytest

from bot.app import Core
from bot.channels.console import ConsoleChat


def texts(replies) -> str:
    return "\n".join(r.text for r in replies)


def labels(replies) -> list[str]:
    return [c.label for r in replies for c in r.choices]


async def test_start_greets_in_vietnamese_with_main_menu(chat: ConsoleChat) -> None:
    replies = await chat.say("/start")
    assert "Xin chào" in texts(replies)
    assert "Hồ sơ doanh nghiệp của tôi" in labels(replies)
    assert not any("cán bộ" in label.lower() for label in labels(replies))


async def test_language_switch_is_remembered(chat: ConsoleChat) -> None:
    await chat.say("/start")
    replies = await chat.press("English")
    assert replies is None  # the language menu has not been shown yet
    await chat.say("/lang")
    replies = await chat.press("English")
    assert "answer in English" in texts(replies)
    replies = await chat.say("/menu")
    assert "My enterprise profile" in labels(replies)
    replies = await chat.say("/lang vi")
    assert "Hồ sơ doanh nghiệp của tôi" in labels(replies)


async def test_typing_a_number_or_label_picks_a_choice(chat: ConsoleChat) -> None:
    await chat.say("/lang")
    replies = await chat.say("2")  # English
    assert "answer in English" in texts(replies)
    await chat.say("/lang")
    replies = await chat.say("tieng viet")  # label without diacritics
    assert "tiếng Việt" in texts(replies)


async def test_help_lists_public_commands_only(chat: ConsoleChat) -> None:
    replies = await chat.say("/help")
    assert "/hoso" in texts(replies)
    assert "/xoadulieu" in texts(replies) and "/deletedata" not in texts(replies)
    assert "/capquyen" not in texts(replies)
    # In English each command shows its English name too, which works as well.
    await chat.say("/lang en")
    replies = await chat.say("/help")
    assert "/xoadulieu (/deletedata)" in texts(replies) and "/huy (/cancel)" in texts(replies)
    assert "What would you like to do?" in texts(await chat.say("/cancel"))


async def test_unknown_and_staff_commands_get_a_polite_answer(chat: ConsoleChat) -> None:
    assert "/help" in texts(await chat.say("/khongco"))
    refused = texts(await chat.say("/capquyen telegram:1"))
    assert "/khongco" not in refused and "/capquyen" in refused  # same answer as unknown


async def test_operator_console_sees_staff_tools(core: Core) -> None:
    operator = ConsoleChat(core.dispatcher, user_id="op", operator=True)
    replies = await operator.say("/start")
    assert "Công cụ cho cán bộ" in labels(replies)
    replies = await operator.say("/nhanvien")
    assert "/capquyen" in texts(replies) and "Quản lý hội chợ" in labels(replies)


async def test_typing_a_languages_name_switches_to_it(chat: ConsoleChat) -> None:
    """"tiếng việt" typed to go back from English was read as a question."""
    assert "answer in English" in texts(await chat.say("English"))
    replies = await chat.say("Tiếng Việt")
    assert "Từ giờ tôi sẽ trả lời bằng tiếng Việt." in texts(replies)
    assert "Hồ sơ doanh nghiệp của tôi" in labels(replies)
    # Within a question it is no switch.
    assert "Từ giờ" not in texts(await chat.say("có lớp dạy tiếng anh cho công nhân không"))


@pytest.mark.parametrize("typed", ["tôi có được hỗ trợ không", "toi co dc ho tro ko ạ",
                                   "Am I eligible for support?"])
async def test_a_menu_button_typed_out_does_what_the_button_does(core, typed: str) -> None:
    """Typed, the eligibility button's own words got "did you mean" choices about machines."""
    chat = ConsoleChat(core.dispatcher, user_id="typist")
    await chat.say("mua máy được hỗ trợ bao nhiêu")  # the menu is not on screen
    replies = await chat.say(typed)
    assert "loại hình nào" in texts(replies) or "What kind of establishment" in texts(replies)
