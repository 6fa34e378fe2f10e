"""Numbers typed the Vietnamese way in integer and decimal questions."""

from decimal import Decimal

import pytest

from handlers.forms.numbers import label_unit, parse_number

# text, as a decimal answer, as an integer answer (None: not accepted)
CASES = [
    # plain and grouped
    ("0", "0", "0"),
    ("42", "42", "42"),
    ("  42  ", "42", "42"),
    ("007", "7", "7"),
    ("1.500.000", "1500000", "1500000"),
    ("1 500 000", "1500000", "1500000"),
    ("12.500", "12500", "12500"),
    ("1.500", "1500", "1500"),  # Vietnamese thousands, not one and a half
    ("1,500,000", "1500000", "1500000"),  # English thousands: unambiguous with two commas
    # decimals
    ("1,5", "1.5", None),
    ("0,5", "0.5", None),
    ("0,25", "0.25", None),
    ("1.5", "1.5", None),  # a dot that cannot be thousands is a decimal point
    ("3.14", "3.14", None),
    ("1234.567", "1234.567", None),
    ("0.500", "0.5", None),
    ("1,50", "1.5", None),
    ("1.000,5", "1000.5", None),
    ("1.234.567,89", "1234567.89", None),
    ("1,000.5", "1000.5", None),
    ("1 500,5", "1500.5", None),
    ("2,0", "2", "2"),  # whole, however written
    # units
    ("1,5 tỷ", "1500000000", "1500000000"),
    ("1,5 ty", "1500000000", "1500000000"),
    ("1,5 tỉ", "1500000000", "1500000000"),
    ("1,5tỷ", "1500000000", "1500000000"),
    ("200 triệu", "200000000", "200000000"),
    ("200 TRIEU", "200000000", "200000000"),
    ("200tr", "200000000", "200000000"),
    ("2 tr", "2000000", "2000000"),
    ("2,5tr", "2500000", "2500000"),
    ("50k", "50000", "50000"),
    ("50K", "50000", "50000"),
    ("50 nghìn", "50000", "50000"),
    ("50 nghin", "50000", "50000"),
    ("50 ngàn", "50000", "50000"),
    ("50 ngan", "50000", "50000"),
    ("3 trăm", "300", "300"),
    ("3 trăm nghìn", "300000", "300000"),  # trăm before a larger unit multiplies
    ("2 nghìn tỷ", "2000000000000", "2000000000000"),
    ("1.200 tỷ", "1200000000000", "1200000000000"),
    ("0,5 triệu", "500000", "500000"),
    ("1,2345 k", "1234.5", None),
    # parts
    ("1 tỷ 200 triệu", "1200000000", "1200000000"),
    ("1 ty 200 trieu", "1200000000", "1200000000"),
    ("2 triệu 500 nghìn", "2500000", "2500000"),
    ("1 tỷ 200 triệu 50 nghìn", "1200050000", "1200050000"),
    ("3 triệu 5 trăm", "3000500", "3000500"),
    # currency
    ("1.500.000 đồng", "1500000", "1500000"),
    ("1.500.000 dong", "1500000", "1500000"),
    ("1.500.000đ", "1500000", "1500000"),
    ("1.500.000 VND", "1500000", "1500000"),
    ("1.500.000 VNĐ", "1500000", "1500000"),
    ("1.500.000 vnđ", "1500000", "1500000"),
    ("1.500.000₫", "1500000", "1500000"),
    ("50k đ", "50000", "50000"),
    ("200 triệu đồng", "200000000", "200000000"),
    # negative
    ("-5", "-5", "-5"),
    ("- 5", "-5", "-5"),
    ("-1,5", "-1.5", None),
    ("-1.500.000", "-1500000", "-1500000"),
    ("−2 tr", "-2000000", "-2000000"),  # the Unicode minus sign
    # refused: not a number, or not one we can read without guessing
    ("", None, None),
    ("   ", None, None),
    ("abc", None, None),
    (",5", None, None),
    ("5,", None, None),
    ("5.", None, None),
    (".5", None, None),
    ("1..5", None, None),
    ("1,,5", None, None),
    ("12e3", None, None),
    ("1.2.3", None, None),
    ("1.50.000", None, None),
    ("1.500.00", None, None),
    ("0.500.000", None, None),
    ("1,500", None, None),  # Vietnamese 1.5 or English 1500: ask again
    ("1,5,0", None, None),
    ("1.000,5,5", None, None),
    ("1,000.5.5", None, None),
    ("1 5", None, None),
    ("1 50 000", None, None),
    ("1 500.5", None, None),
    ("1.5 000", None, None),
    ("--5", None, None),
    ("+5", None, None),
    ("5-6", None, None),
    ("1/2", None, None),
    ("50%", None, None),
    ("$50", None, None),
    ("50 USD", None, None),
    ("đồng", None, None),
    ("tỷ", None, None),
    ("k50", None, None),
    ("50 kg", None, None),
    # what a whole number counts, named after it
    ("12 người", None, "12"),
    ("12 nguoi", None, "12"),
    ("40 lao động", None, "40"),
    ("1.200 công nhân", None, "1200"),
    ("3 máy", None, "3"),
    ("5 trăm người", None, "500"),
    ("25 workers", None, "25"),
    ("người", None, None),
    ("12 người 5", None, None),
    ("2 booths", None, "2"),
    # an estimate's word before the number
    ("khoảng 450 triệu", "450000000", "450000000"),
    ("tam 1,5 ty", "1500000000", "1500000000"),
    ("about 150 people", None, "150"),
    ("khoảng", None, None),
    ("hơn 150", None, None),  # more than 150 is no number to store
    ("2 triệu 500", None, None),  # 2 500 000 or 2 000 500? ask again
    ("1tỷ2", None, None),
    ("1 tỷ 1500 triệu", None, None),  # a part no smaller than the unit before it
    ("200 triệu 1 tỷ", None, None),
    ("1 tỷ 0,5 tỷ", None, None),
    ("1 trăm 50 nghìn", None, None),  # spoken 150 000, not 100 + 50 000
    ("nghìn tỷ", None, None),
    ("5 nghìn trăm", None, None),
    ("50 k k", None, None),
    ("١٢", None, None),  # digits of other scripts
    ("1" * 100, None, None),
]


@pytest.mark.parametrize("text, as_decimal, as_integer", CASES)
def test_parse_number(text: str, as_decimal: str | None, as_integer: str | None) -> None:
    decimal = parse_number(text, integer=False)
    whole = parse_number(text, integer=True)
    assert decimal == (None if as_decimal is None else Decimal(as_decimal))
    assert whole == (None if as_integer is None else Decimal(as_integer))


def test_results_are_plain_decimals() -> None:
    # Stored answers are their str(): no exponent, no trailing ".0".
    assert str(parse_number("1,5 tỷ", integer=True)) == "1500000000"
    assert str(parse_number("1,50", integer=False)) == "1.5"
    assert str(parse_number("2 nghìn tỷ", integer=False)) == "2000000000000"
    assert str(parse_number("0,000001", integer=False)) == "0.000001"
    assert isinstance(parse_number("7", integer=True), Decimal)


def test_long_numbers_are_exact() -> None:
    digits = "123456789" * 4  # more digits than Decimal's default precision of 28
    assert parse_number(digits, integer=True) == Decimal(digits)
    assert parse_number(f"0,{digits}", integer=False) == Decimal(f"0.{digits}")
    assert parse_number(f"{digits} tỷ", integer=True) == Decimal(digits + "0" * 9)


@pytest.mark.parametrize(("label", "unit"), [
    ("Kinh phí dự kiến (triệu đồng)", 10**6),
    ("Doanh thu (tỷ đồng)", 10**9),
    ("Vốn đầu tư (triệu)", 10**6),
    ("Kinh phí, đơn vị: triệu đồng", 10**6),
    ("Giá trị (nghìn đồng)", 10**3),
    ("Expected cost (million VND)", 10**6),
    ("Cost (millions)", 10**6),
    ("Doanh thu năm 2025 (đồng)", 1),
    ("Số tiền (ví dụ 700 triệu đồng)", 1),  # an example amount, not the unit
    ("Số lao động", 1),
])
def test_the_unit_a_label_gives_its_amounts(label: str, unit: int) -> None:
    assert label_unit(label) == unit


@pytest.mark.parametrize(("text", "as_decimal", "as_integer"), [
    ("50", "50", "50"),  # in the label's unit already
    ("50 triệu", "50", "50"),  # was 50 000 000 million đồng
    ("1,5 tỷ", "1500", "1500"),
    ("khoảng 200tr", "200", "200"),
    ("500k", "0.5", None),
])
def test_an_amount_typed_with_a_unit_word_is_counted_in_the_labels_unit(
        text: str, as_decimal: str, as_integer: str | None) -> None:
    assert parse_number(text, integer=False, unit=10**6) == Decimal(as_decimal)
    assert parse_number(text, integer=True, unit=10**6) == (
        None if as_integer is None else Decimal(as_integer))


@pytest.mark.parametrize(("typed", "integer", "expected"), [
    ("tầm 15 ng", True, 15),  # a phone user, 8 Dec 2026: all refused
    ("20 cn", True, 20),
    ("1 gian thôi", True, 1),
    ("15 người ạ", True, 15),
    ("about 400 million", False, 400_000_000),
])
def test_numbers_as_typed_on_a_phone(typed: str, integer: bool, expected: int) -> None:
    assert parse_number(typed, integer=integer) == expected
