"""Validation of Vietnamese tax codes (mã số thuế) and phone numbers."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from enum import StrEnum

# Check digit of a 10-digit tax code: N10 = 10 - (Σ Ni·Wi mod 11), Wi below
# (General Department of Taxation's modulo-11 scheme; e.g. 0100109106, 0300588569).
_TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
_TAX_CODE = re.compile(r"(\d{10})(?:-(\d{3}))?")
_SEPARATORS = re.compile(r"[\s.\-()]")
# Mobile numbers since the 2018 renumbering: 03x, 05x, 07x, 08x, 09x, ten digits.
_MOBILE = re.compile(r"0[35789]\d{8}")
# Landlines: 02 + area code + subscriber number, eleven digits (Hai Phong 0225).
_LANDLINE = re.compile(r"02\d{9}")


# A household business's tax code since 1/7/2025 is its representative's 12-digit personal
# identification number (facts ID-02, ID-03). Its structure (Circular 59/2021/TT-BCA, Art. 7):
# province of birth registration (3 digits), century and sex (1), year of birth (2), then 6
# digits. The province codes are those of the 63 provinces before the 2025 mergers, which stay
# on every number already issued.
_PERSONAL_ID = re.compile(r"\d{12}")
_PROVINCE_CODES = frozenset(
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 "
    "034 035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 "
    "067 068 070 072 074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096"
    .split()
)


class TaxCodeProblem(StrEnum):
    CHECK_DIGIT = "check_digit"  # ten digits whose last one does not match
    PERSONAL_ID = "personal_id"  # twelve digits that are no personal identification number
    FORMAT = "format"  # neither 10, 10-3 nor 12 digits


def parse_tax_code(text: str, today: date | None = None) -> str | None:
    """Return the tax code as 0123456789, 0123456789-001 or a 12-digit personal id of a
    household business, or None when it is not valid."""
    compact = _compact_tax_code(text)
    if _PERSONAL_ID.fullmatch(compact):
        return compact if _is_personal_id(compact, today or date.today()) else None
    match = _TAX_CODE.fullmatch(compact)
    if not match or not _check_digit_matches(match.group(1)):
        return None
    if match.group(2) == "000":
        return None  # branch numbers start at 001
    return compact


def tax_code_problem(text: str) -> TaxCodeProblem:
    """Why `text` is not a valid tax code, to say so to the person who typed it."""
    compact = _compact_tax_code(text)
    if _PERSONAL_ID.fullmatch(compact):
        return TaxCodeProblem.PERSONAL_ID
    match = _TAX_CODE.fullmatch(compact)
    if match and not _check_digit_matches(match.group(1)):
        return TaxCodeProblem.CHECK_DIGIT
    return TaxCodeProblem.FORMAT


def is_personal_id(tax_code: str) -> bool:
    """True for a household business's tax code, which is a person's identification number."""
    return bool(_PERSONAL_ID.fullmatch(tax_code))


def mask_tax_code(tax_code: str) -> str:
    """A personal identification number as shown back to its owner: 0310•••••234."""
    if is_personal_id(tax_code):
        return f"{tax_code[:4]}{'•' * 5}{tax_code[-3:]}"
    return tax_code


def ascii_digits(text: str) -> str:
    """Every decimal digit as 0-9: "０２００…" (full-width) or Arabic-Indic digits were kept as
    typed, and made a second establishment of a tax code already known."""
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


def _compact_tax_code(text: str) -> str:
    compact = re.sub(r"[\s.]", "", ascii_digits(text))
    return re.sub(r"^(\d{10})(\d{3})$", r"\1-\2", compact)  # 13 digits typed without dash


def _check_digit_matches(ten_digits: str) -> bool:
    digits = [int(d) for d in ten_digits]
    check = (10 - sum(w * d for w, d in zip(_TAX_WEIGHTS, digits, strict=False)) % 11) % 10
    return check == digits[9]


def _is_personal_id(number: str, today: date) -> bool:
    century = 1900 + 100 * (int(number[3]) // 2)  # 0/1: 20th century, 2/3: 21st, …
    born = century + int(number[4:6])
    return number[:3] in _PROVINCE_CODES and 1900 <= born <= today.year


class PersonalData(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    ID_NUMBER = "id_number"


_PHONE_LIKE = re.compile(r"(?<![\d.,])(?:\+84|84|0)(?:[\s.\-]?\d){8,10}(?![\d.,]\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Old 9-digit identity cards, 10 or 10-3 digit tax codes, 12-digit personal ids.
_ID_LIKE = re.compile(r"(?<![\d.,])(?:\d{9,13}|\d{10}-\d{3})(?![\d.,]\d)")


def phone_in(text: str) -> str | None:
    """The one phone number a sentence gives ("số này nhé em 0987 654 321"), if one only."""
    found = {phone for match in _PHONE_LIKE.finditer(ascii_digits(text))
             if (phone := parse_phone(match.group()))}
    return found.pop() if len(found) == 1 else None


def tax_code_in(text: str) -> str | None:
    """The one tax code a sentence gives ("tax code is 0201765432"), if one only."""
    found = {code for match in _ID_LIKE.finditer(ascii_digits(text))
             if (code := parse_tax_code(match.group()))}
    return found.pop() if len(found) == 1 else None


def find_personal_data(text: str) -> set[PersonalData]:
    """Which kinds of personal data a free text seems to contain (for staff to see before
    anything typed by a user is shown to others)."""
    found = set()
    text = ascii_digits(text)
    if any(parse_phone(m.group()) for m in _PHONE_LIKE.finditer(text)):
        found.add(PersonalData.PHONE)
    if _EMAIL.search(text):
        found.add(PersonalData.EMAIL)
    if any(not parse_phone(m.group()) for m in _ID_LIKE.finditer(text)):
        found.add(PersonalData.ID_NUMBER)
    return found


def parse_phone(text: str) -> str | None:
    """Return a Vietnamese phone number in national form (0912345678), or None."""
    compact = _SEPARATORS.sub("", ascii_digits(text))
    if compact.startswith("+84"):
        compact = "0" + compact[3:]
    elif compact.startswith("84") and len(compact) in (11, 12):
        compact = "0" + compact[2:]
    if _MOBILE.fullmatch(compact) or _LANDLINE.fullmatch(compact):
        return compact
    return None
