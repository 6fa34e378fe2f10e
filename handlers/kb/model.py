"""What the knowledge base holds: topics and entries, in Vietnamese and English."""

from __future__ import annotations

import re
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
class Citation:
    """A source as users see it: a short name ("Thông tư 28/2018/TT-BTC, Điều 8"), with the
    address of the text when there is one."""

    label: str
    url: str = ""


# In a source, items are separated by ";"; an item with an address is written
# "[short name](https://...)", as in Markdown.
_CITATION = re.compile(r"^\[(?P<label>[^\]]+)\]\((?P<url>[^()\s]+)\)$")


def citations_of(source: str) -> tuple[Citation, ...]:
    """The items of a source, with their addresses."""
    found = []
    for item in (part.strip() for part in source.split(";")):
        if item:
            match = _CITATION.match(item)
            found.append(Citation(match["label"], match["url"]) if match else Citation(item))
    return tuple(found)


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
    # Questions as people typed them (asked.yaml): searched like sample questions, never shown.
    asked: Localized[tuple[str, ...]] = Localized((), ())
    # Questions as people typed them (heard.yaml) that only the classifier learns from: its
    # stories would make false matches in the ranking, but tell which words mark the entry.
    heard: Localized[tuple[str, ...]] = Localized((), ())

    @property
    def citations(self) -> tuple[Citation, ...]:
        return citations_of(self.source)


@dataclass(frozen=True)
class Knowledge:
    """The validated content of a knowledge-base directory."""

    topics: tuple[Topic, ...]
    entries: tuple[Entry, ...]
    # Questions people asked that the centre does not handle (outside.yaml): never answered,
    # they teach the search which words point away from every entry.
    outside: tuple[str, ...] = ()
