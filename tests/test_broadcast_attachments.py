"""A broadcast's photo or document, end to end: staff send it to the bot as a file (Telegram,
Zalo Bot, Zalo OA), the preview shows it as recipients get it, and the senders deliver it on
every channel (Telegram by file_id, Zalo Bot by our link, Zalo OA uploaded once); refused
files keep the form; a long text follows its photo; a killed sender sends each recipient one
photo."""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.app import Core, build_core
from bot.broadcast_sender import BroadcastSender, ChannelPace
from bot.channels.console import ConsoleChat
from bot.channels.telegram import TelegramChannel
from bot.channels.webchat import reply_json
from handlers import attachments
from handlers.attachments import sniff
from handlers.kb.knowledge_base import KnowledgeBase
from handlers.types import Attachment, FileKind, Reply
from storage.models import BroadcastRecipient, User
from storage.uow import UnitOfWork
from tests.conftest import (
    MovableClock,
    bot_server,
    make_settings,
    zalo_bot_settings,
    zalo_oa_settings,
)
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.zalo_bot_server import FakeZaloBot
from tests.fakes.zalo_oa_server import FakeZaloOA
from tests.test_broadcasts import FOOTER, add_users, rows, run_to_end

STAFF = 900
PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00 a small photo" * 64
PDF = b"%PDF-1.7\n" + b"% a plan of the fair\n" * 40
TEXT = "Hội chợ OCOP Hải Phòng 2027 mở đăng ký đến 20/12."


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


@pytest.fixture
async def everywhere(tg: FakeTelegram, zbot: FakeZaloBot, zoa: FakeZaloOA, sqlite_url: str,
                     locales_dir: Path, knowledge_base: KnowledgeBase
                     ) -> AsyncIterator[Core]:
    """The bot on Telegram (polling), Zalo Bot and Zalo OA (webhooks), serving media links."""
    async with bot_server(sqlite_url, locales_dir, kb=knowledge_base,
                          telegram_token=tg.token, telegram_api_base_url=tg.url,
                          **zalo_bot_settings(zbot), **zalo_oa_settings(zoa)
                          ) as (core, channels, url):
        zoa.webhook_url = f"{url}/webhooks/zalo-oa"
        core.channels = channels
        yield core


async def make_staff(core: Core, channel: str, user_id: str) -> None:
    async with UnitOfWork(core.session_factory) as uow:
        await uow._session.execute(update(User).where(User.channel == channel,
                                                      User.channel_user_id == user_id)
                                   .values(role="staff"))
        await uow.commit()


async def said(tg: FakeTelegram, chat: int, action, new: int = 1) -> list[dict]:
    """Do something as the user; the bot's `new` messages that follow."""
    count = len(tg.messages_to(chat))
    await action
    return (await tg.wait_for_messages(chat, count + new))[count:]


async def subscribers(tg: FakeTelegram, zbot: FakeZaloBot, zoa: FakeZaloOA) -> None:
    """Two users on each channel, and the staff member on Telegram."""
    for chat in (STAFF, 11, 12):
        await said(tg, chat, tg.user_sends(chat, "/start"))
    for user in ("zb-1", "zb-2"):
        await zbot.user_sends(user, "/start")
    for user in ("oa-1", "oa-2"):
        assert await zoa.user_sends(user, "/start") == 200


async def compose_on_telegram(tg: FakeTelegram, core: Core, text: str, send_file
                              ) -> tuple[list[dict], int]:
    """/thongbao on Telegram with a file: (the preview's messages, the broadcast's id)."""
    await make_staff(core, "telegram", str(STAFF))
    await said(tg, STAFF, tg.user_sends(STAFF, "/thongbao"), 2)
    (attach,) = await said(tg, STAFF, tg.user_sends(STAFF, text))
    assert "ảnh" in attach["text"] and "Word" in attach["text"]
    await said(tg, STAFF, send_file)  # the channels question follows
    await said(tg, STAFF, tg.user_presses(STAFF, "bf:skip"))  # every channel
    await said(tg, STAFF, tg.user_presses(STAFF, "bf:o:0"))  # anywhere
    (review,) = await said(tg, STAFF, tg.user_presses(STAFF, "bf:skip"))  # every sector
    assert "📎" in review["text"]
    before = len(tg.messages_to(STAFF))
    await tg.user_presses(STAFF, "bf:submit")
    # The notice, the preview (one message or two), then the figures with the buttons.
    await tg.wait_until(lambda: "bc:now" in str(tg.messages_to(STAFF)[-1]))
    preview = tg.messages_to(STAFF)[before:]
    (created,) = await said(tg, STAFF, tg.user_presses(STAFF, "bc:now"))
    buttons = created["reply_markup"]["inline_keyboard"]
    return preview, int(buttons[0][0]["callback_data"][3:])


# --- composing on Telegram, receiving everywhere ---------------------------------------------

async def test_a_photo_from_staff_on_telegram_reaches_telegram_and_zalo_with_the_text(
        tg: FakeTelegram, zbot: FakeZaloBot, zoa: FakeZaloOA, everywhere: Core) -> None:
    await subscribers(tg, zbot, zoa)
    preview, broadcast_id = await compose_on_telegram(
        tg, everywhere, TEXT, tg.user_sends_photo(STAFF, content=PHOTO))
    # The preview is the photo with the text as its caption, as recipients get it.
    _notice, shown, counts = preview
    assert shown["photo"] and shown["caption"].endswith(TEXT)
    assert "Telegram: 3" in counts["text"] and "Zalo Bot: 2" in counts["text"]
    staff_photo = tg.calls("getFile")[-1]["file_id"]
    assert tg.file_bytes(staff_photo) == PHOTO

    await run_to_end(everywhere, everywhere.channels, broadcast_id, timeout=30)
    assert set((await rows(everywhere, broadcast_id)).values()) == {"sent"}
    for chat in (11, 12):
        (message,) = [m for m in tg.messages_to(chat) if "photo" in m]
        assert TEXT in message["caption"] and FOOTER in message["caption"]
    # Telegram: the staff member's file_id, never uploaded again.
    assert {call["photo"] for call in tg.calls("sendPhoto")} == {staff_photo}
    # Zalo Bot: by our link, which Zalo fetched; the text as the caption.
    for user in ("zb-1", "zb-2"):
        (message,) = [m for m in zbot.messages_to(user) if "photo" in m]
        assert TEXT in message["caption"] and zbot.photos[message["photo"]] == PHOTO
    # Zalo OA: uploaded once for the broadcast, then the image and the text, in that order.
    assert len(zoa.calls("upload/image")) == 1
    (uploaded,) = zoa.uploads.values()
    assert uploaded == PHOTO
    for user in ("oa-1", "oa-2"):
        *_greeting, image, text = zoa.messages_to(user)
        assert image["attachment"]["payload"]["elements"][0]["attachment_id"] in zoa.uploads
        assert TEXT in text["text"]
    async with UnitOfWork(everywhere.session_factory) as uow:
        broadcast = await uow.broadcasts.get(broadcast_id)
    assert broadcast.attachment["refs"]["zalo_oa"].startswith("image:")
    assert broadcast.attachment["refs"]["telegram"] == staff_photo


async def test_a_document_goes_as_a_document_a_link_and_an_uploaded_file(
        tg: FakeTelegram, zbot: FakeZaloBot, zoa: FakeZaloOA, everywhere: Core) -> None:
    await subscribers(tg, zbot, zoa)
    preview, broadcast_id = await compose_on_telegram(
        tg, everywhere, TEXT, tg.user_sends_document(STAFF, PDF, "Kế hoạch hội chợ.pdf",
                                                      mime_type="application/pdf"))
    shown = preview[1]
    assert shown["document"]["file_name"] == "Kế hoạch hội chợ.pdf"
    assert shown["caption"].endswith(TEXT)
    await run_to_end(everywhere, everywhere.channels, broadcast_id, timeout=30)
    assert set((await rows(everywhere, broadcast_id)).values()) == {"sent"}
    (message,) = [m for m in tg.messages_to(11) if "document" in m]
    assert TEXT in message["caption"]
    assert not [call for call in tg.calls("sendDocument") if not isinstance(
        call["document"], str)]  # by file_id only
    # Zalo Bot has no documents: a link to our server, first, then the text.
    *_greeting, link, text = zbot.messages_to("zb-1")
    assert link["text"].startswith("📎 Kế hoạch hội chợ.pdf\nhttp://127.0.0.1:")
    assert TEXT in text["text"]
    url = link["text"].split("\n")[1]
    async with zbot.session.get(url) as response:
        assert response.status == 200 and await response.read() == PDF
    # Zalo OA: the file uploaded once, sent by its token before the text.
    assert len(zoa.calls("upload/file")) == 1
    *_greeting, file, text = zoa.messages_to("oa-2")
    assert file["attachment"]["payload"]["token"] in zoa.file_uploads
    assert TEXT in text["text"]


async def test_a_long_text_follows_its_photo_on_telegram_in_the_preview_too(
        tg: FakeTelegram, zbot: FakeZaloBot, zoa: FakeZaloOA, everywhere: Core) -> None:
    await subscribers(tg, zbot, zoa)
    long_text = " ".join(["Thông tin chi tiết về chương trình khuyến công năm 2027."] * 20)
    assert 1024 < len(long_text) < 2000
    preview, broadcast_id = await compose_on_telegram(
        tg, everywhere, long_text, tg.user_sends_photo(STAFF, content=PHOTO))
    # Photo first without a caption, then the text: the preview as recipients get it.
    _notice, photo, text, counts = preview
    assert "photo" in photo and "caption" not in photo
    assert text["text"].endswith(long_text)
    assert "1.024" in counts["text"]
    await run_to_end(everywhere, everywhere.channels, broadcast_id, timeout=30)
    *_greeting, photo, text = tg.messages_to(11)
    assert "photo" in photo and "caption" not in photo and long_text in text["text"]
    # Zalo Bot takes a caption of 2,000 characters: one message.
    *_greeting, message = zbot.messages_to("zb-1")
    assert long_text in message["caption"]


async def test_a_text_too_long_for_a_caption_only_with_the_first_notice_is_said_so(
        tg: FakeTelegram, zbot: FakeZaloBot, zoa: FakeZaloOA, everywhere: Core) -> None:
    """The preview is as a regular recipient gets it (the caption fits); first-time
    recipients get the unsubscribe line too, which makes it too long: the figures say so."""
    await subscribers(tg, zbot, zoa)
    text = "Thông tin chi tiết về chương trình khuyến công năm 2027. " * 16
    assert 900 < len(text) < 1000
    preview, _broadcast_id = await compose_on_telegram(
        tg, everywhere, text, tg.user_sends_photo(STAFF, content=PHOTO))
    _notice, photo, counts = preview
    assert photo["caption"].endswith(text.strip())
    assert "lần đầu nhận thông báo sẽ nhận tệp trước" in counts["text"]


# --- refused files -----------------------------------------------------------------------------

async def test_too_big_or_wrong_files_get_a_polite_word_and_the_text_is_kept(
        tg: FakeTelegram, polling: Core) -> None:
    await said(tg, STAFF, tg.user_sends(STAFF, "/start"))
    await make_staff(polling, "telegram", str(STAFF))
    await said(tg, STAFF, tg.user_sends(STAFF, "/thongbao"), 2)
    await said(tg, STAFF, tg.user_sends(STAFF, TEXT))
    refused, again = await said(tg, STAFF, tg.user_sends_document(
        STAFF, PDF, "ban-ve.pdf", mime_type="application/pdf",
        announced_size=25 * 1024 * 1024), 2)
    assert "quá lớn (25 MB)" in refused["text"] and "giữ nguyên" in refused["text"]
    assert "Bỏ qua" in str(again["reply_markup"])
    assert not tg.calls("getFile")  # too big by what Telegram said: never downloaded
    refused, again = await said(tg, STAFF, tg.user_sends_document(
        STAFF, b"MZ\x90\x00 a program", "setup.pdf", mime_type="application/pdf"), 2)
    assert "không đính kèm được" in refused["text"]
    refused, _again = await said(tg, STAFF, tg.user_sends_document(
        STAFF, b"plain text", "ghi-chu.txt", mime_type="text/plain"), 2)
    assert "không đính kèm được" in refused["text"]
    # A Word file is taken; the text typed first was kept all along.
    await said(tg, STAFF, tg.user_sends_document(STAFF, docx(), "thu-moi.docx"))
    await said(tg, STAFF, tg.user_presses(STAFF, "bf:o:0"))  # anywhere
    (review,) = await said(tg, STAFF, tg.user_presses(STAFF, "bf:skip"))  # every sector
    assert TEXT in review["text"] and "📎 thu-moi.docx" in review["text"]


async def test_a_photo_with_a_caption_gives_the_text_and_the_attachment_at_once(
        tg: FakeTelegram, polling: Core) -> None:
    await said(tg, STAFF, tg.user_sends(STAFF, "/start"))
    await make_staff(polling, "telegram", str(STAFF))
    await said(tg, STAFF, tg.user_sends(STAFF, "/thongbao"), 2)
    noted, area = await said(tg, STAFF, tg.user_sends_photo(STAFF, caption=TEXT,
                                                            content=PHOTO), 2)
    assert noted["text"] == "Đã ghi nhận nội dung." and "Cơ sở ở đâu?" in area["text"]
    await said(tg, STAFF, tg.user_presses(STAFF, "bf:o:0"))
    (review,) = await said(tg, STAFF, tg.user_presses(STAFF, "bf:skip"))
    assert TEXT in review["text"] and "📎 photo.png" in review["text"]


async def test_a_photo_too_big_from_zalo_is_refused_and_one_that_fits_is_taken(
        zbot: FakeZaloBot, zalo_bot: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(attachments, "MAX_PHOTO_BYTES", 1000)
    await zbot.user_sends("zb-staff", "/start")
    await make_staff(zalo_bot, "zalo_bot", "zb-staff")
    await zbot.user_sends("zb-staff", "/thongbao")
    await zbot.user_sends("zb-staff", TEXT)
    assert "Zalo Bot không chuyển" in zbot.messages_to("zb-staff")[-1]["text"]
    before = len(zbot.messages_to("zb-staff"))
    await zbot.user_sends_photo("zb-staff", PHOTO + b"x" * 1000)
    refused, _again = zbot.messages_to("zb-staff")[before:]
    assert "quá lớn" in refused["text"]
    before = len(zbot.messages_to("zb-staff"))
    await zbot.user_sends_photo("zb-staff", PHOTO[:900])
    (next_question,) = zbot.messages_to("zb-staff")[before:]
    assert "Cơ sở ở đâu?" in next_question["text"]
    async with UnitOfWork(zalo_bot.session_factory) as uow:
        user = await uow.users.find("zalo_bot", "zb-staff")
        state = await uow.conversations.get(user.id)
    attachment = Attachment.from_json(state.draft["progress"]["a"]["attachment"])
    assert attachment.kind is FileKind.PHOTO and attachment.filename == "photo.png"
    assert attachment.refs == {}


async def test_a_photo_event_delivered_again_is_not_downloaded_again(
        zbot: FakeZaloBot, zalo_bot: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    """Zalo sends an event again when its answer was slow: the file is not fetched again
    (here one refused as too big, so the question still asks for a file)."""
    monkeypatch.setattr(attachments, "MAX_PHOTO_BYTES", 1000)
    await zbot.user_sends("zb-staff", "/start")
    await make_staff(zalo_bot, "zalo_bot", "zb-staff")
    await zbot.user_sends("zb-staff", "/thongbao")
    await zbot.user_sends("zb-staff", TEXT)
    event = await zbot.user_sends_photo("zb-staff", PHOTO + b"x" * 1000)
    assert "quá lớn" in zbot.messages_to("zb-staff")[-2]["text"]
    assert len(zbot.calls("cdn")) == 1
    before = len(zbot.messages_to("zb-staff"))
    assert await zbot.deliver_again(event) == 200  # Zalo's retry of the same event
    assert len(zbot.calls("cdn")) == 1
    assert len(zbot.messages_to("zb-staff")) == before


async def test_staff_on_zalo_oa_attach_a_file_or_an_image_after_the_text(
        zoa: FakeZaloOA, zalo_oa: Core) -> None:
    assert await zoa.user_sends("oa-staff", "/start") == 200
    await make_staff(zalo_oa, "zalo_oa", "oa-staff")
    assert await zoa.user_sends("oa-staff", "/thongbao") == 200
    assert await zoa.user_sends_file("oa-staff", PDF, "ke-hoach.pdf") == 200
    assert "gõ nội dung" in zoa.messages_to("oa-staff")[-2]["text"]  # the text first
    assert await zoa.user_sends("oa-staff", TEXT) == 200
    assert await zoa.user_sends_file("oa-staff", PDF, "ke-hoach.pdf") == 200
    assert "Cơ sở ở đâu?" in zoa.messages_to("oa-staff")[-1]["text"]
    assert await zoa.user_sends("oa-staff", "/thongbao") == 200
    assert await zoa.user_sends("oa-staff", TEXT) == 200
    assert await zoa.user_sends_image("oa-staff", PHOTO) == 200
    async with UnitOfWork(zalo_oa.session_factory) as uow:
        user = await uow.users.find("zalo_oa", "oa-staff")
        state = await uow.conversations.get(user.id)
    attachment = Attachment.from_json(state.draft["progress"]["a"]["attachment"])
    assert (attachment.kind, attachment.mime_type) == (FileKind.PHOTO, "image/png")


async def test_users_who_send_photos_outside_a_form_are_answered_and_nothing_is_downloaded(
        tg: FakeTelegram, polling: Core) -> None:
    (reply,) = await said(tg, 77, tg.user_sends_photo(77))
    assert "chỉ đọc được tin nhắn chữ" in reply["text"]
    await said(tg, 77, tg.user_sends(77, "/thongbao"))  # not staff: unknown to them
    (reply,) = await said(tg, 77, tg.user_sends_document(77, PDF, "a.pdf"))
    assert "chỉ đọc được tin nhắn chữ" in reply["text"]
    assert not tg.calls("getFile")


async def test_staff_in_a_chat_without_files_are_told_where_to_attach_one(
        sqlite_url: str, locales_dir: Path) -> None:
    core = build_core(make_settings(sqlite_url, locales_dir, telegram_token="1:x"))
    try:
        staff = ConsoleChat(core.dispatcher, user_id="boss", operator=True)
        await staff.say("/thongbao")
        (question,) = await staff.say(TEXT)
        assert "không nhận được tệp" in question.text and "Telegram" in question.text
        (refused,) = await staff.say("ảnh đây")
        assert "gửi chính ảnh" in refused.text and refused.choices
    finally:
        await core.close()


# --- sending -----------------------------------------------------------------------------------

async def stored_attachment(core: Core, content: bytes, kind: FileKind, filename: str,
                            mime_type: str, refs: dict[str, str] | None = None) -> Attachment:
    now = core.clock()
    async with UnitOfWork(core.session_factory) as uow:
        await uow.media.add("t" * 43, filename=filename, mime_type=mime_type, content=content,
                            now=now, expires_at=now + timedelta(days=30))
        await uow.commit()
    return Attachment(kind, filename, mime_type, len(content), "t" * 43, refs or {})


async def create_with(core: Core, text: str, attachment: Attachment) -> int:
    from handlers.broadcasts.jobs import LIST_JOB, list_job_key
    from storage.broadcasts import Audience

    now = core.clock()
    async with UnitOfWork(core.session_factory) as uow:
        broadcast = await uow.broadcasts.add(
            text=text, audience=Audience(), created_by="test:staff", staff_user_id=None,
            now=now, scheduled_at=now, attachment=attachment.to_json())
        await uow.jobs.schedule(LIST_JOB, now, now, payload={"broadcast": broadcast.id},
                                key=list_job_key(broadcast.id, 0))
        await uow.commit()
        return broadcast.id


async def test_each_channel_s_reference_is_kept_on_the_broadcast(db_core: Core) -> None:
    attachment = await stored_attachment(db_core, PHOTO, FileKind.PHOTO, "anh.png",
                                         "image/png", refs={"telegram": "FILE-1"})
    broadcast_id = await create_with(db_core, "Ảnh", attachment)
    async with UnitOfWork(db_core.session_factory) as uow:
        await uow.broadcasts.set_attachment_ref(broadcast_id, "zalo_oa", "image:abc")
        await uow.commit()
    async with UnitOfWork(db_core.session_factory) as uow:
        stored = Attachment.from_json((await uow.broadcasts.get(broadcast_id)).attachment)
        assert await uow.media.keep_until(attachment.media_token,
                                          db_core.clock() + timedelta(days=60), db_core.clock())
        assert not await uow.media.exists("x" * 43, db_core.clock())
    assert stored == attachment.with_ref("zalo_oa", "image:abc")


async def test_a_sender_killed_mid_broadcast_with_a_photo_sends_each_recipient_one(
        tg: FakeTelegram, database_url: str, locales_dir: Path) -> None:
    clock = MovableClock(datetime.now(UTC))
    core = build_core(make_settings(database_url, locales_dir, telegram_token=tg.token,
                                    telegram_api_base_url=tg.url), clock=clock)
    channel = TelegramChannel.from_settings(core.settings, core)
    await channel.application.initialize()
    try:
        chats = [str(3000 + i) for i in range(20)]
        await add_users(core, "telegram", chats)
        # Composed on another channel: no Telegram file_id yet.
        attachment = await stored_attachment(core, PHOTO, FileKind.PHOTO, "anh.png",
                                             "image/png")
        broadcast_id = await create_with(core, "Sau sự cố, kèm ảnh", attachment)
        await core.scheduler.run_due()
        lease = timedelta(seconds=60)
        dead = BroadcastSender(core.session_factory, channel, core.translators,
                               ChannelPace(100, 100), clock=clock, lease=lease)
        assert await dead.claim_once() == 20
        await dead.send_one()  # one sent and recorded, then killed with the rest claimed
        channel._uploaded.clear()  # the next worker is another process
        other = BroadcastSender(core.session_factory, channel, core.translators,
                                ChannelPace(100, 100), clock=clock, lease=lease)
        assert await other.claim_once() == 0
        clock.advance(seconds=61)
        assert await other.claim_once() == 19
        await asyncio.gather(*(other.send_one() for _ in range(19)))
        assert set((await rows(core, broadcast_id)).values()) == {"sent"}
        for chat in chats:
            (message,) = tg.messages_to(int(chat))
            assert "photo" in message and "kèm ảnh" in message["caption"]
        uploads = [call for call in tg.calls("sendPhoto") if not isinstance(call["photo"], str)]
        assert len(uploads) == 2  # once by each worker, with its first; then by file_id
    finally:
        await channel.application.shutdown()
        await core.close()


async def test_flood_control_and_blocked_users_are_handled_for_photos_as_for_texts(
        tg: FakeTelegram, polling: Core) -> None:
    await add_users(polling, "telegram", ["51", "52"])
    tg.block(52)
    attachment = await stored_attachment(polling, PHOTO, FileKind.PHOTO, "anh.png",
                                         "image/png")
    broadcast_id = await create_with(polling, "Ảnh", attachment)
    await polling.scheduler.run_due()
    sender = BroadcastSender(polling.session_factory, polling.telegram, polling.translators,
                             ChannelPace(100, 100))
    assert await sender.claim_once() == 2
    tg.fail_next("sendPhoto", retry_after=1)
    await sender.send_one()
    await sender.send_one()  # after the whole channel waited the retry_after
    assert await rows(polling, broadcast_id) == {"51": "queued", "52": "blocked"}
    async with UnitOfWork(polling.session_factory) as uow:
        (waiting,) = await uow._session.execute(
            select(BroadcastRecipient).where(BroadcastRecipient.status == "queued"))
    assert waiting[0].last_error.startswith("Flood control") and waiting[0].attempts == 0
    async with UnitOfWork(polling.session_factory) as uow:
        assert (await uow.users.find("telegram", "52")).blocked_at is not None


async def test_a_file_id_telegram_refuses_is_replaced_by_an_upload(
        tg: FakeTelegram, polling: Core) -> None:
    await add_users(polling, "telegram", ["41", "42"])
    attachment = await stored_attachment(polling, PDF, FileKind.DOCUMENT, "ke-hoach.pdf",
                                         "application/pdf", refs={"telegram": "NO-SUCH-FILE"})
    broadcast_id = await create_with(polling, "Kế hoạch", attachment)
    await run_to_end(polling, [polling.telegram], broadcast_id)
    assert set((await rows(polling, broadcast_id)).values()) == {"sent"}
    for chat in (41, 42):
        (message,) = tg.messages_to(chat)
        assert tg.file_bytes(message["document"]["file_id"]) == PDF


async def test_a_zalo_oa_upload_is_kept_on_the_broadcast_for_other_senders(
        zoa: FakeZaloOA, zalo_oa: Core) -> None:
    for user in ("oa-1", "oa-2", "oa-3"):
        assert await zoa.user_sends(user, "/start") == 200
    attachment = await stored_attachment(zalo_oa, docx(), FileKind.DOCUMENT, "thu-moi.docx",
                                         attachments.DOCX)
    broadcast_id = await create_with(zalo_oa, "Thư mời", attachment)
    await zalo_oa.scheduler.run_due()
    (channel,) = zalo_oa.channels
    first = BroadcastSender(zalo_oa.session_factory, channel, zalo_oa.translators,
                            ChannelPace(100, 100), batch=1)
    assert await first.claim_once() == 1
    await first.send_one()
    channel._uploads.clear()  # as another worker would be
    second = BroadcastSender(zalo_oa.session_factory, channel, zalo_oa.translators,
                             ChannelPace(100, 100))
    assert await second.claim_once() == 2
    await asyncio.gather(*(second.send_one() for _ in range(2)))
    assert set((await rows(zalo_oa, broadcast_id)).values()) == {"sent"}
    assert len(zoa.calls("upload/file")) == 1


async def test_what_zalo_oa_cannot_upload_goes_as_a_link(zoa: FakeZaloOA,
                                                         zalo_oa: Core) -> None:
    assert await zoa.user_sends("oa-1", "/start") == 200
    workbook = b"PK\x03\x04" + b"xl/workbook.xml" + b"\x00" * 100
    attachment = await stored_attachment(zalo_oa, workbook, FileKind.DOCUMENT, "so-lieu.xlsx",
                                         attachments.XLSX)
    broadcast_id = await create_with(zalo_oa, "Số liệu", attachment)
    await run_to_end(zalo_oa, zalo_oa.channels, broadcast_id)
    *_greeting, link, text = zoa.messages_to("oa-1")
    assert link["text"].startswith("📎 so-lieu.xlsx\nhttp://127.0.0.1:")
    assert not zoa.calls("upload/file") and "Số liệu" in text["text"]


# --- pieces --------------------------------------------------------------------------------------

def test_file_types_are_read_from_their_first_bytes() -> None:
    assert sniff(b"\xff\xd8\xff\xe0 jpeg") == attachments.JPEG
    assert sniff(PHOTO) == attachments.PNG
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == attachments.WEBP
    assert sniff(PDF, "x.doc") == attachments.PDF
    assert sniff(docx()) == attachments.DOCX
    assert sniff(b"PK\x03\x04 xl/worksheets") == attachments.XLSX
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old office"
    assert sniff(ole, "a.DOC") == attachments.DOC and sniff(ole, "b.xls") == attachments.XLS
    assert sniff(ole, "c.msi") is None
    assert sniff(b"PK\x03\x04 some other zip") is None
    assert sniff(b"MZ\x90 a program", "virus.pdf") is None


def test_the_web_page_shows_an_attachment_by_our_own_link() -> None:
    attachment = Attachment(FileKind.PHOTO, "ảnh.png", "image/png", 10, "tok", {})
    shown = reply_json(Reply("Thông báo", attachment=attachment))
    assert shown["attachment"] == {"kind": "photo", "filename": "ảnh.png",
                                   "url": "/media/tok/%E1%BA%A3nh.png"}


async def test_a_stored_reply_keeps_its_attachment() -> None:
    from handlers.stored_replies import from_stored, to_stored

    attachment = Attachment(FileKind.DOCUMENT, "a.pdf", "application/pdf", 10, "tok",
                            {"telegram": "FILE"})
    (reply,) = from_stored(to_stored([Reply("x", attachment=attachment)]))
    assert reply.attachment == attachment



async def test_an_upload_that_fails_for_a_network_reason_holds_the_channel_not_the_recipients(
        zoa: FakeZaloOA, zalo_oa: Core) -> None:
    """Zalo OA's upload API down (a 502): the recipient's attempt is not counted, the whole
    channel waits, and no other recipient tries the upload again meanwhile."""
    from bot.broadcast_sender import SharedSlots

    channel = next(c for c in zalo_oa.channels if c.name == "zalo_oa")
    await add_users(zalo_oa, "zalo_oa", ["oa-7", "oa-8"])
    attachment = await stored_attachment(zalo_oa, PHOTO, FileKind.PHOTO, "anh.png",
                                         "image/png")
    broadcast_id = await create_with(zalo_oa, "Ảnh", attachment)
    await zalo_oa.scheduler.run_due()
    sender = BroadcastSender(zalo_oa.session_factory, channel, zalo_oa.translators,
                             ChannelPace(100, 100))
    assert await sender.claim_once() == 2
    zoa.server_error_next("upload/image")
    await sender.send_one()
    assert len(zoa.calls("upload/image")) == 1
    async with UnitOfWork(zalo_oa.session_factory) as uow:
        waiting = (await uow._session.execute(select(BroadcastRecipient).where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.status == "queued"))).scalars().all()
    assert len(waiting) == 1 and waiting[0].attempts == 0 and waiting[0].last_error
    assert await SharedSlots(zalo_oa.session_factory, "zalo_oa").take(0.1) > 25
    await sender.stop()


async def test_a_photo_captioned_with_a_command_runs_the_command(tg: FakeTelegram,
                                                                 polling: Core) -> None:
    """"/huy" as a photo's caption at the text question cancels, as typed alone would; it
    does not become the announcement."""
    await said(tg, STAFF, tg.user_sends(STAFF, "/start"))
    await make_staff(polling, "telegram", str(STAFF))
    await said(tg, STAFF, tg.user_sends(STAFF, "/thongbao"), 2)
    (cancelled,) = await said(tg, STAFF, tg.user_sends_photo(STAFF, caption="/huy"))
    assert cancelled["text"].startswith("Đã hủy")
    async with UnitOfWork(polling.session_factory) as uow:
        assert await uow.broadcasts.unfinished() == []
    assert tg.calls("getFile") == []  # nothing downloaded for it
