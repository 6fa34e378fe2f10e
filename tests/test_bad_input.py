"""Bad input gets a clear reply in the user's language and changes no saved data."""

from __future__ import annotations

import pytest

from bot.channels.console import ConsoleChat
from handlers.types import Incoming, MessageKind
from storage.uow import UnitOfWork
from tests.test_first_conversation import texts
from tests.test_profile import VALID_TAX_CODE


async def saved_state(core, user_id: str) -> tuple:
    async with UnitOfWork(core.session_factory) as uow:
        user = await uow.users.find("console", user_id)
        state = await uow.conversations.get(user.id)
        profile = await uow.profiles.get(user.id)
        return (user.locale, state.flow, state.step, dict(state.draft),
                profile and (profile.name, profile.tax_code, profile.phone))


async def at_tax_code_step(chat: ConsoleChat) -> None:
    await chat.say("/hoso")
    await chat.press("Tôi đồng ý")
    await chat.say("Cơ sở Mộc Tân Hưng")


@pytest.mark.parametrize("message, expected", [
    ("", "Tin nhắn của anh/chị đang trống"),
    ("   ", "Tin nhắn của anh/chị đang trống"),
    ("\u200b\u200d\ufeff", "Tin nhắn của anh/chị đang trống"),
    ("x" * 5000, "Tin nhắn quá dài (5.000 ký tự)"),
    ("😀🎉👍", "Mã số thuế chưa đúng"),
    # Another script, and a code whose check digit is wrong (a valid one in a sentence, as
    # "Мой ИНН 0100109106", is taken since 8 Dec 2026: "mst la 0100…" was refused)
    ("Мой ИНН 0100109107", "Mã số thuế chưa đúng"),
    ("/khongcolenhnay", "Tôi không hiểu lệnh /khongcolenhnay"),
])
async def test_bad_text_in_the_middle_of_a_form(chat: ConsoleChat, core, message: str,
                                                expected: str) -> None:
    await at_tax_code_step(chat)
    before = await saved_state(core, "owner-1")
    replies = await chat.say(message)
    assert expected in texts(replies)
    assert await saved_state(core, "owner-1") == before
    # The form goes on where it was.
    assert "3/5" in texts(await chat.say(VALID_TAX_CODE))


@pytest.mark.parametrize("kind", [MessageKind.PHOTO, MessageKind.STICKER, MessageKind.OTHER])
async def test_photo_or_sticker_where_text_is_expected(core, kind: MessageKind) -> None:
    chat = ConsoleChat(core.dispatcher, user_id="owner-1")
    await at_tax_code_step(chat)
    before = await saved_state(core, "owner-1")
    replies = await core.dispatcher.handle(Incoming(channel="console", user_id="owner-1",
                                                    kind=kind))
    assert "tôi chỉ đọc được tin nhắn chữ" in texts(replies)
    assert replies[0].choices  # the Skip button is offered again
    assert await saved_state(core, "owner-1") == before


async def test_bad_input_is_answered_in_english_for_english_users(chat: ConsoleChat) -> None:
    await chat.say("/lang en")
    assert "looks empty" in texts(await chat.say("\u200b"))
    assert "too long (5,000 characters)" in texts(await chat.say("y" * 5000))
    assert "I don't know the command /xyz" in texts(await chat.say("/xyz"))


async def test_stale_and_forged_buttons_are_refused_politely(chat: ConsoleChat, core) -> None:
    replies = await chat.say("ignored", payload="nosuchprefix:1")
    assert "Nút này không còn dùng được" in texts(replies)
    replies = await chat.say("ignored", payload="profile:sector:mechanical")
    assert "Nút đó thuộc một tin nhắn trước" in texts(replies)
    await at_tax_code_step(chat)
    replies = await chat.say("ignored", payload="profile:commune:99999")
    assert "Nút đó thuộc một tin nhắn trước" in texts(replies)
    # Still at the tax code, whose Skip button is offered again with the notice.
    assert [c.payload for c in replies[-1].choices] == ["pf:skip", "pf:back"]
