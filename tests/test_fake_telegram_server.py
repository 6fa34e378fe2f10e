"""The fake Telegram server is faithful enough for real python-telegram-bot v22.

Every test drives the fake with PTB itself (an `Application` or a bare `Bot`) or with plain
HTTP, and only ever talks to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession, web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    RetryAfter,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakes.telegram_server import SECRET_HEADER, FakeTelegram

CHAT = 4242  # a private chat: its id is the user's id

KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Hội chợ", callback_data="fair"),
            InlineKeyboardButton("Hỏi đáp", callback_data="faq"),
        ]
    ]
)


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx honours *_PROXY variables; requests to the fake must stay on loopback."""
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(tg.token, base_url=f"{tg.url}/bot", base_file_url=f"{tg.url}/file/bot") as b:
        yield b


def build_echo_app(tg: FakeTelegram) -> Application:
    """A tiny bot: /start greets with a keyboard, text is echoed, a press edits the message."""
    app = (
        ApplicationBuilder()
        .token(tg.token)
        .base_url(f"{tg.url}/bot")
        .base_file_url(f"{tg.url}/file/bot")
        .build()
    )

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        name = update.effective_user.first_name
        await update.message.reply_text(f"Xin chào {name}!", reply_markup=KEYBOARD)

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(update.message.text)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer("Đã nhận")
        await query.edit_message_text(f"Bạn chọn: {query.data}")

    async def record_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        context.bot_data.setdefault("errors", []).append(context.error)

    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_error_handler(record_error)
    return app


@pytest.fixture
async def polling_app(tg: FakeTelegram) -> AsyncIterator[Application]:
    app = build_echo_app(tg)
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        yield app
        await app.updater.stop()
        await app.stop()
    assert app.bot_data.get("errors", []) == []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- polling


async def test_polling_app_replies_and_answers_button_presses(
    tg: FakeTelegram, polling_app: Application
) -> None:
    await tg.user_sends(CHAT, "/start", first_name="Lan")
    [greeting] = await tg.wait_for_messages(CHAT, 1)
    assert greeting["text"] == "Xin chào Lan!"
    assert greeting["from"]["id"] == tg.bot_id
    assert greeting["chat"] == {"id": CHAT, "type": "private", "first_name": "Lan"}
    assert isinstance(greeting["date"], int)
    assert greeting["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "fair"

    await tg.user_sends(CHAT, "Cho tôi hỏi lịch hội chợ")
    messages = await tg.wait_for_messages(CHAT, 2)
    assert messages[1]["text"] == "Cho tôi hỏi lịch hội chợ"
    assert messages[1]["message_id"] > greeting["message_id"]

    await tg.user_presses(CHAT, "fair", message_id=greeting["message_id"])
    [answer] = await tg.wait_for_calls("answerCallbackQuery")
    assert answer["text"] == "Đã nhận"
    await tg.wait_for_calls("editMessageText")
    edited = tg.messages_to(CHAT)[0]
    assert edited["text"] == "Bạn chọn: fair"
    assert "reply_markup" not in edited  # editMessageText without a keyboard removes it
    assert "edit_date" in edited
    assert [method for method, _ in tg.sent][:3] == ["getMe", "deleteWebhook", "sendMessage"]


async def test_polling_app_does_not_receive_an_update_twice(
    tg: FakeTelegram, polling_app: Application
) -> None:
    def confirmed(update_id: int) -> bool:
        return any(params.get("offset", 0) > update_id for params in tg.calls("getUpdates"))

    first = await tg.user_sends(CHAT, "một")
    await tg.wait_until(lambda: confirmed(first))  # PTB's next poll carries offset=first+1
    second = await tg.user_sends(CHAT, "hai")
    await tg.wait_until(lambda: confirmed(second))
    await tg.wait_for_messages(CHAT, 2)

    assert tg.pending_updates == []
    assert [m["text"] for m in tg.messages_to(CHAT)] == ["một", "hai"]
    offsets = [params.get("offset", 0) for params in tg.calls("getUpdates")]
    assert offsets == sorted(offsets)


async def test_offset_confirms_and_drops_earlier_updates(tg: FakeTelegram, bot: Bot) -> None:
    first = await tg.user_sends(CHAT, "/start")
    second = await tg.user_sends(CHAT, "xin chào")
    assert second == first + 1

    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [first, second]
    assert updates[0].message.text == "/start"
    assert updates[0].message.entities[0].type == "bot_command"
    assert updates[0].message.from_user.language_code == "vi"
    assert [u.update_id for u in await bot.get_updates()] == [first, second]  # not confirmed
    assert [u.update_id for u in await bot.get_updates(limit=1)] == [first]

    assert [u.update_id for u in await bot.get_updates(offset=second)] == [second]
    assert await bot.get_updates(offset=second + 1) == ()
    third = await tg.user_sends(CHAT, "lần nữa")
    assert [u.update_id for u in await bot.get_updates(offset=second + 1)] == [third]


async def test_long_poll_returns_as_soon_as_an_update_arrives(tg: FakeTelegram, bot: Bot) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    update_id = await tg.user_sends(CHAT, "alo")
    updates = await poll
    assert [u.update_id for u in updates] == [update_id]
    assert loop.time() - started < 1


async def test_a_newer_poll_terminates_the_waiting_one(tg: FakeTelegram, bot: Bot) -> None:
    waiting = asyncio.create_task(bot.get_updates(timeout=5))
    await tg.wait_for_calls("getUpdates")
    # A second bot process with the same token (one Bot polls over a single connection).
    async with Bot(tg.token, base_url=f"{tg.url}/bot") as second_instance:
        assert await second_instance.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await waiting


async def test_photo_and_sticker_updates_parse_and_download(tg: FakeTelegram, bot: Bot) -> None:
    await tg.user_sends_photo(CHAT, caption="ảnh gian hàng")
    await tg.user_sends_sticker(CHAT)
    photo_update, sticker_update = await bot.get_updates()
    photo = photo_update.message.photo[-1]
    assert photo_update.message.caption == "ảnh gian hàng"
    assert bytes(await (await bot.get_file(photo.file_id)).download_as_bytearray()) == (
        tg.file_bytes(photo.file_id)
    )
    assert sticker_update.message.sticker.emoji == "👍"


async def test_user_blocking_the_bot_gives_403_and_a_my_chat_member_update(
    tg: FakeTelegram, bot: Bot
) -> None:
    await tg.user_blocks_bot(CHAT)
    [update] = await bot.get_updates()
    assert update.my_chat_member.new_chat_member.status == "kicked"
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "tin quảng bá")


# --------------------------------------------------------------------------- errors


async def test_429_surfaces_as_retry_after(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail_next("sendMessage", error_code=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(CHAT, "một")
    assert caught.value.retry_after in (7, dtm.timedelta(seconds=7))
    await bot.send_message(CHAT, "hai")  # only the next call failed
    assert [m["text"] for m in tg.messages_to(CHAT)] == ["hai"]
    assert len(tg.calls("sendMessage")) == 2


async def test_blocked_chat_surfaces_as_forbidden(tg: FakeTelegram, bot: Bot) -> None:
    tg.block(CHAT)
    with pytest.raises(Forbidden, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(CHAT, "xin chào")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(CHAT, "typing")
    tg.unblock(CHAT)
    await bot.send_message(CHAT, "xin chào")


async def test_callback_data_is_limited_to_64_bytes(tg: FakeTelegram, bot: Bot) -> None:
    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("Đăng ký", callback_data=data)]])

    await bot.send_message(CHAT, "ok", reply_markup=keyboard("x" * 64))
    vietnamese = "đăng_ký_hội_chợ_" * 2  # 32 characters, but 46 bytes in UTF-8
    assert len(vietnamese) <= 64 < len((vietnamese * 2).encode())
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(CHAT, "quá dài", reply_markup=keyboard(vietnamese * 2))
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(CHAT, "quá dài", reply_markup=keyboard("x" * 65))
    assert len(tg.messages_to(CHAT)) == 1


async def test_message_text_limits_count_text_after_parsing(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(CHAT, "a" * 4096)
    await bot.send_message(CHAT, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(CHAT, "a" * 4097)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(CHAT, "  \n ")
    assert tg.messages_to(CHAT)[1]["text"] == "a" * 4096


async def test_edits_and_callback_answers_follow_the_api_rules(tg: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "Chọn một mục", reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("Chọn một mục", CHAT, sent.message_id, reply_markup=KEYBOARD)
    edited = await bot.edit_message_reply_markup(CHAT, sent.message_id)
    assert edited.reply_markup is None

    await tg.user_presses(CHAT, "fair")
    [update] = await bot.get_updates()
    query = update.callback_query
    assert query.message.message_id == sent.message_id
    with pytest.raises(BadRequest):
        await query.answer("x" * 201)
    assert await query.answer("Đã nhận")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await query.answer()
    assert tg.callback_answers[query.id]["text"] == "Đã nhận"


async def test_wrong_token_and_unknown_method(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=f"{tg.url}/bot"):
            pass
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("noSuchMethod")


async def test_plain_http_bodies_and_error_shapes(tg: FakeTelegram) -> None:
    base = f"{tg.url}/bot{tg.token}"
    markup = '{"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}'
    async with ClientSession() as http:
        async with http.get(f"{base}/getMe") as response:
            assert (await response.json())["result"]["username"] == "khuyencong_test_bot"
        async with http.get(f"{base}/sendMessage?chat_id={CHAT}&text=query") as response:
            assert (await response.json())["result"]["text"] == "query"
        form = {"chat_id": str(CHAT), "text": "form", "reply_markup": markup}
        async with http.post(f"{base}/sendMessage", data=form) as response:
            assert (await response.json())["result"]["reply_markup"]["inline_keyboard"]
        async with http.post(f"{base}/SENDMESSAGE", json={"chat_id": CHAT, "text": "json"}):
            pass
        async with http.post(f"{tg.url}/bot1:nope/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with http.post(f"{base}/sendTelepathy") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
        tg.fail_next("getMe", retry_after=3)
        async with http.get(f"{base}/getMe") as response:
            assert response.status == 429
            assert await response.json() == {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 3",
                "parameters": {"retry_after": 3},
            }
        async with http.post(f"{base}/getUpdates", data={"timeout": "0.2"}) as response:
            assert (await response.json())["result"] == []
    assert [m["text"] for m in tg.messages_to(CHAT)] == ["query", "form", "json"]


async def test_document_upload_records_name_and_bytes(tg: FakeTelegram, bot: Bot) -> None:
    content = "tên,điện thoại\nAn,0901\n".encode()
    await bot.send_document(
        CHAT, content, filename="dang_ky.csv", caption="<b>Danh sách</b>", parse_mode="HTML"
    )
    [message] = tg.messages_to(CHAT)
    assert message["document"]["file_name"] == "dang_ky.csv"
    assert message["caption"] == "Danh sách"
    assert tg.file_bytes(message["document"]["file_id"]) == content
    [params] = tg.calls("sendDocument")
    assert params["document"].filename == "dang_ky.csv"
    assert params["document"].content == content
    downloaded = await (await bot.get_file(message["document"]["file_id"])).download_as_bytearray()
    assert bytes(downloaded) == content

    await bot.send_photo(CHAT, b"\x89PNG fake", caption="Sơ đồ gian hàng")
    assert tg.messages_to(CHAT)[1]["photo"][0]["file_id"]


# --------------------------------------------------------------------------- webhooks


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[tuple[str | None, dict]], list[int]]]:
    """An aiohttp webhook endpoint: (url, received (secret header, body) pairs, statuses to
    answer — 200 once the list is empty)."""
    received: list[tuple[str | None, dict]] = []
    statuses: list[int] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get(SECRET_HEADER), await request.json()))
        return web.Response(status=statuses.pop(0) if statuses else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/hook", received, statuses
    await runner.cleanup()


async def test_webhook_posts_updates_with_the_secret_header(
    tg: FakeTelegram, bot: Bot, receiver: tuple[str, list, list]
) -> None:
    url, received, _ = receiver
    assert await bot.set_webhook(url, secret_token="s3cr3t-token_1")
    update_id = await tg.user_sends(CHAT, "/start")
    [(secret, body)] = received
    assert secret == "s3cr3t-token_1"
    update = Update.de_json(body, bot)
    assert update.update_id == update_id
    assert update.message.text == "/start"
    assert tg.last_webhook_status == 200

    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count, info.max_connections) == (url, 0, 40)
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    with pytest.raises(BadRequest, match="unallowed characters"):
        await bot.set_webhook(url, secret_token="base64+/=")


async def test_refused_webhook_update_stays_pending(
    tg: FakeTelegram, bot: Bot, receiver: tuple[str, list, list]
) -> None:
    url, received, statuses = receiver
    await bot.set_webhook(url)
    statuses.append(500)
    first = await tg.user_sends(CHAT, "một")
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"

    second = await tg.user_sends(CHAT, "hai")  # the refused update goes first
    assert [body["update_id"] for _, body in received] == [first, first, second]
    assert (await bot.get_webhook_info()).pending_update_count == 0

    statuses.append(503)
    third = await tg.user_sends(CHAT, "ba")
    await bot.delete_webhook()
    assert [u.update_id for u in await bot.get_updates()] == [third]


async def test_set_webhook_terminates_a_waiting_long_poll(
    tg: FakeTelegram, bot: Bot, receiver: tuple[str, list, list]
) -> None:
    waiting = asyncio.create_task(bot.get_updates(timeout=5))
    await tg.wait_for_calls("getUpdates")
    await bot.set_webhook(receiver[0])
    with pytest.raises(Conflict, match="terminated by setWebhook request"):
        await waiting


async def test_ptb_webhook_server_receives_updates(tg: FakeTelegram) -> None:
    app = build_echo_app(tg)
    port = free_port()
    async with app:
        await app.start()
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="telegram",
            webhook_url=f"http://127.0.0.1:{port}/telegram",
            secret_token="s3cr3t",
        )
        try:
            await tg.user_sends(CHAT, "/start")
            assert tg.last_webhook_status == 200
            [greeting] = await tg.wait_for_messages(CHAT, 1)
            assert greeting["text"] == "Xin chào An!"

            # Same URL, wrong secret: PTB refuses with 403 and the update stays pending.
            await app.bot.set_webhook(f"http://127.0.0.1:{port}/telegram", secret_token="wrong")
            await tg.user_sends(CHAT, "ai đó giả mạo")
            assert tg.last_webhook_status == 403
            assert len(tg.pending_updates) == 1
        finally:
            await app.updater.stop()
            await app.stop()
    assert app.bot_data.get("errors", []) == []


# --------------------------------------------------------------------------- commands


async def test_commands_are_stored_per_scope_and_language(tg: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands(
        [BotCommand("start", "Bắt đầu"), BotCommand("hoi", "Hỏi đáp")], language_code="vi"
    )
    await bot.set_my_commands([BotCommand("start", "Start")])
    await bot.set_my_commands(
        [BotCommand("broadcast", "Gửi thông báo")], scope=BotCommandScopeChat(CHAT)
    )

    assert tg.commands[("default", "vi")] == [
        {"command": "start", "description": "Bắt đầu"},
        {"command": "hoi", "description": "Hỏi đáp"},
    ]
    assert tg.commands[("default", "")] == [{"command": "start", "description": "Start"}]
    assert [c.command for c in await bot.get_my_commands(language_code="vi")] == ["start", "hoi"]
    assert [c.description for c in await bot.get_my_commands()] == ["Start"]

    assert tg.visible_commands(1, "vi")[1]["command"] == "hoi"
    assert tg.visible_commands(1, "en") == [{"command": "start", "description": "Start"}]
    assert tg.visible_commands(CHAT, "vi")[0]["command"] == "broadcast"

    await bot.delete_my_commands(language_code="vi")
    assert await bot.get_my_commands(language_code="vi") == ()
    assert tg.visible_commands(1, "vi") == [{"command": "start", "description": "Start"}]
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Đăng-ký", "x")])
