"""A fake Telegram Bot API server for tests.

`FakeTelegram` is an aiohttp server on 127.0.0.1 that speaks enough of the Bot API for an
unmodified python-telegram-bot (PTB) v22 `Application` to run against it, in polling mode and
in webhook mode::

    async with FakeTelegram() as tg:
        app = (
            ApplicationBuilder()
            .token(tg.token)
            .base_url(f"{tg.url}/bot")
            .base_file_url(f"{tg.url}/file/bot")
            .build()
        )
        ...
        await tg.user_sends(42, "/start")
        [reply] = await tg.wait_for_messages(42, 1)

What it mirrors from the real Bot API (https://core.telegram.org/bots/api):

- Requests go to ``/bot<token>/<method>``, by GET or POST, with parameters in the query string,
  as ``application/x-www-form-urlencoded``, JSON or ``multipart/form-data``. Method names are
  case-insensitive. Object-typed parameters (``reply_markup``, ``commands``, ...) may arrive as
  JSON strings, which is how PTB sends them. Answers are ``{"ok": true, "result": ...}`` or
  ``{"ok": false, "error_code": ..., "description": ...}`` with the same HTTP status.
- Wrong token: 401 Unauthorized. Unknown method: 404 Not Found.
- ``getUpdates``: ``offset`` confirms (forgets) every update below it, a negative ``offset``
  keeps only the last ``-offset`` updates, ``limit`` 1-100, ``timeout`` is a long poll that
  answers as soon as an update arrives. A newer ``getUpdates`` ends a waiting one with 409
  "terminated by other getUpdates request"; ``setWebhook`` ends it with 409 "terminated by
  setWebhook request"; while a webhook is set ``getUpdates`` answers 409.
- Webhook delivery is a POST of one Update as JSON, with header
  ``X-Telegram-Bot-Api-Secret-Token`` when a secret was set. An update stays pending until the
  webhook answers 2xx; ``getWebhookInfo`` reports ``pending_update_count`` and the last error.
- Limits: message text 1-4096 characters and captions 0-1024 after entity parsing (counted in
  UTF-16 code units, as entity offsets are), ``callback_data`` 1-64 *bytes*,
  ``answerCallbackQuery.text`` up to 200 characters, up to 100 bot commands matching
  ``[a-z0-9_]{1,32}`` with 1-256 character descriptions, uploads up to 50 MB (413 beyond),
  photos up to 10 MB; ``getFile`` refuses files over 20 MB ("file is too big").
- Files: users send photos (several sizes, largest last) and documents (name, MIME type,
  size); ``getFile`` gives a ``file_path`` served under ``/file/bot<token>/``. ``sendPhoto``
  and ``sendDocument`` take an upload, a known ``file_id`` (of the same kind: a document's
  id as a photo is "type of file mismatch") or a URL; an unknown id is 400 "wrong file
  identifier/HTTP URL specified".
- ``editMessageText`` without ``reply_markup`` removes the inline keyboard; an edit that changes
  nothing answers 400 "message is not modified"; a callback query can be answered once.
- Commands are stored per scope and language; ``visible_commands`` applies Telegram's
  most-specific-first lookup for a private chat.

Where the fake knowingly differs from Telegram:

- Webhook URLs may use ``http`` and any port, but must point at a loopback address (the fake
  never talks to anything else). Failed deliveries are not retried on a timer: pending updates
  are POSTed again on the next pushed update or by ``deliver_pending_updates()``, in order.
- Any positive ``chat_id`` is a private chat with a user, even one who never wrote to the bot;
  use ``block(chat_id, description=...)`` to simulate "bot can't initiate conversation".
- ``parse_mode`` is honoured only to measure and store the visible text (tags and markup
  characters are stripped); malformed markup is not rejected and no entities are returned.
- File URLs passed to ``sendDocument``/``sendPhoto`` are not fetched (the file is empty).
- The wording of the answer to a photo upload over 10 MB is the fake's own.
- Inline mode, groups beyond a chat type, payments and most other methods are not faked.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import html
import ipaddress
import itertools
import json
import math
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from aiohttp import ClientError, web

from tests.fakes.loopback import ApiCall, LoopbackFake

__all__ = ["ApiCall", "FakeTelegram"]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_COMMANDS = 100
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024

# Update types a bot gets when it did not ask for specific ones ("allowed_updates" empty).
NOT_SENT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
COMMAND_SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
# Button fields besides "text"; an inline keyboard button needs exactly one of them.
BUTTON_ACTIONS = frozenset(
    {
        "callback_data",
        "url",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)

# How form and query-string values (always strings) are typed, by parameter name.
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "reply_parameters",
        "link_preview_options",
        "entities",
        "caption_entities",
        "allowed_updates",
        "commands",
        "scope",
        "media",
    }
)
_INT_PARAMS = frozenset(
    {
        "chat_id",
        "message_id",
        "message_thread_id",
        "reply_to_message_id",
        "offset",
        "limit",
        "max_connections",
        "cache_time",
        "user_id",
    }
)
_FLOAT_PARAMS = frozenset({"timeout"})  # an Integer in the Bot API; fractions help fast tests
_BOOL_PARAMS = frozenset(
    {
        "drop_pending_updates",
        "show_alert",
        "disable_notification",
        "protect_content",
        "allow_paid_broadcast",
        "allow_sending_without_reply",
        "disable_web_page_preview",
        "disable_content_type_detection",
        "has_spoiler",
        "show_caption_above_media",
    }
)

# Descriptions the real Bot API uses.
UNAUTHORIZED = "Unauthorized"
NOT_FOUND = "Not Found"
BLOCKED = "Forbidden: bot was blocked by the user"
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
TERMINATED_BY_SET_WEBHOOK = "Conflict: terminated by setWebhook request"
TERMINATED_BY_OTHER_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
WRONG_FILE = "Bad Request: wrong file identifier/HTTP URL specified"
FILE_MISMATCH = "Bad Request: type of file mismatch"
FILE_TOO_BIG = "Bad Request: file is too big"

_DEFAULT_ERROR_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    403: BLOCKED,
    500: "Internal Server Error",
    502: "Bad Gateway",
}

_FAKE_PHOTO = b"\x89PNG\r\n\x1a\n fake photo bytes"
_FAKE_STICKER = b"RIFF\x00\x00\x00\x00WEBP fake sticker bytes"


@dataclass(frozen=True)
class Upload:
    """A file the bot uploaded in a multipart request (kept in `ApiCall.params`)."""

    filename: str
    content: bytes
    content_type: str | None


@dataclass
class StoredFile:
    """A file known to the fake, reachable by file_id through getFile and the file route."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None


class WebhookDelivery(NamedTuple):
    """One POST of an update to the webhook. status is 0 when no HTTP answer came back."""

    update_id: int
    status: int
    error: str | None


_SENDS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})


@dataclass
class _InjectedFailure:
    error_code: int
    description: str
    parameters: dict[str, Any] | None


class ApiError(Exception):
    """An unsuccessful Bot API answer; raised inside method handlers."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{error_code} {description}")
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def response(self) -> web.Response:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return web.json_response(body, status=self.error_code)


class _Described(NamedTuple):
    """A successful result that the real API accompanies with a description."""

    result: Any
    description: str


def utf16_length(text: str) -> int:
    """Length as Telegram counts it for entities: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


_HTML_TAG = re.compile(r"<[^>]*>")
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MARKDOWN_V2_MARKUP = re.compile(r"\\(.)|[*_~|`]|^>", re.MULTILINE)


def visible_text(text: str, parse_mode: str | None) -> str:
    """Approximates the text a user sees once Telegram has parsed the formatting entities."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return html.unescape(_HTML_TAG.sub("", text))
    if mode == "markdownv2":
        text = _MARKDOWN_LINK.sub(r"\1", text)
        return _MARKDOWN_V2_MARKUP.sub(lambda m: m.group(1) or "", text)
    if mode == "markdown":
        return re.sub(r"[*_`]", "", _MARKDOWN_LINK.sub(r"\1", text))
    return text


def _decode_param(name: str, value: Any) -> Any:
    """Types a string parameter the way the Bot API reads it; other values pass through."""
    if not isinstance(value, str):
        return value
    if name in _JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            if name == "reply_markup":
                raise ApiError(
                    400, "Bad Request: can't parse reply keyboard markup JSON object"
                ) from None
            raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from None
    if name in _INT_PARAMS:
        try:
            return int(value)
        except ValueError:
            if name == "chat_id":
                return value  # "@channelusername"
            raise ApiError(400, f"Bad Request: invalid {name} specified") from None
    if name in _FLOAT_PARAMS:
        try:
            return float(value)
        except ValueError:
            raise ApiError(400, f"Bad Request: invalid {name} specified") from None
    if name in _BOOL_PARAMS:
        return value.strip().lower() in {"true", "1"}
    return value


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Collects parameters from the query string and the body, whatever its encoding."""
    raw: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.body_exists:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON") from None
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: JSON object expected")
            raw.update(body)
        else:  # url-encoded or multipart; aiohttp parses both
            for name, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    raw[name] = Upload(value.filename, value.file.read(), value.content_type)
                else:
                    raw[name] = value
    return {name: _decode_param(name, value) for name, value in raw.items()}


def _ok(result: Any, description: str | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": True, "result": result}
    if description:
        body["description"] = description
    return web.json_response(body)


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


class FakeTelegram(LoopbackFake):
    """A Bot API server for one bot, plus controls that play the users' side.

    Inspect what the bot did with `sent`, `calls()`, `messages_to()`, `commands`,
    `callback_answers`, `webhook_deliveries` and `files`; wait for it with
    `wait_for_messages()` and `wait_for_calls()`.
    """

    def __init__(
        self, token: str = "123456:TEST-TOKEN", bot_username: str = "khuyencong_test_bot"
    ) -> None:
        super().__init__()
        self.token = token
        self.bot_user: dict[str, Any] = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": "Khuyến Công (test)",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

        # What the bot did (besides `requests`, every call, getUpdates included).
        self.commands: dict[tuple[Any, ...], list[dict[str, str]]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.files: dict[str, StoredFile] = {}

        # Server state.
        self._pending: list[dict[str, Any]] = []  # updates not yet confirmed by the bot
        self._next_update_id = 1
        self._allowed_updates: list[str] | None = None  # None: the default set
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}  # by (chat_id, message_id)
        self._last_message_id: dict[int, int] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._open_queries: dict[str, dict[str, Any]] = {}
        self._webhook: dict[str, Any] | None = None
        self._webhook_error: tuple[int, str] | None = None
        self._blocked: dict[int, str] = {}
        self._ids = itertools.count(1)
        self._poll_generation = 0
        self._delivery_lock = asyncio.Lock()
        # Flood control (off until `enforce_rate`): token buckets, overall and per chat.
        self._rate: tuple[float, float, float, float] | None = None
        self._bucket = (0.0, 0.0)  # (tokens, at)
        self._chat_buckets: dict[int, tuple[float, float]] = {}
        self._flood_until = 0.0
        self.flood_replies = 0  # 429s answered, whatever the cause
        # (from, until) of each 429 of a `flood()`: when it told the bot not to send.
        self.flood_windows: list[tuple[float, float]] = []

        handlers: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "getFile": self._get_file,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
        }
        self._handlers = {name.lower(): (name, handler) for name, handler in handlers.items()}

    # ------------------------------------------------------------------ lifecycle

    client_max_size = MAX_UPLOAD_BYTES + 1024 * 1024

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)

    @property
    def bot_id(self) -> int:
        return self.bot_user["id"]

    # ------------------------------------------------------------------ HTTP layer

    async def _handle_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return ApiError(401, UNAUTHORIZED).response()
        known = self._handlers.get(request.match_info["method"].lower())
        if known is None:
            return ApiError(404, NOT_FOUND).response()
        method, handler = known
        try:
            params = await _read_params(request)
        except web.HTTPRequestEntityTooLarge:
            return ApiError(413, "Request Entity Too Large").response()
        except ApiError as exc:
            return exc.response()
        self.record(method, params)
        try:
            self._raise_injected_failure(method)
            self._flood_control(method, params)
            result = await handler(params)
        except ApiError as exc:
            return exc.response()
        finally:
            self.notify()
        if isinstance(result, _Described):
            return _ok(result.result, result.description)
        return _ok(result)

    async def _handle_file(self, request: web.Request) -> web.Response:
        """Serves file contents at <base_file_url><token>/<file_path>, like api.telegram.org."""
        if request.match_info["token"] != self.token:
            return ApiError(401, UNAUTHORIZED).response()
        path = request.match_info["file_path"]
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(body=stored.content)
        return ApiError(404, NOT_FOUND).response()

    # ------------------------------------------------------------------ error injection

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        retry_after: int | None = None,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Answers the next `times` calls of `method` with an error instead of running it.

        A 429 looks like Telegram's flood control: "Too Many Requests: retry after N" with
        ``parameters.retry_after`` (default N = 1), which PTB turns into RetryAfter.
        """
        known = self._handlers.get(method.lower())
        if known is None:
            raise ValueError(f"FakeTelegram does not implement {method!r}")
        parameters = None
        if error_code == 429 and retry_after is None:
            retry_after = 1
        if retry_after is not None:
            parameters = {"retry_after": retry_after}
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if error_code == 429
                else _DEFAULT_ERROR_DESCRIPTIONS.get(error_code, f"Error {error_code}")
            )
        failure = _InjectedFailure(error_code, description, parameters)
        self.inject_failure(known[0], failure, times)

    def enforce_rate(self, per_second: float, per_chat_per_second: float = 1.0, *,
                     burst: float | None = None, chat_burst: float = 3.0) -> None:
        """Answer 429 "retry after 1" to a message sent beyond `per_second` overall or
        `per_chat_per_second` to one chat, as Telegram's flood control does (token buckets
        allowing short bursts: `burst` overall, default a tenth of a second's worth)."""
        self._rate = (per_second, per_chat_per_second,
                      burst if burst is not None else max(1.0, per_second / 10), chat_burst)

    def flood(self, seconds: float) -> None:
        """A burst of flood control: every message for `seconds` gets a 429."""
        self._flood_until = time.monotonic() + seconds

    def _flood_control(self, method: str, params: dict[str, Any]) -> None:
        if method not in _SENDS:
            return
        now = time.monotonic()
        if now < self._flood_until:
            retry_after = math.ceil(self._flood_until - now)
            self.flood_windows.append((now, now + retry_after))
            self._too_many(retry_after)
        if self._rate is None:
            return
        per_second, per_chat, burst, chat_burst = self._rate
        tokens, at = self._bucket
        tokens = min(burst, tokens + (now - at) * per_second) if at else burst
        chat_id = params.get("chat_id")
        chat_tokens, chat_at = self._chat_buckets.get(chat_id, (chat_burst, now))
        chat_tokens = min(chat_burst, chat_tokens + (now - chat_at) * per_chat)
        if tokens < 1 or chat_tokens < 1:
            self._bucket = (tokens, now)
            self._too_many(1)
        self._bucket = (tokens - 1, now)
        self._chat_buckets[chat_id] = (chat_tokens - 1, now)

    def _too_many(self, retry_after: int) -> None:
        self.flood_replies += 1
        raise ApiError(429, f"Too Many Requests: retry after {retry_after}",
                       {"retry_after": retry_after})

    def _raise_injected_failure(self, method: str) -> None:
        failure = self.take_failure(method)
        if failure is not None:
            raise ApiError(failure.error_code, failure.description, failure.parameters)

    def block(self, chat_id: int, description: str = BLOCKED) -> None:
        """Every call aimed at `chat_id` answers 403 with `description` (the user blocked us)."""
        self._blocked[chat_id] = description

    def unblock(self, chat_id: int) -> None:
        self._blocked.pop(chat_id, None)

    # ------------------------------------------------------------------ users' side

    async def push_update(self, update: dict[str, Any]) -> int:
        """Queues a raw Update (``update_id`` is filled in when missing) and returns its id.

        With a webhook set, pending updates are POSTed to it at once, oldest first; see
        `webhook_deliveries` for the answers. Telegram drops updates of types the bot did not
        ask for (``allowed_updates``), and so does the fake.
        """
        update = copy.deepcopy(update)
        update.setdefault("update_id", self._next_update_id)
        self._next_update_id = max(self._next_update_id, update["update_id"] + 1)
        if self._wanted(update):
            self._pending.append(update)
            self.notify()
            if self._webhook is not None:
                await self.deliver_pending_updates()
        return update["update_id"]

    async def user_sends(
        self,
        chat_id: int,
        text: str,
        *,
        first_name: str | None = None,
        language_code: str | None = None,
        username: str | None = None,
    ) -> int:
        """The user `chat_id` writes `text` to the bot in their private chat.

        The user keeps the name and language given the first time (default "An" and "vi";
        pass ``language_code=""`` for a client that sends none). A text starting with "/"
        carries a bot_command entity, as Telegram adds one. Returns the update_id.
        """
        user = self._user(chat_id, first_name, language_code, username)
        content: dict[str, Any] = {"text": text}
        command = text.split(maxsplit=1)[0] if text.strip() else ""
        if command.startswith("/") and len(command) > 1:
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_length(command)}
            ]
        message = self._new_message(chat_id, user, **content)
        return await self.push_update({"message": message})

    async def user_presses(
        self, chat_id: int, callback_data: str, message_id: int | None = None
    ) -> int:
        """The user presses an inline button carrying `callback_data`.

        The button sits on the bot's latest message to that chat, or on `message_id`. The fake
        does not check that such a button exists, so stale or forged data can be simulated.
        Returns the update_id; the query stays open until the bot answers it.
        """
        if message_id is None:
            own = self.messages_to(chat_id)
            if not own:
                raise LookupError(f"the bot has sent no message to chat {chat_id}")
            message_id = own[-1]["message_id"]
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise LookupError(f"no message {message_id} in chat {chat_id}")
        query_id = str(4_000_000_000_000 + next(self._ids))
        query = {
            "id": query_id,
            "from": self._user(chat_id),
            "message": copy.deepcopy(message),
            "chat_instance": str(-7_000_000_000 - chat_id),
            "data": callback_data,
        }
        self._open_queries[query_id] = query
        return await self.push_update({"callback_query": query})

    async def user_sends_photo(self, chat_id: int, *, caption: str | None = None,
                               content: bytes = _FAKE_PHOTO) -> int:
        """The user sends a photo (two sizes, like Telegram, the larger with `content`); the
        bot can download it."""
        sizes = []
        for side, data in ((90, _FAKE_PHOTO), (800, content)):
            stored = self._store_file(data, "photos", ".jpg", mime_type="image/jpeg")
            sizes.append(self._photo_size(stored, side))
        content: dict[str, Any] = {"photo": sizes}
        if caption:
            content["caption"] = caption
        message = self._new_message(chat_id, self._user(chat_id), **content)
        return await self.push_update({"message": message})

    async def user_sends_document(
        self,
        chat_id: int,
        content: bytes,
        file_name: str,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        announced_size: int | None = None,
    ) -> int:
        """The user sends a file as a document; `announced_size` makes the client claim
        another size than the content's (Telegram gives the real one)."""
        stored = self._store_file(content, "documents", "", file_name=file_name,
                                  mime_type=mime_type)
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": announced_size if announced_size is not None else len(content),
        }
        content_fields: dict[str, Any] = {
            "document": {key: value for key, value in document.items() if value is not None}
        }
        if caption:
            content_fields["caption"] = caption
        message = self._new_message(chat_id, self._user(chat_id), **content_fields)
        return await self.push_update({"message": message})

    async def user_sends_sticker(self, chat_id: int, *, emoji: str = "👍") -> int:
        """The user sends a static sticker."""
        stored = self._store_file(_FAKE_STICKER, "stickers", ".webp", mime_type="image/webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": len(stored.content),
        }
        message = self._new_message(chat_id, self._user(chat_id), sticker=sticker)
        return await self.push_update({"message": message})

    async def user_blocks_bot(self, chat_id: int) -> int:
        """The user blocks the bot: sends now answer 403 and a my_chat_member update arrives."""
        self.block(chat_id)
        return await self._push_membership(chat_id, "member", "kicked")

    async def user_unblocks_bot(self, chat_id: int) -> int:
        """The user unblocks the bot; a my_chat_member update arrives."""
        self.unblock(chat_id)
        return await self._push_membership(chat_id, "kicked", "member")

    async def _push_membership(self, chat_id: int, old: str, new: str) -> int:
        def member(status: str) -> dict[str, Any]:
            state: dict[str, Any] = {"user": copy.deepcopy(self.bot_user), "status": status}
            if status == "kicked":
                state["until_date"] = 0
            return state

        change = {
            "chat": self._chat(chat_id),
            "from": self._user(chat_id),
            "date": int(time.time()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        return await self.push_update({"my_chat_member": change})

    async def deliver_pending_updates(self) -> list[WebhookDelivery]:
        """POSTs pending updates to the webhook, oldest first, until one is refused.

        Telegram keeps an update until the webhook answers 2xx and retries later; the fake
        retries only when this runs again (on the next pushed update, or when a test calls it).
        """
        deliveries: list[WebhookDelivery] = []
        async with self._delivery_lock:
            while self._pending and self._webhook is not None:
                delivery = await self._post_to_webhook(self._pending[0], self._webhook)
                deliveries.append(delivery)
                self.webhook_deliveries.append(delivery)
                if delivery.error is not None:
                    self._webhook_error = (int(time.time()), delivery.error)
                    break
                self._pending.pop(0)
        self.notify()
        return deliveries

    async def _post_to_webhook(
        self, update: dict[str, Any], webhook: dict[str, Any]
    ) -> WebhookDelivery:
        headers = {}
        if webhook["secret_token"]:
            headers[SECRET_HEADER] = webhook["secret_token"]
        try:
            async with self.session.post(
                webhook["url"], json=update, headers=headers, ssl=False
            ) as response:
                await response.read()
                status, reason = response.status, response.reason
        except (ClientError, TimeoutError) as exc:
            return WebhookDelivery(update["update_id"], 0, f"Connection failed: {exc}")
        if 200 <= status < 300:
            return WebhookDelivery(update["update_id"], status, None)
        error = f"Wrong response from the webhook: {status} {reason}"
        return WebhookDelivery(update["update_id"], status, error)

    # ------------------------------------------------------------------ inspection

    @property
    def sent(self) -> list[ApiCall]:
        """Every call the bot made except getUpdates (polling noise), in order."""
        return [call for call in self.requests if call.method != "getUpdates"]

    def calls(self, method: str) -> list[dict[str, Any]]:
        """The parameters of every call of `method`, in order."""
        return [call.params for call in self.requests if call.method.lower() == method.lower()]

    def messages_to(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in that chat as the user sees them now (edits applied,
        deleted ones gone), oldest first, as Bot API Message dicts."""
        return [
            copy.deepcopy(message)
            for (chat, _), message in self._messages.items()
            if chat == chat_id and self._is_bot_message(message)
        ]

    def file_bytes(self, file_id: str) -> bytes:
        """The content of a file the bot uploaded or a user sent."""
        return self.files[file_id].content

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates the bot has not confirmed yet (getUpdates) or the webhook has refused."""
        return copy.deepcopy(self._pending)

    @property
    def webhook_url(self) -> str:
        return self._webhook["url"] if self._webhook else ""

    @property
    def last_webhook_status(self) -> int | None:
        """HTTP status of the latest webhook POST (0: no answer), or None before any."""
        return self.webhook_deliveries[-1].status if self.webhook_deliveries else None

    def visible_commands(self, chat_id: int, language_code: str = "") -> list[dict[str, str]]:
        """The command menu a user sees in their private chat with the bot.

        Telegram picks the most specific list that exists: chat+language, chat,
        all_private_chats+language, all_private_chats, default+language, default.
        """
        languages = [language_code, ""] if language_code else [""]
        for scope_type, *scope_ids in (("chat", chat_id), ("all_private_chats",), ("default",)):
            for language in languages:
                key = (scope_type, language, *scope_ids)
                if key in self.commands:
                    return copy.deepcopy(self.commands[key])
        return []

    def describe_calls(self) -> str:
        return str([call.method for call in self.sent])

    async def wait_for_messages(
        self,
        chat_id: int,
        count: int,
        timeout: float = 5,
    ) -> list[dict[str, Any]]:
        """Waits until the bot has at least `count` messages in that chat; returns them all."""
        await self.wait_until(
            lambda: len(self.messages_to(chat_id)) >= count,
            timeout,
            lambda: (
                f"expected {count} bot message(s) in chat {chat_id} within {timeout}s, got "
                f"{[m.get('text', m.get('caption')) for m in self.messages_to(chat_id)]}"
            ),
        )
        return self.messages_to(chat_id)

    async def wait_for_calls(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5,
    ) -> list[dict[str, Any]]:
        """Waits until the bot has called `method` at least `count` times (answered or not)."""
        await self.wait_until(
            lambda: len(self.calls(method)) >= count,
            timeout,
            lambda: (
                f"expected {count} {method} call(s) within {timeout}s, got "
                f"{len(self.calls(method))}"
            ),
        )
        return self.calls(method)

    # ------------------------------------------------------------------ shared helpers

    def _wanted(self, update: dict[str, Any]) -> bool:
        kind = next((key for key in update if key != "update_id"), "")
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in NOT_SENT_BY_DEFAULT

    def _user(
        self,
        user_id: int,
        first_name: str | None = None,
        language_code: str | None = None,
        username: str | None = None,
    ) -> dict[str, Any]:
        """The user with that id, created on first sight; given fields replace stored ones."""
        user = self._users.setdefault(
            user_id,
            {"id": user_id, "is_bot": False, "first_name": "An", "language_code": "vi"},
        )
        if first_name:
            user["first_name"] = first_name
        if username:
            user["username"] = username
        if language_code == "":
            user.pop("language_code", None)
        elif language_code:
            user["language_code"] = language_code
        return copy.deepcopy(user)

    def _chat(self, chat_id: int) -> dict[str, Any]:
        """A private chat for a positive id (its id is the user's id), else a group."""
        if chat_id < 0:
            return {"id": chat_id, "type": "group", "title": f"Group {chat_id}"}
        user = self._users.get(chat_id, {"first_name": "An"})
        chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
        if "username" in user:
            chat["username"] = user["username"]
        return chat

    def _is_bot_message(self, message: dict[str, Any]) -> bool:
        return message["from"]["id"] == self.bot_id

    def _new_message(self, chat_id: int, sender: dict[str, Any], **content: Any) -> dict[str, Any]:
        """Stores a message in the chat (both sides share one id sequence) and returns a copy."""
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        message = {
            "message_id": message_id,
            "from": copy.deepcopy(sender),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **{key: value for key, value in content.items() if value is not None},
        }
        self._messages[(chat_id, message_id)] = message
        return copy.deepcopy(message)

    def _store_file(
        self,
        content: bytes,
        folder: str,
        extension: str,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        number = next(self._ids)
        stored = StoredFile(
            file_id=f"FAKE-{folder}-{number}",
            file_unique_id=f"U{number}",
            file_path=f"{folder}/file_{number}{extension}",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    @staticmethod
    def _photo_size(stored: StoredFile, side: int) -> dict[str, Any]:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": side,
            "height": side,
            "file_size": len(stored.content),
        }

    # ------------------------------------------------------------------ parameter checks

    def _target_chat(self, params: dict[str, Any]) -> int:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")  # "@username" chats are not faked
        if chat_id in self._blocked:
            raise ApiError(403, self._blocked[chat_id])
        return chat_id

    @staticmethod
    def _formatted_text(params: dict[str, Any], field: str, limit: int, too_long: str) -> str:
        parse_mode = params.get("parse_mode")
        if parse_mode and parse_mode.lower() not in {"html", "markdown", "markdownv2"}:
            raise ApiError(400, "Bad Request: unsupported parse_mode")
        text = visible_text(str(params.get(field) or ""), parse_mode).strip()
        if utf16_length(text) > limit:
            raise ApiError(400, too_long)
        return text

    def _message_text(self, params: dict[str, Any]) -> str:
        text = self._formatted_text(params, "text", MAX_TEXT_LENGTH, TEXT_TOO_LONG)
        if not text:
            raise ApiError(400, TEXT_EMPTY)
        return text

    def _caption(self, params: dict[str, Any]) -> str | None:
        caption = self._formatted_text(params, "caption", MAX_CAPTION_LENGTH, CAPTION_TOO_LONG)
        return caption or None

    @staticmethod
    def _inline_keyboard(params: dict[str, Any]) -> dict[str, Any] | None:
        """Validates reply_markup; returns it when it is an inline keyboard.

        Telegram echoes only inline keyboards in the sent Message; reply keyboards, their
        removal and force_reply are accepted but not shown.
        """
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            return None
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ApiError(
                400,
                'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup '
                "must be an Array of Arrays",
            )
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not BUTTON_ACTIONS & button.keys():
                    raise ApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard",
                    )
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                    raise ApiError(400, BUTTON_DATA_INVALID)
        return markup

    def _reply_to(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters") or {}
        message_id = reply.get("message_id", params.get("reply_to_message_id"))
        if message_id is None:
            return None
        target = self._messages.get((reply.get("chat_id", chat_id), message_id))
        if target is None:
            if reply.get("allow_sending_without_reply") or params.get(
                "allow_sending_without_reply"
            ):
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        return {key: value for key, value in target.items() if key != "reply_to_message"}

    def _input_file(
        self, params: dict[str, Any], field: str, folder: str, extension: str
    ) -> StoredFile:
        """An uploaded file, an "attach://" part, a known file_id or a URL (not fetched)."""
        value = params.get(field)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
        if isinstance(value, Upload):
            suffix = "." + value.filename.rsplit(".", 1)[1] if "." in value.filename else ""
            return self._store_file(
                value.content,
                folder,
                suffix or extension,
                file_name=value.filename,
                mime_type=value.content_type,
            )
        if not value:
            raise ApiError(400, f"Bad Request: there is no {field} in the request")
        if value in self.files:
            known = self.files[value]
            if known.file_path.split("/", 1)[0] != folder:
                raise ApiError(400, FILE_MISMATCH)
            return known
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            name = urlsplit(value).path.rsplit("/", 1)[-1] or None
            return self._store_file(b"", folder, extension, file_name=name)
        raise ApiError(400, WRONG_FILE)

    def _own_message(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("inline_message_id"):
            raise ApiError(400, "Bad Request: message to edit not found")  # no inline mode
        chat_id = self._target_chat(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if not self._is_bot_message(message):
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    @staticmethod
    def _edit(message: dict[str, Any], **changes: Any) -> dict[str, Any]:
        """Applies an edit; an edit that changes nothing is refused, as Telegram does."""
        if all(message.get(key) == value for key, value in changes.items()):
            raise ApiError(400, NOT_MODIFIED)
        for key, value in changes.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    def _command_key(self, params: dict[str, Any]) -> tuple[Any, ...]:
        """(scope type, language_code[, chat_id[, user_id]]), "" being the default language."""
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in COMMAND_SCOPE_TYPES:
            raise ApiError(400, "Bad Request: unsupported bot command scope type")
        language_code = params.get("language_code") or ""
        if language_code and not re.fullmatch(r"[a-z]{2}", language_code):
            raise ApiError(400, "Bad Request: invalid language code specified")
        extra = tuple(scope[key] for key in ("chat_id", "user_id") if key in scope)
        return (scope["type"], language_code, *extra)

    # ------------------------------------------------------------------ Bot API methods

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return copy.deepcopy(self.bot_user)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self._webhook is not None:
            raise ApiError(409, WEBHOOK_ACTIVE)
        self._poll_generation += 1
        generation = self._poll_generation
        self.notify()  # an older long poll wakes up and answers 409
        if params.get("allowed_updates") is not None:
            self._allowed_updates = list(params["allowed_updates"]) or None
        offset = params.get("offset") or 0
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]
        limit = params.get("limit") or 100
        if not 1 <= limit <= 100:
            limit = 100
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, params.get("timeout") or 0)
        while True:
            changed = self._changed
            if generation != self._poll_generation:
                raise ApiError(409, TERMINATED_BY_OTHER_POLL)
            if self._webhook is not None:
                raise ApiError(409, TERMINATED_BY_SET_WEBHOOK)
            remaining = deadline - loop.time()
            if self._pending or remaining <= 0 or self._closing:
                return copy.deepcopy(self._pending[:limit])
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await changed.wait()

    async def _set_webhook(self, params: dict[str, Any]) -> _Described:
        url = str(params.get("url") or "")
        if not url:
            return await self._delete_webhook(params)
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"}:
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        if not _is_loopback(parts.hostname):
            raise ApiError(
                400, "Bad Request: bad webhook: the fake delivers to loopback addresses only"
            )
        secret = params.get("secret_token") or None
        if secret is not None:
            if len(secret) > 256:
                raise ApiError(400, "Bad Request: secret token is too long")
            if not re.fullmatch(r"[A-Za-z0-9_-]+", secret):
                raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        max_connections = min(max(int(params.get("max_connections") or 40), 1), 100)
        if params.get("allowed_updates") is not None:
            self._allowed_updates = list(params["allowed_updates"]) or None
        if params.get("drop_pending_updates"):
            self._pending.clear()
        webhook = {
            "url": url,
            "secret_token": secret,
            "max_connections": max_connections,
            "ip_address": params.get("ip_address"),
        }
        unchanged = webhook == self._webhook
        self._webhook = webhook
        if not unchanged:
            self._webhook_error = None
        return _Described(True, "Webhook is already set" if unchanged else "Webhook was set")

    async def _delete_webhook(self, params: dict[str, Any]) -> _Described:
        if params.get("drop_pending_updates"):
            self._pending.clear()
        was_set = self._webhook is not None
        self._webhook = None
        self._webhook_error = None
        return _Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self._webhook is not None:
            info["max_connections"] = self._webhook["max_connections"]
            if self._webhook["ip_address"]:
                info["ip_address"] = self._webhook["ip_address"]
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
        if self._webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._target_chat(params)
        text = self._message_text(params)
        markup = self._inline_keyboard(params)
        reply_to = self._reply_to(chat_id, params)
        return self._new_message(
            chat_id, self.bot_user, text=text, reply_markup=markup, reply_to_message=reply_to
        )

    async def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._target_chat(params)
        caption = self._caption(params)
        markup = self._inline_keyboard(params)
        reply_to = self._reply_to(chat_id, params)
        stored = self._input_file(params, "document", "documents", "")
        if len(stored.content) > MAX_UPLOAD_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": stored.file_name,
            "mime_type": stored.mime_type,
            "file_size": len(stored.content),
        }
        document = {key: value for key, value in document.items() if value is not None}
        return self._new_message(
            chat_id,
            self.bot_user,
            document=document,
            caption=caption,
            reply_markup=markup,
            reply_to_message=reply_to,
        )

    async def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._target_chat(params)
        caption = self._caption(params)
        markup = self._inline_keyboard(params)
        reply_to = self._reply_to(chat_id, params)
        upload = isinstance(params.get("photo"), Upload)
        stored = self._input_file(params, "photo", "photos", ".jpg")
        if upload and len(stored.content) > MAX_PHOTO_BYTES:
            raise ApiError(400, "Bad Request: photo is too big (10 MB at most)")
        return self._new_message(
            chat_id,
            self.bot_user,
            photo=[self._photo_size(stored, 800)],
            caption=caption,
            reply_markup=markup,
            reply_to_message=reply_to,
        )

    async def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._target_chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._own_message(params)
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text = self._message_text(params)
        # Without reply_markup the inline keyboard goes away, as on Telegram.
        return self._edit(message, text=text, reply_markup=self._inline_keyboard(params))

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._own_message(params)
        return self._edit(message, reply_markup=self._inline_keyboard(params))

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        chat_id = self._target_chat(params)
        if self._messages.pop((chat_id, params.get("message_id")), None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_queries:
            raise ApiError(400, QUERY_INVALID)
        if utf16_length(str(params.get("text") or "")) > MAX_CALLBACK_ANSWER_LENGTH:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        del self._open_queries[query_id]
        self.callback_answers[query_id] = params
        return True

    async def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(stored.content) > MAX_DOWNLOAD_BYTES:
            raise ApiError(400, FILE_TOO_BIG)
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        key = self._command_key(params)
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > MAX_COMMANDS:
            raise ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        stored = []
        for command in commands:
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
            stored.append({"command": name, "description": description})
        if stored:
            self.commands[key] = stored
        else:
            self.commands.pop(key, None)  # an empty list deletes, like deleteMyCommands
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        """Only the list stored for exactly this scope and language, without fallback."""
        return copy.deepcopy(self.commands.get(self._command_key(params), []))

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(self._command_key(params), None)
        return True
