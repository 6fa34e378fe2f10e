"""Tax codes and phone numbers in their real Vietnamese formats."""

import pytest

from handlers.identifiers import PersonalData, find_personal_data, parse_phone, parse_tax_code


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0100109106", "0100109106"),  # Viettel
        ("0300588569", "0300588569"),  # Vinamilk
        (" 0300 588 569 ", "0300588569"),
        ("0100109106-001", "0100109106-001"),  # a branch
        ("0100109106001", "0100109106-001"),  # branch typed without the dash
    ],
)
def test_valid_tax_codes(text: str, expected: str) -> None:
    assert parse_tax_code(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "0100109107",  # wrong check digit
        "010010910",  # nine digits
        "01001091066",  # eleven digits
        "0100109106-000",  # branch numbers start at 001
        "0100109106-01",
        "abcdefghij",
        "",
    ],
)
def test_invalid_tax_codes(text: str) -> None:
    assert parse_tax_code(text) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0912345678", "0912345678"),
        ("0912 345 678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0386.123.456", "0386123456"),
        ("0225 3 123 456", "02253123456"),  # Hai Phong landline
        ("(0220) 3 852 000", "02203852000"),  # former Hai Duong landline
    ],
)
def test_valid_phones(text: str, expected: str) -> None:
    assert parse_phone(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "12345",
        "0112345678",
        "0212345678",
        "09123456789",
        "+1 202 555 0100",
        "số tôi",
        "",
    ],
)
def test_invalid_phones(text: str) -> None:
    assert parse_phone(text) is None


@pytest.mark.parametrize(("parse", "typed", "expected"), [
    (parse_tax_code, "０２００１２３４５７", "0200123457"),  # full-width, as typed by an outsider
    (parse_tax_code, "٠٢٠٠١٢٣٤٥٧", "0200123457"),  # Arabic-Indic
    (parse_tax_code, "02001２3457", "0200123457"),  # one look-alike digit among the others
    (parse_phone, "０９１２ ３４５ ６７８", "0912345678"),
])
def test_digits_of_other_scripts_are_read_as_the_same_code(parse, typed: str,
                                                            expected: str) -> None:
    """Kept as typed, they made a second establishment of a tax code already known, past the
    one-per-establishment rules (an outsider probing the server, 8 Dec 2026)."""
    assert parse(typed) == expected


def test_a_phone_in_full_width_digits_is_still_personal_data() -> None:
    assert PersonalData.PHONE in find_personal_data("gọi em số ０９１２３４５６７８ nhé")
