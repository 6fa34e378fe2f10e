"""`khuyencong fairs import|list` and `export registrations`: the operator's side of fairs.

An import file (CSV or XLSX, one fair a row, a header row naming the columns of COLUMNS)
creates or updates fairs by code in one transaction: every invalid row is reported with its
line and column, and then nothing is imported.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from bot.admin_cli import cli_actor, export_to, print_table, record_export, with_uow
from handlers.fairs import booking, notices
from handlers.fairs.admin import MAX_BOOTHS, deadline_at, parse_reminder_days
from handlers.fairs.export import export_registrations as write_registrations
from handlers.fairs.jobs import schedule_fair
from handlers.forms.numbers import parse_number
from handlers.i18n import LOCAL_TZ, Translator
from storage.fairs import is_taking_registrations
from storage.models import Fair, FairStatus, RegistrationStatus
from storage.uow import UnitOfWork

REQUIRED = ("code", "name_vi", "place_vi", "starts_on", "ends_on", "registration_deadline",
            "booths")
COLUMNS = (*REQUIRED, "name_en", "place_en", "max_booths_per_establishment", "support_vi",
           "support_en", "support_max_vnd", "offer_hours", "reminder_days", "status")
DEFAULTS = {"max_booths_per_establishment": 1, "offer_hours": 48, "reminder_days": [7, 1]}

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{1,31}")
_REMINDER_DAYS = re.compile(r" *[0-9]{1,2}( *, *[0-9]{1,2}){0,4} *")
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
_TIME_FORMATS = tuple(f"{day}{sep}{clock}" for day in _DATE_FORMATS for sep in (" ", "T")
                      for clock in ("%H:%M", "%H:%M:%S"))
_MAX_TEXT = 200


class _Invalid(ValueError):
    """A cell that cannot be what its column says; the message says what is expected."""


@dataclass
class _Problems:
    file: str
    found: list[tuple[int, str, str]] = field(default_factory=list)

    def add(self, line: int, column: str, message: str) -> None:
        self.found.append((line, column, message))

    def report(self) -> None:
        for line, column, message in sorted(self.found, key=lambda p: p[0]):
            print(f"{self.file}:{line}:{column}: {message}")
        print(f"{len(self.found)} problem(s): nothing imported", file=sys.stderr)


@dataclass(frozen=True)
class _Row:
    line: int
    values: dict[str, Any]  # the fair's columns
    status: FairStatus | None  # None: a new fair is a draft, an existing one keeps its own


# --- import ---------------------------------------------------------------------------------

async def import_fairs(database_url: str, file: str,
                       translators: dict[str, Translator]) -> int:
    """Create or update the fairs of a CSV or XLSX file, all or nothing."""
    problems = _Problems(file)
    try:
        header, lines = _read_table(Path(file))
    except (OSError, ValueError) as error:
        print(f"{file}: {error}", file=sys.stderr)
        return 1
    columns = _check_header(header, problems)
    if problems.found:
        problems.report()
        return 1
    now = datetime.now(UTC)
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for line, cells in lines:
        raw = {name: cells[index] if index < len(cells) else None
               for name, index in columns.items()}
        row = _parse_row(line, raw, problems)
        if row is None:
            continue
        code = row.values["code"].lower()
        if code in seen:
            problems.add(line, "code", f"{row.values['code']} is already on line {seen[code]}")
            continue
        seen[code] = line
        rows.append(row)
    if not rows and not problems.found:
        print(f"{file}: no fair in it (a header row, then one fair a row)", file=sys.stderr)
        return 1

    async def run(uow: UnitOfWork) -> int:
        actor = cli_actor()
        done: list[tuple[str, Fair]] = []
        passed: list[booking.Notice] = []
        changes: dict[str, list[str]] = {}
        for row in rows:
            before = await _details_of(uow, row.values["code"])
            outcome = await _apply(uow, row, now, actor, problems)
            if outcome is not None:
                done.append((outcome[0], outcome[1]))
                passed += outcome[2]
                if before is not None:
                    changes[outcome[1].code] = sorted(
                        name for name, value in _details(outcome[1]).items()
                        if before.get(name) != value)
        if problems.found:
            problems.report()
            return 1  # the unit of work rolls back: nothing imported
        await notices.send(uow, translators, passed, now)
        told = 0
        for _what, fair in done:
            # As the chat's edit does: the reminders already sent gave the old dates.
            if set(changes.get(fair.code, ())) & _MOVED:
                told += await notices.moved(uow, translators, fair, now)
        created = [fair.code for what, fair in done if what == "created"]
        updated = [fair.code for what, fair in done if what == "updated"]
        await uow.audit.record(actor=actor, action="fair.import", target=Path(file).name,
                               now=now, details={"created": created, "updated": updated,
                                                 "offered": len(passed), "changed": changes,
                                                 "told": told})
        await uow.commit()
        for what, fair in done:
            # What an update changed, so a row that left out the English name or the support
            # (a row is the whole fair) is seen to have cleared them.
            changed = changes.get(fair.code)
            said = f": {', '.join(changed)} changed" if changed else (
                ": nothing changed" if what == "updated" else "")
            print(f"{what} {fair.code} ({fair.status}){said}")
        print(f"imported {len(done)} fair(s) from {file}: {len(created)} created, "
              f"{len(updated)} updated")
        if passed:
            print(f"{len(passed)} waitlisted registration(s) offered a booth")
        if told:
            print(f"{told} registered establishment(s) told the new dates or place")
        return 0

    return await with_uow(database_url, run)


_MOVED = {"starts_on", "ends_on", "place"}  # changes registrants are told of


def _details(fair: Fair) -> dict[str, Any]:
    """A fair's columns an import may change, to say which it changed."""
    return {"name": dict(fair.name or {}), "place": dict(fair.place or {}),
            "support": dict(fair.support or {}), "support_max_vnd": fair.support_max_vnd,
            "starts_on": fair.starts_on, "ends_on": fair.ends_on,
            "registration_deadline": fair.registration_deadline, "booths": fair.booths,
            "max_booths_per_establishment": fair.max_booths_per_establishment,
            "offer_hours": fair.offer_hours, "reminder_days": list(fair.reminder_days or ()),
            "status": str(fair.status)}


async def _details_of(uow: UnitOfWork, code: str) -> dict[str, Any] | None:
    fair = await uow.fairs.by_code(code)
    return None if fair is None else _details(fair)


async def _apply(uow: UnitOfWork, row: _Row, now: datetime, actor: str, problems: _Problems
                 ) -> tuple[str, Fair, list[booking.Notice]] | None:
    """Create or update one fair, plan its jobs and offer free booths to its waitlist."""
    values = dict(row.values)
    code = values.pop("code")
    booths = values.pop("booths")
    existing = await uow.fairs.by_code(code)
    if existing is None:
        status = row.status or FairStatus.DRAFT
        if status == FairStatus.OPEN and values["registration_deadline"] <= now:
            problems.add(row.line, "status", "the registration deadline has passed: a new "
                         "fair cannot be open")
            return None
        fair = await uow.fairs.add(code=code, booths=booths, status=status, created_at=now,
                                   updated_at=now, updated_by=actor, **values)
        await schedule_fair(uow, fair, now)
        return "created", fair, await booking.promote(uow, fair, now)
    fair = await uow.fairs.lock(existing.id)
    assert fair is not None
    status = row.status or FairStatus(fair.status)
    if status == FairStatus.OPEN and fair.status != FairStatus.OPEN and \
            values["registration_deadline"] <= now:
        problems.add(row.line, "status", "the registration deadline has passed: the fair "
                     "cannot be opened")
        return None
    for name, value in values.items():
        setattr(fair, name, value)
    fair.status, fair.updated_at, fair.updated_by = status, now, actor
    try:
        # Through the booking rules: fewer booths than are given is refused, more are
        # offered to the waitlist (and so are booths a longer deadline frees up).
        passed = await booking.set_booths(uow, fair.id, booths, now)
    except booking.BookingRefused:
        held = await uow.fairs.held_booths(fair.id)
        problems.add(row.line, "booths", f"{held} booths of {fair.code} are already given to "
                     f"establishments: reject or cancel registrations before lowering it "
                     f"to {booths}")
        return None
    await schedule_fair(uow, fair, now)
    return "updated", fair, passed


def _check_header(header: list[Any], problems: _Problems) -> dict[str, int]:
    """Column name -> its index; problems on line 1 for unknown, repeated or missing ones."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = str(cell or "").strip().lower()
        if not name:
            continue
        if name not in COLUMNS:
            problems.add(1, name, f"unknown column (the columns are: {', '.join(COLUMNS)})")
        elif name in columns:
            problems.add(1, name, "this column is there twice")
        else:
            columns[name] = index
    for name in REQUIRED:
        if name not in columns:
            problems.add(1, name, "this column is missing")
    return columns


def _parse_row(line: int, raw: dict[str, Any], problems: _Problems) -> _Row | None:
    """A row's cells as a fair's columns, or None after adding its problems."""
    before = len(problems.found)
    values: dict[str, Any] = {}

    def cell(name: str, parse: Callable[[Any], Any], *, required: bool = False) -> Any:
        value = raw.get(name)
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            if required:
                problems.add(line, name, "this cell is required")
            return None
        try:
            return parse(value)
        except _Invalid as error:
            problems.add(line, name, str(error))
            return None

    values["code"] = cell("code", _code, required=True)
    for prefix in ("name", "place", "support"):
        texts = {lang: cell(f"{prefix}_{lang}", _text, required=prefix != "support" and
                            lang == "vi") for lang in ("vi", "en")}
        values[prefix] = {lang: text for lang, text in texts.items() if text}
    starts_on = cell("starts_on", _date, required=True)
    ends_on = cell("ends_on", _date, required=True)
    deadline = cell("registration_deadline", _deadline, required=True)
    booths = cell("booths", _integer(1, MAX_BOOTHS), required=True)
    most = cell("max_booths_per_establishment", _integer(1, MAX_BOOTHS))
    values["support_max_vnd"] = cell("support_max_vnd", _integer(0, 2_000_000_000))
    offer_hours = cell("offer_hours", _integer(1, 720))
    reminder_days = cell("reminder_days", _reminder_days)
    status = cell("status", _status)
    if starts_on and ends_on and ends_on < starts_on:
        problems.add(line, "ends_on", "the last day is before the first day (starts_on)")
    # As the chat's form has it: the last day to register is before the opening day (a
    # deadline on that day, 23:59 without a time, fell after the fair had opened).
    if starts_on and deadline and deadline.astimezone(LOCAL_TZ).date() >= starts_on:
        problems.add(line, "registration_deadline", "registration must close before the "
                     "day the fair starts (starts_on)")
    if booths and most and most > booths:
        problems.add(line, "max_booths_per_establishment", "more than the fair's booths")
    if len(problems.found) > before:
        return None
    values.update(
        booths=booths, starts_on=starts_on, ends_on=ends_on, registration_deadline=deadline,
        max_booths_per_establishment=most or DEFAULTS["max_booths_per_establishment"],
        offer_hours=offer_hours or DEFAULTS["offer_hours"],
        reminder_days=reminder_days if reminder_days is not None else
        list(DEFAULTS["reminder_days"]))
    return _Row(line, values, status)


def _code(value: Any) -> str:
    text = _plain(value)
    if not _CODE.fullmatch(text):
        raise _Invalid(f"{text!r} is not a fair code: 2 to 32 letters, digits, dashes or "
                       "underscores, for example HC-2027-01")
    return text


def _text(value: Any) -> str:
    text = _plain(value)
    if len(text) > _MAX_TEXT:
        raise _Invalid(f"longer than {_MAX_TEXT} characters")
    return text


def _plain(value: Any) -> str:
    """A cell as text (a whole number typed into a spreadsheet comes back as 2027.0)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value: Any) -> date:
    if isinstance(value, datetime):  # a date cell of a spreadsheet
        if value.time() != time(0):
            raise _Invalid("a day without a time is expected here")
        return value.date()
    if isinstance(value, date):
        return value
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(str(value).strip(), pattern).date()
        except ValueError:
            pass
    raise _Invalid(f"{value!r} is not a date: write dd/mm/yyyy (for example 15/03/2027) or "
                   "yyyy-mm-dd")


def _deadline(value: Any) -> datetime:
    """A day (registration closes at 23:59 that day) or a day and a time, Vietnam's time."""
    if isinstance(value, datetime):  # a spreadsheet's date (midnight) or date and time
        if value.time() == time(0):
            return deadline_at(value.date())
        return value.replace(second=0, microsecond=0, tzinfo=LOCAL_TZ)
    if isinstance(value, date):
        return deadline_at(value)
    text = str(value).strip()
    for pattern in _DATE_FORMATS:
        try:
            return deadline_at(datetime.strptime(text, pattern).date())
        except ValueError:
            pass
    for pattern in _TIME_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(second=0, tzinfo=LOCAL_TZ)
        except ValueError:
            pass
    raise _Invalid(f"{value!r} is not a date: write dd/mm/yyyy (registration closes at 23:59 "
                   "that day) or dd/mm/yyyy hh:mm, or yyyy-mm-dd [hh:mm]")


def _integer(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int | float):
            number = value if float(value).is_integer() else None
        else:
            number = parse_number(str(value), integer=True)
        if number is None or not low <= number <= high:
            raise _Invalid(f"{value!r} is not a whole number from {low} to {high}")
        return int(number)

    return parse


def _reminder_days(value: Any) -> list[int]:
    text = _plain(value)
    if not _REMINDER_DAYS.fullmatch(text):
        raise _Invalid(f"{text!r}: write up to five numbers of days separated by commas, for "
                       "example 7,1 (as text in a spreadsheet)")
    return parse_reminder_days(text)


def _status(value: Any) -> FairStatus:
    try:
        return FairStatus(_plain(value).lower())
    except ValueError:
        raise _Invalid(f"{value!r} is not a status: draft, open or closed") from None


def _read_table(path: Path) -> tuple[list[Any], Iterator[tuple[int, list[Any]]]]:
    """The header row and the other non-empty rows with their line numbers."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix == ".csv":
        return _read_csv(path)
    raise ValueError("not a .csv or .xlsx file")


def _read_xlsx(path: Path) -> tuple[list[Any], Iterator[tuple[int, list[Any]]]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises zipfile's, KeyError and its own
        raise ValueError(f"cannot read it as an Excel workbook ({type(error).__name__})"
                         ) from None
    try:
        table = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()
    return _split(list(enumerate(table, 1)))


def _read_csv(path: Path) -> tuple[list[Any], Iterator[tuple[int, list[Any]]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text: save it as \"CSV UTF-8\"") from None
    first = text.partition("\n")[0]
    # A spreadsheet set to Vietnamese writes CSV with semicolons (its decimal mark is a comma).
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table = []
    start = 1
    for record in reader:
        table.append((start, record))
        start = reader.line_num + 1  # a quoted cell may span lines
    return _split(table)


def _split(table: list[tuple[int, list[Any]]]
           ) -> tuple[list[Any], Iterator[tuple[int, list[Any]]]]:
    def filled(cells: list[Any]) -> bool:
        return any(cell is not None and str(cell).strip() for cell in cells)

    rows = [(line, cells) for line, cells in table if filled(cells)]
    if not rows:
        raise ValueError("it is empty")
    (_line, header), *others = rows
    return header, iter(others)


# --- list and export ------------------------------------------------------------------------

async def list_fairs(database_url: str) -> int:
    """A table of the fairs with their booths and waitlists."""

    async def run(uow: UnitOfWork) -> int:
        now = datetime.now(UTC)
        fairs = await uow.fairs.listed()
        if not fairs:
            print("no fair yet: khuyencong fairs import FILE")
            return 0
        held = await uow.fairs.held_booths_by_fair()
        rows = [("code", "name (vi)", "dates", "deadline", "status", "booths held/total",
                 "waitlist")]
        for fair in fairs:
            counts = await uow.registrations.counts(fair.id)
            name = fair.name.get("vi") or next(iter(fair.name.values()), "")
            deadline = fair.registration_deadline.astimezone(LOCAL_TZ)
            rows.append((fair.code, name, f"{fair.starts_on:%d/%m/%Y}–{fair.ends_on:%d/%m/%Y}",
                         f"{deadline:%d/%m/%Y %H:%M}",
                         "open, deadline passed" if fair.status == FairStatus.OPEN and
                         not is_taking_registrations(fair, now) else fair.status,
                         f"{held.get(fair.id, 0)}/{fair.booths}",
                         str(counts.get(RegistrationStatus.WAITLISTED, 0))))
        print_table(rows, numbers_from=5)
        return 0

    return await with_uow(database_url, run)


async def export_registrations(database_url: str, code: str, fmt: str, output: str,
                               translator: Translator) -> int:
    """Export a fair's registrants and waitlist to a file; audit-logged."""

    exported: list[str] = []  # the fair's code as stored

    async def write(uow: UnitOfWork, out: Any) -> int:
        fair = await uow.fairs.by_code(code)
        if fair is None:
            raise LookupError(code)
        exported.append(fair.code)
        return await write_registrations(uow, fair, fmt, out, translator=translator)

    try:
        rows = await export_to(database_url, output, write)
    except LookupError:
        print(f"no fair with the code {code!r}: see khuyencong fairs list", file=sys.stderr)
        return 1
    await record_export(database_url, "export.registrations", exported[0],
                        {"format": fmt, "registrations": rows})
    if output != "-":
        print(f"{rows} registrations written to {output}", file=sys.stderr)
    return 0
