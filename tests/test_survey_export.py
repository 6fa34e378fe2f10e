"""Survey exports as staff open them: CSV in a spreadsheet, Excel with openpyxl, the CLI."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from bot.channels.console import ConsoleChat
from handlers.communes import CommuneDirectory
from handlers.exports import csv_field, csv_fields, inert
from handlers.forms.model import Form, Option, Question, QuestionType, Text, form_to_json
from handlers.survey_export import ExportFormat, LabelStyle, _Table, export_survey
from storage.migrate import downgrade, upgrade
from storage.models import ResponseStatus, SurveyResponse
from storage.surveys import answer_names, export_row
from storage.uow import UnitOfWork
from tests.test_cli import khuyencong
from tests.test_first_conversation import labels, texts
from tests.test_surveys_chat import NOW, demand_form, publish, responses, vi_en, with_profile

CODE = "nhu_cau"
THANH_DONG = "10507"  # Phường Thành Đông


def versions() -> tuple[Form, Form]:
    """Version 2 drops "comment", adds "contact", "workshop" and "start_date", a "loan"
    option to "needs", and a note (never exported)."""
    first = demand_form("1")
    second = demand_form("2", extra=True)
    questions = []
    for question in second.questions:
        if question.name == "needs":
            question = replace(question, options=(*question.options, Option(
                "loan", vi_en("Vay vốn ưu đãi", "Preferential loans"))))
        if question.name != "comment":
            questions.append(question)
    questions += [
        Question("intro", QuestionType.NOTE, vi_en("Cảm ơn!", "Thank you!")),
        Question("workshop", QuestionType.COMMUNE, vi_en("Xưởng ở xã/phường nào?",
                                                         "Workshop's commune?")),
        Question("start_date", QuestionType.DATE, vi_en("Ngày bắt đầu?", "Start date?")),
    ]
    return first, replace(second, questions=tuple(questions))


async def fill(core) -> None:
    """Two submitted responses (version 1 submitted after version 2), one in progress and one
    voided."""
    first, second = versions()
    await publish(core, first)
    await publish(core, second)
    async with UnitOfWork(core.session_factory) as uow:
        user = await uow.users.get_for_update("console", "owner", locale="vi",
                                              display_name=None, now=NOW)
        surveys = {v: await uow.surveys.find_version(CODE, v) for v in ("1", "2")}

        async def respond(tax_code: str, name: str, version: str, answers: dict,
                          status: ResponseStatus, submitted: datetime | None) -> None:
            establishment = await uow.establishments.record(
                tax_code, name=name, commune=THANH_DONG, sector="handicraft", now=NOW)
            response = await uow.responses.start(
                surveys[version], user_id=user.id, establishment_id=establishment.id,
                now=NOW, metadata={"start": "2026-12-06T16:00:00+07:00",
                                   "today": "2026-12-06", "deviceid": "console"})
            await uow.responses.save_progress(
                response, {"a": answers, "q": None, "h": list(answers), "f": True}, now=NOW)
            if submitted:
                await uow.responses.submit(response, now=submitted, end=submitted.astimezone(
                    UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "+00:00")
            if status is ResponseStatus.VOIDED:
                await uow.responses.void(response, by="staff", now=NOW)

        await respond("0100109106", "Cơ sở Mây tre Phú Nghĩa", "1", {
            "sector": "craft", "workers": 1200, "needs": ["machinery", "training"],
            "budget": 1500000000, "comment": '=HYPERLINK("http://evil.example","bấm")',
        }, ResponseStatus.SUBMITTED, NOW + timedelta(hours=1))
        await respond("0201234569", "=1+2 Công ty TNHH Cơ khí", "2", {
            "sector": "other", "sector_other": "-5 triệu mỗi tháng", "workers": 12,
            "needs": ["loan"], "budget": -2.5, "contact": "+84912345678",
            "workshop": THANH_DONG, "start_date": "2027-03-15",
        }, ResponseStatus.SUBMITTED, NOW)
        await respond("0300000001", "Đang trả lời", "2", {"sector": "food"},
                      ResponseStatus.IN_PROGRESS, None)
        await respond("0400000001", "Đã hủy", "2", {"sector": "food", "workers": 3},
                      ResponseStatus.VOIDED, NOW - timedelta(days=1))
        await uow.commit()


async def export(core, fmt: ExportFormat, labels: LabelStyle) -> tuple[bytes, int]:
    out = io.BytesIO()
    async with UnitOfWork(core.session_factory) as uow:
        translator = None if labels is LabelStyle.CODES else core.translators[labels]
        rows = await export_survey(uow, CODE, fmt, labels, out, translator=translator)
    return out.getvalue(), rows


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


CODES_HEADER = [
    "_id", "_submission_time", "_version", "_establishment", "_tax_code", "_commune",
    "_sector", "sector", "sector_other", "workers", "needs", "needs/machinery",
    "needs/training", "needs/fair", "needs/loan", "budget", "contact", "workshop",
    "start_date", "comment", "start", "end"]


async def test_csv_with_codes_has_stable_columns_and_stored_values(db_core) -> None:
    await fill(db_core)
    data, rows = await export(db_core, ExportFormat.CSV, LabelStyle.CODES)
    assert rows == 2
    header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header == CODES_HEADER
    second, first = read_csv(data)  # oldest submission first, whatever the ids
    assert (second["_version"], first["_version"]) == ("2", "1")
    assert second["_submission_time"] == "2026-12-06 16:00:00"  # Vietnam's time
    assert first["_submission_time"] == "2026-12-06 17:00:00"
    assert first["sector"] == "craft" and first["needs"] == "machinery training"
    assert [first[f"needs/{o}"] for o in ("machinery", "training", "fair", "loan")] == [
        "1", "1", "0", "0"]
    assert [second[f"needs/{o}"] for o in ("machinery", "training", "fair", "loan")] == [
        "0", "0", "0", "1"]
    assert first["workers"] == "1200" and first["budget"] == "1500000000"
    assert second["budget"] == "-2.5"  # a negative number stays a number
    assert second["workshop"] == THANH_DONG and second["_commune"] == THANH_DONG
    assert second["_sector"] == "handicraft"
    assert first["contact"] == "" and second["comment"] == ""  # not in their version
    assert first["start"] == "2026-12-06 16:00:00" and first["end"] == "2026-12-06 17:00:00"


async def test_csv_in_vietnamese_with_formulas_made_inert(db_core) -> None:
    await fill(db_core)
    data, _ = await export(db_core, ExportFormat.CSV, LabelStyle.VI)
    second, first = read_csv(data)
    assert list(first)[:8] == ["Số phiếu", "Gửi lúc", "Phiên bản phiếu", "Tên cơ sở",
                               "Mã số thuế", "Xã, phường, đặc khu", "Ngành nghề",
                               "Ngành nghề chính?"]
    assert first["Ngành nghề chính?"] == "Thủ công mỹ nghệ"
    assert first["Cơ sở cần hỗ trợ gì?"] == "Máy móc thiết bị; Đào tạo nghề"
    assert first["Cơ sở cần hỗ trợ gì?/Đào tạo nghề"] == "1"
    assert first["Cơ sở cần hỗ trợ gì?/Vay vốn ưu đãi"] == "0"
    assert first["Xã, phường, đặc khu"] == "Phường Thành Đông"
    assert first["Ngành nghề"] == "Tiểu thủ công nghiệp, thủ công mỹ nghệ"
    assert second["Xưởng ở xã/phường nào?"] == "Phường Thành Đông"
    assert second["Ngày bắt đầu?"] == "2027-03-15"
    # Text a spreadsheet would run as a formula gets a leading quote; numbers do not.
    assert first["Góp ý thêm?"] == "'=HYPERLINK(\"http://evil.example\",\"bấm\")"
    assert second["Số điện thoại liên hệ?"] == "'+84912345678"
    assert second["Ngành nghề khác là gì?"] == "'-5 triệu mỗi tháng"
    assert second["Tên cơ sở"] == "'=1+2 Công ty TNHH Cơ khí"
    assert second["Dự kiến đầu tư máy móc bao nhiêu (đồng)?"] == "-2.5"
    assert "Cảm ơn!" not in first  # notes are not exported


async def test_xlsx_in_english_is_typed_frozen_and_sized(db_core, tmp_path: Path) -> None:
    await fill(db_core)
    data, rows = await export(db_core, ExportFormat.XLSX, LabelStyle.EN)
    assert rows == 2
    path = tmp_path / "export.xlsx"
    path.write_bytes(data)
    sheet = openpyxl.load_workbook(path).active
    assert sheet.title == CODE and sheet.freeze_panes == "A2"
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = values[0]
    assert len(values) == 3 and len(header) == len(CODES_HEADER)
    assert header[:8] == ["Response no.", "Submitted at", "Form version", "Establishment",
                          "Tax code", "Commune, ward or special zone", "Sector", "Main sector?"]
    assert "What support is needed?/Preferential loans" in header
    assert all(cell.font.bold for cell in sheet[1])
    second, first = (dict(zip(header, row, strict=True)) for row in values[1:])
    assert second["Submitted at"] == datetime(2026, 12, 6, 16, 0)
    assert first["How many workers?"] == 1200 and second["How many workers?"] == 12
    assert second["Planned investment in machinery (VND)?"] == -2.5
    assert first["What support is needed?"] == "Machinery; Training"
    assert first["What support is needed?/Machinery"] == 1
    assert first["What support is needed?/Trade fairs"] == 0
    assert second["Start date?"] == datetime(2027, 3, 15)
    assert sheet.cell(2, header.index("Start date?") + 1).is_date
    assert sheet.cell(2, header.index("Submitted at") + 1).number_format == "dd/mm/yyyy hh:mm"
    # Amounts read with their thousands apart; years and counts as they are.
    numbers = [cell for row in sheet.iter_rows(min_row=2) for cell in row
               if isinstance(cell.value, int | float) and not cell.is_date]
    assert any(abs(cell.value) >= 10_000 for cell in numbers)
    assert all((cell.number_format == "#,##0") == (abs(cell.value) >= 10_000) for cell in numbers)
    assert first["Contact phone?"] is None  # version 1 did not ask it
    assert first["Sector"] == "Handicrafts and cottage industry"
    assert first["Any other comment?"] == '=HYPERLINK("http://evil.example","bấm")'
    comment = sheet.cell(3, header.index("Any other comment?") + 1)
    assert comment.data_type == "s"  # text, never a formula
    assert sheet.cell(3, 1).data_type == "n" and first["Response no."] == 1
    widths = {name: sheet.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width
              for i, name in enumerate(header)}
    assert widths["Establishment"] > widths["Tax code"] > widths["Response no."] > 8
    assert widths["What support is needed?/Machinery"] < widths["What support is needed?"]


async def test_xlsx_has_a_sheet_of_charts_of_the_choice_questions(db_core, tmp_path: Path,
                                                                 ) -> None:
    """Staff open the export in Excel and see the charts: Excel's own bar charts over counts."""
    import zipfile

    await fill(db_core)
    data, _rows = await export(db_core, ExportFormat.XLSX, LabelStyle.VI)
    path = tmp_path / "export.xlsx"
    path.write_bytes(data)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == [CODE, "Biểu đồ"]
    cells = [[cell.value for cell in row] for row in workbook["Biểu đồ"].iter_rows()]
    counts = {(title, row[0]): row[1] for title, row in _blocks(cells)}
    assert counts[("Ngành nghề chính?", "Thủ công mỹ nghệ")] == 1
    assert counts[("Ngành nghề chính?", "Khác (ghi rõ)")] == 1
    assert counts[("Ngành nghề chính?", "Chế biến thực phẩm")] == 0  # in progress: not counted
    assert counts[("Cơ sở cần hỗ trợ gì?", "Máy móc thiết bị")] == 1
    assert counts[("Cơ sở cần hỗ trợ gì?", "Vay vốn ưu đãi")] == 1
    with zipfile.ZipFile(path) as archive:
        charts = [name for name in archive.namelist() if name.startswith("xl/charts/chart")]
        assert len(charts) == 2
        assert "Ngành nghề chính?" in archive.read(charts[0]).decode()


def _blocks(cells: list[list]) -> list[tuple[str, list]]:
    """(chart title, row) for every option row of the sheet of charts."""
    found, title = [], None
    for row in cells:
        if row and isinstance(row[0], str) and (len(row) < 2 or row[1] is None):
            title = row[0]
        elif row and row[0] is not None:
            found.append((title, row))
    return found


@pytest.mark.parametrize("column", [
    ["Bàn ghế gỗ", "Gốm sứ", ""],  # nothing to do
    [None, "Chiếu cói", None],
    ["Bàn, ghế", 'nói "không"', "hai\ndòng", "cuối\r", "thường"],
    ["=SUM(1,2)", "+84912345678", "-5 triệu", "@tên", "\tthụt", "\rđầu", "a=b"],
    ['=HYPERLINK("http://evil.example","bấm")', "", None],
])
def test_csv_fields_are_what_the_csv_module_writes_of_inert_text(column) -> None:
    """The export writes fields itself, a batch's column at a time; the file must be what
    the csv module would write of the same cells made inert."""
    fields = csv_fields(column)
    expected = io.StringIO()
    csv.writer(expected).writerow(["" if v is None else inert(v) for v in column])
    assert ",".join(fields) + "\r\n" == expected.getvalue()
    assert fields == ["" if v is None else csv_field(v) for v in column]


async def test_unknown_survey(db_core) -> None:
    with pytest.raises(LookupError):
        await export(db_core, ExportFormat.CSV, LabelStyle.VI)


async def test_a_survey_without_responses_has_just_the_header(core) -> None:
    await publish(core, demand_form())
    data, rows = await export(core, ExportFormat.XLSX, LabelStyle.CODES)
    assert rows == 0
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [c.value for c in sheet[1]][:8] == CODES_HEADER[:8] and sheet.max_row == 1


async def test_cli_exports_and_audits(core, sqlite_url: str, locales_dir: Path,
                                      tmp_path: Path) -> None:
    await fill(core)
    env = {"DATABASE_URL": sqlite_url, "LOCALES_DIR": str(locales_dir)}
    target = tmp_path / "nhu_cau.xlsx"
    result = khuyencong("export", "survey", CODE, "-o", str(target), env=env)
    assert result.returncode == 0, result.stderr
    assert "2" in result.stderr
    sheet = openpyxl.load_workbook(target).active
    assert sheet.max_row == 3 and sheet.cell(1, 4).value == "Tên cơ sở"
    result = khuyencong("export", "survey", CODE, "--format", "csv", "--labels", "codes",
                        "-o", "-", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.lstrip("\ufeff").startswith(",".join(CODES_HEADER[:3]))
    async with UnitOfWork(core.session_factory) as uow:
        entries = await uow.audit.recent()
    assert [(e.actor, e.action, e.target, e.details) for e in entries] == [
        ("cli", "export.survey", CODE, {"format": "csv", "labels": "codes", "rows": 2}),
        ("cli", "export.survey", CODE, {"format": "xlsx", "labels": "vi", "rows": 2})]


def test_cli_unknown_survey(sqlite_url: str, locales_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "none.csv"
    result = khuyencong("export", "survey", "no_such", "-o", str(target),
                        env={"DATABASE_URL": sqlite_url, "LOCALES_DIR": str(locales_dir)})
    assert result.returncode == 1
    assert "no_such" in result.stderr and not target.exists()
    assert not list(tmp_path.glob("*.part"))



async def test_a_label_that_reads_as_a_formula_is_an_inert_csv_header(core) -> None:
    """Headers are question labels someone typed in a workbook: "=1+1" must stay text."""
    form = demand_form()
    questions = tuple(replace(q, label=vi_en("=HYPERLINK(\"x\")", "=HYPERLINK(\"x\")"))
                      if q.name == "workers" else q for q in form.questions)
    await publish(core, replace(form, questions=questions))
    data, _rows = await export(core, ExportFormat.CSV, LabelStyle.VI)
    header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert "'=HYPERLINK(\"x\")" in header
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in header)


# --- the export rows the export reads (storage.surveys.export_row) --------------------------

async def export_rows(core) -> list[str]:
    async with UnitOfWork(core.session_factory) as uow:
        session = uow.users._session
        return list((await session.execute(
            select(SurveyResponse.export_row).order_by(SurveyResponse.id))).scalars())


async def test_the_migration_fills_in_the_export_rows_of_earlier_responses(db_core) -> None:
    """Responses stored before migration 0010 get the export rows the code would write."""
    await fill(db_core)
    written = await export_rows(db_core)
    exported = [await export(db_core, fmt, labels) for fmt, labels in (
        (ExportFormat.CSV, LabelStyle.CODES), (ExportFormat.CSV, LabelStyle.VI))]
    url = db_core.settings.database_url
    await asyncio.to_thread(downgrade, url, "0009")  # drops the column
    await asyncio.to_thread(upgrade, url)
    assert await export_rows(db_core) == written
    assert None not in written
    assert [await export(db_core, fmt, labels) for fmt, labels in (
        (ExportFormat.CSV, LabelStyle.CODES), (ExportFormat.CSV, LabelStyle.VI))] == exported


async def submitted_demand_survey(core) -> ConsoleChat:
    """An owner who answered the demand survey and sent it; their chat."""
    await publish(core, demand_form())
    chat = ConsoleChat(core.dispatcher, user_id="owner-1")
    await with_profile(chat)
    await chat.press(labels(await chat.say("/khaosat"))[0])
    await chat.press("Chế biến thực phẩm")
    await chat.say("5")
    await chat.press("Máy móc thiết bị")
    await chat.press("Xong")
    await chat.say("1500000000")
    await chat.say("Xưởng nhà Riêng Phát, ngõ 7")
    await chat.press("Gửi")
    return chat


async def test_the_export_follows_edits_voids_and_deleted_data(core) -> None:
    chat = await submitted_demand_survey(core)
    (row,) = read_csv((await export(core, ExportFormat.CSV, LabelStyle.CODES))[0])
    assert (row["workers"], row["budget"], row["needs/machinery"]) == ("5", "1500000000", "1")
    assert row["comment"] == "Xưởng nhà Riêng Phát, ngõ 7" and row["end"]

    # Changed after submitting: the export has the new answers.
    for question, answer in (("Số lao động", ["7"]),
                             ("hỗ trợ gì", ["Hội chợ triển lãm", "Xong"])):
        await chat.press(labels(await chat.say("/khaosat"))[0])
        replies = await chat.press("Sửa một câu trả lời")
        await chat.press(next(label for label in labels(replies) if question in label))
        for step in answer:
            replies = await (chat.say(step) if step.isdigit() else chat.press(step))
        assert "Đã lưu các thay đổi" in texts(replies)
    (row,) = read_csv((await export(core, ExportFormat.CSV, LabelStyle.CODES))[0])
    assert (row["workers"], row["needs"], row["needs/fair"]) == ("7", "machinery fair", "1")

    # Voided: out of the export. Answered again, then the person deletes their data: no
    # response and no export row is left.
    (response,) = await responses(core)
    async with UnitOfWork(core.session_factory) as uow:
        await uow.responses.void(await uow.responses.get(response.id), by="staff", now=NOW)
        await uow.commit()
    assert (await export(core, ExportFormat.CSV, LabelStyle.CODES))[1] == 0
    await chat.press(labels(await chat.say("/khaosat"))[0])
    await chat.press("Chế biến thực phẩm")
    await chat.say("9")
    await chat.press("Đào tạo nghề")
    await chat.press("Xong")
    await chat.say("Xưởng nhà Riêng Phát, ngõ 7")
    await chat.press("Gửi")
    assert (await export(core, ExportFormat.CSV, LabelStyle.CODES))[1] == 1
    assert any("Riêng Phát" in row for row in await export_rows(core))
    await chat.say("/xoadulieu")
    await chat.press("Có, xóa hết")
    assert await export_rows(core) == []
    assert (await export(core, ExportFormat.CSV, LabelStyle.CODES))[1] == 0


def test_batches_of_one_version_and_of_several_give_the_same_cells() -> None:
    """A batch of one version's rows is sliced column by column, a mixed one row by row."""
    first, second = versions()
    forms = [(1, "1", first, answer_names(form_to_json(first))),
             (2, "2", second, answer_names(form_to_json(second)))]
    table = _Table.build(forms, LabelStyle.CODES, str, CommuneDirectory.load(), csv=True)
    rows = {
        1: (1, "2026-12-06 09:00:00.000000", 1, "A", "0100109106", None, None, export_row(
            {"a": {"sector": "craft", "needs": ["fair"], "comment": "a, b"}},
            {"start": "2026-12-06T16:00:00+07:00"}, forms[0][3])),
        2: (2, "2026-12-06 10:00:00.000000", 2, "B", None, THANH_DONG, "food", export_row(
            {"a": {"sector": "food", "workers": 12, "start_date": "2027-03-15"}},
            {"start": "2026-12-06T16:00:00+07:00", "end": "2026-12-06T17:00:00+07:00"},
            forms[1][3])),
    }
    mixed = table.cells([rows[1], rows[2]])
    for index, row in rows.items():
        alone = table.cells([row, row])  # one version
        assert [column[0] for column in alone] == [column[index - 1] for column in mixed]
    line = ",".join(column[1] for column in mixed)
    # Not asked about needs: empty, not 0, in the option columns.
    assert line == ("2,2026-12-06 17:00:00,2,B,,10507,food,food,,12,,,,,,,,,2027-03-15,,"
                    "2026-12-06 16:00:00,2026-12-06 17:00:00")


def test_an_export_row_keeps_answers_as_stored_text() -> None:
    row = export_row({"a": {"big": 12345678901234567890, "share": 0.30000000000000004,
                            "ok": True, "needs": ["fair", "loan"], "name": "Gốm \"Bát\""}},
                     {"start": "2026-12-06T16:00:00+07:00"},
                     ["big", "share", "ok", "needs", "name", "not_answered"])
    assert json.loads(row) == ["2026-12-06T16:00:00+07:00", None, "12345678901234567890",
                               "0.30000000000000004", "true", '["fair", "loan"]',
                               'Gốm "Bát"', None]


async def test_answers_already_sent_are_looked_over_without_a_second_send(core) -> None:
    """A phone user was stuck on the summary of a sent survey (only "Gửi" and "Sửa"; typing
    anything showed it again; /huy said "paused"), and its "Gửi" said the survey was no
    longer open to them once a change was saved."""
    chat = await submitted_demand_survey(core)

    replies = await chat.press(labels(await chat.say("/khaosat"))[0])
    assert labels(replies) == ["Xong", "Sửa một câu trả lời"]
    replies = await chat.say("cảm ơn nhé")  # left as sent; read as any other message
    assert "kiểm tra lại câu trả lời" not in texts(replies)
    assert "Trình đơn chính" in labels(replies) or "Hỏi về chương trình hỗ trợ" in labels(replies)

    await chat.press(labels(await chat.say("/khaosat"))[0])
    replies = await chat.press("Sửa một câu trả lời")
    await chat.press(next(label for label in labels(replies) if "Số lao động" in label))
    replies = await chat.say("7")
    assert "Đã lưu các thay đổi" in texts(replies)
    assert labels(replies) == ["Sửa một câu trả lời", "Trình đơn chính"]
    replies = await chat.press("Sửa một câu trả lời")
    assert "→ 7" in texts(replies)
    replies = await chat.say("/huy")
    assert "đã được gửi và vẫn được giữ" in texts(replies)


def vi(text: str) -> Text:
    return Text({"vi": text})


ALIKE = Form(code=CODE, version="1", title=vi("Khảo sát"), questions=(
    Question("nganh", QuestionType.SELECT_ONE, vi("Ngành nghề?"),
             options=(Option("go", vi("Gỗ")), Option("other", vi("Khác")))),
    Question("nganh_other", QuestionType.TEXT, vi("Vui lòng ghi rõ:"), other_of="nganh"),
    Question("thi_truong", QuestionType.SELECT_ONE, vi("Thị trường?"),
             options=(Option("noi_dia", vi("Nội địa")), Option("other", vi("Khác")))),
    Question("thi_truong_other", QuestionType.TEXT, vi("Vui lòng ghi rõ:"),
             other_of="thi_truong"),
    Question("so_may", QuestionType.INTEGER, vi("Số máy?")),
    Question("ty_le", QuestionType.CALCULATE, calculation="10 div ${so_may}"),
    Question("ghi_chu", QuestionType.TEXT, vi("Số máy?")),
    # Two questions labelled alike, each with its "other" (UNHCR's weekly report had five
    # "Please specify other" headers).
    Question("ly_do_1", QuestionType.SELECT_MULTIPLE, vi("Lý do?"),
             options=(Option("gia", vi("Giá")), Option("other", vi("Khác")))),
    Question("ly_do_1_other", QuestionType.TEXT, vi("Vui lòng ghi rõ:"), other_of="ly_do_1",
             relevant="selected(${ly_do_1}, 'other')"),
    Question("ly_do_2", QuestionType.SELECT_MULTIPLE, vi("Lý do?"),
             options=(Option("gia", vi("Giá")), Option("other", vi("Khác")))),
    Question("ly_do_2_other", QuestionType.TEXT, vi("Vui lòng ghi rõ:"), other_of="ly_do_2",
             relevant="selected(${ly_do_2}, 'other')"),
))


async def test_questions_labelled_alike_get_headers_of_their_own(core) -> None:
    """Two "Vui lòng ghi rõ:" columns could not be told apart in an export opened in Excel;
    a calculation whose input was skipped was exported as the text "NaN"."""
    await publish(core, ALIKE)
    chat = ConsoleChat(core.dispatcher, user_id="owner-1")
    await with_profile(chat)
    await chat.press(labels(await chat.say("/khaosat"))[0])
    await chat.press("Khác")
    await chat.say("Mây tre")
    await chat.press("Khác")
    await chat.say("Lào")
    for _ in range(4):
        await chat.press("Bỏ qua")
    await chat.press("Gửi")
    data, _rows = await export(core, ExportFormat.XLSX, LabelStyle.VI)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert len(header) == len(set(header))
    assert {"Ngành nghề? — Vui lòng ghi rõ:", "Thị trường? — Vui lòng ghi rõ:",
            "Số máy? (so_may)", "Số máy? (ghi_chu)", "Lý do? (ly_do_1) — Vui lòng ghi rõ:",
            "Lý do? (ly_do_2) — Vui lòng ghi rõ:"} <= set(header)
    values = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert values["Thị trường? — Vui lòng ghi rõ:"] == "Lào"
    assert values.get("ty_le") in (None, "") and "NaN" not in [str(v) for v in values.values()]


async def test_switching_language_mid_survey_pauses_it_and_says_so(core) -> None:
    await publish(core, demand_form())
    chat = ConsoleChat(core.dispatcher, user_id="owner-1")
    await with_profile(chat)
    await chat.press(labels(await chat.say("/khaosat"))[0])
    await chat.press("Chế biến thực phẩm")
    replies = await chat.say("/lang en")
    assert "Paused: your answers so far are saved" in texts(replies)
    replies = await chat.say("how much support for machinery?")  # a question, not an answer
    assert "Source" in texts(replies) or "Did you mean" in texts(replies)
    replies = await chat.press(labels(await chat.say("/khaosat"))[0])
    assert "2/" in texts(replies)  # where it was left, in English now
