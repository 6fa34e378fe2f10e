"""XLSForm expressions as real KoboToolbox/ODK forms write them, and what they must refuse."""

import math
import time
from datetime import date

import pytest

from handlers.forms.expressions import (
    Env,
    ExpressionError,
    evaluate_bool,
    parse,
    to_number,
    to_string,
    truth,
)

ANSWERS = {
    "age": 45,
    "workers": 250,
    "revenue": "12.5",  # decimal answers are stored as decimal strings
    "zero": 0,
    "needs": ["machinery", "training"],  # select_multiple as the answers store holds it
    "needs_text": "machinery training",  # ...and as ODK holds it
    "none_only": ["none"],
    "empty_multi": [],
    "sector": "textile",
    "district": "thuy_nguyen",
    "company": "Công ty May Hải Phòng",
    "founded": "2015-03-01",
    "nothing": None,
    "blank": "",
    "consent": True,
}


def env(current: object = None, **answers: object) -> Env:
    return Env(answers={**ANSWERS, **answers}, current=current, today=date(2025, 6, 15))


@pytest.mark.parametrize(
    "source, current, expected",
    [
        # relevant
        ("${age} >= 18 and ${age} < 120", None, True),
        ("${workers} > 200", None, True),
        ("${workers} <= 200", None, False),
        ("selected(${needs}, 'machinery') or selected(${needs}, 'training')", None, True),
        ("selected(${needs}, 'finance')", None, False),
        ("selected(${needs_text}, 'training')", None, True),
        ("selected(${needs}, 'machin')", None, False),  # whole option names only
        ("not(selected(${none_only}, 'none')) or count-selected(${none_only}) = 1", None, True),
        ("not(selected(${needs}, 'none')) or count-selected(${needs}) = 1", None, True),
        ("${sector} = 'textile'", None, True),
        ("${sector} != 'textile'", None, False),
        ('${sector} = "textile"', None, True),
        ("${blank} != ''", None, False),
        ("${sector} != ''", None, True),
        ("${nothing} = ''", None, True),
        ("${missing} = ''", None, True),  # unknown or unanswered reads as ""
        ("${empty_multi} = ''", None, True),
        ("${consent} = true()", None, True),
        ("${revenue} > 10", None, True),  # decimal string vs number: numeric
        ("${revenue} = 12.5", None, True),
        ("${revenue} > '9'", None, True),  # two numeric strings compare as numbers
        ("${founded} < today()", None, True),
        ("${founded} >= '2015-03-01'", None, True),
        ("${founded} > '2016-01-01'", None, False),
        ("contains(${company}, 'May')", None, True),
        ("starts-with(${company}, 'Công ty')", None, True),
        # constraints on the current answer
        (". >= 0 and . <= 1000000000", 500, True),
        (". >= 0 and . <= 1000000000", -1, False),
        (". >= 0 and . <= 1000000000", "2000000000", False),
        (". > 0", "", False),  # "" is NaN, never in range
        ("count-selected(.) <= 3", ["a", "b", "c"], True),
        ("count-selected(.) <= 3", "a b c d", False),
        ("string-length(.) = 10 or string-length(.) = 12", "0912345678", True),
        ("string-length(.) = 10 or string-length(.) = 12", "091234567", False),
        ("string-length(.) <= 5", "Hải", True),  # characters, not bytes
        ("regex(., '^0[0-9]{9}$')", "0912345678", True),
        ("regex(., '^0[0-9]{9}$')", "0912345678x", False),
        ("regex(., '[0-9]{10}')", "x0912345678", False),  # whole string, like Java matches()
        ("regex(., '[0-9]{10}')", "0912345678", True),
        (". <= today()", "2025-06-15", True),
        (". <= today()", "2025-06-16", False),
        (". < 120", "", False),
        ("not(. = '')", "x", True),
        # arithmetic and precedence
        ("1 + 2 * 3 = 7", None, True),
        ("(1 + 2) * 3 = 9", None, True),
        ("not(1 = 2) and 2 > 1", None, True),
        ("1 = 1 or 1 = 2 and 1 = 2", None, True),  # and binds tighter than or
        ("(1 = 1 or 1 = 2) and 1 = 2", None, False),
        ("1 < 2 = true()", None, True),  # relational binds tighter than equality
        ("10 - 4 - 3 = 3", None, True),  # left-associative
        ("12 div 3 div 2 = 2", None, True),
        ("-2 * 3 = -6", None, True),
        ("${workers} mod 7 = 5", None, True),
        ("- ${age} + 50 = 5", None, True),
        # A date in arithmetic counts days, as in ODK (once NaN: every such rule failed).
        ("int((today() - .) div 365.25) >= 18", "1980-01-01", True),
        ("int((today() - .) div 365.25) >= 18", "2010-01-01", False),
        ("today() - . < 365", "2024-12-01", True),
        ("today() - . < 365", "2023-12-01", False),
        (". - ${blank} > 0", "2024-12-01", False),  # an unanswered date is still NaN
    ],
)
def test_conditions(source: str, current: object, expected: bool) -> None:
    assert evaluate_bool(source, env(current)) is expected


@pytest.mark.parametrize(
    "source, expected",
    [
        ("if(${workers} > 200, 'large', 'small')", "large"),
        ("if(${workers} > 500, 'large', 'small')", "small"),
        ("${revenue} div ${workers}", 0.05),
        ("${workers} * 2", 500),
        ("7 div 2", 3.5),
        ("6 div 3", 2.0),
        ("7 mod 3", 1),
        ("-7 mod 3", -1),  # XPath: the sign of the dividend
        ("7 mod -3", 1),
        ("7.5 mod 2", 1.5),
        ("1 - - 1", 2),
        ("0.1 + 0.2 > 0.3", True),  # doubles, as in XPath
        ("count-selected(${needs})", 2),
        ("count-selected(${empty_multi})", 0),
        ("string-length(${missing})", 0),
        ("concat(${sector}, '-', ${workers})", "textile-250"),
        ("concat()", ""),
        ("coalesce(${blank}, 'n/a')", "n/a"),
        ("coalesce(${sector}, 'n/a')", "textile"),
        ("number('42')", 42),
        ("number(' 4.5 ')", 4.5),
        ("int(${revenue})", 12),
        ("int(-3.7)", -3),
        ("string(6 div 3)", "2"),
        ("string(1 div 4)", "0.25"),
        ("string(true())", "true"),
        ("string(${needs})", "machinery training"),
        ("round(2.5)", 3),
        ("round(-2.5)", -3),
        ("round(1.2345, 2)", 1.23),
        ("round(1.235, 2)", 1.24),  # the decimal written, not its binary neighbour
        ("round(1234, -2)", 1200),
        # standard functions found in forms made by others (floor 27 rows, substr, once…)
        ("floor(2.7)", 2),
        ("floor(-2.5)", -3),
        ("ceiling(2.1)", 3),
        ("abs(-4)", 4),
        ("substr('khuyen cong', 0, 6)", "khuyen"),
        ("substr('khuyen cong', 7)", "cong"),
        ("once(${age})", 45),
        # forms made by others (8 Dec 2026): a date against a number counts days, a decimal
        # step's mod is exact, "100-${x}" subtracts
        ("'2025-06-01' > today() - 36525", True),
        ("'2025-06-01' >= today() - 30", True),
        ("'2025-04-01' >= today() - 30", False),
        ("0.5 mod 0.1", 0.0),
        ("0.3 mod 0.1", 0.0),
        ("-0.35 mod 0.1", -0.05),
        ("100-${age}", 55),
        ("today()", "2025-06-15"),
        ("true()", True),
        ("false()", False),
        (".5 + 1.", 1.5),
        ("today() - '2025-06-01'", 14),
        ("'1970-01-02' + 0", 1),
    ],
)
def test_values(source: str, expected: object) -> None:
    assert parse(source).evaluate(env()) == expected


def test_number_types() -> None:
    assert type(parse("2 + 3").evaluate(env())) is int
    assert type(parse("6 div 3").evaluate(env())) is float
    assert type(parse("${revenue} * 2").evaluate(env())) is float


@pytest.mark.parametrize(
    "source, check",
    [
        ("1 div 0", lambda v: v == math.inf),
        ("-1 div 0", lambda v: v == -math.inf),
        ("0 div 0", lambda v: math.isnan(v)),
        ("${revenue} div ${zero}", lambda v: v == math.inf),
        ("5 mod 0", lambda v: math.isnan(v)),
        ("'abc' + 1", lambda v: math.isnan(v)),
        ("${blank} * 2", lambda v: math.isnan(v)),
        ("-'x'", lambda v: math.isnan(v)),
        ("number('1e3')", lambda v: math.isnan(v)),  # XPath numbers have no exponent
        ("number('inf')", lambda v: math.isnan(v)),
        ("number('1_000')", lambda v: math.isnan(v)),
        ("int('x')", lambda v: math.isnan(v)),
        ("round(1 div 0)", lambda v: v == math.inf),
        ("string(0 div 0)", lambda v: v == "NaN"),
        ("string(1 div 0)", lambda v: v == "Infinity"),
        ("string(-1 div 0)", lambda v: v == "-Infinity"),
        ("string(0.0000001)", lambda v: v == "0.0000001"),
    ],
)
def test_odd_arithmetic_never_raises(source: str, check: object) -> None:
    assert check(parse(source).evaluate(env()))  # type: ignore[operator]


def test_empty_compared_with_a_number_is_false_both_ways() -> None:
    for op in ("=", "<", "<=", ">", ">="):
        assert evaluate_bool(f"${{blank}} {op} 0", env()) is False
        assert evaluate_bool(f"0 {op} ${{blank}}", env()) is False
    assert evaluate_bool("${blank} != 0", env()) is True  # NaN differs from everything


def test_comparison_rules() -> None:
    e = env()
    assert evaluate_bool("'1.0' = 1", e)  # number on one side: numeric
    assert not evaluate_bool("'1.0' = '1'", e)  # two strings: as strings
    assert evaluate_bool("'abc' = 'abc'", e)
    assert not evaluate_bool("'b' > 'a'", e)  # XPath: strings that are not numbers are NaN
    assert evaluate_bool("'10' > '9'", e)
    assert evaluate_bool("'x' = true()", e)  # boolean on one side: booleans
    assert evaluate_bool("'' = false()", e)
    assert evaluate_bool("0 = false()", e)
    assert evaluate_bool("true() > false()", e)
    assert evaluate_bool("'2025-06-15T09:00:00' > '2025-06-15'", e)
    assert not evaluate_bool("'2025-13-01' > '2025-01-01'", e)  # not a date: NaN


def test_choice_filter_bare_names() -> None:
    expression = parse("district=${district}")
    assert expression.option_fields() == frozenset({"district"})
    assert expression.references() == frozenset({"district"})
    option = {"name": "lap_linh", "label": "Lập Lễ", "district": "thuy_nguyen"}
    other = {"name": "an_lu", "label": "An Lư", "district": "an_duong"}
    assert expression.evaluate(Env(ANSWERS, option=option)) is True
    assert expression.evaluate(Env(ANSWERS, option=other)) is False
    assert evaluate_bool("filter = 'a' or name = 'other'", Env({}, option={"name": "other"}))
    assert evaluate_bool("label != ''", Env({}, option={"label": "Khác"}))
    # Outside a choice filter a bare name has nothing to read.
    assert parse("district").evaluate(Env(ANSWERS)) == ""


def test_word_operators_are_names_where_an_operand_stands() -> None:
    # XPath's rule: "and" after an operator is a name (here an option column).
    assert evaluate_bool("and = 'x' and mod = 'y'", Env({}, option={"and": "x", "mod": "y"}))
    assert parse("div div 2").evaluate(Env({}, option={"div": "8"})) == 4.0


def test_references_and_current() -> None:
    expression = parse("${a} > . and selected(${b}, 'x') or ${a} = ${c.d-e}")
    assert expression.references() == frozenset({"a", "b", "c.d-e"})
    assert expression.uses_current()
    assert expression.option_fields() == frozenset()
    assert not parse("${a} = 1").uses_current()
    assert parse("1 = 1").references() == frozenset()
    assert parse("${a} = 1").source == "${a} = 1"


def test_parse_is_cached_and_immutable() -> None:
    first = parse("${age} > 18")
    assert parse("${age} > 18") is first
    with pytest.raises(AttributeError):
        first.source = "1"  # type: ignore[misc]


def test_select_multiple_as_list_or_string_and_none() -> None:
    for value in (["a", "b"], "a b", ("a", "b")):
        e = Env({"x": value})
        assert evaluate_bool("selected(${x}, 'b') and count-selected(${x}) = 2", e)
    assert evaluate_bool("count-selected(${x}) = 0", Env({"x": None}))
    assert evaluate_bool("count-selected(.) = 1", Env({}, current=["z"]))


def test_truth() -> None:
    assert truth("x") and truth("0") and truth(1) and truth(-0.5) and truth(["a"])
    assert not truth("") and not truth(0) and not truth(math.nan) and not truth(None)
    assert not truth([]) and not truth(False)


def test_conversions() -> None:
    assert to_number("12") == 12 and to_number("-1.5") == -1.5 and to_number(True) == 1
    assert math.isnan(to_number("")) and math.isnan(to_number("1,5"))
    assert to_string(3.0) == "3" and to_string(False) == "false" and to_string(None) == ""
    assert to_string(["a", "b"]) == "a b"


def test_today_and_dates_from_env() -> None:
    assert parse("today()").evaluate(Env({}, today=date(2024, 2, 29))) == "2024-02-29"
    assert evaluate_bool(". < '2025-01-01'", Env({}, current=date(2024, 12, 31)))


@pytest.mark.parametrize(
    "source, message, position",
    [
        ("", "empty expression", 0),
        ("   ", "empty expression", 0),
        ("(${a} = 1", "'(' without a closing ')'", 0),
        ("not(${a} = 1", "'(' without a closing ')'", 3),
        ("${a} = 1)", "')' without a matching '('", 8),
        ("selected(${a}, 'x)", "unterminated string", 15),
        ('${a} = "x', "unterminated string", 7),
        ("${a = 1", "'${' without a closing '}'", 0),
        ("1 = ${}", "invalid question name in ${}", 4),
        ("${a b} = 1", "invalid question name in ${a b}", 0),
        ("$a = 1", "'$' must start a ${name} reference", 0),
        ("${a} # 1", "unexpected character '#'", 5),
        ("${a} == 1", "unexpected '='", 6),
        ("${a} = 1 ;", "unexpected character ';'", 9),
        ("${a} && ${b}", "unexpected character '&'", 5),
        ("${a} 1", "unexpected '1'", 5),
        ("${a} =", "expression ends too early", 6),
        ("foo(${a})", "the function foo() is not supported in the chat", 0),
        ("1 + jr:choice-name(${a}, '${a}')",
         "the function jr:choice-name() is not supported in the chat", 4),
        ("__import__('os')", "the function __import__() is not supported in the chat", 0),
        ("open('x')", "the function open() is not supported in the chat", 0),
        ("eval('1')", "the function eval() is not supported in the chat", 0),
        ("os.system('ls')", "unexpected '.'", 2),
        ("selected(${a})", "selected() takes 2 arguments, not 1", 0),
        ("today(1)", "today() takes 0 arguments, not 1", 0),
        ("not()", "not() takes 1 argument, not 0", 0),
        ("round(1, 2, 3)", "round() takes 1 to 2 arguments, not 3", 0),
        ("if(${a}, 1)", "if() takes 3 arguments, not 2", 0),
        ("concat(1,)", "unexpected ')'", 9),
        ("not ${a}", "not is a function: write not(...)", 0),
        ("true", "true is a function: write true(...)", 0),
        ("12e3 > 1", "malformed number '12e'", 0),
        ("1.2.3 = 1", "malformed number '1.2.'", 0),
        ("../a = 1", "parent paths ('..') are not supported; refer to questions as ${name}", 0),
        ("/data/a = 1", "XPath paths are not supported; refer to questions as ${name}", 0),
        ("a[1]", "XPath predicates ('[...]') are not supported", 1),
        ("${a} | ${b}", "node-set union ('|') is not supported", 5),
        ("regex(., ${pattern})", "regex() needs its pattern as a quoted string", 9),
        ("regex(., '[0-9')", "invalid regex pattern: unterminated character set at position 0", 9),
        ("regex(., '(a+)+$')", "regex pattern repeats a group", 9),
        ("regex(., '^([a-z]+ ?)*$')", "regex pattern repeats a group", 9),
        ("(" * 150 + "1" + ")" * 150, "expression nested too deeply", 100),
    ],
)
def test_errors(source: str, message: str, position: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    assert caught.value.message.startswith(message)
    assert caught.value.position == position
    assert isinstance(caught.value, ValueError)
    assert f"(at character {position + 1})" in str(caught.value)


def test_long_chains_are_refused_at_parse_time() -> None:
    assert parse(" + ".join(["1"] * 250)).evaluate(Env({})) == 250
    many = " or ".join(f"selected(${{a}}, 'v{i}')" for i in range(250))
    assert evaluate_bool(many, Env({"a": "v249"}))
    with pytest.raises(ExpressionError) as caught:
        parse(" + ".join(["1"] * 5000))
    assert caught.value.message == "expression too long: split it into calculations"
    assert caught.value.position is None


def test_safe_regex_patterns_are_accepted() -> None:
    for pattern in (r"^[0-9]{10}(-[0-9]{3})?$", r"(\d{3} ?)+", r"[A-Za-z ]+", r"(ab|cd)*"):
        parse(f"regex(., '{pattern}')")


def test_regex_refuses_overlong_input_quickly() -> None:
    expression = parse("regex(., '[a-z]*')")
    assert expression.evaluate(Env({}, current="a" * 1000)) is True
    started = time.perf_counter()
    assert expression.evaluate(Env({}, current="a" * 1001)) is False
    assert time.perf_counter() - started < 0.1


def test_unicode_regex() -> None:
    assert evaluate_bool(r"regex(., '[\w ]+')", Env({}, current="Hải Phòng"))
