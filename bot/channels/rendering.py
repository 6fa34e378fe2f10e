"""The one renderer of replies for every channel: choices as buttons where the channel has
them (and they fit), otherwise as a numbered list the user answers by number or label; long
text split at paragraph, then line, then sentence, then word boundaries."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from handlers.types import Choice, Reply

if TYPE_CHECKING:
    from bot.channels.base import Capabilities

# Where a sentence ends: after . ! ? … (and a closing quote or bracket), before a space.
_SENTENCE_END = re.compile(r"""[.!?…]["'”’)\]]*(?=\s)""")


@dataclass(frozen=True)
class Message:
    """One platform message: text, and the buttons to show under it (only where the channel
    has buttons)."""

    text: str
    buttons: tuple[Choice, ...] = ()


def numbered(text: str, choices: tuple[Choice, ...] | list[Choice], *,
             typed: bool = False) -> str:
    """The text, then its choices as a numbered list ("1. Label") after a blank line, so they
    stand apart from numbers in the text itself (a survey's review lists its questions).

    Where the question wants a typed answer (`typed`), a typed number is the answer, so the
    choices (Keep, Skip, Back) are shown as words to type instead: "[Giữ nguyên] [Quay lại]".
    """
    if typed:
        listing = "  ".join(f"[{c.label}]" for c in choices)
    else:
        listing = "\n".join(f"{i}. {c.label}" for i, c in enumerate(choices, 1))
    return "\n\n".join(part for part in (text, listing) if part)


def render(reply: Reply, capabilities: Capabilities) -> list[Message]:
    """The messages that show `reply`'s text and choices on a channel (its document aside)."""
    choices = reply.choices
    as_buttons = bool(choices) and buttons_fit(choices, capabilities)
    text = reply.text if as_buttons else numbered(reply.text, choices,
                                                  typed=reply.expects_text)
    if not text:
        return []
    parts = split_text(text, capabilities.max_text_length, utf16=capabilities.utf16_lengths)
    messages = [Message(part) for part in parts]
    if as_buttons:
        messages[-1] = Message(parts[-1], tuple(choices))
    return messages


def with_attachment(reply: Reply, capabilities: Capabilities
                    ) -> tuple[str | None, list[Message]]:
    """How a reply with a photo or document goes out: the caption under the file, and the
    messages after it. The text is the caption when it fits the channel's caption as one
    message without buttons; otherwise the file goes first, without a caption, and the text
    follows as its own messages (buttons on the last), so the file always comes first."""
    messages = render(replace(reply, attachment=None), capabilities)
    if len(messages) == 1 and not messages[0].buttons and \
            (utf16_length if capabilities.utf16_lengths else len)(
                messages[0].text) <= capabilities.caption_length:
        return messages[0].text, []
    return None, messages


def buttons_fit(choices: tuple[Choice, ...], capabilities: Capabilities) -> bool:
    return (len(choices) <= capabilities.max_buttons
            and all(len(c.label) <= capabilities.max_button_label for c in choices))


def split_text(text: str, limit: int, *, utf16: bool = False) -> list[str]:
    """Split at paragraph, then line, then sentence, then word boundaries so each part fits
    `limit` (characters, or UTF-16 code units); a single word longer than the limit is the
    only thing ever cut."""
    size = utf16_length if utf16 else len
    if size(text) <= limit:
        return [text]
    parts: list[str] = []
    rest = text
    while size(rest) > limit:
        cut = _best_cut(rest, _chars_within(rest, limit) if utf16 else limit)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def utf16_length(text: str) -> int:
    """The length Telegram counts: characters beyond the Basic Multilingual Plane are two."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _chars_within(text: str, limit: int) -> int:
    """How many characters of `text` fit `limit` UTF-16 code units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def _best_cut(text: str, limit: int) -> int:
    """The strongest boundary (paragraph, line, sentence, word) in the second half of the
    window; a part never ends in the middle of a word unless the word is longer than it."""
    window = text[:limit + 1]  # a boundary right at the limit counts
    for separator in ("\n\n", "\n"):
        cut = window.rfind(separator, limit // 2, limit)
        if cut > 0:
            return cut
    sentence_ends = [m.end() for m in _SENTENCE_END.finditer(window)
                     if limit // 2 <= m.end() <= limit]
    if sentence_ends:
        return sentence_ends[-1]
    space = window.rfind(" ", 0, limit + 1)
    return space if space > 0 else limit
