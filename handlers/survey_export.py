"""Survey responses as a table for staff: CSV or Excel, one row per submitted response.

Columns: the response, its version and establishment, then one column per question across all
versions of the survey (the newest version's order, then what only older versions asked), and
the start and end the platform recorded. Rows are written as they are read, so memory stays
flat however many responses there are.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from operator import itemgetter
from typing import Any, BinaryIO

from handlers.communes import CommuneDirectory
from handlers.exports import (
    Cell,
    StreamingSheet,
    csv_field,
    csv_fields,
    csv_time,
    local_time,
    plain_csv,
    sheet_name,
    write_csv_columns,
    xlsx_workbook,
)
from handlers.forms.model import Form, Question, QuestionType, form_from_json
from handlers.i18n import LOCAL_TZ, N_, Translator
from handlers.sectors import SECTORS
from storage.surveys import answer_names
from storage.uow import UnitOfWork


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class LabelStyle(StrEnum):
    VI = "vi"  # headers and answers as labels in Vietnamese
    EN = "en"
    CODES = "codes"  # question names and stored values (option names, commune codes)


class _Kind(StrEnum):
    """What a column holds, for its width and its cell type."""

    ID = "id"
    TIME = "time"
    SHORT = "short"
    NAME = "name"
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"
    CHOICES = "choices"
    FLAG = "flag"


# Rows read at a time. Small batches are faster: a batch's row tuples are freed before the
# garbage collector's youngest generation fills up (700 objects), so they are never traced or
# moved to an older generation, and a batch's work stays in the CPU's caches. On 100,000 rows,
# 250 took 1.05 s of CPU, 500 1.15 s, 1,000 1.35 s, 2,000 1.45 s.
_BATCH = 250

# Excel column widths (characters) by kind.
_WIDTHS = {_Kind.ID: 9, _Kind.TIME: 18, _Kind.SHORT: 14, _Kind.NAME: 36, _Kind.TEXT: 32,
           _Kind.NUMBER: 14, _Kind.DATE: 12, _Kind.CHOICE: 24, _Kind.CHOICES: 32,
           _Kind.FLAG: 12}

# The fixed columns: (header with codes, header with labels, kind). The codes follow Kobo's
# (_id, _submission_time, start, end) and cannot clash with a question's name.
_LEADING_COLUMNS = (
    # TRANSLATORS: column headers of a survey export (CSV/Excel): the response's number.
    ("_id", N_("Response no."), _Kind.ID),
    ("_submission_time", N_("Submitted at"), _Kind.TIME),
    ("_version", N_("Form version"), _Kind.SHORT),
    ("_establishment", N_("Establishment"), _Kind.NAME),
    ("_tax_code", N_("Tax code"), _Kind.SHORT),
    ("_commune", N_("Commune, ward or special zone"), _Kind.CHOICE),
    ("_sector", N_("Sector"), _Kind.CHOICE),
)
_TRAILING_COLUMNS = (
    ("start", N_("Started at"), _Kind.TIME),
    ("end", N_("Finished at"), _Kind.TIME),
)

# TRANSLATORS: the name of the Excel sheet with a bar chart per choice question.
CHARTS_SHEET = N_("Charts")
CHART_ROWS = 18  # rows a chart takes on the sheet of charts

_NOT_EXPORTED = frozenset({QuestionType.NOTE, QuestionType.ACKNOWLEDGE})
_NUMBERS = frozenset({QuestionType.INTEGER, QuestionType.DECIMAL})
_QUESTION_KINDS = {QuestionType.INTEGER: _Kind.NUMBER, QuestionType.DECIMAL: _Kind.NUMBER,
                   QuestionType.DATE: _Kind.DATE, QuestionType.SELECT_ONE: _Kind.CHOICE,
                   QuestionType.SELECT_MULTIPLE: _Kind.CHOICES,
                   QuestionType.COMMUNE: _Kind.CHOICE, QuestionType.PHONE: _Kind.SHORT,
                   QuestionType.TAX_CODE: _Kind.SHORT}


async def export_survey(uow: UnitOfWork, code: str, fmt: ExportFormat, labels: LabelStyle,
                        out: BinaryIO, *, translator: Translator | None = None,
                        communes: CommuneDirectory | None = None) -> int:
    """Write the submitted responses of survey `code` to `out`; returns how many rows.

    `translator` gives the fixed headers and sector names in the language of `labels` (without
    one they are in English). Raises LookupError for an unknown survey code.
    """
    versions = await uow.surveys.versions(code)
    if not versions:
        raise LookupError(code)
    table = _Table.build(
        [(survey.id, survey.version, form_from_json(survey.form), answer_names(survey.form))
         for survey in versions],
        labels, translator.gettext if translator is not None else str,
        communes if communes is not None else CommuneDirectory.load(),
        csv=fmt is ExportFormat.CSV)
    batches = uow.responses.stream_submitted_rows(code, batch=_BATCH)
    if fmt is ExportFormat.CSV:
        return await _write_csv(table, batches, out)
    return await _write_xlsx(table, batches, out, sheet=code)


@dataclass(frozen=True)
class _Column:
    header: str
    kind: _Kind


# A column of a batch of stored rows -> the column(s) of cells it becomes. Work is done a
# column of a batch at a time, in comprehensions or C (map over a dict of known values): a
# Python call per cell would cost more than everything else.
Converter = Callable[[Sequence[Any]], list[Sequence[Cell]]]


@dataclass(frozen=True)
class _Chart:
    """A choice question's bar chart in the workbook: its title and the cells counted, either
    one column whose values are the options (single choice) or one 0/1 column per option."""

    title: str
    column: int | None  # single choice: the column holding the chosen option
    options: list[tuple[str, int | None]]  # (option as shown, its 0/1 column if multiple)


@dataclass(frozen=True)
class _Table:
    """The columns, and how a batch of stored rows becomes rows of cells."""

    columns: list[_Column]
    # Survey id -> where its export rows (storage.surveys.export_row) have what goes in the
    # stored columns: start, end, then the answer to each question, in column order.
    layouts: dict[int, _Layout]
    plan: list[tuple[int, Converter]]  # (column of the stored rows, its converter)
    charts: list[_Chart]
    charts_sheet: str  # the name of the workbook's sheet of charts

    def cells(self, batch: Sequence[Sequence[Any]]) -> list[Sequence[Cell]]:
        """A batch of stored rows as the columns of cells they become."""
        *stored, export_rows = zip(*batch, strict=True)
        stored += self._export_columns(stored[2], export_rows)
        cells: list[Sequence[Cell]] = []
        for source, convert in self.plan:
            cells.extend(convert(stored[source]))
        return cells

    def _export_columns(self, surveys: Sequence[int], export_rows: Sequence[str],
                        ) -> list[Sequence[str | None]]:
        """Start, end and the answers, as columns, from the export rows of a batch."""
        # The batch's items as one flat JSON array (each row without its brackets): one call
        # into the decoder, and no list a row, which would keep waking the garbage collector.
        items = json.loads("[" + ",".join([row[1:-1] for row in export_rows]) + "]")
        first = surveys[0]
        if surveys.count(first) == len(surveys):  # one version: each column is a slice
            layout = self.layouts[first]
            if len(items) != layout.width * len(surveys):
                raise ValueError("export rows of another length than their version's")
            return [items[p::layout.width] if p is not None else [None] * len(surveys)
                    for p in layout.positions]
        rows, end = [], 0  # several versions: row by row
        for survey in surveys:
            start, end = end, end + self.layouts[survey].width
            rows.append(items[start:end])
        if end != len(items):
            raise ValueError("export rows of another length than their version's")
        layouts = self.layouts
        return list(zip(*[layouts[survey].pick(row) for survey, row in
                          zip(surveys, rows, strict=True)], strict=True))

    def rows(self, batch: Sequence[Sequence[Any]]) -> Iterator[tuple[Cell, ...]]:
        return zip(*self.cells(batch), strict=True)

    @classmethod
    def build(cls, versions: list[tuple[int, str, Form, list[str]]], labels: LabelStyle,
              gettext: Callable[[str], str], communes: CommuneDirectory, *, csv: bool,
              ) -> _Table:
        """`versions`: (survey id, version, form, the order of its export rows' answers) of
        every version, oldest first."""
        forms = [form for _, _, form, _ in versions]
        lang = None if labels is LabelStyle.CODES else str(labels)
        values = _Values(lang, csv=csv)

        # Stable columns: the newest version's questions in its order, then the questions
        # only older versions had (newest first); each exported as its newest definition.
        newest: dict[str, Question] = {}
        for form in reversed(forms):
            for question in form.questions:
                if question.type not in _NOT_EXPORTED:
                    newest.setdefault(question.name, question)
        # The options of a multiple-choice column: every version's, newest first.
        flags: dict[str, list[str]] = {}
        for form in reversed(forms):
            for question in form.questions:
                if question.name in newest and \
                        newest[question.name].type is QuestionType.SELECT_MULTIPLE:
                    known = flags.setdefault(question.name, [])
                    known.extend(o.name for o in question.options if o.name not in known)
        option_labels = _option_labels(forms, lang)
        commune_names = {} if lang is None else {unit.code: unit.full_name
                                                 for unit in communes}

        def header(code: str, msgid: str) -> str:
            return code if lang is None else gettext(msgid)

        columns = [_Column(header(code, msgid), kind) for code, msgid, kind in _LEADING_COLUMNS]
        plan: list[tuple[int, Converter]] = [
            (0, values.ids), (1, values.times),
            (2, values.mapped({survey_id: version for survey_id, version, _, _ in versions})),
            (3, values.texts), (4, values.texts), (5, values.mapped(commune_names)),
            (6, values.mapped({key: key if lang is None else gettext(msgid)
                               for key, msgid in SECTORS.items()}))]
        charts: list[_Chart] = []
        titles = _distinct_titles(newest, lang)
        for index, (name, question) in enumerate(newest.items(), _FIRST_ANSWER):
            title = titles[name]
            if question.type is QuestionType.SELECT_ONE:
                charts.append(_Chart(title, len(columns), [
                    (option_labels[name].get(o.name) or o.name, None)
                    for o in question.options]))
            columns.append(_Column(title, _QUESTION_KINDS.get(question.type, _Kind.TEXT)))
            if name in flags:
                chart = _Chart(title, None, [])
                for option in flags[name]:
                    shown = option if lang is None else \
                        option_labels[name].get(option) or option
                    chart.options.append((shown, len(columns)))
                    columns.append(_Column(f"{title}/{shown}", _Kind.FLAG))
                charts.append(chart)
                plan.append((index, values.multiple(flags[name], option_labels[name])))
            else:
                plan.append((index, values.converter(question, option_labels[name],
                                                     commune_names)))
        columns += [_Column(header(code, msgid), kind) for code, msgid, kind in
                    _TRAILING_COLUMNS]
        plan += [(7, values.stamps), (8, values.stamps)]
        wanted = ["start", "end", *newest]
        layouts = {survey_id: _Layout.of(["start", "end", *names], wanted)
                   for survey_id, _, _, names in versions}
        return cls(columns, layouts, plan, charts,
                   "charts" if lang is None else gettext(CHARTS_SHEET))


def _distinct_titles(questions: dict[str, Question], lang: str | None) -> dict[str, str]:
    """Column headers: the questions' labels in `lang` (codes when None); labels alike ("Vui
    lòng ghi rõ:" of two questions with "other", two "Mã số thuế") get headers of their own:
    the header of the question they specify before theirs, else their code after it."""
    if lang is None:
        return {name: name for name in questions}
    labels = {name: question.label.get(lang) or name for name, question in questions.items()}
    alike = Counter(labels.values())
    titles = {name: f"{label} ({name})" if alike[label] > 1 else label
              for name, label in labels.items()}
    for name, question in questions.items():
        if alike[labels[name]] > 1 and question.other_of in questions:
            # after the parent's own title is settled: two parents labelled alike part too
            titles[name] = f"{titles[question.other_of]} — {labels[name]}"
    still = Counter(titles.values())
    return {name: f"{title} ({name})" if still[title] > 1 else title
            for name, title in titles.items()}


@dataclass(frozen=True)
class _Layout:
    """Where a version's export rows have the items an export wants."""

    width: int  # items in a row
    positions: list[int | None]  # of each wanted item in a row (None: the version lacks it)
    pick: Callable[[list[str | None]], tuple[str | None, ...]]  # a row's wanted items

    @classmethod
    def of(cls, stored: list[str], wanted: list[str]) -> _Layout:
        index = {name: i for i, name in enumerate(stored)}
        positions = [index.get(name) for name in wanted]
        getter = itemgetter(*(-1 if p is None else p for p in positions))
        if None not in positions:
            return cls(len(stored), positions, getter)
        padding: list[str | None] = [None]  # at -1: what the version lacks
        return cls(len(stored), positions, lambda row: getter(row + padding))


# Stored columns: id, submitted_at, survey_id, name, tax code, commune, sector
# (storage.surveys.ResponseRepository.stream_submitted_rows), then from the export row start,
# end and the answers as text. An answer may be what another version's question of the same
# name stored (a list as JSON text, a number as digits): every converter takes any text.
_FIRST_ANSWER = 9


def _option_labels(forms: list[Form], lang: str | None) -> dict[str, dict[str, str]]:
    """Question name -> option name -> label, the newest version's label first."""
    result: dict[str, dict[str, str]] = {}
    for form in reversed(forms):
        for question in form.questions:
            known = result.setdefault(question.name, {})
            for option in question.options:
                if option.name not in known:
                    known[option.name] = option.name if lang is None else \
                        option.label.get(lang) or option.name
    return result


class _Memo(dict):
    """Cells of values seen before (the label of a code, the cells of a multiple choice); a
    value not seen yet is worked out by `compute`, and kept while there are few, so memory
    stays flat whatever the answers."""

    def __init__(self, compute: Callable[[Any], Any], known: Mapping[Any, Any] | None = None,
                 limit: int = 4096) -> None:
        super().__init__(known or {})
        self._compute = compute
        self._limit = limit

    def __missing__(self, value: Any) -> Any:
        cells = self._compute(value)
        if len(self) < self._limit:
            self[value] = cells
        return cells


class _Values:
    """Converters of stored columns to cells, for one format and label style. CSV cells are
    the fields as written (text made inert and quoted, numbers as their digits, "" when
    empty; a multiple choice's fields joined in one cell); Excel cells are typed, and a text
    cell is never run."""

    def __init__(self, lang: str | None, *, csv: bool) -> None:
        self._lang = lang
        self._csv = csv
        self.text: Callable[[str], str] = csv_field if csv else str
        self.empty: Cell = "" if csv else None
        # UTC "YYYY-MM-DD HH" -> local: Vietnam's offset is whole hours (_LOCAL_OFFSET), so
        # minutes and seconds carry over.
        self._local_hours = _Memo(lambda hour: csv_time(local_time(hour + ":00:00"))[:13])

    def ids(self, column: Sequence[int]) -> list[Sequence[Cell]]:
        return [list(map(str, column)) if self._csv else list(column)]

    def texts(self, column: Sequence[str | None]) -> list[Sequence[Cell]]:
        return [csv_fields(column) if self._csv else list(column)]

    def mapped(self, shown: Mapping[Any, str]) -> Converter:
        """Codes to labels (a code without one stays as it is)."""
        text = self.text
        lookup = _Memo(lambda code: text(str(code)),
                       {code: text(label) for code, label in shown.items()})
        lookup[None] = self.empty

        def convert(column: Sequence[Any]) -> list[Sequence[Cell]]:
            return [list(map(lookup.__getitem__, column))]

        return convert

    def converter(self, question: Question, labels: Mapping[str, str],
                  commune_names: Mapping[str, str]) -> Converter:
        kind = question.type
        if kind is QuestionType.SELECT_ONE:
            return self.mapped(labels)
        if kind is QuestionType.COMMUNE:
            return self.mapped({**labels, **commune_names})
        if kind in _NUMBERS or kind is QuestionType.CALCULATE:
            return self.numbers
        if kind is QuestionType.DATE and not self._csv:
            return self.dates
        return self.texts

    def numbers(self, column: Sequence[str | None]) -> list[Sequence[Cell]]:
        """Numbers as numbers (in CSV, their digits, a negative one as it is), anything else
        as text."""
        if self._csv:
            digits = ["" if v is None else v for v in column]
            if plain_csv(digits):
                return [digits]
            return [[v if _NUMBER.fullmatch(v) else csv_field(v) for v in digits]]
        try:
            return [[None if v is None else float(v) if "." in v else int(v)
                     for v in column]]
        except ValueError:  # an exponent, or not a number at all
            return [[None if v is None else _number_or_text(v) for v in column]]

    def dates(self, column: Sequence[str | None]) -> list[Sequence[Cell]]:
        return [[None if v is None else _date(v) for v in column]]

    def multiple(self, options: list[str], labels: Mapping[str, str]) -> Converter:
        """The chosen options joined (names with spaces, labels with "; "), then 0 or 1 for
        each option of any version (Kobo's layout)."""
        separator = " " if self._lang is None else "; "
        text = self.text
        yes, no = ("1", "0") if self._csv else (1, 0)

        def expand(value: str) -> tuple[Cell, ...]:
            chosen = _names(value)
            return (text(separator.join([labels.get(n) or n for n in chosen])),
                    *(yes if option in chosen else no for option in options))

        expanded = _Memo(expand, {None: (self.empty,) * (1 + len(options))})
        if self._csv:
            # Its fields as one piece of the line: five fewer cells a row to join.
            pieces = _Memo(lambda value: ",".join(expanded[value]))

            def convert_csv(column: Sequence[str | None]) -> list[Sequence[Cell]]:
                return [list(map(pieces.__getitem__, column))]

            return convert_csv

        def convert(column: Sequence[str | None]) -> list[Sequence[Cell]]:
            if not column:
                return [[] for _ in range(1 + len(options))]
            cells = list(map(expanded.__getitem__, column))
            return [list(map(itemgetter(i), cells)) for i in range(1 + len(options))]

        return convert

    def times(self, column: Sequence[datetime | str | None]) -> list[Sequence[Cell]]:
        """Times (datetimes, or ISO text in UTC from SQLite) as local times in Vietnam: naive
        datetimes for Excel, text for CSV."""
        hours = self._local_hours
        # SQLite's text as SQLAlchemy writes it ("YYYY-MM-DD HH:MM:SS.ffffff"), quickly.
        local = [hours[v[:13]] + v[13:19] if v.__class__ is str and len(v) == 26 else
                 None if v is None else csv_time(local_time(v)) for v in column]
        if self._csv:
            return [["" if v is None else v for v in local]]
        return [[None if v is None else datetime.fromisoformat(v) for v in local]]

    def stamps(self, column: Sequence[str | None]) -> list[Sequence[Cell]]:
        """Metadata times, kept as local ISO text with the offset ("…T08:01:30+07:00")."""
        if self._csv:
            # The usual form, quickly; anything else through _stamp.
            return [["" if v is None else v[:10] + " " + v[11:19]
                     if len(v) == 25 and v[19:] == _LOCAL_OFFSET else _stamp_field(v)
                     for v in column]]
        local = [None if v is None else v[:19] if len(v) == 25 and v[19:] == _LOCAL_OFFSET
                 else _stamp(v) for v in column]
        return [[None if v is None else _datetime_or_text(v) for v in local]]


_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
_LOCAL_OFFSET = "+07:00"  # Vietnam has kept UTC+7 all year since 1975


def _stamp(value: str) -> str:
    """Local "YYYY-MM-DDTHH:MM:SS" for an ISO time, or the text as it is."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(LOCAL_TZ)
    return moment.replace(tzinfo=None).isoformat("T", "seconds")


def _stamp_field(value: str) -> str:
    """A metadata time as a CSV field."""
    local = _stamp(value)
    return local[:10] + " " + local[11:] if len(local) == 19 else csv_field(local)


def _datetime_or_text(value: str) -> Cell:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return value


def _number_or_text(value: str) -> Cell:
    """Digits (PostgreSQL's text of a number) as int or float; anything else as text."""
    if not _NUMBER.fullmatch(value):
        return value
    return float(value) if any(c in value for c in ".eE") else int(value)


def _names(value: str) -> list[str]:
    """The options of a multiple choice: stored as a JSON list (or, oddly, one name, or
    names separated by spaces)."""
    try:
        chosen = json.loads(value)
    except ValueError:
        return value.split()
    return [str(c) for c in chosen] if isinstance(chosen, list) else [str(chosen)]


def _date(value: str) -> Cell:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return value


async def _write_csv(table: _Table, batches: Any, out: BinaryIO) -> int:
    async def columns() -> AsyncIterator[list[Sequence[Cell]]]:
        async for batch in batches:
            yield table.cells(batch)

    return await write_csv_columns([column.header for column in table.columns], columns(),
                                   out)


async def _write_xlsx(table: _Table, batches: Any, out: BinaryIO, *, sheet: str) -> int:
    with xlsx_workbook(out) as workbook:
        worksheet = StreamingSheet(
            workbook, sheet_name(sheet, "survey"),
            [(column.header, _WIDTHS[column.kind]) for column in table.columns])
        write = worksheet.write
        # Counted while the rows stream by, for the sheet of charts.
        counted = [chart.column for chart in table.charts if chart.column is not None] + [
            column for chart in table.charts for _o, column in chart.options
            if column is not None]
        counts: dict[int, Counter] = {column: Counter() for column in counted}
        async for batch in batches:
            for row in table.rows(batch):
                write(row)
                for column in counted:
                    counts[column][row[column]] += 1
        worksheet.finish()
        _add_charts(workbook, table, counts, worksheet.bold)
    return worksheet.rows


def _add_charts(workbook: Any, table: _Table, counts: dict[int, Counter], bold: Any) -> None:
    """A sheet with, for each choice question, the count of each option and Excel's own bar
    chart of them (numbers, not formulas: every spreadsheet shows them without recalculating)."""
    if not table.charts:
        return
    charts_sheet = sheet_name(table.charts_sheet, "charts")
    sheet = workbook.add_worksheet(charts_sheet)
    sheet.set_column(0, 0, 40)
    sheet.set_column(1, 1, 10)
    top = 0
    for chart_spec in table.charts:
        sheet.write_string(top, 0, chart_spec.title, bold)
        for offset, (shown, column) in enumerate(chart_spec.options, 1):
            count = counts[column][1] if column is not None else \
                counts[chart_spec.column][shown]
            sheet.write_string(top + offset, 0, shown)
            sheet.write_number(top + offset, 1, count)
        last = top + len(chart_spec.options)
        chart = workbook.add_chart({"type": "bar"})
        chart.add_series({"categories": [charts_sheet, top + 1, 0, last, 0],
                          "values": [charts_sheet, top + 1, 1, last, 1],
                          "data_labels": {"value": True}})
        chart.set_title({"name": chart_spec.title, "name_font": {"size": 11}})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True})  # the options top-down, in the form's order
        sheet.insert_chart(top, 3, chart, {"x_scale": 1.3, "y_scale": 1.0})
        top = max(last + 2, top + CHART_ROWS)

