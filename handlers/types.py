"""Channel-neutral message types: what adapters hand in and what handlers give back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class MessageKind(StrEnum):
    TEXT = "text"
    BUTTON = "button"
    PHOTO = "photo"
    STICKER = "sticker"
    OTHER = "other"  # voice, location, file… anything we cannot read


class FileKind(StrEnum):
    PHOTO = "photo"  # shown in the chat as a picture
    DOCUMENT = "document"  # a file to open (PDF, Word, Excel…)


class FileProblem(StrEnum):
    TOO_BIG = "too_big"
    WRONG_TYPE = "wrong_type"
    UNAVAILABLE = "unavailable"  # could not be downloaded


class FileTooLarge(Exception):
    """A download went past the size it was allowed."""


@dataclass(frozen=True)
class IncomingFile:
    """A photo or document a user sent. Its bytes are downloaded only where a flow asks for a
    file (handlers/attachments.py), never for every photo anyone sends."""

    kind: FileKind
    filename: str
    mime_type: str = "application/octet-stream"
    size: int | None = None  # as the platform announces it; None: not said
    # The platform's id for it, by which the same bot can send it again (Telegram's file_id).
    ref: str | None = None
    # Downloads it, at most the given number of bytes (FileTooLarge beyond them).
    fetch: Callable[[int], Awaitable[bytes]] | None = field(default=None, compare=False,
                                                            repr=False)
    content: bytes | None = field(default=None, repr=False)
    problem: FileProblem | None = None


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
    # A photo or document sent with it (`text` is then its caption, if any).
    file: IncomingFile | None = None

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
class Attachment:
    """A photo or document staff attached (to a broadcast), kept once in our media storage
    under `media_token` and sent by reference: each channel by its own id for it where it has
    one (`refs`: a Telegram file_id, a Zalo OA upload), else from storage or by our link."""

    kind: FileKind
    filename: str
    mime_type: str
    size: int
    media_token: str
    refs: Mapping[str, str] = field(default_factory=dict)  # channel -> its reference

    def with_ref(self, channel: str, ref: str) -> Attachment:
        return Attachment(self.kind, self.filename, self.mime_type, self.size,
                          self.media_token, {**self.refs, channel: ref})

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "filename": self.filename,
                "mime_type": self.mime_type, "size": self.size, "token": self.media_token,
                "refs": dict(self.refs)}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Attachment | None:
        if not data:
            return None
        return cls(FileKind(data["kind"]), str(data["filename"]), str(data["mime_type"]),
                   int(data["size"]), str(data["token"]), dict(data.get("refs") or {}))


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
    # Shown with the text: as its caption where the channel allows and the text fits, else
    # the photo or document first and the text after it (bot/channels/rendering.py).
    attachment: Attachment | None = None
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
