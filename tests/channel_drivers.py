"""One user on one channel, played through that channel's fake platform (or, for the web
chat, its JSON API), so the same story can be told on Telegram, Zalo Bot, Zalo OA and the
web: `say()` a text, `pick()` a choice by button, number or label, read `texts`.

Every action returns once the bot has answered (webhooks answer after the replies went out;
the web API answers with them), so no story waits on a timer.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from aiohttp import ClientSession, CookieJar

from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.zalo_bot_server import FakeZaloBot
from tests.fakes.zalo_oa_server import FakeZaloOA
from tests.fakes.zalo_oa_server import buttons as oa_buttons

_TO_TYPE = re.compile(r"\[([^\]]+)\]")
_NUMBERED = re.compile(r"^(\d+)\. (.+)$", re.MULTILINE)


def without_diacritics(text: str) -> str:
    """What a user types on a phone without a Vietnamese keyboard."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text)
                   if unicodedata.category(c) != "Mn")


class ChannelUser:
    channel = ""

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id

    # What each channel shows: messages as (text, [(button label, data)]).
    def messages(self) -> list[tuple[str, list[tuple[str, str]]]]:
        raise NotImplementedError

    async def _send(self, text: str) -> None:
        raise NotImplementedError

    async def _press(self, label: str, data: str) -> None:
        raise NotImplementedError

    @property
    def texts(self) -> list[str]:
        return [text for text, _buttons in self.messages()]

    async def say(self, text: str) -> str:
        """Send text; return what the bot answered, joined."""
        before = len(self.messages())
        await self._send(text)
        return "\n".join(self.texts[before:])

    def choices(self) -> list[tuple[str, str | None]]:
        """The choices of the latest message that has any: (label, button data or None)."""
        for text, buttons in reversed(self.messages()):
            if buttons:
                return [(label, data) for label, data in buttons]
            # The choices are the numbered list after the last blank line, or, where the
            # question wants a typed answer, words in brackets to type.
            last_paragraph = text.rsplit("\n\n", 1)[-1]
            numbered = _NUMBERED.findall(last_paragraph)
            if numbered:
                return [(label, None) for _number, label in numbered]
            words = _TO_TYPE.findall(last_paragraph)
            if words and _TO_TYPE.sub("", last_paragraph).strip() == "":
                return [(label, None) for label in words]
        return []

    async def pick(self, label: str, *, by: str = "button") -> str:
        """Pick a choice: press its button (where the channel shows one, else type its
        number), or type its number, or type its label without diacritics."""
        offered = self.choices()
        labels = [choice for choice, _data in offered]
        assert label in labels, (label, labels, self.texts[-1:])
        number = labels.index(label) + 1
        data = offered[number - 1][1]
        before = len(self.messages())
        if by == "button" and data is not None:
            await self._press(label, data)
        elif by == "number" or (by == "button" and not self._typed_choices()):
            await self._send(str(number))
        else:
            await self._send(without_diacritics(label).lower())
        return "\n".join(self.texts[before:])


    def _typed_choices(self) -> bool:
        """The latest choices are words to type (the question wants a typed answer)."""
        for text, buttons in reversed(self.messages()):
            if buttons:
                return False
            last_paragraph = text.rsplit("\n\n", 1)[-1]
            if _NUMBERED.findall(last_paragraph):
                return False
            if _TO_TYPE.findall(last_paragraph):
                return True
        return False


class TelegramUser(ChannelUser):
    channel = "telegram"

    def __init__(self, fake: FakeTelegram, user_id: str) -> None:
        super().__init__(user_id)
        self.fake = fake

    def messages(self) -> list[tuple[str, list[tuple[str, str]]]]:
        shown = []
        for message in self.fake.messages_to(int(self.user_id)):
            rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
            shown.append((message.get("text") or message.get("caption") or "",
                          [(b["text"], b["callback_data"]) for row in rows for b in row]))
        return shown

    async def _send(self, text: str) -> None:
        await self.fake.user_sends(int(self.user_id), text)

    async def _press(self, label: str, data: str) -> None:
        await self.fake.user_presses(int(self.user_id), data)


class ZaloBotUser(ChannelUser):
    channel = "zalo_bot"

    def __init__(self, fake: FakeZaloBot, user_id: str) -> None:
        super().__init__(user_id)
        self.fake = fake

    def messages(self) -> list[tuple[str, list[tuple[str, str]]]]:
        return [(m.get("text") or m.get("caption") or "", [])
                for m in self.fake.messages_to(self.user_id)]

    async def _send(self, text: str) -> None:
        await self.fake.user_sends(self.user_id, text)


class ZaloOAUser(ChannelUser):
    channel = "zalo_oa"

    def __init__(self, fake: FakeZaloOA, user_id: str) -> None:
        super().__init__(user_id)
        self.fake = fake

    def messages(self) -> list[tuple[str, list[tuple[str, str]]]]:
        return [(m.get("text") or "", [(title, title) for title in oa_buttons(m)])
                for m in self.fake.messages_to(self.user_id)]

    async def _send(self, text: str) -> None:
        assert await self.fake.user_sends(self.user_id, text) == 200

    async def _press(self, label: str, data: str) -> None:
        assert await self.fake.user_taps(self.user_id, label) == 200


class WebUser(ChannelUser):
    """A visitor of the web chat page (its JSON API, with the page's cookie)."""

    channel = "web"

    def __init__(self, url: str) -> None:
        super().__init__("")
        self.url = url
        self.session = ClientSession(cookie_jar=CookieJar(unsafe=True))
        self._messages: list[dict[str, Any]] = []

    def messages(self) -> list[tuple[str, list[tuple[str, str]]]]:
        return [(m["text"], [(b["label"], b["data"]) for b in m["buttons"]])
                for m in self._messages]

    async def _post(self, body: dict[str, Any]) -> None:
        async with self.session.post(f"{self.url}/api/messages", json=body) as response:
            assert response.status == 200, await response.text()
            self._messages += (await response.json())["replies"]

    async def _send(self, text: str) -> None:
        await self._post({"text": text})

    async def _press(self, label: str, data: str) -> None:
        await self._post({"text": label, "payload": data})

    async def close(self) -> None:
        await self.session.close()
