"""Validation of Vietnamese tax codes (mã số thuế) and phone numbers."""

from __future__ import annotations

import re

# Check digit of a 10-digit tax code: N10 = 10 - (Σ Ni·Wi mod 11), Wi below
# (General Department of Taxation's modulo-11 scheme; e.g. 0100109106, 0300588569).
_TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
_TAX_CODE = re.compile(r"(\d{10})(?:-(\d{3}))?")
_SEPARATORS = re.compile(r"[\s.\-()]")
# Mobile numbers since the 2018 renumbering: 03x, 05x, 07x, 08x, 09x, ten digits.
_MOBILE = re.compile(r"0[35789]\d{8}")
# Landlines: 02 + area code + subscriber number, eleven digits (Hai Phong 0225).
_LANDLINE = re.compile(r"02\d{9}")


def parse_tax_code(text: str) -> str | None:
    """Return the tax code as 0123456789 or 0123456789-001, or None when it is not valid."""
    compact = re.sub(r"\s", "", text)
    compact = re.sub(r"^(\d{10})(\d{3})$", r"\1-\2", compact)  # 13 digits typed without dash
    match = _TAX_CODE.fullmatch(compact)
    if not match:
        return None
    digits = [int(d) for d in match.group(1)]
    check = (10 - sum(w * d for w, d in zip(_TAX_WEIGHTS, digits, strict=False)) % 11) % 10
    if check != digits[9]:
        return None
    if match.group(2) == "000":
        return None  # branch numbers start at 001
    return compact


def parse_phone(text: str) -> str | None:
    """Return a Vietnamese phone number in national form (0912345678), or None."""
    compact = _SEPARATORS.sub("", text)
    if compact.startswith("+84"):
        compact = "0" + compact[3:]
    elif compact.startswith("84") and len(compact) in (11, 12):
        compact = "0" + compact[2:]
    if _MOBILE.fullmatch(compact) or _LANDLINE.fullmatch(compact):
        return compact
    return None
