"""Fairs for the operator: `khuyencong fairs import|list` and `export registrations`, and the
registrations export as staff open it (CSV in a spreadsheet, Excel with openpyxl)."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from bot.cli import main
from handlers.fairs import booking
from handlers.fairs.export import EXPORT_FORMATS, export_registrations
from handlers.i18n import LOCAL_TZ, load_translators
from storage.db import create_engine, create_session_factory
from storage.models import AuditEntry, Fair, FairStatus, Job, OutboxMessage
from storage.uow import UnitOfWork

# Registrations are made at this time; fairs are in 2027, so the real clock of an import is
# before their deadlines.
NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
THANH_DONG = "10507"  # Phường Thành Đông
EXPORT_XLSX = EXPORT_FORMATS["xlsx"]

HEADER = ["code", "name_vi", "name_en", "place_vi", "place_en", "starts_on", "ends_on",
          "registration_deadline", "booths", "max_booths_per_establishment", "support_vi",
          "support_en", "support_max_vnd", "offer_hours", "reminder_days", "status"]
GOOD = [
    ["HC-2027-01", "Hội chợ Công Thương vùng Đồng bằng sông Hồng", "Red River Delta Trade Fair",
     "Trung tâm Hội chợ Hải Phòng", "Hai Phong Fair Centre", "15/03/2027", "18/03/2027",
     "01/03/2027", "10", "2", "50% tiền thuê gian hàng", "50% of the booth rent",
     "15 triệu", "24", "7, 1", "open"],
    ["HC-2027-02", "Triển lãm sản phẩm CNNT tiêu biểu", "", "Cung Văn hóa Lao động", "",
     "2027-05-01", "2027-05-03", "2027-04-20 17:30", "5", "", "", "", "", "", "", ""],
]


@pytest.fixture
async def factory(database_url: str) -> AsyncIterator:
    engine = create_engine(database_url)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
def cli_env(database_url: str, locales_dir: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LOCALES_DIR", str(locales_dir))
    monkeypatch.setenv("USER", "operator1")
    return database_url


async def run_cli(*args: str) -> int:
    # main() runs its own event loop.
    return await asyncio.to_thread(main, list(args))


def write_csv(path: Path, rows: list[list[str]], *, delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list]) -> Path:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


def partial_files(directory: Path) -> list[Path]:
    return list(directory.glob("*.part"))


async def fairs(factory) -> list[Fair]:
    async with UnitOfWork(factory) as uow:
        return await uow.fairs.listed()


async def all_of(factory, model) -> list:
    async with factory() as session:
        return list((await session.execute(select(model))).scalars())


async def register(factory, fair_id: int, n: int, *, name: str | None = None,
                   answers: dict | None = None, now: datetime = NOW) -> int:
    """Establishment n registers (through user n) for one booth; returns the registration."""
    async with UnitOfWork(factory) as uow:
        user = await uow.users.get_for_update("console", f"owner-{n}", locale="vi",
                                              display_name=None, now=now)
        establishment = await uow.establishments.record(
            f"{n:010d}", name=name or f"Cơ sở {n}", commune=THANH_DONG, sector="handicraft",
            now=now)
        booked = await booking.register(
            uow, fair_id, establishment_id=establishment.id, user_id=user.id, booths=1,
            answers=answers or {"contact_name": f"Người {n}", "contact_phone": "0912345678",
                                "products": "Mây tre đan"}, now=now)
        await uow.commit()
        return booked.registration.id


# --- import ---------------------------------------------------------------------------------

async def test_import_a_csv_creates_fairs_plans_their_jobs_and_is_audited(
        cli_env: str, factory, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_cli("fairs", "import", str(write_csv(tmp_path / "f.csv",
                                                          [HEADER, *GOOD]))) == 0
    out = capsys.readouterr().out
    assert "created HC-2027-01 (open)" in out and "created HC-2027-02 (draft)" in out
    first, second = await fairs(factory)
    assert first.name == {"vi": "Hội chợ Công Thương vùng Đồng bằng sông Hồng",
                          "en": "Red River Delta Trade Fair"}
    assert first.support == {"vi": "50% tiền thuê gian hàng", "en": "50% of the booth rent"}
    assert (first.starts_on, first.ends_on) == (date(2027, 3, 15), date(2027, 3, 18))
    assert first.registration_deadline == datetime(2027, 3, 1, 23, 59, tzinfo=LOCAL_TZ)
    assert (first.booths, first.max_booths_per_establishment, first.support_max_vnd,
            first.offer_hours, first.reminder_days, first.status) == (
        10, 2, 15_000_000, 24, [7, 1], FairStatus.OPEN)
    assert first.updated_by == "cli:operator1"
    # Defaults, and a deadline with its time.
    assert second.name == {"vi": "Triển lãm sản phẩm CNNT tiêu biểu"} and second.support == {}
    assert second.registration_deadline == datetime(2027, 4, 20, 17, 30, tzinfo=LOCAL_TZ)
    assert (second.max_booths_per_establishment, second.offer_hours, second.reminder_days,
            second.status, second.support_max_vnd) == (1, 48, [7, 1], FairStatus.DRAFT, None)
    # The open fair's deadline and reminders are planned; the draft has no jobs.
    keys = sorted(job.key for job in await all_of(factory, Job)
                  if job.key and job.key.startswith("fair:"))
    assert keys == [f"fair:{first.id}:deadline:{int(first.registration_deadline.timestamp())}",
                    f"fair:{first.id}:remind:1:2027-03-15", f"fair:{first.id}:remind:7:2027-03-15"]
    (entry,) = await all_of(factory, AuditEntry)
    assert (entry.actor, entry.action, entry.target, entry.details) == (
        "cli:operator1", "fair.import", "f.csv",
        {"created": ["HC-2027-01", "HC-2027-02"], "updated": [], "offered": 0, "changed": {},
         "told": 0})


async def test_import_an_xlsx_with_date_cells_and_numbers(
        cli_env: str, factory, tmp_path: Path) -> None:
    rows = [HEADER,
            ["HC-X1", "Hội chợ Excel", None, "Hà Nội", None, datetime(2027, 6, 10),
             datetime(2027, 6, 12), datetime(2027, 6, 1), 8, 1, None, None, 20000000, 72,
             "3", "open"],
            [None] * len(HEADER),  # an empty row is skipped
            ["HC-X2", "Hội chợ giờ", None, "Huế", None, "10/07/2027", "11/07/2027",
             datetime(2027, 7, 1, 16, 45), 3.0, None, None, None, None, None, 7, "Closed"]]
    assert await run_cli("fairs", "import", str(write_xlsx(tmp_path / "f.xlsx", rows))) == 0
    first, second = await fairs(factory)
    assert (first.code, first.starts_on, first.booths, first.support_max_vnd,
            first.offer_hours, first.reminder_days) == (
        "HC-X1", date(2027, 6, 10), 8, 20_000_000, 72, [3])
    assert first.registration_deadline == datetime(2027, 6, 1, 23, 59, tzinfo=LOCAL_TZ)
    assert second.registration_deadline == datetime(2027, 7, 1, 16, 45, tzinfo=LOCAL_TZ)
    assert (second.booths, second.reminder_days, second.status) == (3, [7], "closed")


async def test_every_bad_row_is_reported_with_its_line_and_nothing_is_imported(
        cli_env: str, factory, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = [HEADER, GOOD[0],
           ["x", "", "", "Hà Nội", "", "32/01/2027", "01/02/2027", "01/01/2027", "0", "", "",
            "", "", "", "7;1", "maybe"],
           ["HC-3", "Tên", "", "Huế", "", "10/02/2027", "01/02/2027", "15/02/2027", "4", "5",
            "", "", "-1", "0", "", ""],
           GOOD[1], ["hc-2027-01", *GOOD[0][1:]]]
    path = write_csv(tmp_path / "bad.csv", bad, delimiter=";")  # as Excel in Vietnamese saves
    assert await run_cli("fairs", "import", str(path)) == 1
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert lines == [
        f"{path}:3:code: 'x' is not a fair code: 2 to 32 letters, digits, dashes or "
        "underscores, for example HC-2027-01",
        f"{path}:3:name_vi: this cell is required",
        f"{path}:3:starts_on: '32/01/2027' is not a date: write dd/mm/yyyy (for example "
        "15/03/2027) or yyyy-mm-dd",
        f"{path}:3:booths: '0' is not a whole number from 1 to 1000",
        f"{path}:3:reminder_days: '7;1': write up to five numbers of days separated by "
        "commas, for example 7,1 (as text in a spreadsheet)",
        f"{path}:3:status: 'maybe' is not a status: draft, open or closed",
        f"{path}:4:support_max_vnd: '-1' is not a whole number from 0 to 2000000000",
        f"{path}:4:offer_hours: '0' is not a whole number from 1 to 720",
        f"{path}:4:ends_on: the last day is before the first day (starts_on)",
        f"{path}:4:registration_deadline: registration must close before the day the fair "
        "starts (starts_on)",
        f"{path}:4:max_booths_per_establishment: more than the fair's booths",
        f"{path}:6:code: hc-2027-01 is already on line 2"]
    assert "12 problem(s): nothing imported" in out.err
    assert await fairs(factory) == [] and await all_of(factory, AuditEntry) == []


async def test_a_bad_header_is_reported_on_line_1(cli_env: str, factory, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    header = [c for c in HEADER if c != "booths"] + ["booth"]
    path = write_xlsx(tmp_path / "h.xlsx", [header, GOOD[0][:8] + GOOD[0][9:] + ["10"]])
    assert await run_cli("fairs", "import", str(path)) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{path}:1:booth: unknown column (the columns are: code, ")
    assert out[1] == f"{path}:1:booths: this column is missing"
    assert await fairs(factory) == []
    assert await run_cli("fairs", "import", str(tmp_path / "none.csv")) == 1
    (tmp_path / "f.txt").write_text("code\n")
    assert await run_cli("fairs", "import", str(tmp_path / "f.txt")) == 1
    assert "not a .csv or .xlsx file" in capsys.readouterr().err


async def test_an_update_by_code_moves_booths_through_the_booking_rules(
        cli_env: str, factory, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime.now(UTC)
    row = [*GOOD[0]]
    row[8] = "2"  # booths
    row[9] = "1"
    assert await run_cli("fairs", "import", str(write_csv(tmp_path / "a.csv",
                                                          [HEADER, row]))) == 0
    (fair,) = await fairs(factory)
    for n in range(1, 5):  # two confirmed, two waitlisted
        await register(factory, fair.id, n, now=now)
    # Fewer booths than are given: refused for that row, and the other row is not imported.
    row[8], row[1] = "1", "Tên mới"
    path = write_csv(tmp_path / "b.csv", [HEADER, GOOD[1], row])
    capsys.readouterr()
    assert await run_cli("fairs", "import", str(path)) == 1
    assert capsys.readouterr().out == (
        f"{path}:3:booths: 2 booths of HC-2027-01 are already given to establishments: reject "
        "or cancel registrations before lowering it to 1\n")
    (fair,) = await fairs(factory)
    assert (fair.booths, fair.name["vi"]) == (2, GOOD[0][1])
    # More booths: the first on the waitlist is offered one, and told.
    row[8] = "3"
    assert await run_cli("fairs", "import", str(write_csv(tmp_path / "c.csv",
                                                          [HEADER, row]))) == 0
    assert "updated HC-2027-01 (open): booths, name changed" in capsys.readouterr().out
    async with UnitOfWork(factory) as uow:
        fair = await uow.fairs.by_code("HC-2027-01")
        statuses = [r.status for r in await uow.registrations.of_fair(fair.id)]
    assert (fair.booths, fair.name["vi"]) == (3, "Tên mới")
    assert statuses == ["confirmed", "confirmed", "offered", "waitlisted"]
    (offer,) = await all_of(factory, OutboxMessage)
    assert "Tên mới" in offer.text and offer.choices
    audit = await all_of(factory, AuditEntry)
    assert [(e.action, e.details) for e in audit] == [
        ("fair.import", {"created": ["HC-2027-01"], "updated": [], "offered": 0, "changed": {},
                         "told": 0}),
        ("fair.import", {"created": [], "updated": ["HC-2027-01"], "offered": 1,
                         "changed": {"HC-2027-01": ["booths", "name"]}, "told": 0})]


async def test_an_import_that_moves_a_fair_tells_its_registrants(
        cli_env: str, factory, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The chat's edit told them; an import said only "updated" (a staff walkthrough)."""
    row = [*GOOD[0]]
    assert await run_cli("fairs", "import", str(write_csv(tmp_path / "a.csv",
                                                          [HEADER, row]))) == 0
    (fair,) = await fairs(factory)
    await register(factory, fair.id, 1, now=datetime.now(UTC))
    row[5], row[6] = "16/03/2027", "19/03/2027"
    capsys.readouterr()
    assert await run_cli("fairs", "import", str(write_csv(tmp_path / "b.csv",
                                                          [HEADER, row]))) == 0
    out = capsys.readouterr().out
    assert "ends_on, starts_on changed" in out and "1 registered establishment(s) told" in out
    (notice,) = await all_of(factory, OutboxMessage)
    assert "16/3/2027 – 19/3/2027" in notice.text


async def test_list(cli_env: str, factory, tmp_path: Path,
                    capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_cli("fairs", "list") == 0
    assert "no fair yet" in capsys.readouterr().out
    row = [*GOOD[0]]
    row[8] = "1"
    row[9] = "1"
    await run_cli("fairs", "import", str(write_csv(tmp_path / "f.csv", [HEADER, row, GOOD[1]])))
    (fair, _draft) = await fairs(factory)
    now = datetime.now(UTC)
    for n in range(1, 4):
        await register(factory, fair.id, n, now=now)
    capsys.readouterr()
    assert await run_cli("fairs", "list") == 0
    assert capsys.readouterr().out.splitlines() == [
        "code        name (vi)                                     dates                  "
        "deadline          status  booths held/total  waitlist",
        "HC-2027-01  Hội chợ Công Thương vùng Đồng bằng sông Hồng  15/03/2027–18/03/2027  "
        "01/03/2027 23:59  open                  1/1         2",
        "HC-2027-02  Triển lãm sản phẩm CNNT tiêu biểu             01/05/2027–03/05/2027  "
        "20/04/2027 17:30  draft                 0/5         0"]


# --- export ---------------------------------------------------------------------------------

async def fill(factory) -> Fair:
    """A fair of 2 booths: 1 cancelled (its booth offered to the first waiting), 1 confirmed
    and approved, 1 offered, 1 rejected, 2 waiting."""
    async with UnitOfWork(factory) as uow:
        fair = await uow.fairs.add(
            code="HC/1", name={"vi": "Hội chợ"}, place={}, support={}, booths=2,
            starts_on=date(2027, 3, 15), ends_on=date(2027, 3, 18),
            registration_deadline=datetime(2027, 3, 1, 23, 59, tzinfo=LOCAL_TZ),
            status=FairStatus.OPEN, created_at=NOW, updated_at=NOW)
        await uow.commit()
    first = await register(factory, fair.id, 1, name="=1+2 Công ty TNHH", answers={
        "contact_name": "@Nguyễn Thị Hoa", "contact_phone": "+84912345678",
        "products": '=HYPERLINK("http://evil.example","bấm")'})
    second = await register(factory, fair.id, 2, now=NOW + timedelta(minutes=1))
    third = await register(factory, fair.id, 3, now=NOW + timedelta(minutes=2))
    fourth = await register(factory, fair.id, 4, now=NOW + timedelta(minutes=3))
    for n in (5, 6):
        await register(factory, fair.id, n, now=NOW + timedelta(minutes=n))
    later = NOW + timedelta(hours=1)
    async with UnitOfWork(factory) as uow:
        await booking.approve(uow, second, actor="staff", now=later)
        await booking.cancel(uow, first, later)
        await booking.reject(uow, fourth, reason="Thiếu hồ sơ", actor="staff", now=later)
        await uow.commit()
    assert third
    return fair


async def export(factory, fair: Fair, fmt: str, translator=None) -> tuple[bytes, int]:
    out = io.BytesIO()
    async with UnitOfWork(factory) as uow:
        rows = await export_registrations(uow, fair, fmt, out, translator=translator)
    return out.getvalue(), rows


EN_HEADER = ["Registration no.", "Status", "Waitlist position", "Booths", "Establishment",
             "Tax code", "Commune, ward or special zone", "Sector", "Contact person",
             "Contact phone", "Products", "Registered at", "Updated at", "Approved at",
             "Offer expires at", "Rejection reason"]


async def test_csv_has_a_bom_every_registration_in_arrival_order_and_inert_formulas(
        factory) -> None:
    fair = await fill(factory)
    data, rows = await export(factory, fair, "csv")
    assert rows == 6
    assert data.startswith(b"\xef\xbb\xbf")  # Excel then reads UTF-8
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert table[0] == EN_HEADER
    assert [(r[0], r[1], r[2]) for r in table[1:]] == [
        ("1", "cancelled", ""), ("2", "confirmed, approved", ""), ("3", "offered", ""),
        ("4", "rejected", ""), ("5", "waitlisted", "1"), ("6", "waitlisted", "2")]
    first = dict(zip(EN_HEADER, table[1], strict=True))
    assert first["Establishment"] == "'=1+2 Công ty TNHH"
    assert first["Products"] == "'=HYPERLINK(\"http://evil.example\",\"bấm\")"
    assert (first["Contact person"], first["Contact phone"]) == ("'@Nguyễn Thị Hoa",
                                                               "'+84912345678")
    assert first["Tax code"] == "0000000001"  # in full: the export is for staff
    assert first["Commune, ward or special zone"] == "Phường Thành Đông"
    assert first["Sector"] == "Handicrafts and cottage industry"
    assert (first["Registered at"], first["Updated at"]) == ("2026-12-06 15:00:00",
                                                             "2026-12-06 16:00:00")
    assert table[2][13] == "2026-12-06 16:00:00"  # approved
    assert table[3][14] == "2026-12-08 16:00:00"  # the offer, 48 hours
    assert table[4][15] == "Thiếu hồ sơ"


async def test_xlsx_in_vietnamese_is_typed_frozen_and_filtered(factory, locales_dir: Path
                                                               ) -> None:
    fair = await fill(factory)
    data, rows = await export(factory, fair, "xlsx", load_translators(locales_dir)["vi"])
    assert rows == 6
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.active
    assert sheet.title == "HC_1"
    header = [c.value for c in sheet[1]]
    assert header[:6] == ["Số đăng ký", "Trạng thái", "Thứ tự chờ", "Số gian hàng",
                          "Tên cơ sở", "Mã số thuế"]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:P7"
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [(v[0], v[1], v[2]) for v in values] == [
        (1, "đã hủy", None), (2, "đã xác nhận, đã duyệt", None),
        (3, "được mời nhận gian hàng", None),
        (4, "bị từ chối", None), (5, "trong danh sách chờ", 1), (6, "trong danh sách chờ", 2)]
    # Text is text in Excel (never a formula), times are date cells in Vietnam's time.
    assert sheet["E2"].value == "=1+2 Công ty TNHH" and sheet["E2"].data_type == "s"
    assert values[0][11] == datetime(2026, 12, 6, 15, 0)
    assert sheet["L2"].is_date
    assert sheet["L2"].number_format == "dd/mm/yyyy hh:mm"  # day first, as read in Vietnam
    assert values[1][13] == datetime(2026, 12, 6, 16, 0)


async def test_cli_export_writes_the_file_and_audits(cli_env: str, factory, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    fair = await fill(factory)
    target = tmp_path / "dangky.xlsx"
    assert await run_cli("export", "registrations", "--fair", fair.code, "-o",
                         str(target)) == 0
    assert "6 registrations written" in capsys.readouterr().err
    sheet = openpyxl.load_workbook(target).active
    assert sheet.max_row == 7 and sheet["B1"].value == "Trạng thái"
    target = tmp_path / "dangky.txt"
    assert await run_cli("export", "registrations", "--fair", "hc/1", "--format", "csv",
                         "--lang", "en", "-o", str(target)) == 0
    assert target.read_bytes().startswith(b"\xef\xbb\xbfRegistration no.,Status")
    assert await run_cli("export", "registrations", "--fair", "nope", "-o",
                         str(tmp_path / "x.csv")) == 1
    assert "no fair with the code 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists() and not partial_files(tmp_path)
    audit = await all_of(factory, AuditEntry)
    assert [(e.actor, e.action, e.target, e.details) for e in audit] == [
        ("cli", "export.registrations", "HC/1", {"format": "xlsx", "registrations": 6}),
        ("cli", "export.registrations", "HC/1", {"format": "csv", "registrations": 6})]


@pytest.mark.parametrize("where", ["folder", "missing/x.xlsx"])
async def test_an_export_to_a_folder_or_a_missing_one_says_so_without_a_traceback(
        cli_env: str, factory, tmp_path: Path, where: str) -> None:
    fair = await fill(factory)
    with pytest.raises(SystemExit) as stopped:
        await run_cli("export", "registrations", "--fair", fair.code, "-o",
                      str(tmp_path if where == "folder" else tmp_path / where))
    assert "is a folder" in str(stopped.value) or "does not exist" in str(stopped.value)
    assert not await all_of(factory, AuditEntry)


async def test_an_empty_fair_exports_just_the_header(factory) -> None:
    async with UnitOfWork(factory) as uow:
        fair = await uow.fairs.add(
            code="HC-0", name={}, place={}, support={}, booths=2, starts_on=date(2027, 3, 15),
            ends_on=date(2027, 3, 18), status=FairStatus.OPEN, created_at=NOW, updated_at=NOW,
            registration_deadline=datetime(2027, 3, 1, 23, 59, tzinfo=LOCAL_TZ))
        await uow.commit()
    data, rows = await export(factory, fair, "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert rows == 0 and sheet.max_row == 1 and [c.value for c in sheet[1]] == EN_HEADER


async def test_staff_export_from_the_bot_is_a_document_in_their_language(db_core, factory
                                                                         ) -> None:
    from bot.channels.console import ConsoleChat

    fair = await fill(factory)
    staff = ConsoleChat(db_core.dispatcher, user_id="staff", operator=True)
    (reply,) = await staff.say(payload=f"fa:xlsx:{fair.id}")
    document = reply.document
    assert document.filename.startswith("HC/1-") and document.filename.endswith(".xlsx")
    assert document.mime_type == EXPORT_XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(document.content)).active
    assert [c.value for c in sheet[1]][:2] == ["Số đăng ký", "Trạng thái"]
    assert sheet["G2"].value == "Phường Thành Đông" and sheet.max_row == 7
    (reply,) = await staff.say(payload=f"fa:csv:{fair.id}")
    assert reply.document.content.decode("utf-8-sig").splitlines()[6].startswith(
        "6,trong danh sách chờ,2,1,Cơ sở 6,0000000006,")
    audit = await all_of(factory, AuditEntry)
    assert [(e.action, e.details) for e in audit] == [
        ("export.registrations", {"format": "xlsx", "registrations": 6}),
        ("export.registrations", {"format": "csv", "registrations": 6})]


async def test_a_deadline_on_the_opening_day_is_refused_as_in_the_chat(
        cli_env: str, factory, tmp_path: Path, capsys) -> None:
    """The chat's form refused it; the import took 10/05/2027 for a fair opening that day."""
    row = [*GOOD[0][:5], "10/05/2027", "12/05/2027", "10/05/2027", *GOOD[0][8:]]
    path = write_csv(tmp_path / "same_day.csv", [HEADER, row])
    assert await run_cli("fairs", "import", str(path)) == 1
    assert "registration must close before the day the fair starts" in capsys.readouterr().out
    assert await fairs(factory) == []
