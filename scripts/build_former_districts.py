#!/usr/bin/env python3
"""Build handlers/data/hai_phong_former_districts.yaml: for each of Hai Phong's 114
commune-level units since 1/7/2025, the former districts (and province) it was formed from.

Reads two public datasets from read-only git mirrors (nothing is downloaded):
- dvhcvn/20250701: input/docs/1669_NQ-UBTVQH15.md, the text of Resolution 1669/NQ-UBTVQH15,
  which arranges Hai Phong's communes one clause per new unit, and mapping/merges.json (new
  unit -> old communes, whole or part), which its README says a language model drew up;
- daohoangson/dvhcvn at tag v20250301, the data that mapping was built from: data/sorted.json,
  the units before 1/7/2025 (province -> district -> commune, with the statistics office's
  codes).

Each clause is parsed into the old units it names, with their share (whole or part) and the
district written in brackets after an ambiguous name. A name two old communes share is settled
by the one assignment under which every old commune of the two provinces is arranged wholly
once, or in parts in two clauses or more (ties: the commune in the same district as the
clause's other units). The result is compared with the mapping both ways, and each old
commune the mapping lists must be named in its clause's text. Every mismatch is printed; those
decided by reading the clause are in RESOLVED and NAME_VARIANTS and go into the file's header.
Any other mismatch stops the build.

    python scripts/build_former_districts.py            # write the data file
    python scripts/build_former_districts.py --check    # fail if the file is not up to date

The two repositories are local clones (`git clone https://github.com/dvhcvn/20250701` and
`git clone https://github.com/daohoangson/dvhcvn`, bare or not), given by --mapping-repo and
--units-repo or by FORMER_DISTRICTS_MAPPING_REPO and FORMER_DISTRICTS_UNITS_REPO.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import subprocess
import sys
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "handlers" / "data" / "hai_phong_former_districts.yaml"
COMMUNES = ROOT / "handlers" / "data" / "hai_phong_communes.yaml"
MAPPING_REPO = Path(os.environ.get("FORMER_DISTRICTS_MAPPING_REPO",
                                   "/work/.mirror/dvhcvn+20250701/repo"))
UNITS_REPO = Path(os.environ.get("FORMER_DISTRICTS_UNITS_REPO",
                                 "/work/.mirror/daohoangson+dvhcvn/repo"))
UNITS_TAG = "v20250301"
RESOLUTION = "input/docs/1669_NQ-UBTVQH15.md"
READ_ON = "2026-12-06"  # when the mirrors were read for this file
NEW_PROVINCE = "31"  # Hai Phong since 1/7/2025
OLD_PROVINCES = {"30": "haiduong", "31": "haiphong"}
PROVINCE_NAMES = {"haiduong": "tỉnh Hải Dương", "haiphong": "thành phố Hải Phòng"}

DISTRICT_KINDS = {"Quận": "quan", "Huyện": "huyen", "Thị xã": "thi_xa", "Thành phố": "thanh_pho"}
DISTRICT_PREFIXES = {"quan": "quận", "huyen": "huyện", "thi_xa": "thị xã",
                     "thanh_pho": "thành phố"}
COMMUNE_KINDS = {"phường": "phuong", "xã": "xa", "thị trấn": "thi_tran", "huyện": "huyen",
                 "đặc khu": "dac_khu"}
KIND_WORDS = {kind: word for word, kind in COMMUNE_KINDS.items()}
SHARE_WORDS = {"full": "toàn bộ", "partial": "một phần"}

# Where the mapping and the resolution differ, and what reading the clause decided (the
# resolution is followed): (new unit code, old commune code) -> why, in Vietnamese.
RESOLVED = {
    ("10675", "10963"): (
        "mapping xếp xã Long Xuyên (10963, huyện Bình Giang) một phần vào phường Kinh Môn; "
        "khoản 40 ghi \"các phường An Lưu, Hiệp An và Long Xuyên\", tức phường Long Xuyên "
        "(10738, thị xã Kinh Môn), mà mapping cũng đã có. Xã Long Xuyên cùng tên của huyện "
        "Bình Giang được khoản 86 sắp xếp toàn bộ vào xã Bình Giang. Theo nghị quyết: phường "
        "Kinh Môn không có phần nào của huyện Bình Giang."),
    ("10966", "10963"): (
        "mapping ghi xã Long Xuyên (10963, huyện Bình Giang) nhập một phần vào xã Bình Giang; "
        "khoản 86 ghi \"toàn bộ diện tích tự nhiên, quy mô dân số của các xã Tân Việt (huyện "
        "Bình Giang), Long Xuyên, Hồng Khê, Cổ Bì\". Theo nghị quyết: toàn bộ."),
}
# Names the resolution's text writes otherwise than the statistics office's list:
# (kind, name in the clause) -> (old commune code, why).
NAME_VARIANTS = {
    ("xa", "Bình Lãng"): ("11092", (
        "khoản 95 (xã Đại Sơn) viết \"xã Bình Lãng\"; danh mục TCTK (v20250301) và mapping "
        "viết \"Bình Lăng\" (11092, huyện Tứ Kỳ). Hai tỉnh không có đơn vị nào tên Bình Lãng; "
        "11092 chỉ khác một dấu, cùng huyện Tứ Kỳ với các xã khác của khoản 95 và không được "
        "khoản nào khác nhắc tới, nên coi là một. Chưa xác nhận được cách viết nào đúng (bản "
        "PDF ký số của nghị quyết chưa được đọc).")),
}
# The data file's header, in Vietnamese like hai_phong_communes.yaml.
SOURCES = [
    "Nghị quyết 1669/NQ-UBTVQH15 ngày 16/6/2025 (sắp xếp ĐVHC cấp xã của thành phố Hải Phòng), "
    "Điều 1 khoản 1–114, bản markdown github.com/dvhcvn/20250701 {resolution} @ {mapping} (tác "
    "giả repo chuyển từ văn bản tải ở thuvienphapluat.vn; bản PDF ký số chưa được đọc); đọc ngày "
    "{read_on}",
    "Danh mục ĐVHC trước 01/7/2025 của Tổng cục Thống kê (tỉnh, huyện, xã, mã số) theo "
    "github.com/daohoangson/dvhcvn data/sorted.json, tag {tag} @ {units} (data/date.txt: "
    "01/03/2025; repo không có tag mới hơn); đọc ngày {read_on}",
    "Bảng mới → cũ github.com/dvhcvn/20250701 mapping/merges.json @ {mapping} (dựng từ hai "
    "nguồn trên bằng mô hình ngôn ngữ, theo README của repo): chỉ dùng để đối chiếu; đọc ngày "
    "{read_on}",
]
METHOD = [
    "Mỗi khoản của Điều 1 được tách thành các đơn vị cũ nó nêu (sau khi sửa chỗ dính chữ của "
    "bản markdown, vd. \"phườngNgô Quyền\", \"Ngọvà\"), kèm loại (phường/xã/thị trấn), phần "
    "(toàn bộ / một phần / phần còn lại) và huyện ghi trong ngoặc nếu có; mỗi tên được tìm "
    "trong danh mục TCTK của hai tỉnh.",
    "Tên trùng nhau mà khoản không ghi huyện được chọn theo điều kiện: mọi đơn vị cũ của hai "
    "tỉnh được sắp xếp toàn bộ đúng một lần, hoặc từng phần ở ít nhất hai khoản; nếu còn nhiều "
    "cách đọc thỏa điều kiện: cách mà đơn vị cùng huyện với các đơn vị khác của khoản. Điều "
    "kiện đó được kiểm tra lại cho cả 114 khoản.",
    "Đối chiếu hai chiều với mapping: mỗi đơn vị cũ mapping nêu phải có tên trong khoản tương "
    "ứng (so sau khi bỏ khoảng trắng) và trùng loại, phần, huyện; mỗi đơn vị khoản nêu phải có "
    "trong mapping. Mọi chỗ khác nhau ghi ở mismatches; đã đọc lại khoản và theo nghị quyết.",
    "114 mã và tên đơn vị mới trong mapping trùng hai_phong_communes.yaml; huyện cũ của một đơn "
    "vị mới = huyện cũ của các đơn vị cũ nêu trong khoản của nó.",
]
UNCONFIRMED = [
    "Danh mục huyện là của TCTK tại 01/3/2025; các nguồn ở đây không nói gì về thay đổi cấp "
    "huyện từ 01/3 đến 30/6/2025. Các huyện NQ 1669 (16/6/2025) ghi trong ngoặc ({bracketed}) "
    "đều khớp danh mục đó: chỉ xác nhận được một phần.",
    "Đơn vị cũ bị chia (\"một phần\") được tính cho huyện của nó dù phần vào đơn vị mới có "
    "thể nhỏ: nghị quyết không nói phần nào (thôn, tổ dân phố) và bao nhiêu dân.",
    "Bản markdown của NQ 1669 chưa được so với bản ký số; cách viết \"Bình Lãng\"/\"Bình "
    "Lăng\" (xem mismatches) chưa xác nhận.",
]


# --- reading the sources -------------------------------------------------------------------

def git_show(repo: Path, rev: str, path: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "show", f"{rev}:{path}"], check=True,
                          capture_output=True, text=True).stdout


def git_commit(repo: Path, rev: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "rev-parse", f"{rev}^{{commit}}"],
                          check=True, capture_output=True, text=True).stdout.strip()


_OLD_STYLE_TONE = re.compile(r"(?<![qQ])([oO])([àáảãạèéẻẽẹ])(?![^\W\d_])|"
                             r"(?<![qQ])([uU])([ỳýỷỹỵ])(?![^\W\d_])")
_TONES = {"̀": "grave", "́": "acute", "̉": "hook", "̃": "tilde", "̣": "dot"}


def new_style(text: str) -> str:
    """NFC, with the tone mark of an open "oa", "oe", "uy" on its first vowel, as Decision
    19/2025/QĐ-TTg and the resolution write them ("Hoà" -> "Hòa", "Thuỵ" -> "Thụy")."""

    def move(match: re.Match[str]) -> str:
        first, second = (match.group(1), match.group(2)) if match.group(1) else (
            match.group(3), match.group(4))
        base, *marks = unicodedata.normalize("NFD", second)
        tone = "".join(m for m in marks if m in _TONES)
        return unicodedata.normalize("NFC", first + tone + base)

    return _OLD_STYLE_TONE.sub(move, unicodedata.normalize("NFC", text))


@dataclass
class District:
    code: str
    name: str
    kind: str
    province: str  # haiduong | haiphong

    @property
    def full_name(self) -> str:
        return f"{DISTRICT_PREFIXES[self.kind]} {self.name}"


@dataclass
class OldCommune:
    code: str
    name: str
    kind: str  # phuong | xa | thi_tran (a district without communes: huyen)
    district: str


def old_units(repo: Path) -> tuple[dict[str, District], dict[str, OldCommune]]:
    """The districts and communes of the former Hai Phong and Hải Dương."""
    districts: dict[str, District] = {}
    communes: dict[str, OldCommune] = {}
    for province in json.loads(git_show(repo, UNITS_TAG, "data/sorted.json")):
        if province[0] not in OLD_PROVINCES:
            continue
        for code, name, kind, _ascii, units in province[4]:
            districts[code] = District(code, new_style(name), DISTRICT_KINDS[kind],
                                       OLD_PROVINCES[province[0]])
            for unit_code, unit_name, unit_kind, _unit_ascii in units:
                communes[unit_code] = OldCommune(
                    unit_code, new_style(unit_name), COMMUNE_KINDS[unit_kind.lower()], code)
            if not units:  # Bạch Long Vĩ: a district with no commune-level unit
                communes[code] = OldCommune(code, new_style(name), "huyen", code)
    return districts, communes


@dataclass
class Merge:
    old: str
    kind: str
    name: str
    share: str  # full | partial


@dataclass
class NewUnit:
    code: str
    kind: str
    name: str
    merges: list[Merge]


def split_kind(full_name: str) -> tuple[str, str]:
    """("Xã An Thành") -> ("xa", "An Thành")."""
    full_name = new_style(full_name)
    for prefix, kind in sorted(COMMUNE_KINDS.items(), key=lambda item: -len(item[0])):
        if full_name.lower().startswith(prefix + " "):
            return kind, full_name[len(prefix) + 1:]
    raise ValueError(f"no kind in {full_name!r}")


def new_units(repo: Path) -> list[NewUnit]:
    data = json.loads(git_show(repo, "HEAD", "mapping/merges.json"))["data"]
    province = next(p for p in data if p["level1_id"] == NEW_PROVINCE)
    units = []
    for unit in province["level2s"]:
        kind, name = split_kind(unit["name"])
        merges = [Merge(m["old_id"], *split_kind(m["name"]), m["type"]) for m in unit["merges"]]
        units.append(NewUnit(unit["level2_id"], kind, name, merges))
    return units


# --- the resolution ------------------------------------------------------------------------

# Function words the markdown glues to their neighbours ("phườngNgô", "Lạcthành", "vàxã").
_GLUED = ("phường", "thành", "khoản", "phần", "toàn", "của", "các", "một", "này", "thị",
          "sau", "tại", "và", "xã", "số")


def spaced(text: str) -> str:
    """The resolution's text with its spacing put right: one space between words, none
    glued to the next ("phườngNgô Quyền" -> "phường Ngô Quyền", "Ngọvà" -> "Ngọ và")."""
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"\\(.)", r"\1", text)
    out = []
    for i, char in enumerate(text):
        previous = text[i - 1] if i else ""
        if (previous.islower() and char.isupper()) or (previous.isdigit() and char.isalpha()):
            out.append(" ")
        out.append(char)
    text = "".join(out)
    text = re.sub(r"\s*,\s*", ", ", text)
    text = re.sub(r"\s*\(\s*", " (", text)
    text = re.sub(r"\s*\)(?=\w)", ") ", text)
    words = text.split()
    changed = True
    while changed:
        changed = False
        result = []
        for word in words:
            parts = _unglue(word)
            changed |= len(parts) > 1
            result += parts
        words = result
    return " ".join(words)


def _unglue(word: str) -> list[str]:
    for glued in _GLUED:
        if " " in glued:
            continue
        rest = word[len(glued):]
        if word.startswith(glued) and rest and (rest[0].isupper() or rest.startswith(
                tuple(g for g in _GLUED if " " not in g))):
            return [glued, rest]
        head = word[:-len(glued)]
        if word.endswith(glued) and head and head[-1].isalpha():
            return [head, glued]
    return [word]


@dataclass
class Item:
    """An old unit as a clause names it."""

    kind: str
    name: str
    district: str | None  # the district named in brackets after it, if any
    share: str  # full | partial
    # "the rest of it after clauses N, M": clauses that took the other parts of it
    after: tuple[int, ...] = ()


@dataclass
class Clause:
    number: int
    text: str
    unit_kind: str
    unit_name: str
    items: list[Item] = field(default_factory=list)


def _phrase(text: str) -> str:
    """A regular expression matching the phrase whatever its spacing (the markdown drops
    spaces: "dân sốcủa")."""
    return r"\s*".join(re.escape(word) for word in text.split())


_SHARES = [
    (_phrase("toàn bộ diện tích tự nhiên, quy mô dân số của"), "full"),
    (_phrase("một phần diện tích tự nhiên, quy mô dân số của"), "partial"),
    (_phrase("một phần diện tích tự nhiên của"), "partial"),
    (_phrase("phần còn lại của"), "partial"),
]
_AFTER = re.compile(_phrase("sau khi sắp xếp theo quy định tại") +
                    r"(?:\s*(?:khoản\s*\d+|,|và))+\s*Điều\s*này")
_UNIT = re.compile(r"\s*thành\s+(phường|xã|đặc khu)\s+(?:mới\s+)?có tên gọi là\s*\*\*\s*"
                   r"(?:phường|xã|đặc khu)\s*(.+?)\*\*")
_ITEM = re.compile(r"^(?:các\s+)?(phường|xã|thị trấn|huyện)?\s*(.+?)(?:\s*\((.+?)\))?$")


def clauses(markdown: str) -> list[Clause]:
    markdown = unicodedata.normalize("NFC", markdown)  # it mixes in decomposed letters
    article = markdown.split("**Điều 1.", 1)[1].split("**Điều 2.", 1)[0]
    text = re.sub(r"\s+", " ", re.sub(r"\\(.)", r"\1", article))
    found = []
    for match in re.finditer(r"(?:^|\s)(\d+)\.\s*(Sắp\s*xếp.+?)(?=\s\d+\.\s*(?:Sắp|Sau)|$)",
                             text):
        number, body = int(match.group(1)), match.group(2)
        unit = _UNIT.search(body)
        if unit is None:
            raise ValueError(f"clause {number}: no new unit")
        clause = Clause(number, spaced(body.replace("**", "")), COMMUNE_KINDS[unit.group(1)],
                        new_style(spaced(unit.group(2)).strip()))
        listing = re.sub(r"^Sắp\s*xếp\s*", "", spaced(body[:unit.start()]))
        pieces = re.split("(" + "|".join(p for p, _s in _SHARES) + ")", listing)
        share = None
        for piece in pieces:
            matched = next((s for p, s in _SHARES if re.fullmatch(p, piece)), None)
            if matched:
                share = matched
                continue
            kind = None
            # "... sau khi sắp xếp theo quy định tại khoản 9 và khoản 22 Điều này": the rest
            # of communes that clauses 9 and 22 took parts of.
            start = 0
            for after in [*_AFTER.finditer(piece), None]:
                part = piece[start:after.start() if after else len(piece)]
                refs = tuple(int(n) for n in re.findall(r"\d+", after.group())) if after else ()
                start = after.end() if after else len(piece)
                for raw in re.split(r",|\bvà\b", part):
                    raw = raw.strip()
                    if not raw:
                        continue
                    item = _ITEM.match(raw)
                    if item is None or share is None:
                        raise ValueError(f"clause {number}: cannot read {raw!r}")
                    kind = COMMUNE_KINDS[item.group(1)] if item.group(1) else kind
                    if kind is None:
                        raise ValueError(f"clause {number}: no kind for {raw!r}")
                    clause.items.append(Item(kind, new_style(item.group(2)), item.group(3),
                                             share, refs))
        found.append(clause)
    return found



# --- from clauses to old communes ----------------------------------------------------------

@dataclass
class Use:
    """An old commune in a clause: wholly or in part."""

    clause: int
    old: str
    share: str
    after: tuple[int, ...] = ()  # see Item


@dataclass
class Ambiguity:
    """A name the clause gives without its district, which several old communes bear."""

    clause: Clause
    item: Item
    candidates: list[OldCommune]
    chosen: OldCommune | None = None
    forced: bool = False  # every reading that arranges each old commune properly picks it


def resolve(found: list[Clause], districts: dict[str, District],
            communes: dict[str, OldCommune]) -> tuple[dict[int, list[Use]], list[Ambiguity]]:
    """Each clause's old communes; the names that needed settling, settled."""
    by_name: dict[tuple[str, str], list[OldCommune]] = defaultdict(list)
    for commune in communes.values():
        by_name[(commune.kind, commune.name)].append(commune)
    ambiguous: list[Ambiguity] = []
    uses: dict[int, list[Use | Ambiguity]] = {}
    for clause in found:
        uses[clause.number] = []
        for item in clause.items:
            if (item.kind, item.name) in NAME_VARIANTS:
                candidates = [communes[NAME_VARIANTS[(item.kind, item.name)][0]]]
            else:
                candidates = by_name[(item.kind, item.name)]
            if item.district:
                candidates = [c for c in candidates
                              if districts[c.district].full_name == new_style(item.district)]
            if not candidates:
                raise SystemExit(f"khoản {clause.number}: no old unit {item.kind} {item.name}"
                                 + (f" ({item.district})" if item.district else ""))
            if len(candidates) == 1:
                uses[clause.number].append(Use(clause.number, candidates[0].code, item.share,
                                               item.after))
            else:
                ambiguous.append(Ambiguity(clause, item, candidates))
                uses[clause.number].append(ambiguous[-1])

    def reading(pick: tuple[OldCommune, ...]) -> dict[int, list[Use]]:
        chosen = {id(a): c for a, c in zip(ambiguous, pick, strict=True)}
        return {n: [u if isinstance(u, Use) else Use(n, chosen[id(u)].code, u.item.share,
                                                      u.item.after)
                    for u in us] for n, us in uses.items()}

    proper = [pick for pick in itertools.product(*(a.candidates for a in ambiguous))
              if not consistency_problems(reading(pick), communes)]
    if not proper:
        raise SystemExit("no reading of the ambiguous names arranges every old unit once")

    def near(pick: tuple[OldCommune, ...]) -> int:
        settled = reading(pick)
        return sum(any(communes[u.old].district == c.district for u in settled[a.clause.number]
                       if u.old != c.code) for a, c in zip(ambiguous, pick, strict=True))

    best = max(near(pick) for pick in proper)
    chosen = [pick for pick in proper if near(pick) == best]
    if len(chosen) != 1:
        raise SystemExit(f"{len(chosen)} readings of the ambiguous names: cannot settle them")
    for i, ambiguity in enumerate(ambiguous):
        ambiguity.chosen = chosen[0][i]
        ambiguity.forced = all(pick[i] is chosen[0][i] for pick in proper)
    return reading(chosen[0]), ambiguous


def ambiguity_note(ambiguity: Ambiguity, uses: dict[int, list[Use]], unit: NewUnit,
                   districts: dict[str, District], communes: dict[str, OldCommune]) -> str:
    """Why the name was read as it was, in Vietnamese, for the data file."""
    chosen, item = ambiguity.chosen, ambiguity.item
    assert chosen is not None
    others = []
    for other in ambiguity.candidates:
        if other is chosen:
            continue
        where = sorted(n for n, us in uses.items() if any(u.old == other.code for u in us))
        others.append(f"{other.code} ({districts[other.district].full_name}) là đơn vị "
                      f"của khoản {', '.join(map(str, where))}")
    mapped = [m.old for m in unit.merges if (m.kind, m.name) == (item.kind, item.name)]
    number = ambiguity.clause.number
    near = any(districts[chosen.district] is districts[communes[u.old].district]
               for u in uses[number] if u.old != chosen.code)
    linked = sorted({u.clause for us in uses.values() for u in us
                     if u.old == chosen.code and (number in u.after or u.clause in item.after)})
    if ambiguity.forced:
        why = "cách đọc duy nhất để mỗi đơn vị cũ được sắp xếp đúng một lần"
    elif near:
        why = ("hai cách đọc đều sắp xếp mỗi đơn vị cũ đúng một lần; chọn cách mà đơn vị cùng "
               "huyện với các đơn vị khác của khoản")
    else:
        why = ("hai cách đọc đều sắp xếp mỗi đơn vị cũ đúng một lần; đây là cùng xã với khoản "
               + ", ".join(map(str, linked)) + " (phần còn lại của xã sau khi sắp xếp theo "
               "khoản này), mà ở đó nó cùng huyện với các đơn vị khác")
    return (f"khoản {ambiguity.clause.number} ({KIND_WORDS[unit.kind]} {unit.name}) ghi "
            f"\"{KIND_WORDS[item.kind]} {item.name}\" không kèm huyện: là {chosen.code} "
            f"({districts[chosen.district].full_name}); " + "; ".join(others) + f" ({why})"
            + ("; mapping cũng vậy" if mapped == [chosen.code] else
               f"; mapping ghi {', '.join(mapped) or 'không có'}"))


def consistency_problems(uses: dict[int, list[Use]], communes: dict[str, OldCommune]
                         ) -> list[str]:
    """Every old commune arranged wholly exactly once, or in parts in two clauses or more; "the
    rest of it after clause N" is a commune clause N took a part of."""
    by_old: dict[str, list[Use]] = defaultdict(list)
    problems = []
    for clause_uses in uses.values():
        for use in clause_uses:
            by_old[use.old].append(use)
            problems += [f"{use.old} in khoản {use.clause}: not in khoản {n}" for n in use.after
                         if all(other.old != use.old for other in uses.get(n, []))]
    for code in communes:
        shares = sorted(u.share for u in by_old.get(code, []))
        if shares != ["full"] and (len(shares) < 2 or "full" in shares):
            problems.append(f"{code}: {shares or 'not arranged'}")
    return problems


# --- the cross-check with the mapping --------------------------------------------------------

def cross_check(units: list[NewUnit], clause_of: dict[str, Clause],
                uses: dict[int, list[Use]], districts: dict[str, District],
                communes: dict[str, OldCommune]) -> list[tuple[str, str | None]]:
    """Every difference between the mapping and the resolution: (what, how it was resolved
    or None)."""
    found: list[tuple[str, str | None]] = []

    def describe(code: str) -> str:
        old = communes[code]
        return (f"{KIND_WORDS[old.kind]} {old.name} ({code}, "
                f"{districts[old.district].full_name})")

    for unit in units:
        clause = clause_of[unit.code]
        where = f"{NEW_KIND_WORDS[unit.kind]} {unit.name} ({unit.code}, khoản {clause.number})"
        text = squashed(clause.text)
        for merge in unit.merges:
            old = communes.get(merge.old)
            if old is None:
                found.append((f"{where}: mapping có {merge.old}, không phải đơn vị nào "
                               f"của {UNITS_TAG}", None))
                continue
            if (merge.kind, merge.name) != (old.kind, old.name):
                found.append((f"{where}: mapping gọi {merge.old} là {merge.kind} {merge.name}, "
                              f"{UNITS_TAG} là {old.kind} {old.name}", None))
            if squashed(old.name) not in text:
                variant = next((name for (_kind, name), (code, _why) in NAME_VARIANTS.items()
                                if code == merge.old), None)
                found.append((f"{where}: mapping có {describe(merge.old)}, tên này không "
                              f"có trong khoản", NAME_VARIANTS[(old.kind, variant)][1]
                              if variant and squashed(variant) in text else None))
        ours = {u.old: u.share for u in uses[clause.number]}
        theirs = {m.old: m.share for m in unit.merges}
        for code in sorted(set(ours) | set(theirs)):
            if ours.get(code) == theirs.get(code):
                continue
            if code not in ours:
                what = f"{where}: mapping có {describe(code)} ({SHARE_WORDS[theirs[code]]}), " \
                       "khoản không nêu"
            elif code not in theirs:
                what = f"{where}: khoản nêu {describe(code)} ({SHARE_WORDS[ours[code]]}), " \
                       "mapping không có"
            else:
                what = f"{where}: {describe(code)}: mapping ghi {SHARE_WORDS[theirs[code]]}, " \
                       f"khoản ghi {SHARE_WORDS[ours[code]]}"
            found.append((what, RESOLVED.get((unit.code, code))))
    return found


def squashed(text: str) -> str:
    """For finding a name whatever the markdown did to its spaces."""
    return re.sub(r"\s+", "", new_style(text)).lower()


# --- the data file ---------------------------------------------------------------------------

NEW_KIND_WORDS = {"phuong": "phường", "xa": "xã", "dac_khu": "đặc khu"}


def q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def render(units: list[NewUnit], clause_of: dict[str, Clause], uses: dict[int, list[Use]],
           districts: dict[str, District], communes: dict[str, OldCommune],
           mismatches: list[tuple[str, str | None]], notes: list[str],
           commits: dict[str, str]) -> str:
    order = {code: i for i, code in enumerate(
        u["code"] for u in yaml.safe_load(COMMUNES.read_text(encoding="utf-8"))["units"])}
    rows = []
    several = []
    for unit in sorted(units, key=lambda u: order[u.code]):
        clause = clause_of[unit.code]
        by_district: dict[str, list[Use]] = defaultdict(list)
        for use in uses[clause.number]:
            by_district[communes[use.old].district].append(use)
        ranked = sorted(by_district, key=lambda d: -len(by_district[d]))  # stable: clause order
        provinces = {districts[d].province for d in ranked}
        if len(provinces) != 1:
            raise SystemExit(f"{unit.code}: formed from two former provinces")
        if len(ranked) > 1:
            several.append(f"{NEW_KIND_WORDS[unit.kind]} {unit.name}: "
                           + ", ".join(districts[d].full_name for d in ranked))
        rows.append(f"  - code: {q(unit.code)}")
        rows.append(f"    name: {q(unit.name)}")
        rows.append(f"    kind: {unit.kind}")
        rows.append(f"    clause: {clause.number}")
        rows.append(f"    former_province: {provinces.pop()}")
        rows.append("    former_districts: [" + ", ".join(
            q(districts[d].full_name) for d in ranked) + "]")
        rows.append("    formed_from:")
        for district in ranked:
            parts = [("một phần " if u.share == "partial" else "")
                     + f"{KIND_WORDS[communes[u.old].kind]} {communes[u.old].name} ({u.old})"
                     for u in by_district[district]]
            rows.append(f"      {q(districts[district].full_name)}: ["
                        + ", ".join(q(p) for p in parts) + "]")
    bracketed = ", ".join(sorted({new_style(i.district) for c in clause_of.values()
                                  for i in c.items if i.district}))
    ordered_districts = sorted(districts.values(), key=lambda d: (d.province != "haiphong",
                                                                  d.code))
    head = [
        "# Đơn vị hành chính cấp huyện (quận, huyện, thị xã, thành phố thuộc tỉnh/thành phố) của "
        "thành phố Hải Phòng",
        "# và tỉnh Hải Dương trước 01/7/2025, và 114 đơn vị cấp xã mới của Hải Phòng được hình "
        "thành từ chúng.",
        "# TỆP SINH TỰ ĐỘNG bởi scripts/build_former_districts.py: đừng sửa tay, sửa script rồi "
        "chạy lại.",
        "# Tên NFC, dấu thanh theo kiểu của QĐ 19/2025/QĐ-TTg và NQ 1669 (\"Thủy Nguyên\", "
        "\"Kiến Thụy\", \"Hòa\"); danh mục",
        "# TCTK viết kiểu cũ (\"Thuỷ\", \"Thuỵ\", \"Hoà\"), được chuyển khi đọc.",
        "# districts: 27 đơn vị cấp huyện cũ (mã TCTK). units: mỗi đơn vị cấp xã mới (mã QĐ "
        "19/2025, như hai_phong_communes.yaml):",
        "#   clause = khoản của Điều 1 NQ 1669; former_districts = các huyện cũ có đất của nó "
        "(nhiều đất nhất trước);",
        "#   formed_from = đơn vị cấp xã cũ (mã TCTK) theo từng huyện cũ; \"một phần\" = chỉ "
        "một phần diện tích, quy mô dân số.",
        "source:",
        *[f"  - {q(line.format(read_on=READ_ON, tag=UNITS_TAG, resolution=RESOLUTION, **commits))}"
          for line in SOURCES],
        "method:",
        *[f"  - {q(line)}" for line in METHOD],
        "mismatches:",
        *[f"  - {q(what + ' → ' + str(how))}" for what, how in mismatches],
        "ambiguous_names:",
        *[f"  - {q(note)}" for note in notes],
        "unconfirmed:",
        *[f"  - {q(line.format(bracketed=bracketed))}" for line in UNCONFIRMED],
        "several_districts:  # đơn vị mới có đất của hơn một huyện cũ",
        *[f"  - {q(line)}" for line in several],
        "effective_before: 2025-07-01",
        f"counts: {{units: {len(units)}, districts: {len(districts)}, "
        f"several_districts: {len(several)}}}",
        "districts:",
        *[f"  - {{code: {q(d.code)}, name: {q(d.name)}, kind: {d.kind}, "
          f"province: {d.province}}}" for d in ordered_districts],
        "units:",
    ]
    return "\n".join(head + rows) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mapping-repo", type=Path, default=MAPPING_REPO)
    parser.add_argument("--units-repo", type=Path, default=UNITS_REPO)
    parser.add_argument("--check", action="store_true",
                        help="compare with the data file instead of writing it")
    args = parser.parse_args()
    districts, communes = old_units(args.units_repo)
    units = new_units(args.mapping_repo)
    found = clauses(git_show(args.mapping_repo, "HEAD", RESOLUTION))
    known = {(u["code"], u["name"]) for u in yaml.safe_load(
        COMMUNES.read_text(encoding="utf-8"))["units"]}
    if {(u.code, u.name) for u in units} != known:
        raise SystemExit("the mapping's new units differ from hai_phong_communes.yaml")
    by_name = {(c.unit_kind, c.unit_name): c for c in found}
    clause_of = {u.code: by_name[(u.kind, u.name)] for u in units}
    if len(set(map(id, clause_of.values()))) != len(found) or len(found) != len(units):
        raise SystemExit("clauses and new units do not pair up")
    uses, ambiguous = resolve(found, districts, communes)
    unit_of = {id(clause): unit for unit in units for clause in [clause_of[unit.code]]}
    notes = [ambiguity_note(a, uses, unit_of[id(a.clause)], districts, communes)
             for a in ambiguous]
    problems = consistency_problems(uses, communes)
    if problems:
        raise SystemExit("old units not arranged once: " + "; ".join(problems))
    mismatches = cross_check(units, clause_of, uses, districts, communes)
    for what, how in mismatches:
        print(("RESOLVED " if how else "UNRESOLVED ") + what)
    for note in notes:
        print("AMBIGUOUS " + note)
    if any(how is None for _what, how in mismatches):
        return 1
    commits = {"mapping": git_commit(args.mapping_repo, "HEAD"),
               "units": git_commit(args.units_repo, UNITS_TAG)}
    text = render(units, clause_of, uses, districts, communes, mismatches, notes, commits)
    if args.check:
        if OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT.relative_to(ROOT)} is not up to date", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
