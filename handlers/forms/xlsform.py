"""XLSForm workbooks (KoboToolbox, ODK, SurveyCTO) read with pyxform into the form model.

pyxform's `workbook_to_json` does the XLSForm parsing (type aliases, old syntaxes such as
"select one from yes_no", `or_other`, groups, translated columns); this module maps its survey
tree onto handlers/forms/model.Form and refuses what a chat cannot ask. Row numbers come from
the sheet as pyxform read it (it keeps empty rows), so every problem points at a spreadsheet
row. Expressions are checked with handlers/forms/expressions.py, never evaluated here.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyxform import aliases
from pyxform.errors import PyXFormError
from pyxform.question_type_dictionary import QUESTION_TYPE_DICT
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

from handlers.forms.model import DEFAULT_LANGUAGE, Form, Option, Question, QuestionType, Text
from handlers.text import fold

logger = logging.getLogger(__name__)

SURVEY, CHOICES, SETTINGS = "survey", "choices", "settings"
_SHEET_ORDER = {"": 0, SETTINGS: 1, SURVEY: 2, CHOICES: 3}

# The product's own question types. pyxform's reader passes unknown types through but its
# XForm builder (Kobo, ODK) refuses them, so `text` with this appearance means the same and
# keeps the workbook usable in other XLSForm tools.
CUSTOM_TYPES = {"tax_code": QuestionType.TAX_CODE, "commune": QuestionType.COMMUNE}

_SIMPLE_TYPES = {
    **dict.fromkeys(("text", "string", "q string", "add text prompt"), QuestionType.TEXT),
    **dict.fromkeys(("integer", "int", "q int", "add integer prompt", "percentage"),
                    QuestionType.INTEGER),
    **dict.fromkeys(("decimal", "q decimal", "add decimal prompt"), QuestionType.DECIMAL),
    **dict.fromkeys(("date", "q date", "add date prompt"), QuestionType.DATE),
    **dict.fromkeys(("note", "q note", "add note prompt"), QuestionType.NOTE),
    **dict.fromkeys(("calculate", "q calculate", "add calculate prompt"),
                    QuestionType.CALCULATE),
    **dict.fromkeys(("acknowledge", "q acknowledge", "add acknowledge prompt", "trigger"),
                    QuestionType.ACKNOWLEDGE),
    # XLSForm's question typed by the respondent; `phonenumber` is the device's number
    # (metadata), see _metadata_kind.
    "phone number": QuestionType.PHONE,
}
_SELECT_TYPES = {"select one": QuestionType.SELECT_ONE,
                 "select all that apply": QuestionType.SELECT_MULTIPLE}

_WHY_NOT = {
    "geo": "a location (GPS point, line or area) cannot be captured in a chat; "
           "ask for the commune (type commune) or an address (text)",
    "upload": "photos, audio, video and file uploads are not supported in the chat",
    "barcode": "barcode scanning needs a camera app; ask for the code as text",
    "background-audio": "background recording is not possible in a chat",
    "datetime": "date-and-time and time-of-day questions are not supported; use date or text",
    "rank": "ranking options is impractical in a chat; use select_multiple, or one "
            "select_one per rank",
    "from_file": "choices from a file (select_one_from_file, select_multiple_from_file) are "
                 "not supported; put the choices on the choices sheet",
    "external": "external choices (select_one_external) are not supported; put the choices "
                "on the choices sheet and use choice_filter",
    "repeat": "repeat groups are not supported in a chat; ask for a number, or a list as text",
    "external_data": "external data files are not supported",
}

MAX_CODE_BYTES = 56  # a survey's button is "svl:" and its code, within 64 bytes, with room
_LANGUAGE_NAMES = {"vietnamese": "vi", "tieng viet": "vi", "viet": "vi",
                   "english": "en", "tieng anh": "en"}
# The settings' default_language may name any language in words ("Arabic" was refused): the
# plain columns are in it. A column "label::French" beside English ones is left out instead
# (the chat speaks Vietnamese and English; a half-filled one would refuse the form).
_SETTINGS_LANGUAGE_NAMES = {**_LANGUAGE_NAMES,
                   "french": "fr", "francais": "fr", "spanish": "es", "espanol": "es",
                   "portuguese": "pt", "portugues": "pt", "arabic": "ar", "swahili": "sw",
                   "kiswahili": "sw", "chinese": "zh", "nepali": "ne", "bengali": "bn",
                   "bangla": "bn", "khmer": "km", "lao": "lo", "thai": "th", "korean": "ko",
                   "japanese": "ja", "hindi": "hi", "indonesian": "id", "russian": "ru",
                   "german": "de", "deutsch": "de", "burmese": "my", "amharic": "am",
                   "somali": "so", "hausa": "ha", "ukrainian": "uk", "turkish": "tr",
                   "persian": "fa", "dari": "prs", "pashto": "ps", "urdu": "ur"}
_LANGUAGE_IN_PARENS = re.compile(r"\(\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?\s*\)\s*$")
_TRANSLATED_SURVEY = ("label", "hint", "constraint_message", "required_message")
_COLUMN_ALIASES = {
    "type": {"type", "command"}, "name": {"name", "value", "tag"},
    "label": {"label", "caption"}, "hint": {"hint"},
    "relevant": {"relevant", "relevance"}, "constraint": {"constraint"},
    "calculation": {"calculation", "calculate"}, "required": {"required"},
    "choice_filter": {"choice_filter"}, "list_name": {"list_name", "list name"},
    "constraint_message": {"constraint_message", "constraining_message"},
    "required_message": {"required_message", "requiredmsg"},
}
_REFERENCE = re.compile(r"\$\{\s*([^}\s]+)\s*\}")
_OTHER_RELEVANT = re.compile(
    r"^\s*selected\(\s*\$\{\s*(\w+)\s*\}\s*,\s*(['\"])other\2\s*\)\s*$")
_PYXFORM_ROW = re.compile(r"\[row : (\d+)\]\s*")
_PYXFORM_SHEET = re.compile(r"On the '(\w+)' sheet")
_GENERATED_OTHER_LABEL = Text({"vi": "Vui lòng ghi rõ:", "en": "Please specify:"})
_OTHER_OPTION_LABEL = Text({"vi": "Khác", "en": "Other"})


@dataclass(frozen=True)
class Problem:
    """Something wrong in a workbook, for the staff who edit it."""

    sheet: str  # "" when it is about the whole file
    row: int | None  # 1-based spreadsheet row
    column: str | None  # header as written in the sheet
    message: str

    def format(self, file: str) -> str:
        """`FILE:sheet:row:column: message`, the way compilers report."""
        if not self.sheet:
            return f"{file}: {self.message}"
        return f"{file}:{self.sheet}:{self.row or ''}:{self.column or ''}: {self.message}"


class XLSFormError(Exception):
    """A workbook that cannot become a form; `problems` says why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s), first: {problems[0].message}")
        self.problems = list(problems)


def load_xlsform(path: Path) -> Form:
    """The form in an XLSForm workbook; raises XLSFormError when check_xlsform finds problems."""
    form, problems = _read(Path(path))
    if problems or form is None:
        raise XLSFormError(problems or [Problem("", None, None, "no form")])
    return form


def check_xlsform(path: Path) -> list[Problem]:
    """Every problem found in an XLSForm workbook (empty when it is fit for the chat)."""
    return _read(Path(path))[1]


def _read(path: Path) -> tuple[Form | None, list[Problem]]:
    if not path.is_file():
        return None, [Problem("", None, None, "file not found")]
    try:
        with warnings.catch_warnings():  # openpyxl's about styles, printed with its paths
            warnings.simplefilter("ignore")
            definition = get_xlsform(xlsform=str(path))
    except PyXFormError as err:
        # pyxform says what it could not read when it knows ("Duplicate column header:
        # label"); the file's type when it does not.
        if _PYXFORM_READABLE.match(str(err)):
            return None, [_from_pyxform(err)]
        return None, [Problem("", None, None,
                              "not a readable XLSForm workbook (.xlsx, .xls, .csv or .md)")]
    except Exception as err:  # openpyxl and xlrd raise many kinds for a damaged file
        return None, [Problem("", None, None,
                              f"cannot read the workbook ({type(err).__name__}); if it opens "
                              "in Excel, save it again from Excel as .xlsx and retry")]
    raw = _RawSheets.of(definition)
    pyxform_warnings: list[str] = []
    try:
        tree = workbook_to_json(workbook_dict=definition,
                                fallback_form_name=definition.fallback_form_name,
                                warnings=pyxform_warnings)
    except PyXFormError as err:
        return None, [_from_pyxform(err)]
    except Exception as err:  # pyxform itself fails on headers such as "type:current"
        logger.info("pyxform failed: %s", type(err).__name__)
        return None, [_UNUSUAL_HEADERS]
    for warning in pyxform_warnings:
        logger.debug("pyxform: %s", warning)
    reader = _Reader(raw, tree, version_fallback=_file_hash(path))
    try:
        form = reader.form()
    except (TypeError, AttributeError, KeyError, ValueError) as err:
        logger.info("reading the survey failed: %s", type(err).__name__)
        return None, [_UNUSUAL_HEADERS]
    problems = sorted(reader.problems, key=lambda p: (_SHEET_ORDER.get(p.sheet, 9), p.row or 0))
    return (None if problems else form), problems


# What is said of a workbook that pyxform, or the reading of its survey, fails on without
# saying why (headers like "type:current" or "relevant:x" raised a traceback).
_UNUSUAL_HEADERS = Problem(SURVEY, 1, None, "the survey sheet could not be read: check its "
                           "column headers (type, name, label, relevant…; translated columns "
                           "as label::English (en)); a header such as 'type:current' is no "
                           "XLSForm column")
# How people mark a question required in Excel beyond pyxform's yes/no/true/false: "x", "có".
_REQUIRED_MARKS = {"1": True, "0": False, "x": True, "*": True, "co": True, "khong": False,
                   "required": True, "bat buoc": True}
# pyxform's errors reading a workbook that say what is wrong in it.
_PYXFORM_READABLE = re.compile(r"Duplicate column header|Invalid headers|Unknown column")


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def _from_pyxform(err: PyXFormError) -> Problem:
    """pyxform's error as a problem, with the row and column when it gives them."""
    message = str(err).strip()
    context = err.context or {}
    row = context.get("row")
    found = _PYXFORM_ROW.match(message)
    if found:
        row = row or int(found.group(1))
        message = message[found.end():]
    sheet = context.get("sheet")
    if not sheet:
        named = _PYXFORM_SHEET.search(message)
        sheet = named.group(1) if named else (SURVEY if row else "")
    column = context.get("column")
    if column is None and "List name not in choices sheet" in message:
        column = "type"
    return Problem(sheet, int(row) if row else None, column, message)


@dataclass
class _RawSheets:
    """The sheets as written, before pyxform regroups them: for rows and header names."""

    survey: list[dict[str, Any]]
    survey_headers: list[str]
    choices: list[dict[str, Any]]
    choices_headers: list[str]
    settings: dict[str, Any]
    rows: dict[str, int] = field(default_factory=dict)  # question name -> row
    # question name -> every row it names (a name used twice, in two groups say)
    all_rows: dict[str, list[int]] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)  # question name -> raw type

    @classmethod
    def of(cls, definition: Any) -> _RawSheets:
        def headers(sheet_header: Any) -> list[str]:
            return [str(h) for h in (sheet_header or [{}])[0]] if sheet_header else []

        sheets = cls(
            survey=[dict(r) for r in definition.survey or []],
            survey_headers=headers(definition.survey_header),
            choices=[dict(r) for r in definition.choices or []],
            choices_headers=headers(definition.choices_header),
            settings=dict((definition.settings or [{}])[0]),
        )
        for row_number, row in sheets.numbered(sheets.survey):
            name = _cell(row, "name")
            if name:
                sheets.all_rows.setdefault(name, []).append(row_number)
            if name and name not in sheets.rows:
                sheets.rows[name] = row_number
                sheets.types[name] = _cell(row, "type")
        return sheets

    @staticmethod
    def numbered(rows: list[dict[str, Any]]) -> Iterator[tuple[int, dict[str, Any]]]:
        return enumerate(rows, start=2)

    def row_of(self, name: str) -> dict[str, Any]:
        number = self.rows.get(name)
        return self.survey[number - 2] if number else {}

    def header(self, row: Mapping[str, Any], column: str) -> str:
        """The header the sheet uses for a column (e.g. "relevance" for relevant)."""
        names = _COLUMN_ALIASES.get(column, {column})
        for header in [*row, *self.survey_headers]:
            if _base(header) in names:
                return header
        return column


def _base(header: str) -> str:
    return header.split("::", 1)[0].strip().lower()


def _cell(row: Mapping[str, Any], column: str) -> str:
    names = _COLUMN_ALIASES.get(column, {column})
    for header, value in row.items():
        if "::" not in header and header.strip().lower() in names and value is not None:
            return str(value).strip()
    return ""


def language_code(name: str, default: str = DEFAULT_LANGUAGE,
                  words: Mapping[str, str] = _LANGUAGE_NAMES) -> str | None:
    """The language code of an XLSForm language name: "English (en)", "vi", "Vietnamese"."""
    name = name.strip()
    if name in ("", "default"):
        return default
    found = _LANGUAGE_IN_PARENS.search(name)
    if found:
        return found.group(1).lower()
    if re.fullmatch(r"[A-Za-z]{2,3}", name):
        return name.lower()
    return words.get(fold(name))


@dataclass
class _Pending:
    """An expression to check once every name in the form is known."""

    source: str
    row: int
    column: str
    position: int  # how many names were defined before it
    owner: str | None  # the question it belongs to (may refer to itself in a constraint)


class _Reader:
    """Walks pyxform's survey tree and builds the form, collecting problems on the way."""

    def __init__(self, raw: _RawSheets, tree: dict[str, Any], version_fallback: str) -> None:
        self.raw = raw
        self.tree = tree
        self.version_fallback = version_fallback
        self.problems: list[Problem] = []
        self.questions: list[Question] = []
        self.metadata: dict[str, str] = {}
        self.order: dict[str, int] = {}  # name -> position among defined names
        self._repeated: dict[str, int] = {}  # name -> times met again after its first
        self.pending: list[_Pending] = []
        self.default_language = self._default_language()
        self.languages = self._languages()

    # ---- form level -------------------------------------------------------------------

    def form(self) -> Form:
        self._walk(self.tree.get("children", []), Text(), ())
        self._check_expressions()
        self._check_translations()
        # Notes alone are no survey (a form of calculations and notes showed an empty review).
        if not any(q.is_asked and q.type is not QuestionType.NOTE for q in self.questions):
            self.problems.append(Problem(SURVEY, None, None, "the form asks no questions"))
        version = str(self.tree.get("version") or "").strip() or self.version_fallback
        code = str(self.tree.get("id_string") or "").strip()
        if len(code.encode()) > MAX_CODE_BYTES:
            # A button naming the survey must fit Telegram's 64 bytes: /khaosat failed for
            # everyone once a 62-character form_id was opened.
            self.problems.append(Problem(SETTINGS, 2, "form_id", (
                f"the form_id '{code}' is too long for the chat's buttons: at most "
                f"{MAX_CODE_BYTES} characters (without diacritics; the file's name when there "
                f"is no form_id)")))
        title = self._text(self.tree.get("title")) or Text({self.default_language: code})
        return Form(code=code, version=version, title=title, questions=tuple(self.questions),
                    languages=self.languages, metadata=dict(self.metadata))

    def _default_language(self) -> str:
        given = str(self.tree.get("default_language") or "").removeprefix("default")
        labelled = {header.partition("::")[2] for header in self.raw.survey_headers
                    if _base(header) == "label"}
        if not given and len(labelled) == 1 and "" not in labelled and (
                only := language_code(labelled.pop())):
            # Every label in one named language ("label::English"): a plain "hint" column
            # beside them is in it too, not Vietnamese ("label missing in 'vi'" was said).
            return only
        name = given or "default"
        code = language_code(name, words=_SETTINGS_LANGUAGE_NAMES)
        if code is None:
            self.problems.append(Problem(SETTINGS, 2, "default_language",
                                         f"unknown language '{name}'; write it like "
                                         "'Tiếng Việt (vi)' or 'English (en)'"))
            return DEFAULT_LANGUAGE
        return code

    def _languages(self) -> tuple[str, ...]:
        """The languages of the form's texts: those of the label, hint and caption columns
        that hold any text (an empty "hint" column beside "label::English (en)" made Vietnamese
        one, which no label was given in)."""
        found: list[str] = []
        unknown: list[tuple[str, str]] = []
        for sheet, headers, rows in ((SURVEY, self.raw.survey_headers, self.raw.survey),
                                     (CHOICES, self.raw.choices_headers, self.raw.choices)):
            for header in headers:
                base = _base(header)
                if base not in ("label", "caption", "hint") or not any(
                        str(row.get(header) or "").strip() for row in rows):
                    continue
                _, _, name = header.partition("::")
                code = language_code(name, self.default_language)
                if code is None:
                    unknown.append((sheet, header))
                elif code not in found:
                    found.append(code)
        # A column in a language with no code ("label::French") is left out when the form has
        # texts in languages that can be told; it is refused only when they are all like it.
        if not found:
            for sheet, header in unknown:
                self.problems.append(Problem(
                    sheet, 1, header, f"cannot tell the language of column '{header}'; "
                    "write it like 'label::English (en)' or 'label::Tiếng Việt (vi)'"))
        if not found:
            return (self.default_language,)
        if self.default_language in found:
            found.remove(self.default_language)
            found.insert(0, self.default_language)
        return tuple(found)

    def _text(self, value: Any) -> Text:
        if value is None:
            return Text()
        if not isinstance(value, Mapping):
            value = {"default": value}
        values: dict[str, str] = {}
        for name, text in value.items():
            code = language_code(str(name), self.default_language)
            if code is not None and text is not None and str(text).strip():
                # Composed (NFC), as everything else the bot shows and matches: a workbook
                # may be written with decomposed accents.
                values.setdefault(code, _plain_label(unicodedata.normalize("NFC", str(text))))
        return Text(values)

    # ---- the survey tree ----------------------------------------------------------------

    def _walk(self, children: Sequence[dict[str, Any]], section: Text,
              relevant: tuple[str, ...]) -> None:
        for element in children:
            kind = element.get("type")
            name = str(element.get("name") or "")
            if kind == "group" and name == "meta" and element.get("control", {}).get("bodyless"):
                self._meta_group(element)
            elif kind in ("group", "repeat", "loop"):
                self._group(element, section, relevant)
            elif name.startswith("reserved_name_for_field_list_labels_"):
                continue  # pyxform's header row of a table-list group
            else:
                self._question(element, section, relevant)

    def _meta_group(self, element: dict[str, Any]) -> None:
        for child in element.get("children", []):
            if child.get("type") == "audit":
                self.metadata[child["name"]] = "audit"

    def _group(self, element: dict[str, Any], section: Text, relevant: tuple[str, ...]) -> None:
        name = str(element.get("name") or "")
        row = self.raw.rows.get(name, 0)
        if element["type"] != "group":
            self.problems.append(Problem(SURVEY, row, self.raw.header({}, "type"),
                                         f"'{self.raw.types.get(name, 'begin_repeat')}' is "
                                         f"not supported: {_WHY_NOT['repeat']}"))
        children = list(element.get("children", []))
        label = self._text(element.get("label"))
        if children and str(children[0].get("name", "")).startswith("generated_table_list_"):
            label = self._text(children.pop(0).get("label"))  # table-list moved the label
        group_relevant = element.get("bind", {}).get("relevant")
        if group_relevant:
            self._expect(group_relevant, row, "relevant", None)
            relevant = (*relevant, group_relevant)
        self._walk(children, label or section, relevant)

    def _question(self, element: dict[str, Any], section: Text,
                  relevant: tuple[str, ...]) -> None:
        name = str(element.get("name") or "")
        raw_row = self.raw.row_of(name)
        generated_other = not raw_row and name.endswith("_other")
        base = name.removesuffix("_other") if generated_other else name
        row = self.raw.rows.get(base, 0)
        raw_type = self.raw.types.get(base, str(element.get("type")))
        type_column = self.raw.header(raw_row, "type")
        if name in self.order:
            # The row of this use of the name, not of its first.
            self._repeated[name] = self._repeated.get(name, 0) + 1
            rows = self.raw.all_rows.get(name, [row])
            self.problems.append(Problem(
                SURVEY, rows[min(self._repeated[name], len(rows) - 1)],
                self.raw.header(raw_row, "name"),
                f"the name '{name}' is already used (row {self.raw.rows.get(name)}); "
                "every question needs its own name"))
            return
        self.order[name] = len(self.order)

        if element.get("type") == "calculate" and _KOBO_VERSION.fullmatch(name):
            return  # KoboToolbox's record of its form versions: no answer of the person's
        kind = self._metadata_kind(element)
        if kind is not None:
            self.metadata[name] = kind
            return
        question_type, refusal = self._question_type(element, raw_type)
        bind = element.get("bind", {})
        calculation = bind.get("calculate")
        if element.get("type") == "hidden":
            # Never shown (pyxform's hidden): its default, or nothing, kept as a calculation.
            question_type, refusal = QuestionType.CALCULATE, None
            calculation = calculation or _literal(element.get("default"))
        elif calculation and question_type not in (None, QuestionType.CALCULATE,
                                                   QuestionType.NOTE):
            # A value the form computes ("fcs", a food consumption score, read-only): the
            # chat asked it, and the person's figure fed later calculations.
            question_type = QuestionType.CALCULATE
        elif _true(bind.get("readonly")) and question_type not in (
                None, QuestionType.CALCULATE, QuestionType.NOTE):
            question_type = QuestionType.NOTE  # read-only, nothing to compute: shown only
        if refusal:
            self.problems.append(Problem(SURVEY, row, type_column,
                                         f"'{raw_type}' is not supported: {refusal}"))
            return
        if question_type is None:
            self.problems.append(Problem(SURVEY, row, type_column,
                                         f"unknown question type '{raw_type}'"))
            return

        own_relevant = bind.get("relevant")
        other_of = None
        if generated_other:
            own_relevant = f"selected(${{{base}}}, 'other')"
            other_of = base
        elif own_relevant:
            self._expect(own_relevant, row, "relevant", name)
            found = _OTHER_RELEVANT.match(own_relevant)
            if found and question_type is QuestionType.TEXT:
                other_of = found.group(1)
        constraint = bind.get("constraint")
        if element.get("type") == "range":
            constraint = _range_constraint(element.get("parameters", {}), constraint)
        elif element.get("type") == "percentage" and not constraint:
            constraint = "0 <= . and . <= 100"
        for column, source in (("constraint", bind.get("constraint")),
                               ("calculation", calculation),
                               ("choice_filter", element.get("choice_filter"))):
            if source:
                self._expect(str(source), row, column, name)
        if question_type is QuestionType.CALCULATE and not calculation:
            self.problems.append(Problem(SURVEY, row, self.raw.header(raw_row, "calculation"),
                                         "a calculate row needs a calculation"))

        label = _GENERATED_OTHER_LABEL if generated_other else self._text(element.get("label"))
        if not label and question_type not in (QuestionType.CALCULATE,):
            self.problems.append(Problem(SURVEY, row, self.raw.header(raw_row, "label"),
                                         "the question has no label"))
        self._check_piping(raw_row, row, name)
        appearance = element.get("control", {}).get("appearance")
        self.questions.append(Question(
            name=name,
            type=question_type,
            label=label,
            hint=self._text(element.get("hint")),
            options=self._options(element, raw_type, row) if question_type in (
                QuestionType.SELECT_ONE, QuestionType.SELECT_MULTIPLE) else (),
            required=self._required(bind.get("required"), row, raw_row, name),
            required_message=self._text(bind.get("jr:requiredMsg")),
            constraint=constraint,
            constraint_message=self._text(bind.get("jr:constraintMsg")),
            relevant=_all_of((*relevant, own_relevant) if own_relevant else relevant),
            choice_filter=element.get("choice_filter"),
            calculation=calculation,
            default=None if element.get("default") is None else str(element["default"]),
            section=section,
            other_of=other_of,
            appearance=str(appearance) if appearance else None,
            source=(SURVEY, row),
        ))

    @staticmethod
    def _metadata_kind(element: dict[str, Any]) -> str | None:
        """What the platform records by itself for this row (start, today…), if anything."""
        kind = str(element.get("type"))
        if kind == "audit":
            return "audit"
        bind = QUESTION_TYPE_DICT.get(kind, {}).get("bind", {})
        if "jr:preload" not in bind:
            return None
        return str(bind.get("jr:preloadParams", kind)).removeprefix("uri:")

    @staticmethod
    def _question_type(element: dict[str, Any],
                       raw_type: str) -> tuple[QuestionType | None, str | None]:
        """The model's type for a pyxform element, or why the chat refuses it."""
        kind = str(element.get("type"))
        appearance = str(element.get("control", {}).get("appearance") or "").strip()
        if kind in _SELECT_TYPES:
            command = raw_type.split()[0] if raw_type else ""
            if command in aliases.select_from_file or " from file " in f" {raw_type} ":
                return None, _WHY_NOT["from_file"]
            return _SELECT_TYPES[kind], None
        if kind in CUSTOM_TYPES:
            return CUSTOM_TYPES[kind], None
        if kind in ("text", "string") and appearance in CUSTOM_TYPES:
            return CUSTOM_TYPES[appearance], None
        if kind in _SIMPLE_TYPES:
            return _SIMPLE_TYPES[kind], None
        if kind == "range":
            return (QuestionType.DECIMAL if _range_is_decimal(element.get("parameters", {}))
                    else QuestionType.INTEGER), None
        if kind == "select one external":
            return None, _WHY_NOT["external"]
        if kind == "rank":
            return None, _WHY_NOT["rank"]
        if kind in ("xml-external", "csv-external"):
            return None, _WHY_NOT["external_data"]
        if kind == "background-audio":
            return None, _WHY_NOT["background-audio"]
        entry = QUESTION_TYPE_DICT.get(kind)
        if entry is None:
            return None, None
        bind_type = entry.get("bind", {}).get("type")
        if bind_type in ("geopoint", "geotrace", "geoshape"):
            return None, _WHY_NOT["geo"]
        if entry.get("control", {}).get("tag") == "upload":
            return None, _WHY_NOT["upload"]
        if bind_type == "barcode":
            return None, _WHY_NOT["barcode"]
        if bind_type in ("dateTime", "time"):
            return None, _WHY_NOT["datetime"]
        return None, "this kind of question cannot be asked in a chat"

    def _options(self, element: dict[str, Any], raw_type: str, row: int) -> tuple[Option, ...]:
        list_name = str(element.get("list_name") or element.get("itemset") or "")
        written = {str(r.get("name")) for r in self.raw.choices
                   if _cell(r, "list_name") == list_name}
        or_other = bool(re.search(r"\s(or_other|or other|or specify other)\s*$", raw_type))
        options = []
        for choice in element.get("choices") or []:
            name = str(choice.get("name"))
            if name == "other" and name not in written:
                # pyxform adds its "other" to the shared list: keep it only where asked for.
                if or_other:
                    options.append(Option("other", _OTHER_OPTION_LABEL))
                continue
            label = self._text(choice.get("label"))
            properties = {str(k): str(v) for k, v in choice.items()
                          if k not in ("name", "label", "media") and isinstance(v, str | int)}
            options.append(Option(name, label or Text({self.default_language: name}),
                                  properties))
        if not options:
            self.problems.append(Problem(SURVEY, row, "type",
                                         f"the choices list '{list_name}' is empty"))
        return tuple(options)

    def _required(self, value: Any, row: int, raw_row: Mapping[str, Any], name: str) -> bool:
        if value is None or str(value).strip() == "":
            return False
        typed = str(value).strip()
        flag = _REQUIRED_MARKS.get(fold(typed), aliases.yes_no.get(typed))
        if flag is not None:
            return flag
        column = self.raw.header(raw_row, "required")
        problem = self._syntax_problem(str(value), row, column)
        self.problems.append(problem or Problem(
            SURVEY, row, column, "a condition in required is not supported yet; write yes "
            "or no, and put the condition in relevant"))
        return True

    # ---- checks ----------------------------------------------------------------------

    def _expect(self, source: str, row: int, column: str, owner: str | None) -> None:
        self.pending.append(_Pending(source, row, column, len(self.order), owner))

    def _check_expressions(self) -> None:
        rows = {name: self.raw.rows.get(name) for name in self.order}
        for item in self.pending:
            raw_row = self.raw.survey[item.row - 2] if item.row >= 2 else {}
            column = self.raw.header(raw_row, item.column)
            problem = self._syntax_problem(item.source, item.row, column)
            if problem:
                self.problems.append(problem)
                continue
            references, uses_current = _analyse(item.source)
            if item.column == "choice_filter":
                # Bare names in a choice_filter are columns of the choices sheet: one that is
                # not there filters every choice out, and the question could not be answered.
                references = frozenset(_REFERENCE.findall(item.source))
                columns = {header.split("::", 1)[0].strip() for header in self.raw.choices_headers}
                for name in sorted(_bare_names(item.source) - columns):
                    self.problems.append(Problem(
                        SURVEY, item.row, column,
                        f"the choices sheet has no column '{name}' for choice_filter to test"))
            if uses_current and item.column not in ("constraint", "choice_filter"):
                self.problems.append(Problem(
                    SURVEY, item.row, column,
                    "'.' (this question's answer) can only be used in constraint"))
            for name in sorted(references):
                self._check_reference(name, item, column, rows)

    def _check_reference(self, name: str, item: _Pending, column: str,
                         rows: Mapping[str, int | None]) -> None:
        position = self.order.get(name)
        if position is None:
            self.problems.append(Problem(SURVEY, item.row, column,
                                         f"${{{name}}} is not a question of this form"))
        elif name == item.owner and item.column == "constraint":
            return  # ${x} in x's own constraint is its answer, like "."
        elif name == item.owner:
            self.problems.append(Problem(SURVEY, item.row, column,
                                         f"${{{name}}} refers to the question itself"))
        elif position >= item.position:
            self.problems.append(Problem(
                SURVEY, item.row, column,
                f"${{{name}}} is asked later (row {rows.get(name)}); only answers given "
                "before this row can be used"))

    def _check_piping(self, raw_row: Mapping[str, Any], row: int, owner: str) -> None:
        """Answers shown inside a label or hint must be given before."""
        for header, value in raw_row.items():
            if _base(header) not in ("label", "caption", "hint") or not isinstance(value, str):
                continue
            for name in _REFERENCE.findall(value):
                self._expect(f"${{{name}}}", row, header, owner)

    def _syntax_problem(self, source: str, row: int, column: str) -> Problem | None:
        message = _expression_error(source)
        if message is None:
            return None
        return Problem(SURVEY, row, column, f"cannot read the expression: {message}")

    def _check_translations(self) -> None:
        """A text given in one language must be given in every language of the form."""
        if len(self.languages) < 2:
            return
        sheets = ((SURVEY, self.raw.survey, self.raw.survey_headers, _TRANSLATED_SURVEY),
                  (CHOICES, self.raw.choices, self.raw.choices_headers, ("label",)))
        for sheet, rows, headers, columns in sheets:
            for column in columns:
                by_language = self._columns_by_language(headers, column)
                for row_number, row in self.raw.numbered(rows):
                    given = {code for code, header in by_language.items() if row.get(header)}
                    if not given:
                        continue
                    for code in self.languages:
                        if code not in given:
                            header = by_language.get(code) or self._header_for(column, code)
                            self.problems.append(Problem(
                                sheet, row_number, header,
                                f"{column} missing in '{code}' (given in "
                                f"{', '.join(sorted(given))})"))

    def _columns_by_language(self, headers: Sequence[str], column: str) -> dict[str, str]:
        names = _COLUMN_ALIASES.get(column, {column})
        found: dict[str, str] = {}
        for header in headers:
            if _base(header) in names:
                code = language_code(header.partition("::")[2], self.default_language)
                if code is not None:
                    found.setdefault(code, header)
        return found

    def _header_for(self, column: str, code: str) -> str:
        """The header a missing translation would go in, named like the label's."""
        for header, label_code in ((h, language_code(h.partition("::")[2], "")) for h in
                                   self.raw.survey_headers if _base(h) == "label"):
            if label_code == code and "::" in header:
                return f"{column}::{header.partition('::')[2]}"
        return f"{column}::{code}"


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_BARE_NAME = re.compile(r"(?<![\w$.{/-])([A-Za-z_][\w.-]*)(?![\w(.-])(?!\s*\()")
_KEYWORDS = frozenset({"and", "or", "div", "mod"})


def _bare_names(source: str) -> frozenset[str]:
    """The names in an expression that are neither ${references}, functions, keywords nor
    inside quotes: in a choice_filter, columns of the choices sheet."""
    plain = _REFERENCE.sub(" ", _QUOTED.sub(" ", source))
    return frozenset(name for name in _BARE_NAME.findall(plain) if name not in _KEYWORDS)


def _all_of(conditions: Sequence[str]) -> str | None:
    if not conditions:
        return None
    if len(conditions) == 1:
        return conditions[0]
    return " and ".join(f"({c})" for c in conditions)


def _range_is_decimal(parameters: Mapping[str, Any]) -> bool:
    return any("." in str(parameters.get(k, "")) for k in ("start", "end", "step"))


def _range_constraint(parameters: Mapping[str, Any], constraint: str | None) -> str:
    """A range becomes a number between its start and end (a slider makes no sense here)."""
    start, end = str(parameters.get("start", "1")), str(parameters.get("end", "10"))
    low, high = sorted((start, end), key=float)
    bounds = f". >= {low} and . <= {high}"
    step = str(parameters.get("step", "1"))
    if float(step) != 1:
        bounds += f" and (. - {low}) mod {step} = 0"
    return f"({constraint}) and {bounds}" if constraint else bounds


def _expressions() -> Any:
    """handlers.forms.expressions, or None while that module is not there."""
    try:
        from handlers.forms import expressions
    except ImportError:
        return None
    return expressions if hasattr(expressions, "parse") else None


def _expression_error(source: str) -> str | None:
    """Why an expression cannot be parsed, or None when it can (or no parser is there)."""
    expressions = _expressions()
    if expressions is None:
        return None
    try:
        expressions.parse(source)
    except NotImplementedError:
        return None
    except expressions.ExpressionError as err:
        message = getattr(err, "message", None) or (err.args[0] if err.args else str(err))
        position = getattr(err, "position", None)
        if position is None and len(err.args) > 1:
            position = err.args[1]
        if isinstance(position, int) and 0 <= position < len(source):
            return f"{message} near '{source[position:position + 12]}'"
        return str(message)
    return None


def _analyse(source: str) -> tuple[frozenset[str], bool]:
    """The ${names} an expression uses and whether it uses "." (the current answer)."""
    expressions = _expressions()
    if expressions is not None:
        try:
            parsed = expressions.parse(source)
            return frozenset(parsed.references()), bool(parsed.uses_current())
        except NotImplementedError:
            pass
    # Until the expression grammar is there: names only, "." unknown.
    return frozenset(_REFERENCE.findall(source)), False


# The calculate rows KoboToolbox adds, one per deployed version: "__version__", "_version_",
# "_version__001"…
_KOBO_VERSION = re.compile(r"__?version_+\d*")


_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^<>]*>")
_LINE_TAGS = frozenset({"br", "p", "div", "li"})
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")


def _plain_label(text: str) -> str:
    """A label as plain text, as every channel shows it: the HTML and Markdown that ODK and
    Kobo render ("<b>Food Security</b>", "**…**", "[calendar](https://…)") were shown raw."""
    if "<" in text:
        text = _TAG.sub(lambda m: "\n" if m.group(2).lower() in _LINE_TAGS and (
            m.group(2).lower() == "br" or m.group(1)) else "", text)
    if "*" in text or "_" in text:
        text = _EMPHASIS.sub(r"\2", text)
    if "](" in text:
        text = _MARKDOWN_LINK.sub(r"\1 (\2)", text)
    return "\n".join(line.strip() for line in text.strip().splitlines() if line.strip()) \
        if "\n" in text else text.strip()


def _literal(value: Any) -> str:
    """A value as an expression's string literal ('' for none)."""
    text = "" if value is None else str(value)
    return f'"{text}"' if "'" in text else f"'{text}'"


def _true(value: Any) -> bool:
    """Whether a bind's flag is set: pyxform writes "true()"; forms write yes, true, 1."""
    return str(value or "").strip().lower() in ("true()", "true", "yes", "1")
