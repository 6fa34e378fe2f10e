"""XLSForm expressions (relevant, constraint, choice_filter, calculation), parsed, never eval'd.

The subset KoboToolbox/ODK forms use, read by a hand-written tokenizer and Pratt parser, so
anything outside it is an ExpressionError at import time (`surveys check`), not while someone
is answering. Values follow XPath 1.0 as ODK applies it:

- Values are str, int, float or bool. An unanswered (or irrelevant, or unknown) question is
  "", never None. A select_multiple answer is the space-separated string of option names, as
  ODK stores it; a list in `Env.answers` is joined that way.
- `=` and `!=`: if either side is a boolean both are compared as booleans, else if either is
  a number both are converted to numbers, else they are compared as strings. A string that is
  not a number (including "") is NaN, so `'' = 0` is false and `'' != 0` is true.
- `< <= > >=` compare numbers, except that two ISO dates ('YYYY-MM-DD', optionally with a
  time) compare as strings, which orders them; `today()` returns one.
- Arithmetic is on numbers; `div` by zero gives Infinity or NaN and `mod` by zero NaN, as in
  XPath. A date in arithmetic is its number of days since 1970-01-01, as in ODK
  (`today() - ${ngay} < 365`: founded within a year). Evaluation never raises.
- `regex(x, 'pattern')` matches the whole string, like Java's `matches` that ODK uses; the
  pattern must be a literal and is compiled (and checked for nested unbounded repetition,
  which can take exponential time) at parse time.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from re import _constants as sre_constants
from re import _parser as sre_parser
from typing import Any

# Answers are at most this long; regex() refuses longer input rather than risk a slow match.
MAX_ANSWER_LENGTH = 1000
# Deeper nesting than any real form has; it also keeps the recursive parser off Python's limit.
_MAX_DEPTH = 100
# Long or-chains of selected() are common, and each link nests the tree one level; this
# leaves Python's recursion limit (1000) room for evaluation's two frames per level.
_MAX_TREE_DEPTH = 300

_DIGITS = frozenset("0123456789")


class ExpressionError(ValueError):
    """An expression outside the supported subset; position is a 0-based offset or None."""

    def __init__(self, message: str, position: int | None = None) -> None:
        where = "" if position is None else f" (at character {position + 1})"
        super().__init__(message + where)
        self.message = message
        self.position = position


@dataclass(frozen=True)
class Env:
    """What an expression can see: answers, the current answer, the date, the filtered option."""

    answers: Mapping[str, Any]
    current: Any = None
    today: date | None = None
    # Properties of the option a choice_filter is testing (its `name` and `label` included).
    option: Mapping[str, str] | None = None


# --- XPath conversions -------------------------------------------------------------------

def truth(value: Any) -> bool:
    """XPath boolean(): "" and 0 and NaN are false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return value != 0 and not math.isnan(value)
    if value is None:
        return False
    return bool(_value(value))


def to_number(value: Any) -> int | float:
    """XPath number(): NaN for anything that is not a plain decimal number."""
    value = _value(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    text = value.strip()
    body = text[1:] if text.startswith("-") else text
    whole, dot, fraction = body.partition(".")
    # float() alone would also take "1e3", "inf", "nan" and "1_000", which XPath does not.
    if not (whole or fraction) or not set(whole + fraction) <= _DIGITS:
        return math.nan
    if dot:
        return float(text)
    try:
        return int(text)
    except ValueError:  # more digits than int() converts
        return float(text)


def to_string(value: Any) -> str:
    """XPath string(): 2.0 is "2", booleans are "true"/"false"."""
    value = _value(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")  # never "1e-07"
    return value


def _value(raw: Any) -> str | int | float | bool:
    """An answer as an expression value (None is "", a list its space-joined names)."""
    if raw is None:
        return ""
    if isinstance(raw, str | bool | int | float):
        return raw
    if isinstance(raw, Decimal):
        return float(raw)
    if isinstance(raw, list | tuple):
        return " ".join(str(item) for item in raw)
    if isinstance(raw, date | datetime):
        return raw.isoformat()
    return str(raw)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_iso_date(text: str) -> bool:
    if len(text) < 10 or (len(text) > 10 and text[10] not in "T "):
        return False
    try:
        date.fromisoformat(text[:10])
    except ValueError:
        return False
    return True


# --- Operators ---------------------------------------------------------------------------

def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return truth(a) == truth(b)
    if _is_number(a) or _is_number(b):
        return to_number(a) == to_number(b)  # NaN equals nothing
    return a == b


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def _relate(op: str, a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str) and _is_iso_date(a) and _is_iso_date(b):
        return _ORDER[op](a, b)
    # A date against a number counts days, as in arithmetic ("today() - 36525" is a number:
    # ". > today() - 36525" refused every date).
    return _ORDER[op](_operand(a), _operand(b))


def _divide(x: int | float, y: int | float) -> float:
    if y == 0:
        if x == 0 or math.isnan(x):
            return math.nan
        return math.inf if (x > 0) == (math.copysign(1, y) > 0) else -math.inf
    return x / y


def _modulo(x: int | float, y: int | float) -> int | float:
    if y == 0 or math.isnan(y) or math.isinf(x):
        return math.nan
    if isinstance(x, int) and isinstance(y, int):
        rest = abs(x) % abs(y)  # XPath's mod keeps the sign of the dividend, Python's %, not
        return -rest if x < 0 else rest
    if math.isnan(x):
        return math.nan
    # In decimal, as written: fmod(0.5, 0.1) is 0.0999…, and a range stepping by 0.1 refused
    # 0.3 and 0.5. Decimal's % keeps the dividend's sign, as XPath does.
    return float(Decimal(repr(x)) % Decimal(repr(y)))


_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "div": _divide, "mod": _modulo,
}


_EPOCH = date(1970, 1, 1)


def _operand(value: Any) -> int | float:
    """A value in arithmetic: an ISO date is its number of days since 1970-01-01, as ODK
    counts it, so `today() - ${ngay_thanh_lap}` is a number of days; else XPath number()."""
    value = _value(value)
    if isinstance(value, str) and _is_iso_date(value.strip()):
        return (date.fromisoformat(value.strip()[:10]) - _EPOCH).days
    return to_number(value)


def _arithmetic(op: str, a: Any, b: Any) -> int | float:
    try:
        return _ARITHMETIC[op](_operand(a), _operand(b))
    except OverflowError:  # an int too large for a float, met by a float
        return math.nan


# --- Functions -----------------------------------------------------------------------------

def _selected(values: Any, choice: Any) -> bool:
    return to_string(choice).strip() in to_string(values).split()


def _int(value: Any) -> int | float:
    number = to_number(value)
    return number if isinstance(number, int) or not math.isfinite(number) else int(number)


def _round(value: Any, places: Any = 0) -> int | float:
    """Round half away from zero (ODK's round), to `places` decimals."""
    number, digits = to_number(value), to_number(places)
    if isinstance(number, float) and not math.isfinite(number):
        return number
    if isinstance(digits, float) and not math.isfinite(digits):
        return math.nan
    exact = Decimal(repr(number)) if isinstance(number, float) else Decimal(number)
    try:
        rounded = exact.quantize(Decimal(1).scaleb(-int(digits)), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more places than the number has digits for: nothing to round
        return number
    return int(rounded) if int(digits) <= 0 else float(rounded)


def _rounded(how: Callable[[float], int]) -> Callable[[Any], Any]:
    """floor() and ceiling() of a number (NaN and infinities as they are)."""
    def apply(value: Any) -> Any:
        number = to_number(value)
        return number if isinstance(number, float) and not math.isfinite(number) else how(number)
    return apply


def _substr(value: Any, start: Any, end: Any = None) -> str:
    """XPath's substr(s, start, end?) as ODK has it: 0-based, end excluded."""
    text = to_string(value)
    first = to_number(start)
    last = len(text) if end is None else to_number(end)
    if not all(isinstance(n, int) or math.isfinite(n) for n in (first, last)):
        return ""
    return text[max(int(first), 0):max(int(last), 0)]


def _coalesce(first: Any, second: Any) -> Any:
    return first if to_string(first) != "" else second


@dataclass(frozen=True)
class _Function:
    min_args: int
    max_args: int | None  # None: any number
    apply: Callable[..., Any]


_FUNCTIONS: dict[str, _Function] = {
    "true": _Function(0, 0, lambda: True),
    "false": _Function(0, 0, lambda: False),
    "not": _Function(1, 1, lambda x: not truth(x)),
    "selected": _Function(2, 2, _selected),
    "count-selected": _Function(1, 1, lambda x: len(to_string(x).split())),
    "string-length": _Function(1, 1, lambda x: len(to_string(x))),
    "number": _Function(1, 1, to_number),
    "int": _Function(1, 1, _int),
    "string": _Function(1, 1, to_string),
    "concat": _Function(0, None, lambda *xs: "".join(to_string(x) for x in xs)),
    "coalesce": _Function(2, 2, _coalesce),
    "contains": _Function(2, 2, lambda x, part: to_string(part) in to_string(x)),
    "starts-with": _Function(2, 2, lambda x, start: to_string(x).startswith(to_string(start))),
    "round": _Function(1, 2, _round),
    "floor": _Function(1, 1, _rounded(math.floor)),
    "ceiling": _Function(1, 1, _rounded(math.ceil)),
    "abs": _Function(1, 1, lambda x: abs(to_number(x))),
    "substr": _Function(2, 3, _substr),
    # once(x) keeps the first value computed; a chat computes it when the question comes.
    "once": _Function(1, 1, lambda x: x),
}
# Evaluated by their own nodes: if() evaluates one branch, regex() has a compiled pattern,
# today() reads the environment.
_SPECIAL_FUNCTIONS = {"if": (3, 3), "regex": (2, 2), "today": (0, 0)}


# --- Syntax tree ---------------------------------------------------------------------------

class _Node:
    __slots__ = ()

    def evaluate(self, env: Env) -> Any:
        raise NotImplementedError

    def children(self) -> tuple[_Node, ...]:
        return ()

    def walk(self) -> Iterator[_Node]:
        yield self
        for child in self.children():
            yield from child.walk()


@dataclass(frozen=True, slots=True)
class _Literal(_Node):
    value: str | int | float | bool

    def evaluate(self, env: Env) -> Any:
        return self.value


@dataclass(frozen=True, slots=True)
class _Reference(_Node):
    name: str

    def evaluate(self, env: Env) -> Any:
        return _value(env.answers.get(self.name))


@dataclass(frozen=True, slots=True)
class _Current(_Node):
    def evaluate(self, env: Env) -> Any:
        return _value(env.current)


@dataclass(frozen=True, slots=True)
class _OptionField(_Node):
    """A bare name: a column of the option a choice_filter is testing."""

    name: str

    def evaluate(self, env: Env) -> Any:
        return _value(env.option.get(self.name)) if env.option is not None else ""


@dataclass(frozen=True, slots=True)
class _Negate(_Node):
    operand: _Node

    def evaluate(self, env: Env) -> Any:
        return -to_number(self.operand.evaluate(env))

    def children(self) -> tuple[_Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class _Binary(_Node):
    op: str
    left: _Node
    right: _Node

    def evaluate(self, env: Env) -> Any:
        op = self.op
        if op == "and":
            return truth(self.left.evaluate(env)) and truth(self.right.evaluate(env))
        if op == "or":
            return truth(self.left.evaluate(env)) or truth(self.right.evaluate(env))
        left, right = self.left.evaluate(env), self.right.evaluate(env)
        if op == "=":
            return _equal(left, right)
        if op == "!=":
            return not _equal(left, right)
        if op in _ORDER:
            return _relate(op, left, right)
        return _arithmetic(op, left, right)

    def children(self) -> tuple[_Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class _Call(_Node):
    name: str
    args: tuple[_Node, ...]

    def evaluate(self, env: Env) -> Any:
        return _FUNCTIONS[self.name].apply(*(arg.evaluate(env) for arg in self.args))

    def children(self) -> tuple[_Node, ...]:
        return self.args


@dataclass(frozen=True, slots=True)
class _If(_Node):
    condition: _Node
    then: _Node
    otherwise: _Node

    def evaluate(self, env: Env) -> Any:
        branch = self.then if truth(self.condition.evaluate(env)) else self.otherwise
        return branch.evaluate(env)

    def children(self) -> tuple[_Node, ...]:
        return (self.condition, self.then, self.otherwise)


@dataclass(frozen=True, slots=True)
class _Regex(_Node):
    subject: _Node
    pattern: re.Pattern[str]

    def evaluate(self, env: Env) -> Any:
        text = to_string(self.subject.evaluate(env))
        return len(text) <= MAX_ANSWER_LENGTH and self.pattern.fullmatch(text) is not None

    def children(self) -> tuple[_Node, ...]:
        return (self.subject,)


@dataclass(frozen=True, slots=True)
class _Today(_Node):
    def evaluate(self, env: Env) -> Any:
        # Callers pass the local date; the server clock's date is only a fallback.
        return (env.today or date.today()).isoformat()


# --- Tokenizer -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # number, string, ref, dot, name, op, end
    text: str
    position: int

    def describe(self) -> str:
        if self.kind == "end":
            return "end of expression"
        if self.kind == "string":
            return f"string {self.text!r}"
        if self.kind == "ref":
            return f"${{{self.text}}}"
        return repr(self.text)


# Longest first, so "<=" is not read as "<" then "=".
_SYMBOLS = ("!=", "<=", ">=", "=", "<", ">", "+", "-", "*", "(", ")", ",")
_UNSUPPORTED_SYMBOLS = {
    "/": "XPath paths are not supported; refer to questions as ${name}",
    "[": "XPath predicates ('[...]') are not supported",
    "|": "node-set union ('|') is not supported",
    "@": "XPath attributes are not supported",
}


def _is_name_start(char: str) -> bool:
    return char.isalpha() or char == "_"


def _is_name_char(char: str) -> bool:
    return char.isalnum() or char in "_-"


def _is_question_name(text: str) -> bool:
    # XML names, as pyxform accepts them for questions: dots and dashes allowed after the start.
    return bool(text) and _is_name_start(text[0]) and all(
        _is_name_char(c) or c == "." for c in text[1:])


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if char.isspace():
            i += 1
        elif char == "$":
            if not source.startswith("${", i):
                raise ExpressionError("'$' must start a ${name} reference", i)
            end = source.find("}", i + 2)
            if end < 0:
                raise ExpressionError("'${' without a closing '}'", i)
            name = source[i + 2:end]
            if not _is_question_name(name):
                raise ExpressionError(f"invalid question name in ${{{name}}}", i)
            tokens.append(_Token("ref", name, i))
            i = end + 1
        elif char in "'\"":
            end = source.find(char, i + 1)  # XPath strings have no escapes
            if end < 0:
                raise ExpressionError("unterminated string", i)
            tokens.append(_Token("string", source[i + 1:end], i))
            i = end + 1
        elif char in _DIGITS or (char == "." and source[i + 1:i + 2] in _DIGITS):
            end = i
            while end < n and source[end] in _DIGITS:
                end += 1
            if end < n and source[end] == ".":
                end += 1
                while end < n and source[end] in _DIGITS:
                    end += 1
            # "100-${x}" is a subtraction: a name may hold "-", a number may not.
            if end < n and ((_is_name_char(source[end]) and source[end] != "-")
                            or source[end] == "."):
                raise ExpressionError(f"malformed number {source[i:end + 1]!r}", i)
            tokens.append(_Token("number", source[i:end], i))
            i = end
        elif char == ".":
            if source.startswith("..", i):
                raise ExpressionError(
                    "parent paths ('..') are not supported; refer to questions as ${name}", i)
            tokens.append(_Token("dot", ".", i))
            i += 1
        elif _is_name_start(char):
            end = i + 1
            while end < n and _is_name_char(source[end]):
                end += 1
            # A namespace prefix (jr:choice-name), read whole so the error names the function.
            if source[end:end + 1] == ":" and _is_name_start(source[end + 1:end + 2]):
                end += 2
                while end < n and _is_name_char(source[end]):
                    end += 1
            tokens.append(_Token("name", source[i:end], i))
            i = end
        else:
            symbol = next((s for s in _SYMBOLS if source.startswith(s, i)), None)
            if symbol is None:
                message = _UNSUPPORTED_SYMBOLS.get(char, f"unexpected character {char!r}")
                raise ExpressionError(message, i)
            tokens.append(_Token("op", symbol, i))
            i += len(symbol)
    tokens.append(_Token("end", "", n))
    return tokens


# --- Parser --------------------------------------------------------------------------------

# XPath 1.0 precedence, loosest first; all binary operators are left-associative.
_BINDING = {
    "or": 10, "and": 20,
    "=": 30, "!=": 30,
    "<": 40, "<=": 40, ">": 40, ">=": 40,
    "+": 50, "-": 50,
    "*": 60, "div": 60, "mod": 60,
}
_UNARY_BINDING = 70
_WORD_OPERATORS = frozenset({"and", "or", "div", "mod"})


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = _tokenize(source)
        self.index = 0
        self.depth = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> _Node:
        if self.peek().kind == "end":
            raise ExpressionError("empty expression", 0)
        node = self.expression(0)
        token = self.peek()
        if token.kind != "end":
            if token.text == ")":
                raise ExpressionError("')' without a matching '('", token.position)
            raise ExpressionError(f"unexpected {token.describe()}", token.position)
        # A long chain (1 + 1 + ...) nests without nesting the parser; evaluation recurses.
        if _tree_depth(node) > _MAX_TREE_DEPTH:
            raise ExpressionError("expression too long: split it into calculations", None)
        return node

    def expression(self, min_binding: int) -> _Node:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise ExpressionError("expression nested too deeply", self.peek().position)
        left = self.prefix()
        while True:
            op = self.infix_operator(self.peek())
            if op is None or _BINDING[op] <= min_binding:
                break
            self.advance()
            left = _Binary(op, left, self.expression(_BINDING[op]))
        self.depth -= 1
        return left

    @staticmethod
    def infix_operator(token: _Token) -> str | None:
        # XPath reads and/or/div/mod as operators only where an operator can stand.
        if (token.kind == "op" and token.text in _BINDING) or (
                token.kind == "name" and token.text in _WORD_OPERATORS):
            return token.text
        return None

    def prefix(self) -> _Node:
        token = self.advance()
        if token.kind == "number":
            text = token.text
            return _Literal(float(text) if "." in text else int(text))
        if token.kind == "string":
            return _Literal(token.text)
        if token.kind == "ref":
            return _Reference(token.text)
        if token.kind == "dot":
            return _Current()
        if token.kind == "name":
            if self.peek().text == "(" and self.peek().kind == "op":
                return self.call(token)
            if token.text in _FUNCTIONS or token.text in _SPECIAL_FUNCTIONS:
                raise ExpressionError(
                    f"{token.text} is a function: write {token.text}(...)", token.position)
            return _OptionField(token.text)
        if token.text == "-":
            return _Negate(self.expression(_UNARY_BINDING))
        if token.text == "(":
            inner = self.expression(0)
            self.expect_close(token)
            return inner
        if token.kind == "end":
            raise ExpressionError("expression ends too early", token.position)
        raise ExpressionError(f"unexpected {token.describe()}", token.position)

    def expect_close(self, opening: _Token) -> None:
        token = self.advance()
        if token.text != ")" or token.kind != "op":
            if token.kind == "end":
                raise ExpressionError("'(' without a closing ')'", opening.position)
            raise ExpressionError(f"expected ')' but found {token.describe()}", token.position)

    def call(self, name: _Token) -> _Node:
        arity = _SPECIAL_FUNCTIONS.get(name.text)
        if arity is None and name.text in _FUNCTIONS:
            function = _FUNCTIONS[name.text]
            arity = (function.min_args, function.max_args)
        if arity is None:
            raise ExpressionError(f"the function {name.text}() is not supported in the chat",
                                  name.position)
        opening = self.advance()
        args: list[_Node] = []
        positions: list[int] = []
        if self.peek().text != ")" or self.peek().kind != "op":
            positions.append(self.peek().position)
            args.append(self.expression(0))
            while self.peek().text == "," and self.peek().kind == "op":
                self.advance()
                positions.append(self.peek().position)
                args.append(self.expression(0))
        self.expect_close(opening)
        low, high = arity
        if len(args) < low or (high is not None and len(args) > high):
            expected = str(low) if low == high else (
                f"at least {low}" if high is None else f"{low} to {high}")
            raise ExpressionError(
                f"{name.text}() takes {expected} argument{'' if expected == '1' else 's'}, "
                f"not {len(args)}", name.position)
        if name.text == "if":
            return _If(*args)
        if name.text == "regex":
            return _Regex(args[0], _compile_regex(args[1], positions[1]))
        if name.text == "today":
            return _Today()
        return _Call(name.text, tuple(args))


def _tree_depth(root: _Node) -> int:
    deepest, stack = 0, [(root, 1)]
    while stack:  # not recursive: this is what keeps recursion safe elsewhere
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.children())
    return deepest


def _compile_regex(pattern: _Node, position: int) -> re.Pattern[str]:
    if not isinstance(pattern, _Literal) or not isinstance(pattern.value, str):
        raise ExpressionError("regex() needs its pattern as a quoted string", position)
    try:
        compiled = re.compile(pattern.value)
    except re.error as error:
        raise ExpressionError(f"invalid regex pattern: {error}", position) from None
    if _has_nested_repetition(sre_parser.parse(pattern.value).data, inside=False):
        raise ExpressionError(
            "regex pattern repeats a group that itself repeats without bound (like (a+)+), "
            "which can take exponential time; rewrite it without the nesting", position)
    return compiled


_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT}


def _has_nested_repetition(items: list[tuple[Any, Any]], *, inside: bool) -> bool:
    """Whether an unbounded repetition sits inside another (the classic catastrophic case)."""
    for op, argument in items:
        if op in _REPEATS:
            unbounded = argument[1] == sre_constants.MAXREPEAT
            if (unbounded and inside) or _has_nested_repetition(
                    argument[2].data, inside=inside or unbounded):
                return True
        elif op == sre_constants.SUBPATTERN:
            if _has_nested_repetition(argument[-1].data, inside=inside):
                return True
        elif op == sre_constants.BRANCH:
            if any(_has_nested_repetition(b.data, inside=inside) for b in argument[1]):
                return True
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            if _has_nested_repetition(argument[1].data, inside=inside):
                return True
    return False


# --- Public API ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Expression:
    """A parsed expression; immutable, since parse() shares it between callers."""

    source: str
    root: _Node
    _references: frozenset[str]
    _uses_current: bool
    _option_fields: frozenset[str]

    def references(self) -> frozenset[str]:
        """The question names used as ${name}."""
        return self._references

    def uses_current(self) -> bool:
        """Whether the expression uses "." (the answer being checked or the option)."""
        return self._uses_current

    def option_fields(self) -> frozenset[str]:
        """Bare names, which only mean something in a choice_filter (option columns)."""
        return self._option_fields

    def evaluate(self, env: Env) -> Any:
        """The value of the expression: str, int, float or bool; never raises."""
        return self.root.evaluate(env)


@lru_cache(maxsize=2048)
def parse(source: str) -> Expression:
    """Parse XLSForm expression text, or raise ExpressionError saying what and where."""
    root = _Parser(source).parse()
    nodes = list(root.walk())
    return Expression(
        source=source,
        root=root,
        _references=frozenset(n.name for n in nodes if isinstance(n, _Reference)),
        _uses_current=any(isinstance(n, _Current) for n in nodes),
        _option_fields=frozenset(n.name for n in nodes if isinstance(n, _OptionField)),
    )


def evaluate_bool(source: str, env: Env) -> bool:
    """Parse (cached) and evaluate `source` as a condition."""
    return truth(parse(source).evaluate(env))
