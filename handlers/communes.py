"""Hai Phong's commune-level units since 1/7/2025, from handlers/data/hai_phong_communes.yaml."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from handlers.i18n import N_
from handlers.text import closeness, fold

DATA_FILE = Path(__file__).parent / "data" / "hai_phong_communes.yaml"

# TRANSLATORS: kinds of commune-level unit; "đặc khu" is a special administrative zone.
KIND_NAMES = {"xa": N_("commune"), "phuong": N_("ward"), "dac_khu": N_("special zone")}
_KIND_PREFIXES = {"xa": "xã", "phuong": "phường", "dac_khu": "đặc khu"}
# Kinds of unit a name may start with, folded, longest first; "tp", "tx": as people abbreviate
# "thành phố", "thị xã".
_ANY_KIND = ("thanh pho", "thi tran", "dac khu", "phuong", "huyen", "thi xa", "quan", "tinh",
             "xa", "tp", "tx")


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    kind: str  # xa | phuong | dac_khu

    @property
    def full_name(self) -> str:
        """The name as written in Vietnamese, e.g. "Xã An Thành"."""
        return f"{_KIND_PREFIXES[self.kind].capitalize()} {self.name}"

    @property
    def name_in_text(self) -> str:
        """The name as written inside a sentence, e.g. "xã An Thành"."""
        return f"{_KIND_PREFIXES[self.kind]} {self.name}"


class CommuneDirectory:
    def __init__(self, communes: list[Commune]) -> None:
        self._communes = communes
        self._by_code = {c.code: c for c in communes}

    @classmethod
    def load(cls, path: Path = DATA_FILE) -> CommuneDirectory:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls([Commune(str(u["code"]), u["name"], u["kind"]) for u in data["units"]])

    def __len__(self) -> int:
        return len(self._communes)

    def __iter__(self) -> Iterator[Commune]:
        return iter(self._communes)

    def get(self, code: str) -> Commune | None:
        return self._by_code.get(code)

    def search(self, text: str) -> list[Commune]:
        """Units whose name matches what the user typed, with or without diacritics.

        An exact name wins; otherwise every unit whose folded name contains the query.
        A leading "xã", "phường" or "đặc khu" narrows the kind.
        """
        query, kind = self._query(text)
        if not query:
            return []
        candidates = [c for c in self._communes if kind is None or c.kind == kind]
        exact = [c for c in candidates if c.name.lower() == text.strip().lower()
                 or fold(c.name) == query]
        if exact:
            accented = [c for c in exact if c.name.lower() in text.lower()]
            return accented or exact
        return [c for c in candidates if query in fold(c.name)]

    def suggest(self, text: str, limit: int = 5) -> list[Commune]:
        """Units whose name is close to what the user typed ("hai duongg", "an thanhh"): for a
        "did you mean" when search finds nothing. Closest first."""
        query, kind = self._query(text)
        if len(query) < 3:
            return []
        candidates = [c for c in self._communes if kind is None or c.kind == kind]
        scored = []
        for commune in candidates:
            score = closeness(query, fold(commune.name))
            if score is not None:
                scored.append((score, commune.name, commune))
        scored.sort(key=lambda item: (-item[0], item[1]))
        return [commune for _score, _name, commune in scored[:limit]]

    @staticmethod
    def _query(text: str) -> tuple[str, str | None]:
        """The folded name typed, without a leading kind, and that kind."""
        query = fold(text)
        for key, prefix in _KIND_PREFIXES.items():
            folded_prefix = fold(prefix)
            if query.startswith(folded_prefix + " "):
                return query[len(folded_prefix) + 1 :].strip(), key
        return query.strip(), None


def bare_name(text: str) -> str:
    """A unit's name folded and without the kind it starts with ("Thị xã Kinh Môn", "tx kinh
    mon" -> "kinh mon"), to match names typed with or without it."""
    name = " ".join(fold(text).replace(".", " ").split())
    for kind in _ANY_KIND:
        if name.startswith(kind + " ") and len(name) > len(kind) + 1:
            return name[len(kind) + 1:].strip()
    return name
