"""Broadcasts to former districts (before 1/7/2025): staff choose them on Telegram's buttons or
type their names in the console (without diacritics, with a typo), and only subscribers of
the communes formed wholly or partly from them get the broadcast, with the other filters."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update

from bot.app import Core, build_core
from bot.broadcast_admin import show_broadcast
from bot.channels.console import ConsoleChat
from handlers.i18n import load_translators
from handlers.sectors import SECTORS
from storage.models import AuditEntry, User
from storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.fakes.telegram_server import FakeTelegram
from tests.test_broadcasts import STAFF, _press, _say, add_establishments, rows, run_to_end
from tests.test_first_conversation import labels, texts
from tests.test_telegram import buttons

AN_LAO = "11629"  # xã An Lão: all of it from huyện An Lão
PHU_LIEN = "11446"  # phường Phù Liễn: quận Kiến An and part of An Lão's Trường Sơn
KIEN_AN = "11443"  # phường Kiến An: quận Kiến An only
KIEN_THUY = "11680"  # xã Kiến Thụy: huyện Kiến Thụy
HAI_DUONG = "10525"  # phường Hải Dương: the former Hải Dương city


def button(message: dict, label: str) -> str:
    (data,) = [d for text, d in buttons(message) if text.removeprefix("✓ ") == label]
    return data


async def test_staff_on_telegram_reach_only_the_communes_formed_from_a_former_district(
        tg: FakeTelegram, polling: Core, locales_dir: Path, capsys) -> None:
    await _say(tg, STAFF, "/start")
    async with UnitOfWork(polling.session_factory) as uow:
        await uow._session.execute(update(User).where(User.channel_user_id == str(STAFF))
                                   .values(role="staff"))
        await uow.commit()
    await add_establishments(polling, [("telegram", chat, commune, "food") for chat, commune in (
        ("21", AN_LAO), ("22", PHU_LIEN), ("23", KIEN_AN), ("24", HAI_DUONG))])

    await _say(tg, STAFF, "/thongbao", 2)
    await _say(tg, STAFF, "Tập huấn làng nghề An Lão")
    (area,) = await _press(tg, STAFF, "bf:skip")  # no photo or document
    (districts,) = await _press(tg, STAFF, button(
        area, "Theo huyện/quận/thị xã/thành phố cũ (trước 1/7/2025)"))
    assert "trước 1/7/2025" in districts["text"]
    names = [text for text, _data in buttons(districts)]
    assert len(names) == 27 + 2  # every former district, Done and Back
    assert names.index("quận Hồng Bàng") < names.index("huyện Bạch Long Vĩ") < names.index(
        "thành phố Hải Dương")  # the former Hai Phong city's first
    (ticked,) = await _press(tg, STAFF, button(districts, "huyện An Lão"))
    assert "✓ huyện An Lão" in [text for text, _data in buttons(ticked)]
    (sectors,) = await _press(tg, STAFF, button(ticked, "Xong"))
    (review,) = await _press(tg, STAFF, button(sectors, "Bỏ qua"))
    assert "huyện An Lão" in review["text"]
    _notice, _preview, counts = await _press(tg, STAFF, "bf:submit", 3)
    assert "Địa điểm: huyện An Lão (cũ, trước 1/7/2025)" in counts["text"]
    assert "phường Phù Liễn" in counts["text"] and "xã An Trường" in counts["text"]
    assert ("Kể cả đơn vị chỉ có một phần thuộc địa bàn cũ này: phường Phù Liễn (có cả phần "
            "của quận Kiến An)") in counts["text"]
    assert "Telegram: 2" in counts["text"]  # An Lão and Phù Liễn; staff has no establishment
    (created,) = await _press(tg, STAFF, "bc:now")
    broadcast_id = int(next(d for _l, d in buttons(created) if d.startswith("bk:"))[3:])

    await run_to_end(polling, [polling.telegram], broadcast_id)
    assert await rows(polling, broadcast_id) == {"21": "sent", "22": "sent"}
    for chat, expected in ((21, 1), (22, 1), (23, 0), (24, 0)):
        got = [m for m in tg.messages_to(chat) if "Tập huấn làng nghề" in m["text"]]
        assert len(got) == expected, chat

    async with UnitOfWork(polling.session_factory) as uow:
        entry = (await uow._session.execute(select(AuditEntry).where(
            AuditEntry.action == "broadcast.create"))).scalar_one()
    assert entry.details["audience"]["labels"] == {"districts": ["313"]}
    assert entry.details["audience_text"].startswith(
        "Địa điểm: huyện An Lão (cũ, trước 1/7/2025)\nNay gồm 6 xã, phường, đặc khu: ")
    translator = load_translators(locales_dir)["vi"]
    capsys.readouterr()
    assert await show_broadcast(polling.settings.database_url, broadcast_id, translator) == 0
    shown = capsys.readouterr().out
    assert "audience:\nĐịa điểm: huyện An Lão (cũ, trước 1/7/2025)\n" in shown
    assert "phường Phù Liễn (có cả phần của quận Kiến An)" in shown


async def test_typed_district_names_and_other_filters_narrow_the_audience(
        tg: FakeTelegram, database_url: str, locales_dir: Path) -> None:
    core = build_core(make_settings(database_url, locales_dir, telegram_token=tg.token,
                                    telegram_api_base_url=tg.url,
                                    admin_ids=frozenset({"console:boss"})))
    try:
        await add_establishments(core, [("telegram", *person) for person in (
            ("31", AN_LAO, "food"), ("32", PHU_LIEN, "food"), ("33", KIEN_THUY, "food"),
            ("34", KIEN_THUY, "handicraft"), ("35", KIEN_AN, "food"),
            ("36", HAI_DUONG, "food"))])
        staff = ConsoleChat(core.dispatcher, user_id="boss")
        await staff.say("/thongbao")
        await staff.say("Hỗ trợ máy móc chế biến thực phẩm")
        await staff.say("", payload="bf:skip")  # no attachment
        replies = await staff.say("3")  # the console numbers the choices: "by former district"
        assert "Thuộc huyện/quận/thị xã/thành phố cũ nào" in texts(replies)
        # Without diacritics, and a typo: An Lão is ticked, Kiến Thụy offered.
        replies = await staff.say("an lao, kien thuyy")
        assert "Đã ghi nhận: huyện An Lão." in texts(replies)
        assert "Tôi không tìm thấy \"kien thuyy\"" in texts(replies)
        assert labels(replies)[0] == "huyện Kiến Thụy"
        replies = await staff.say("1")
        assert {"✓ huyện An Lão", "✓ huyện Kiến Thụy"} <= set(labels(replies))
        replies = await staff.say("xyz")
        assert "Tôi không tìm thấy \"xyz\"" in texts(replies)
        await staff.press("Xong")
        await staff.say(str(list(SECTORS).index("food") + 1))  # food processing only
        replies = await staff.press("Xong")
        assert "huyện An Lão; huyện Kiến Thụy" in texts(replies)  # the review
        preview = texts(await staff.press("Gửi"))
        assert "Địa điểm: huyện An Lão, huyện Kiến Thụy (cũ, trước 1/7/2025)" in preview
        assert "xã Kiến Thụy" in preview and "phường Phù Liễn (có cả phần" in preview
        assert "3 người nhận" in preview
        await staff.say("", payload="bc:now")
        await core.scheduler.run_due()  # lists the recipients
        async with UnitOfWork(core.session_factory) as uow:
            (broadcast,) = await uow.broadcasts.unfinished()
        assert set(await rows(core, broadcast.id)) == {"31", "32", "33"}
    finally:
        await core.close()
