"""Channel-neutral message types: what adapters hand in and what handlers give back."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class MessageKind(StrEnum):
    TEXT = "text"
    BUTTON = "button"
    PHOTO = "photo"
    STICKER = "sticker"
    OTHER = "other"  # voice, location, file… anything we cannot read


@dataclass(frozen=True)
class Incoming:
    """One message from one user on one channel."""

    channel: str
    user_id: str
    text: str = ""
    payload: str | None = None  # button data, when a button was pressed
    kind: MessageKind = MessageKind.TEXT
    update_id: str | None = None  # platform's id, for applying redeliveries once
    display_name: str | None = None
    # Set only by the console adapter, which runs on the server for the operator.
    operator: bool = False

    @property
    def user_key(self) -> str:
        return f"{self.channel}:{self.user_id}"


@dataclass(frozen=True)
class Choice:
    """A button; channels without buttons show it as a numbered line."""

    label: str
    payload: str  # short: Telegram allows 64 bytes of callback data


@dataclass(frozen=True)
class Document:
    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True)
class Link:
    """A name in a reply's text that channels able to show links make clickable."""

    label: str  # as it appears in the text
    url: str


@dataclass(frozen=True)
class Reply:
    text: str
    choices: tuple[Choice, ...] = field(default=())
    document: Document | None = None
    # The first line of text is a title: bold where the channel can show it.
    titled: bool = False
    links: tuple[Link, ...] = field(default=())
    # The user's data was just deleted: clients drop whatever they keep (the web page's
    # stored conversation) and start afresh.
    forget_user: bool = False
    # It asks for a typed answer (a number, a name, a date…) and its buttons only navigate:
    # a typed "2" is the answer, never the second button, and channels without buttons show
    # them as words to type rather than as a numbered list.
    expects_text: bool = False

    def __post_init__(self) -> None:
        for choice in self.choices:
            if len(choice.payload.encode()) > 64:
                raise ValueError(f"choice payload over 64 bytes: {choice.payload!r}")
