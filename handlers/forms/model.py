"""The form model every multi-step conversation is made of: questions as data.

Surveys come from XLSForm workbooks (handlers/forms/xlsform.py); the profile and the
eligibility check are built in code. Expressions (relevant, constraint, choice_filter,
calculation) are kept as XLSForm source text and parsed by handlers/forms/expressions.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

DEFAULT_LANGUAGE = "vi"


class QuestionType(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    SELECT_ONE = "select_one"
    SELECT_MULTIPLE = "select_multiple"
    DATE = "date"
    NOTE = "note"  # shown, never answered
    CALCULATE = "calculate"  # computed from earlier answers, never shown
    ACKNOWLEDGE = "acknowledge"  # one "OK" button
    PHONE = "phone"  # a Vietnamese phone number (pyxform: "phone number")
    TAX_CODE = "tax_code"  # 10 or 10-3 digits, or a household's 12-digit personal id
    COMMUNE = "commune"  # one of Hai Phong's communes, wards and special zones
    # A photo or document sent as a file; answered by the capability's own handler, which
    # stores it and passes its description (handlers.types.Attachment) to `on_file`.
    ATTACHMENT = "attachment"


@dataclass(frozen=True)
class Text:
    """A text in several languages (language code -> text)."""

    values: Mapping[str, str] = field(default_factory=dict)

    def get(self, lang: str) -> str:
        """The text in `lang`, else in Vietnamese, else in any language it has."""
        return self.values.get(lang) or self.values.get(DEFAULT_LANGUAGE) or next(
            iter(self.values.values()), "")

    def __bool__(self) -> bool:
        return any(self.values.values())


@dataclass(frozen=True)
class Option:
    """A choice of a select question."""

    name: str  # the value stored and exported
    label: Text
    # Other columns of the choices sheet, which a choice_filter may test.
    properties: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Question:
    name: str
    type: QuestionType
    label: Text = field(default_factory=Text)
    hint: Text = field(default_factory=Text)
    options: tuple[Option, ...] = ()
    required: bool = False
    required_message: Text = field(default_factory=Text)
    constraint: str | None = None  # XLSForm expression; "." is the answer being checked
    constraint_message: Text = field(default_factory=Text)
    relevant: str | None = None  # asked only when true
    choice_filter: str | None = None  # an option is offered only when true for it
    calculation: str | None = None
    default: str | None = None
    section: Text = field(default_factory=Text)  # label of the group it belongs to
    # For a "specify other" text question: the select question whose "other" option leads
    # to it (XLSForm's or_other, or a text question relevant on selected(${q}, 'other')).
    other_of: str | None = None
    appearance: str | None = None
    # Where the question came from, for messages about it: (sheet, row).
    source: tuple[str, int] | None = None

    @property
    def is_asked(self) -> bool:
        """Whether the person filling in the form sees this question."""
        return self.type is not QuestionType.CALCULATE


@dataclass(frozen=True)
class Form:
    code: str  # XLSForm form_id, or the file name without extension
    version: str
    title: Text
    questions: tuple[Question, ...]
    languages: tuple[str, ...] = (DEFAULT_LANGUAGE,)
    # Metadata the platform records by itself (XLSForm start, end, today, deviceid…):
    # name -> kind.
    metadata: Mapping[str, str] = field(default_factory=dict)

    def question(self, name: str) -> Question:
        return self._by_name[name]

    @property
    def _by_name(self) -> dict[str, Question]:
        cache = self.__dict__.get("_by_name_cache")
        if cache is None:
            cache = {q.name: q for q in self.questions}
            object.__setattr__(self, "_by_name_cache", cache)
        return cache

    def asked(self) -> list[Question]:
        """The questions a person may be asked, in order (position "3/15" counts these)."""
        return [q for q in self.questions if q.is_asked]


# Answers are stored as JSON: str for text, select_one, dates (ISO), phone and codes; a list
# of option names for select_multiple; int or a decimal string for numbers.
Answers = dict[str, Any]


def form_to_json(form: Form) -> dict[str, Any]:
    """The form as JSON, to store a survey version in the database."""

    def text(value: Text) -> dict[str, str]:
        return dict(value.values)

    return {
        "code": form.code, "version": form.version, "title": text(form.title),
        "languages": list(form.languages), "metadata": dict(form.metadata),
        "questions": [{
            "name": q.name, "type": q.type.value, "label": text(q.label), "hint": text(q.hint),
            "options": [{"name": o.name, "label": text(o.label),
                         "properties": dict(o.properties)} for o in q.options],
            "required": q.required, "required_message": text(q.required_message),
            "constraint": q.constraint, "constraint_message": text(q.constraint_message),
            "relevant": q.relevant, "choice_filter": q.choice_filter,
            "calculation": q.calculation, "default": q.default, "section": text(q.section),
            "other_of": q.other_of, "appearance": q.appearance,
            "source": list(q.source) if q.source else None,
        } for q in form.questions],
    }


def form_from_json(data: dict[str, Any]) -> Form:
    """The inverse of form_to_json."""
    questions = tuple(Question(
        name=q["name"], type=QuestionType(q["type"]), label=Text(q["label"]),
        hint=Text(q["hint"]),
        options=tuple(Option(o["name"], Text(o["label"]), o["properties"])
                      for o in q["options"]),
        required=q["required"], required_message=Text(q["required_message"]),
        constraint=q["constraint"], constraint_message=Text(q["constraint_message"]),
        relevant=q["relevant"], choice_filter=q["choice_filter"],
        calculation=q["calculation"], default=q["default"], section=Text(q["section"]),
        other_of=q["other_of"], appearance=q["appearance"],
        source=tuple(q["source"]) if q["source"] else None,
    ) for q in data["questions"])
    return Form(code=data["code"], version=data["version"], title=Text(data["title"]),
                questions=questions, languages=tuple(data["languages"]),
                metadata=data["metadata"])


class FormCache:
    """Parsed forms of stored survey versions (which never change), by version id."""

    def __init__(self) -> None:
        self._forms: dict[int, Form] = {}

    def get(self, key: int, data: dict[str, Any]) -> Form:
        form = self._forms.get(key)
        if form is None:
            form = self._forms[key] = form_from_json(data)
        return form
