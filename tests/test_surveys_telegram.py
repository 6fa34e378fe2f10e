"""A demand survey answered on Telegram: a real PTB Application against the fake Bot API."""

from __future__ import annotations

from bot.app import Core
from storage.models import ResponseStatus
from tests.fakes.telegram_server import FakeTelegram
from tests.test_surveys_chat import demand_form, publish, responses
from tests.test_telegram import buttons

OWNER = 333


async def press(tg: FakeTelegram, label: str, new_messages: int = 1) -> dict:
    """Press the button labelled `label` on the bot's latest message; return the bot's
    latest message once `new_messages` more have arrived."""
    sent = tg.messages_to(OWNER)
    offered = dict(buttons(sent[-1]))
    assert label in offered, (label, sent[-1]["text"], list(offered))
    await tg.user_presses(OWNER, offered[label])
    return (await tg.wait_for_messages(OWNER, len(sent) + new_messages))[-1]


async def say(tg: FakeTelegram, text: str, new_messages: int = 1) -> dict:
    count = len(tg.messages_to(OWNER))
    await tg.user_sends(OWNER, text)
    return (await tg.wait_for_messages(OWNER, count + new_messages))[-1]


async def test_a_survey_answered_with_telegram_buttons(tg: FakeTelegram, polling: Core) -> None:
    await publish(polling, demand_form())
    await say(tg, "/hoso")
    await press(tg, "Tôi đồng ý", 2)
    await say(tg, "Hợp tác xã Mây tre Phú Nghĩa")
    await say(tg, "0100109106")
    await press(tg, "Bỏ qua")
    await press(tg, "Bỏ qua")
    await press(tg, "Tiểu thủ công nghiệp, thủ công mỹ nghệ", 2)

    listing = await say(tg, "/khaosat")
    assert "chưa bắt đầu" in listing["text"]
    first = await press(tg, buttons(listing)[0][0], 2)
    assert "Câu 1/6" in first["text"]
    assert all(len(data.encode()) <= 64 for _label, data in buttons(first))

    await press(tg, "Thủ công mỹ nghệ")
    await say(tg, "12")
    ticked = await press(tg, "Đào tạo nghề")
    assert "✓ Đào tạo nghề" in [label for label, _ in buttons(ticked)]
    await press(tg, "Xong")
    summary = await press(tg, "Bỏ qua")
    assert "Vui lòng kiểm tra lại" in summary["text"] and "Đào tạo nghề" in summary["text"]
    # An old button, from the question before, changes nothing now; the notice offers the
    # summary's buttons again.
    count = len(tg.messages_to(OWNER))
    await tg.user_presses(OWNER, dict(buttons(ticked))["Xong"], message_id=ticked["message_id"])
    assert "tin nhắn trước" in (await tg.wait_for_messages(OWNER, count + 1))[-1]["text"]
    thanks = await press(tg, "Gửi")
    assert "Cảm ơn anh/chị" in thanks["text"]
    (response,) = await responses(polling)
    assert response.status == ResponseStatus.SUBMITTED
    assert response.progress["a"]["needs"] == ["training"]


async def test_charts_go_out_as_a_photo_and_exports_as_a_file(tg: FakeTelegram,
                                                              polling: Core) -> None:
    """/ketqua's PNG of charts is shown in the chat as a picture; an export is a file."""
    import io

    from matplotlib.figure import Figure

    from handlers.types import Document, Reply

    png = io.BytesIO()
    Figure(figsize=(2, 1)).savefig(png, format="png")
    outcomes = await polling.telegram.deliver(str(OWNER), [
        Reply("Biểu đồ", document=Document("bieu-do.png", png.getvalue(), "image/png")),
        Reply("Tệp", document=Document("nhu_cau.xlsx", b"PK\x03\x04", "application/zip"))])
    assert [o.kind for o in outcomes] == ["sent", "sent"]
    assert len(tg.calls("sendPhoto")) == 1 and len(tg.calls("sendDocument")) == 1
