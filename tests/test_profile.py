"""Enterprise profile stories: consent, one question at a time, validation, view, delete."""

from __future__ import annotations

from pathlib import Path

from bot.app import build_core
from bot.channels.console import ConsoleChat
from storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.test_first_conversation import labels, texts

VALID_TAX_CODE = "0100109106"  # Viettel's; its check digit is right


async def fill_profile(chat: ConsoleChat) -> None:
    await chat.say("/hoso")
    await chat.press("Tôi đồng ý")
    await chat.say("Công ty TNHH Cơ khí đúc Thành Phương")
    await chat.say(VALID_TAX_CODE)
    await chat.say("0912 345 678")
    await chat.say("an thanh")
    await chat.press("Cơ khí, điện, điện tử, công nghiệp hỗ trợ")


async def profile_of(core, user_id: str):
    async with UnitOfWork(core.session_factory) as uow:
        user = await uow.users.find("console", user_id)
        return user and await uow.profiles.get(user.id)


async def test_nothing_is_stored_without_consent(chat: ConsoleChat, core) -> None:
    replies = await chat.say("/hoso")
    assert "Anh/chị có đồng ý không?" in texts(replies)
    replies = await chat.press("Tôi không đồng ý")
    assert "không lưu" in texts(replies)
    await chat.say("Công ty ABC")  # not a profile answer any more
    assert await profile_of(core, "owner-1") is None


async def test_full_profile_is_saved_and_shown(chat: ConsoleChat, core) -> None:
    await fill_profile(chat)
    profile = await profile_of(core, "owner-1")
    assert profile.name == "Công ty TNHH Cơ khí đúc Thành Phương"
    assert (profile.tax_code, profile.phone, profile.sector) == (
        VALID_TAX_CODE,
        "0912345678",
        "mechanical",
    )
    assert core.dispatcher._services.communes.get(profile.commune).name == "An Thành"
    shown = texts(await chat.say("/hoso"))
    assert "Xã An Thành, Hải Phòng" in shown and VALID_TAX_CODE in shown
    assert "Anh/chị đồng ý cho lưu các thông tin này ngày" in shown


async def test_invalid_tax_code_and_phone_are_asked_again(chat: ConsoleChat) -> None:
    await chat.say("/hoso")
    await chat.press("Tôi đồng ý")
    await chat.say("Hộ kinh doanh Mây tre Phú Nghĩa")
    replies = await chat.say("0100109107")  # wrong check digit
    assert "Mã số thuế chưa đúng" in texts(replies)
    replies = await chat.say("0100109106-001")  # a branch
    assert "3/5" in texts(replies)
    assert "Số điện thoại chưa đúng" in texts(await chat.say("12345"))
    assert "4/5" in texts(await chat.say("+84 225 3123 456"))


async def test_ambiguous_commune_offers_choices(chat: ConsoleChat) -> None:
    await chat.say("/hoso")
    await chat.press("Tôi đồng ý")
    await chat.say("Cơ sở A")
    await chat.press("Bỏ qua")
    await chat.press("Bỏ qua")
    replies = await chat.say("xyz không có")
    assert "Tôi không tìm thấy" in texts(replies)
    replies = await chat.say("Cát Hải")
    assert "Đặc khu Cát Hải" in texts(replies) and "5/5" in texts(replies)


async def test_restart_in_the_middle_resumes_at_the_same_step(
    sqlite_url: str, locales_dir: Path
) -> None:
    first = build_core(make_settings(sqlite_url, locales_dir))
    chat = ConsoleChat(first.dispatcher, user_id="owner-2")
    await chat.say("/hoso")
    await chat.press("Tôi đồng ý")
    await chat.say("Công ty Quang Hải")
    await first.close()  # the process dies

    second = build_core(make_settings(sqlite_url, locales_dir))
    chat = ConsoleChat(second.dispatcher, user_id="owner-2")
    replies = await chat.say(VALID_TAX_CODE)
    assert "3/5" in texts(replies)
    await second.close()


async def test_delete_all_data_after_confirmation(chat: ConsoleChat, core) -> None:
    await fill_profile(chat)
    replies = await chat.say("/xoadulieu")
    assert "Không thể khôi phục" in texts(replies)
    await chat.press("Không, giữ lại dữ liệu")
    assert await profile_of(core, "owner-1") is not None
    await chat.say("/xoadulieu")
    replies = await chat.press("Có, xóa hết")
    assert "đã được xóa" in texts(replies)
    assert await profile_of(core, "owner-1") is None
    async with UnitOfWork(core.session_factory) as uow:
        assert await uow.users.find("console", "owner-1") is None
        assert [e.action for e in await uow.audit.recent()] == ["user.delete_own_data"]


async def test_editing_keeps_the_saved_profile_until_finished(chat: ConsoleChat, core) -> None:
    await fill_profile(chat)
    await chat.say("/hoso")
    replies = await chat.press("Sửa")
    assert "Hiện tại: Công ty TNHH Cơ khí đúc Thành Phương" in texts(replies)
    await chat.say("Tên mới")
    await chat.say("/huy")
    assert (await profile_of(core, "owner-1")).name == "Công ty TNHH Cơ khí đúc Thành Phương"
    assert "Hướng dẫn" in labels(await chat.say("/menu"))


async def test_consent_typed_as_yes_is_consent(chat: ConsoleChat) -> None:
    """"có" typed to "Tôi đồng ý" / "Tôi không đồng ý" was read as small talk: the menu came
    back as if it had been agreed, and nothing was saved."""
    await chat.say("/hoso")
    replies = await chat.say("có ạ")
    assert "Câu 1/5" in texts(replies)  # the profile's questions begin


async def test_consent_refused_by_typing_no(core) -> None:
    chat = ConsoleChat(core.dispatcher, user_id="khach-2")
    await chat.say("/hoso")
    replies = await chat.say("ko")
    assert "Câu 1/5" not in texts(replies)
    async with UnitOfWork(core.session_factory) as uow:
        user = await uow.users.find("console", "khach-2")
        assert await uow.profiles.consent(user.id, "enterprise_profile") is None


async def test_a_question_typed_for_the_name_is_not_saved_as_the_name(chat: ConsoleChat) -> None:
    await chat.say("/hoso")
    await chat.press("Tôi đồng ý")
    replies = await chat.say("cho em hoi ho tro may moc bao nhieu tien a?")
    assert "vui lòng gõ tên cơ sở (tối đa 200 ký tự)" in texts(replies)
    assert "/huy" in texts(replies)
    replies = await chat.say("Cơ sở Mây tre Phú Nghĩa")
    assert "Câu 2/5" in texts(replies)
