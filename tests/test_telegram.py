"""Telegram end to end: a real python-telegram-bot Application against the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession

from bot.channels.telegram import TelegramChannel
from tests.conftest import webhook_bot
from tests.fakes.telegram_server import FakeTelegram

OWNER = 111


def buttons(message: dict) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


async def test_polling_conversation_with_inline_buttons(tg: FakeTelegram, polling) -> None:
    await tg.user_sends(OWNER, "/start")
    (greeting,) = await tg.wait_for_messages(OWNER, 1)
    assert greeting["text"].startswith("Xin chào")
    assert ("Hồ sơ doanh nghiệp của tôi", "profile") in buttons(greeting)

    await tg.user_presses(OWNER, "profile")
    consent = (await tg.wait_for_messages(OWNER, 2))[-1]
    assert "Anh/chị có đồng ý không?" in consent["text"]
    assert tg.calls("answerCallbackQuery"), "the button's progress indicator must stop"

    await tg.user_presses(OWNER, "profile:consent")
    await tg.wait_for_messages(OWNER, 4)
    await tg.user_sends(OWNER, "Công ty TNHH Cơ khí Toàn Phát")
    assert "2/5" in (await tg.wait_for_messages(OWNER, 5))[-1]["text"]


async def test_an_answer_has_a_bold_title_and_sources_as_links(tg: FakeTelegram, polling) -> None:
    await tg.user_sends(OWNER, "mua máy được hỗ trợ bao nhiêu tiền")
    (answer,) = await tg.wait_for_messages(OWNER, 1)
    sent = tg.calls("sendMessage")[-1]
    assert sent["parse_mode"] == "HTML"
    assert sent["text"].startswith("<b>Mua máy được hỗ trợ bao nhiêu tiền?</b>\n")
    assert '<a href="https://congnghieptieudung.vn/' in sent["text"]
    assert "congnghieptieudung.vn" in answer["text"] and "https://" not in answer["text"]


async def test_command_menu_is_set_in_vietnamese_and_english(tg: FakeTelegram, polling) -> None:
    vi = [c["command"] for c in tg.visible_commands(OWNER, "vi")]
    assert {"start", "hoso", "xoadulieu", "lang", "help"} <= set(vi)
    assert "capquyen" not in vi and "nhanvien" not in vi
    english = {c["command"]: c["description"] for c in tg.visible_commands(OWNER, "en")}
    assert english["hoso"] == "See or fill in your enterprise profile"
    default = {c["command"]: c["description"] for c in tg.visible_commands(OWNER, "de")}
    assert default["hoso"] == "Xem hoặc khai hồ sơ cơ sở"


async def test_photo_and_sticker_get_a_polite_answer(tg: FakeTelegram, polling) -> None:
    await tg.user_sends_photo(OWNER)
    await tg.user_sends_sticker(OWNER)
    replies = await tg.wait_for_messages(OWNER, 2)
    assert all("chỉ đọc được tin nhắn chữ" in m["text"] for m in replies)


async def test_429_is_waited_out_and_the_reply_still_arrives(tg: FakeTelegram, polling) -> None:
    tg.fail_next("sendMessage", error_code=429, retry_after=1)
    await tg.user_sends(OWNER, "/menu")
    (menu,) = await tg.wait_for_messages(OWNER, 1, timeout=10)
    assert menu["text"] == "Anh/chị muốn làm gì?"
    assert len(tg.calls("sendMessage")) == 2  # refused once, then retried


async def test_a_blocked_user_does_not_break_the_bot(tg: FakeTelegram, polling) -> None:
    await tg.user_blocks_bot(OWNER)
    await tg.user_sends(OWNER, "/menu")  # the bot's answer is refused with 403
    await tg.wait_for_calls("sendMessage", 1)
    await tg.user_sends(222, "/menu")
    assert (await tg.wait_for_messages(222, 1))[0]["text"] == "Anh/chị muốn làm gì?"


@pytest.fixture
async def webhook(tg: FakeTelegram, sqlite_url: str, locales_dir) -> AsyncIterator[dict]:
    """The bot's own aiohttp server on loopback, with Telegram set to call it."""
    async with webhook_bot(tg, sqlite_url, locales_dir,
                           telegram_webhook_secret="s3cret-token") as (core, channel, url):
        yield {"core": core, "url": url, "channel": channel}


async def test_webhook_mode_answers_through_the_bots_own_server(tg: FakeTelegram,
                                                                webhook) -> None:
    assert tg.webhook_url == webhook["url"]
    await tg.user_sends(OWNER, "/start")
    assert tg.last_webhook_status == 200
    (greeting,) = await tg.wait_for_messages(OWNER, 1)
    assert greeting["text"].startswith("Xin chào")
    assert not tg.pending_updates


MENU_UPDATE = {"update_id": 500, "message": {
    "message_id": 1, "date": 1764230000, "text": "/menu",
    "chat": {"id": OWNER, "type": "private", "first_name": "X"},
    "from": {"id": OWNER, "is_bot": False, "first_name": "X"}}}


async def test_webhook_with_a_wrong_secret_is_refused(tg: FakeTelegram, webhook) -> None:
    async with ClientSession() as session:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            async with session.post(webhook["url"], json=MENU_UPDATE,
                                    headers=headers) as response:
                assert response.status == 403
    assert tg.messages_to(OWNER) == []


async def test_webhook_redelivery_is_applied_once(tg: FakeTelegram, webhook) -> None:
    await tg.user_sends(OWNER, "/menu")
    await tg.wait_for_messages(OWNER, 1)
    # Telegram delivers the same update again (e.g. our 200 was lost on the way back).
    await tg.push_update(MENU_UPDATE)
    await tg.push_update(MENU_UPDATE)
    assert tg.last_webhook_status == 200
    assert len(tg.messages_to(OWNER)) == 2  # the first /menu and one for update 500


async def test_webhook_acknowledges_only_after_the_update_is_applied(
    tg: FakeTelegram, webhook, monkeypatch
) -> None:
    dispatcher = webhook["core"].dispatcher

    async def database_down(msg):
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(dispatcher, "handle", database_down)
    await tg.user_sends(OWNER, "/menu")
    assert tg.last_webhook_status == 500
    assert len(tg.pending_updates) == 1  # Telegram keeps it and will deliver it again
    monkeypatch.undo()
    await tg.deliver_pending_updates()
    assert tg.last_webhook_status == 200
    assert (await tg.wait_for_messages(OWNER, 1))[0]["text"] == "Anh/chị muốn làm gì?"


async def test_staff_answer_is_pushed_to_a_telegram_user(tg: FakeTelegram, polling) -> None:
    from bot.channels.console import ConsoleChat
    from bot.outbox_sender import OutboxSender

    channel = TelegramChannel.from_settings(polling.settings, polling)
    await channel.application.initialize()
    sender = OutboxSender(polling.session_factory, channel,
                          interval=0.05)
    await tg.user_sends(OWNER, "lịch nghỉ tết của trung tâm")
    await tg.wait_for_messages(OWNER, 1)
    await tg.user_presses(OWNER, "qa:fwd:1")
    await tg.wait_for_messages(OWNER, 2)

    staff = ConsoleChat(polling.dispatcher, user_id="can-bo", operator=True)
    await staff.say("/cauhoi")
    await staff.say("", payload="qastaff:answer:1")
    await staff.say("Trung tâm nghỉ Tết từ 27 tháng Chạp.")
    sender.start()
    try:
        pushed = (await tg.wait_for_messages(OWNER, 3))[-1]
    finally:
        await sender.stop()
        await channel.application.shutdown()
    assert "Cán bộ Trung tâm đã trả lời" in pushed["text"]
    assert "nghỉ Tết từ 27 tháng Chạp" in pushed["text"]
    # Delivered once: the user's next message does not repeat it.
    await tg.user_sends(OWNER, "/menu")
    assert (await tg.wait_for_messages(OWNER, 4))[-1]["text"] == "Anh/chị muốn làm gì?"
