"""Hai Phong's commune-level units since 1/7/2025, from handlers/data/hai_phong_communes.yaml."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from handlers.i18n import N_
from handlers.text import fold

DATA_FILE = Path(__file__).parent / "data" / "hai_phong_communes.yaml"

# TRANSLATORS: kinds of commune-level unit; "đặc khu" is a special administrative zone.
KIND_NAMES = {"xa": N_("commune"), "phuong": N_("ward"), "dac_khu": N_("special zone")}
_KIND_PREFIXES = {"xa": "xã", "phuong": "phường", "dac_khu": "đặc khu"}


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    kind: str  # xa | phuong | dac_khu

    @property
    def full_name(self) -> str:
        """The name as written in Vietnamese, e.g. "Xã An Thành"."""
        return f"{_KIND_PREFIXES[self.kind].capitalize()} {self.name}"


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
        query = fold(text)
        kind = None
        for key, prefix in _KIND_PREFIXES.items():
            folded_prefix = fold(prefix)
            if query.startswith(folded_prefix + " "):
                kind, query = key, query[len(folded_prefix) + 1 :].strip()
        if not query:
            return []
        candidates = [c for c in self._communes if kind is None or c.kind == kind]
        exact = [c for c in candidates if c.name.lower() == text.strip().lower()
                 or fold(c.name) == query]
        if exact:
            accented = [c for c in exact if c.name.lower() in text.lower()]
            return accented or exact
        return [c for c in candidates if query in fold(c.name)]
