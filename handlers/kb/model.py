"""What the knowledge base holds: topics and entries, in Vietnamese and English."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")

LANGUAGES = ("vi", "en")


class Status(StrEnum):
    """How far an entry can be trusted."""

    CONFIRMED = "confirmed"
    UNCONFIRMED = "unconfirmed"  # not verified yet: the bot must say so
    HISTORICAL = "historical"  # true under an older text; context, not a current rule


@dataclass(frozen=True)
class Localized(Generic[T]):
    """A value in Vietnamese and English."""

    vi: T
    en: T

    def get(self, lang: str) -> T:
        """The value in `lang`, Vietnamese for any language other than English."""
        return self.en if lang == "en" else self.vi


@dataclass(frozen=True)
class Topic:
    id: str
    name: Localized[str]


@dataclass(frozen=True)
class Entry:
    """One answer of the knowledge base, with the questions it answers."""

    id: str
    topic: str
    title: Localized[str]
    text: Localized[str]
    questions: Localized[tuple[str, ...]] = Localized((), ())
    status: Status = Status.CONFIRMED
    source: str = ""
    facts: tuple[str, ...] = ()
    reviewed: date | None = None
    related: tuple[str, ...] = ()
    file: str = ""  # the content file it came from; empty for entries added at run time


@dataclass(frozen=True)
class Knowledge:
    """The validated content of a knowledge-base directory."""

    topics: tuple[Topic, ...]
    entries: tuple[Entry, ...]
