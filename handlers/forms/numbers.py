"""Numbers typed the Vietnamese way: "1.500.000", "1,5 tỷ", "200tr", "50k", "1 tỷ 200 triệu".

The rules, and why (anything else is None: a wrong number is worse than asking again):

- A dot is a thousands separator when the groups allow it ("1.500" is 1500, as Vietnamese
  writes it; "1.500.000"), else a decimal point ("1.5", "0.500", "1234.567").
- A comma is the decimal separator ("1,5", "0,25"). "1,500" is None: Vietnamese reads it as
  1.5 and English as 1500, and this bot takes both. Several commas in valid groups are English
  thousands ("1,500,000"). Both separators: the last one is the decimal ("1.000,5", "1,000.5").
- Spaces group thousands ("1 500 000", "1 500,5").
- Unit words, with or without diacritics: trăm (100), k/nghìn/ngàn (1 000), tr/triệu
  (1 000 000), tỷ/tỉ (1 000 000 000). A unit followed by a larger one multiplies ("3 trăm
  nghìn", "2 nghìn tỷ"); parts with decreasing units add up ("1 tỷ 200 triệu"), each smaller
  than the unit before it, and each with a unit ("2 triệu 500" is None).
- A trailing currency (đồng, đ, ₫, VND, VNĐ) is ignored; a leading "-" makes it negative.
- A whole number may name what it counts: "12 người", "40 lao động", "3 máy" ("12 người" was
  refused on a phone). Other words ("50 kg") are still not a number.
- "khoảng", "tầm", "chừng", "about", "around" before a number are an estimate's, not part of
  it ("khoảng 450 triệu"); "hơn", "dưới" (more, less than) would change it and are refused.
- A question whose label gives the unit of its amounts ("Kinh phí dự kiến (triệu đồng)",
  label_unit) takes a plain number in that unit ("50") and an amount with a unit word in it
  ("50 triệu", "1,5 tỷ": 50 and 1 500): both were 50 000 000 and 1 500 000 000 before.
"""

from __future__ import annotations

import re
from decimal import Decimal, localcontext
from itertools import pairwise

from handlers.text import fold

_UNITS = {
    "tram": 100,
    "k": 1000, "nghin": 1000, "ngan": 1000,
    "tr": 10**6, "trieu": 10**6,
    "ty": 10**9, "ti": 10**9,
    # "about 400 million" (an English-speaking manager, 8 Dec 2026)
    "thousand": 10**3, "million": 10**6, "billion": 10**9,
}
_CURRENCIES = frozenset({"d", "dong", "vnd"})
_MINUS_SIGNS = ("-", "\u2212")
_DIGITS = frozenset("0123456789")
# What a whole number counts, typed after it (folded words, longest first).
_COUNTED = tuple(tuple(phrase.split()) for phrase in (
    "nguoi lao dong", "lao dong", "cong nhan", "nhan cong", "nhan vien", "xa vien",
    "thanh vien", "co so", "gian hang", "san pham", "nguoi", "tho", "ho", "cai", "chiec",
    "bo", "may", "gian", "lan", "people", "workers", "persons", "booth", "booths",
    # as typed on a phone: "tầm 15 ng", "20 cn", "30 lđ"
    "ng", "cn", "ld", "nv", "employees", "worker", "person"))
# Words after the number that only soften it: "1 gian thôi", "15 người ạ".
_TRAILING = frozenset({"a", "thoi", "nhe", "nha", "only", "please"})
_ESTIMATES = frozenset({"khoang", "tam", "chung", "about", "around", "approximately",
                        "roughly"})
# The unit of a label's amounts, in its folded text: "(triệu đồng)", "tỷ đồng", "(triệu)",
# "million VND", "(millions)"; not a unit after a figure ("ví dụ 700 triệu đồng").
_LABEL_UNIT = re.compile(
    r"\b(tram|nghin|ngan|trieu|tr|ty|ti)\s*(?:dong|d|vnd)\b"
    r"|\((tram|nghin|ngan|trieu|ty|ti)\)"
    r"|\b(thousand|million|billion)s?\s*(?:vnd|dong)\b|\((thousand|million|billion)s?\)")
# Longer input is not a number someone typed; the cap also keeps Decimal arithmetic exact.
_MAX_LENGTH = 80


def label_unit(*labels: str) -> int:
    """The quantity one of a question's numbers stands for, as its label says ("Kinh phí
    (triệu đồng)": 1 000 000); 1 when no label names a unit."""
    for label in labels:
        for match in _LABEL_UNIT.finditer(fold(label)):
            before = fold(label)[:match.start()].rstrip()
            if before and before[-1] in _DIGITS:  # an example amount, not the unit
                continue
            word = next(group for group in match.groups() if group)
            return _UNITS[word]
    return 1


def parse_number(text: str, *, integer: bool, unit: int = 1) -> Decimal | None:
    """The number `text` means, or None; for integer questions, only whole numbers. With a
    `unit` (label_unit), an amount typed with a unit word is counted in that unit."""
    folded = fold(text).replace("₫", " d ").strip()
    if not folded or len(folded) > _MAX_LENGTH:
        return None
    negative = folded.startswith(_MINUS_SIGNS)
    tokens = _tokens(folded[1:] if negative else folded)
    if len(tokens) > 1 and tokens[0] in _ESTIMATES and not negative:
        del tokens[0]
    while len(tokens) > 1 and tokens[-1] in _TRAILING:
        del tokens[-1]
    if integer:
        counted = next((p for p in _COUNTED if len(tokens) > len(p) and
                        tuple(tokens[-len(p):]) == p), None)
        if counted:
            del tokens[-len(counted):]
    if tokens and tokens[-1] in _CURRENCIES:
        tokens.pop()
    grouped = _join_space_groups(tokens)
    with localcontext() as context:
        context.prec = 4 * _MAX_LENGTH  # exact for anything under the length cap
        value = _amount(grouped) if grouped else None
        if value is not None and unit != 1 and any(token in _UNITS for token in grouped):
            value = value / unit
        if value is None or (integer and value != value.to_integral_value()):
            return None
        value = value.copy_negate() if negative else value
        return Decimal(int(value)) if value == value.to_integral_value() else value.normalize()


def _tokens(text: str) -> list[str]:
    """Split into runs of figures and runs of letters; [] if anything else is there."""
    tokens: list[str] = []
    previous_kind = None
    for char in text:
        kind = "figure" if char in _DIGITS or char in ".," else (
            "word" if char.isalpha() else "space" if char == " " else None)
        if kind is None:
            return []
        if kind != "space":
            if kind == previous_kind:
                tokens[-1] += char
            else:
                tokens.append(char)
        previous_kind = kind
    return tokens


def _is_figure(token: str) -> bool:
    return token[0] in _DIGITS or token[0] in ".,"


def _join_space_groups(tokens: list[str]) -> list[str] | None:
    """Merge "1 500 000" into one figure; None when adjacent figures are not thousands groups."""
    joined: list[str] = []
    for token in tokens:
        if joined and _is_figure(token) and _is_figure(joined[-1]):
            groups = [*joined[-1].split(" "), token]
            whole, comma, fraction = token.partition(",")
            if not (_is_group(whole) and all(_is_group(g) for g in groups[1:-1])
                    and _is_leading_group(groups[0]) and (not comma or fraction.isdigit())):
                return None
            joined[-1] = f"{joined[-1]} {token}"
        else:
            joined.append(token)
    return [token.replace(" ", "") for token in joined]


def _amount(tokens: list[str]) -> Decimal | None:
    """Add up "figure unit..." parts, each smaller than the unit before it."""
    parts: list[tuple[Decimal, int]] = []
    index = 0
    while index < len(tokens):
        value = _figure(tokens[index])
        if value is None:
            return None
        index += 1
        multiplier, last_unit = 1, 1
        while index < len(tokens) and not _is_figure(tokens[index]):
            unit = _UNITS.get(tokens[index])
            if unit is None or unit <= last_unit:
                return None
            multiplier, last_unit = multiplier * unit, unit
            index += 1
        parts.append((value, multiplier))
    if len(parts) > 1:
        for (_, before), (value, multiplier) in pairwise(parts):
            if multiplier == 1 or multiplier >= before or value * multiplier >= before:
                return None
    return sum((value * multiplier for value, multiplier in parts), Decimal(0))


def _figure(token: str) -> Decimal | None:
    """One figure with Vietnamese (or unambiguous English) separators."""
    if token[0] not in _DIGITS or token[-1] not in _DIGITS:
        return None
    dots, commas = token.count("."), token.count(",")
    if not dots and not commas:
        return Decimal(token)
    if dots and commas:
        decimal_mark = "," if token.rindex(",") > token.rindex(".") else "."
        thousands_mark = "." if decimal_mark == "," else ","
        whole, _, fraction = token.rpartition(decimal_mark)
        if token.count(decimal_mark) != 1 or not _is_grouped(whole, thousands_mark):
            return None
        return Decimal(f"{whole.replace(thousands_mark, '')}.{fraction}")
    mark = "." if dots else ","
    groups = token.split(mark)
    if not all(groups):  # "1..5"
        return None
    if _is_grouped(token, mark):
        # A single comma with three digits after it is "1,500": 1.5 or 1500 (see above).
        if mark == "," and len(groups) == 2:
            return None
        return Decimal(token.replace(mark, ""))
    if len(groups) == 2:
        return Decimal(f"{groups[0]}.{groups[1]}")
    return None


def _is_grouped(whole: str, mark: str) -> bool:
    """Whether `whole` is digits in thousands groups: "1.500.000", "12,500"."""
    groups = whole.split(mark)
    return _is_leading_group(groups[0]) and all(_is_group(g) for g in groups[1:])


def _is_leading_group(group: str) -> bool:
    return 1 <= len(group) <= 3 and set(group) <= _DIGITS and group[0] != "0"


def _is_group(group: str) -> bool:
    return len(group) == 3 and set(group) <= _DIGITS
