"""What every export for staff shares (survey responses, fair registrations): CSV in UTF-8
with a byte-order mark and formulas made inert, and Excel sheets streamed with XlsxWriter
(bold frozen header, autofilter, typed cells, local times as real date cells).

Rows come in batches and are written as they come, so memory stays flat however many rows
there are.
"""

from __future__ import annotations

import codecs
import csv
import io
import shutil
import tempfile
from collections.abc import AsyncIterable, Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any, BinaryIO

import xlsxwriter

from handlers.i18n import LOCAL_TZ

Cell = str | int | float | date | None

# A spreadsheet reads a cell starting with one of these as a formula (OWASP, CSV injection).
FORMULA_START = frozenset("=+-@\t\r")


def inert(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (a leading quote, as OWASP
    advises)."""
    return "'" + value if value and value[0] in FORMULA_START else value


def csv_field(value: str) -> str:
    """A text cell as a CSV field: inert, and quoted as the csv module quotes (only when it
    holds a comma, a quote or a line break)."""
    if value and value[0] in FORMULA_START:
        value = "'" + value
    if "," in value or '"' in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_fields(column: Sequence[str | None]) -> list[str]:
    """A column of text cells as CSV fields (None as empty), as csv_field makes each.

    The column is looked at whole first (the first characters joined, then all of it
    joined, scanned in C): most columns of a batch need nothing done, and the others are
    done in comprehensions, since a Python call per cell would cost more than all the rest."""
    if None in column:
        column = ["" if v is None else v for v in column]
    if _formula_start(column):
        starts = FORMULA_START
        column = ["'" + v if v[:1] in starts else v for v in column]
    if _needs_quotes(column):
        return ['"' + v.replace('"', '""') + '"'
                if "," in v or '"' in v or "\n" in v or "\r" in v else v for v in column]
    return list(column)


def plain_csv(column: Sequence[str]) -> bool:
    """Whether every cell of a column of text is a CSV field as it is (nothing to quote or
    make inert)."""
    return not _formula_start(column) and not _needs_quotes(column)


_FIRST = itemgetter(slice(None, 1))


def _formula_start(column: Sequence[str]) -> bool:
    heads = "".join(map(_FIRST, column))
    return any(start in heads for start in FORMULA_START)


def _needs_quotes(column: Sequence[str]) -> bool:
    joined = "\n".join(column)
    return (joined.count("\n") >= len(column) or "," in joined or '"' in joined
            or "\r" in joined)


def local_time(moment: datetime | str) -> datetime:
    """A time from the database (aware, or ISO text in UTC from SQLite) as a naive local time
    in Vietnam, to the second: what a spreadsheet shows and sorts."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_TZ).replace(tzinfo=None, microsecond=0)


def csv_time(moment: datetime) -> str:
    """A naive local time as CSV text ("2026-12-06 08:30:00")."""
    return moment.isoformat(" ", "seconds")


def sheet_name(name: str, default: str = "export") -> str:
    """An Excel sheet name: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join("_" if c in "[]:*?/\\" else c for c in name)[:31]
    return cleaned or default


async def write_csv(header: Sequence[str], batches: AsyncIterable[Sequence[Sequence[Cell]]],
                    out: BinaryIO) -> int:
    """Write the header and every batch of rows (cells already as CSV text, made inert);
    returns how many rows."""
    # UTF-8 with a byte-order mark: how Excel knows the file is UTF-8 (Vietnamese).
    out.write(codecs.BOM_UTF8)
    rows = 0
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(map(inert, header))  # headers are survey labels, typed by people
    async for batch in batches:
        writer.writerows(batch)
        rows += len(batch)
        out.write(buffer.getvalue().encode("utf-8", "replace"))
        buffer.seek(0)
        buffer.truncate()
    out.write(buffer.getvalue().encode("utf-8", "replace"))
    return rows


async def write_csv_columns(header: Sequence[str],
                            batches: AsyncIterable[Sequence[Sequence[str]]],
                            out: BinaryIO) -> int:
    """Write the header and every batch of rows, a batch given as its columns of CSV fields
    (csv_field: inert and quoted); returns how many rows. What write_csv writes, without
    the csv module's work per cell."""
    out.write(codecs.BOM_UTF8)
    buffer = io.StringIO()
    csv.writer(buffer).writerow(map(inert, header))
    out.write(buffer.getvalue().encode("utf-8", "replace"))
    rows = 0
    async for columns in batches:
        if not columns or not columns[0]:
            continue
        rows += len(columns[0])
        lines = "\r\n".join(map(",".join, zip(*columns, strict=True)))
        out.write((lines + "\r\n").encode("utf-8", "replace"))
    return rows


GROUPED_FROM = 10_000  # numbers shown with thousands separators in Excel exports


@contextmanager
def xlsx_workbook(out: BinaryIO) -> Iterator[Any]:
    """An XlsxWriter workbook that streams its rows (constant_memory), copied to `out` when
    the block ends without an error."""
    # XlsxWriter streams rows to temporary files and zips them at close; the zip needs a
    # seekable file, which `out` (a pipe, say) may not be.
    with tempfile.TemporaryFile() as target:
        workbook = xlsxwriter.Workbook(target, {"constant_memory": True})
        try:
            yield workbook
        finally:
            workbook.close()
        target.seek(0)
        shutil.copyfileobj(target, out, 1 << 20)


class StreamingSheet:
    """A worksheet written top to bottom: a bold, frozen header row with column widths, then
    rows of typed cells (text, numbers, naive local datetimes and dates as date cells), then
    an autofilter over what was written (`finish`)."""

    def __init__(self, workbook: Any, name: str, columns: Sequence[tuple[str, float]]) -> None:
        self.workbook = workbook
        self.worksheet = worksheet = workbook.add_worksheet(name)
        self.bold = workbook.add_format({"bold": True})
        self.rows = 0
        self._width = len(columns)
        for index, (header, width) in enumerate(columns):
            worksheet.set_column(index, index, width)
            worksheet.write_string(0, index, header, self.bold)
        worksheet.freeze_panes(1, 0)
        # As staff in Vietnam read them: day first; amounts in đồng with thousands separated
        # (1500000000 read badly), from 10,000 so that years and counts stay as they are.
        time_format = workbook.add_format({"num_format": "dd/mm/yyyy hh:mm"})
        date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
        grouped = workbook.add_format({"num_format": "#,##0"})
        write_datetime = worksheet.write_datetime

        def write_time(r: int, c: int, value: datetime) -> None:
            write_datetime(r, c, value, time_format)

        def write_date(r: int, c: int, value: date) -> None:
            write_datetime(r, c, value, date_format)

        plain_number = worksheet.write_number

        def write_number(r: int, c: int, value: float) -> None:
            if abs(value) >= GROUPED_FROM and float(value).is_integer():
                plain_number(r, c, value, grouped)
            else:
                plain_number(r, c, value)

        self._writers: dict[type, Callable[[int, int, Any], Any]] = {
            str: worksheet.write_string, int: write_number, float: write_number,
            datetime: write_time, date: write_date}

    def write(self, row: Sequence[Cell]) -> None:
        """Append one row (None leaves a cell empty)."""
        self.rows += 1
        rows, writers = self.rows, self._writers
        for col, value in enumerate(row):
            if value is not None:
                writers[type(value)](rows, col, value)

    def finish(self) -> None:
        if self.rows:
            self.worksheet.autofilter(0, 0, self.rows, self._width - 1)
