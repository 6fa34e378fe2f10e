"""The districts of Hai Phong and Hải Dương before 1/7/2025 and the commune-level units formed
from each, from handlers/data/hai_phong_former_districts.yaml (which
scripts/build_former_districts.py builds from Resolution 1669/NQ-UBTVQH15)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from handlers.text import fold

DATA_FILE = Path(__file__).parent / "data" / "hai_phong_former_districts.yaml"
_KIND_PREFIXES = {"quan": "quận", "huyen": "huyện", "thi_xa": "thị xã",
                  "thanh_pho": "thành phố"}
# A former commune-level unit in a unit's formed_from: "một phần phường Trần Phú (10528)".
_FORMER_UNIT = re.compile(r"^(?:một phần |phần còn lại của )?(phường|xã|thị trấn) (.+) \((\d+)\)$")
_UNIT_KINDS = ("thi tran", "phuong", "xa")  # folded, as typed before a former unit's name


@dataclass(frozen=True)
class FormerCommune:
    """A commune, ward or town before 1/7/2025, and a unit of today it went (wholly or in
    part) into."""

    name: str  # "phường Lập Lễ"
    district: str  # "thành phố Thủy Nguyên"
    today: str  # the code of today's unit


@dataclass(frozen=True)
class FormerDistrict:
    code: str  # the statistics office's code before 1/7/2025
    name: str
    kind: str  # quan | huyen | thi_xa | thanh_pho
    province: str  # haiphong | haiduong
    communes: tuple[str, ...]  # codes of today's units formed wholly or partly from it

    @property
    def full_name(self) -> str:
        """As written in Vietnamese, e.g. "huyện An Lão", "thị xã Kinh Môn"."""
        return f"{_KIND_PREFIXES[self.kind]} {self.name}"


class FormerDistrictDirectory:
    def __init__(self, districts: list[FormerDistrict],
                 formed_from: dict[str, tuple[str, ...]],
                 former_communes: Iterable[FormerCommune] = ()) -> None:
        self._districts = districts
        self._by_code = {d.code: d for d in districts}
        self._formed_from = formed_from  # commune code -> codes of its former districts
        self._former_communes: dict[str, list[FormerCommune]] = {}
        for former in former_communes:
            name = fold(former.name).split(" ", 1)[-1] if not former.name.startswith(
                "thị trấn") else fold(former.name).removeprefix("thi tran ")
            self._former_communes.setdefault(name, []).append(former)

    @classmethod
    def load(cls, path: Path = DATA_FILE) -> FormerDistrictDirectory:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        by_name = {f"{_KIND_PREFIXES[d['kind']]} {d['name']}": str(d["code"])
                   for d in data["districts"]}
        formed_from = {str(u["code"]): tuple(by_name[name] for name in u["former_districts"])
                       for u in data["units"]}
        districts = [FormerDistrict(
            str(d["code"]), d["name"], d["kind"], d["province"],
            tuple(c for c, froms in formed_from.items() if str(d["code"]) in froms))
            for d in data["districts"]]
        former_communes = [
            FormerCommune(f"{match[1]} {match[2]}", district, str(u["code"]))
            for u in data["units"] for district, names in u.get("formed_from", {}).items()
            for name in names if (match := _FORMER_UNIT.match(name))]
        return cls(districts, formed_from, former_communes)

    def __len__(self) -> int:
        return len(self._districts)

    def __iter__(self) -> Iterator[FormerDistrict]:
        """Those of the former Hai Phong city first, then Hải Dương's; each in code order."""
        return iter(self._districts)

    def get(self, code: str) -> FormerDistrict | None:
        return self._by_code.get(code)

    def formed_from(self, commune: str) -> tuple[FormerDistrict, ...]:
        """The former districts a unit of today was formed from, the largest share first."""
        return tuple(self._by_code[c] for c in self._formed_from.get(commune, ()))

    def former_communes_named(self, text: str) -> list[FormerCommune]:
        """The communes, wards and towns before 1/7/2025 named `text` ("lap le", "xã Mỹ
        Đồng"), with or without diacritics and their kind, each with a unit of today it went
        into."""
        query = " ".join(fold(text).replace(".", " ").split())
        for kind in _UNIT_KINDS:
            if query.startswith(kind + " ") and len(query) > len(kind) + 1:
                query = query[len(kind) + 1:]
                break
        return list(self._former_communes.get(query, ()))

    def communes_of(self, codes: Iterable[str]) -> tuple[str, ...]:
        """Today's units formed wholly or partly from any of these districts."""
        chosen = set(codes)
        return tuple(c for c, froms in self._formed_from.items() if chosen & set(froms))

    def partly_from(self, codes: Iterable[str]) -> dict[str, tuple[FormerDistrict, ...]]:
        """Of those units, the ones also formed from other districts, with those others."""
        chosen = set(codes)
        return {c: tuple(self._by_code[d] for d in froms if d not in chosen)
                for c, froms in self._formed_from.items()
                if chosen & set(froms) and not set(froms) <= chosen}
