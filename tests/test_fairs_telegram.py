"""A fair on Telegram: register with buttons, wait, get the freed booth's offer pushed with
its buttons by the outbox sender, and take it (real PTB Application, fake Bot API)."""

from __future__ import annotations

from bot.app import Core
from bot.outbox_sender import OutboxSender
from tests.fakes.telegram_server import FakeTelegram
from tests.test_fairs_chat import TAX_CODES, add_fair, registrations
from tests.test_telegram import buttons

FIRST, SECOND = 401, 402


async def press(tg: FakeTelegram, user: int, label: str, new_messages: int = 1) -> dict:
    sent = tg.messages_to(user)
    offered = dict(buttons(sent[-1]))
    assert label in offered, (label, sent[-1]["text"], list(offered))
    await tg.user_presses(user, offered[label])
    return (await tg.wait_for_messages(user, len(sent) + new_messages))[-1]


async def say(tg: FakeTelegram, user: int, text: str, new_messages: int = 1) -> dict:
    count = len(tg.messages_to(user))
    await tg.user_sends(user, text)
    return (await tg.wait_for_messages(user, count + new_messages))[-1]


async def profile_and_register(tg: FakeTelegram, user: int, tax_code: str) -> dict:
    await say(tg, user, "/hoso")
    await press(tg, user, "Tôi đồng ý", 2)
    await say(tg, user, "Cơ sở nước mắm Cát Hải")
    await say(tg, user, tax_code)
    await say(tg, user, "0912345678")
    await press(tg, user, "Bỏ qua")
    await press(tg, user, "Chế biến nông, lâm, thủy sản và thực phẩm", 2)
    listing = await say(tg, user, "/hoicho")
    assert "Hội chợ Công Thương Hải Phòng 2027" in listing["text"]
    register = next(label for label, _ in buttons(listing) if label.startswith("Đăng ký:"))
    await press(tg, user, register, 2)
    await say(tg, user, "Phạm Văn Hải")
    await press(tg, user, "Giữ nguyên")
    summary = await say(tg, user, "Nước mắm cốt")
    assert "Phạm Văn Hải" in summary["text"]
    return await press(tg, user, "Gửi")


async def test_a_freed_booth_is_offered_on_telegram_and_taken_with_its_button(
        tg: FakeTelegram, polling: Core) -> None:
    await add_fair(polling, booths=1)
    confirmed = await profile_and_register(tg, FIRST, TAX_CODES[0])
    assert "Đăng ký thành công" in confirmed["text"]
    waiting = await profile_and_register(tg, SECOND, TAX_CODES[1])
    assert "số thứ tự 1" in waiting["text"]

    mine = await press(tg, FIRST, "Đăng ký của tôi")
    cancel = next(label for label, _ in buttons(mine) if label.startswith("Hủy:"))
    await press(tg, FIRST, cancel)
    await press(tg, FIRST, "Có, hủy đăng ký")

    sender = OutboxSender(polling.session_factory, polling.telegram, interval=0.05)
    sender.start()
    try:
        offer = (await tg.wait_for_messages(SECOND, len(tg.messages_to(SECOND)) + 1))[-1]
    finally:
        await sender.stop()
    assert "Tin vui" in offer["text"]
    assert [label for label, _ in buttons(offer)] == ["Có, chúng tôi nhận", "Không, nhường lại"]
    taken = await press(tg, SECOND, "Có, chúng tôi nhận")
    assert "Xong" in taken["text"]
    assert [r.status for r in await registrations(polling)] == ["cancelled", "confirmed"]
