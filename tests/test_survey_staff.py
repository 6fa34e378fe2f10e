"""Surveys for staff: the operator's import/open/close/list, and /ketqua in the chat (counts,
timing, charts, exports, voiding a response)."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from matplotlib.image import imread
from sqlalchemy import select

from bot.app import Core
from bot.channels.console import ConsoleChat
from bot.cli import main
from storage.models import AuditEntry, OutboxMessage, ResponseStatus, Survey, SurveyStatus
from storage.uow import UnitOfWork
from tests.test_first_conversation import labels, texts
from tests.test_surveys_chat import NOW, demand_form, publish, responses, with_profile
from tests.test_xlsform import SHIPPED, workbook

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --- the operator's commands ------------------------------------------------------------------

def small_survey(path: Path, version: str, *, label: str = "Ngành nghề?") -> Path:
    return workbook(path, [["type", "name", "label"], ["select_one sector", "sector", label]],
                    [["list_name", "name", "label"], ["sector", "food", "Thực phẩm"],
                     ["sector", "craft", "Thủ công"]],
                    [["form_title", "form_id", "version"], ["Khảo sát nhỏ", "nho", version]])


async def stored(url: str) -> tuple[list[Survey], list[AuditEntry]]:
    from storage.db import create_engine, create_session_factory

    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            surveys = list((await session.execute(select(Survey).order_by(Survey.id))).scalars())
            audit = list((await session.execute(select(AuditEntry).order_by(AuditEntry.id)))
                         .scalars())
            return surveys, audit
    finally:
        await engine.dispose()


@pytest.fixture
def cli_db(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("USER", "operator1")
    return sqlite_url


async def run_cli(*args: str) -> int:
    import asyncio

    # main() runs its own event loop.
    return await asyncio.to_thread(main, list(args))


async def test_import_the_shipped_survey_then_again(cli_db: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_cli("surveys", "import", str(SHIPPED)) == 0
    assert capsys.readouterr().out == "imported nhu_cau_2027 version 2027.2 (1 version), closed\n"
    (survey,), audit = await stored(cli_db)
    assert (survey.code, survey.version, survey.status) == ("nhu_cau_2027", "2027.2", "closed")
    assert survey.title == {"vi": "Khảo sát nhu cầu hỗ trợ khuyến công năm 2027",
                            "en": "2027 survey of industrial-promotion support needs"}
    assert survey.imported_by == "cli:operator1"
    assert any(q["name"] == "nganh_nghe" and len(q["options"]) == 8
               for q in survey.form["questions"])
    assert [(e.action, e.target, e.actor) for e in audit] == [
        ("survey.import", "nhu_cau_2027", "cli:operator1")]

    assert await run_cli("surveys", "import", "--open", str(SHIPPED)) == 0
    assert "already imported" in capsys.readouterr().out
    surveys, audit = await stored(cli_db)
    assert len(surveys) == 1 and len(audit) == 1 and surveys[0].status == "closed"


async def test_a_workbook_with_problems_is_refused(cli_db: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    bad = workbook(tmp_path / "bad.xlsx", [["type", "name", "label"], ["text", "a", "A?"],
                                           ["geopoint", "where", "Ở đâu?"]])
    assert await run_cli("surveys", "import", str(bad)) == 1
    out = capsys.readouterr()
    assert out.out.startswith(f"{bad}:survey:3:type: 'geopoint' is not supported")
    assert "nothing imported" in out.err
    assert await stored(cli_db) == ([], [])


async def test_versions_same_content_other_content_and_a_new_version(
        cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_cli("surveys", "import", "--open",
                         str(small_survey(tmp_path / "v1.xlsx", "1"))) == 0
    assert capsys.readouterr().out == "imported nho version 1 (1 version), open\n"
    # The same version saved again by another program: same content, nothing new.
    assert await run_cli("surveys", "import", str(small_survey(tmp_path / "copy.xlsx", "1"))) == 0
    assert capsys.readouterr().out == "nho version 1 is already imported\n"
    changed = small_survey(tmp_path / "changed.xlsx", "1", label="Ngành nghề chính?")
    assert await run_cli("surveys", "import", str(changed)) == 1
    assert "raise the version in the workbook's settings sheet" in capsys.readouterr().err
    surveys, _audit = await stored(cli_db)
    assert len(surveys) == 1
    v2 = small_survey(tmp_path / "v2.xlsx", "2", label="Ngành nghề chính?")
    assert await run_cli("surveys", "import", str(v2)) == 0
    assert capsys.readouterr().out == "imported nho version 2 (2 versions), open\n"
    surveys, audit = await stored(cli_db)
    assert [(s.version, s.status) for s in surveys] == [("1", "open"), ("2", "open")]
    assert surveys[1].form["questions"][0]["label"] == {"vi": "Ngành nghề chính?"}
    assert [e.action for e in audit] == ["survey.import", "survey.open", "survey.import"]


async def test_open_close_and_list(cli_db: str, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_cli("surveys", "list") == 0
    assert "no survey imported yet" in capsys.readouterr().out
    await run_cli("surveys", "import", str(small_survey(tmp_path / "v1.xlsx", "1")))
    await run_cli("surveys", "import", str(SHIPPED))
    capsys.readouterr()
    assert await run_cli("surveys", "open", "nho") == 0
    assert capsys.readouterr().out == "nho is now open\n"
    assert await run_cli("surveys", "open", "nho") == 0
    assert capsys.readouterr().out == "nho is already open\n"
    assert await run_cli("surveys", "close", "nope") == 1
    assert "unknown survey 'nope'" in capsys.readouterr().err
    assert await run_cli("surveys", "list") == 0
    assert capsys.readouterr().out.splitlines() == [
        "code          title (vi)                                    version  status  "
        "submitted  in progress",
        "nho           Khảo sát nhỏ                                  1        open    "
        "        0            0",
        "nhu_cau_2027  Khảo sát nhu cầu hỗ trợ khuyến công năm 2027  2027.2   closed  "
        "        0            0",
    ]
    assert await run_cli("surveys", "close", "nho") == 0
    _surveys, audit = await stored(cli_db)
    assert [(e.action, e.target) for e in audit][-2:] == [("survey.open", "nho"),
                                                          ("survey.close", "nho")]


# --- /ketqua ----------------------------------------------------------------------------------

async def answer_in_chat(chat: ConsoleChat) -> None:
    """The demand survey answered through the chat: craft, machinery and training."""
    await chat.press(labels(await chat.say("/khaosat"))[0])
    await chat.press("Thủ công mỹ nghệ")
    await chat.say("12")
    await chat.press("Máy móc thiết bị")
    await chat.press("Đào tạo nghề")
    await chat.press("Xong")
    await chat.press("Bỏ qua")
    await chat.press("Bỏ qua")
    assert "Cảm ơn" in texts(await chat.press("Gửi"))


async def add_response(core: Core, n: int, *, minutes: int | None,
                       answers: dict[str, Any]) -> None:
    """A response of another establishment, submitted after `minutes` (None: in progress)."""
    async with UnitOfWork(core.session_factory) as uow:
        user = await uow.users.get_for_update("console", f"owner-{n}", locale="vi",
                                              display_name=None, now=NOW)
        establishment = await uow.establishments.record(f"99000000{n:02d}", name=f"Cơ sở {n}",
                                                        commune=None, sector=None, now=NOW)
        survey = await uow.surveys.latest("nhu_cau")
        response = await uow.responses.start(survey, user_id=user.id,
                                             establishment_id=establishment.id, now=NOW,
                                             metadata={})
        await uow.responses.save_progress(response, {"a": answers}, now=NOW)
        if minutes is not None:
            await uow.responses.submit(response, now=NOW + timedelta(minutes=minutes),
                                       end="2026-12-06T16:00:00+07:00")
        await uow.commit()


@pytest.fixture
def owner(db_core: Core) -> ConsoleChat:
    return ConsoleChat(db_core.dispatcher, user_id="owner-1")


@pytest.fixture
async def answered(db_core: Core, owner: ConsoleChat) -> Core:
    """On each backend: four submitted responses (one through the chat, in seconds; 8, 12 and
    30 minutes) and one in progress."""
    await publish(db_core, demand_form())
    await with_profile(owner)
    await answer_in_chat(owner)
    for n, minutes, sector, needs in ((2, 8, "food", ["machinery"]),
                                      (3, 12, "food", ["fair", "training"]),
                                      (4, 30, "other", ["machinery", "fair"]),
                                      (5, None, "craft", [])):
        await add_response(db_core, n, minutes=minutes,
                           answers={"sector": sector, "needs": needs})
    return db_core


@pytest.fixture
def staff(db_core: Core) -> ConsoleChat:
    return ConsoleChat(db_core.dispatcher, user_id="staff", operator=True)


async def test_results_counts_timing_and_a_chart(answered: Core, staff: ConsoleChat,
                                                 tmp_path: Path) -> None:
    replies = await staff.say("/ketqua")
    assert "nhu_cau — Khảo sát nhu cầu hỗ trợ (đang mở)" in texts(replies)
    replies = await staff.press("Khảo sát nhu cầu hỗ trợ")
    chart, summary = replies
    shown = summary.text
    assert "«Khảo sát nhu cầu hỗ trợ» (nhu_cau, phiên bản 1, đang mở)" in shown
    assert "Đã gửi: 4" in shown and "Đang trả lời: 1" in shown
    assert "Tỷ lệ hoàn thành (đã gửi / đã bắt đầu): 80%" in shown
    assert "Thời gian trả lời (trung vị): 10 phút" in shown
    assert labels([summary]) == ["Tải Excel", "Tải CSV", "Hủy một phiếu"]

    document = chart.document
    assert document.mime_type == "image/png" and document.filename.endswith(".png")
    assert document.content.startswith(PNG_SIGNATURE)
    (tmp_path / "chart-results.png").write_bytes(document.content)
    image = imread(io.BytesIO(document.content))
    height, width = image.shape[:2]
    assert width >= 600 and height >= 400
    assert image[..., :3].std() > 0.05  # bars and text, not a blank page
    assert "câu hỏi lựa chọn" in chart.text

    # The same by code; an unknown code is said so.
    assert "Đã gửi: 4" in texts(await staff.say("/ketqua nhu_cau"))
    assert "Không có khảo sát nao_do" in texts(await staff.say("/ketqua nao_do"))


async def test_chart_counts_each_choice(answered: Core, staff: ConsoleChat,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from handlers import survey_results

    drawn = {}

    def fake_render(heading: str, charts: list) -> bytes:
        drawn.update({chart.title: chart for chart in charts}, heading=heading)
        return PNG_SIGNATURE

    monkeypatch.setattr(survey_results, "render_bar_charts", fake_render)
    await staff.say("/ketqua nhu_cau")
    assert drawn["heading"] == "Khảo sát nhu cầu hỗ trợ: 4 phiếu đã gửi"
    sector = drawn["Ngành nghề chính? (4 phiếu trả lời)"]
    assert sector.bars == (("Chế biến thực phẩm", 2), ("Thủ công mỹ nghệ", 1),
                           ("Khác (ghi rõ)", 1))
    assert sector.value_labels == ("2 · 50%", "1 · 25%", "1 · 25%")
    needs = drawn["Cơ sở cần hỗ trợ gì? (4 phiếu trả lời, mỗi phiếu chọn được nhiều ý)"]
    assert needs.bars == (("Máy móc thiết bị", 3), ("Đào tạo nghề", 2),
                          ("Hội chợ triển lãm", 2))


async def test_no_responses_yet(db_core: Core, staff: ConsoleChat) -> None:
    assert "Chưa có khảo sát nào" in texts(await staff.say("/ketqua"))
    await publish(db_core, demand_form(), open_it=False)
    (summary,) = await staff.say("/ketqua nhu_cau")
    assert "đã đóng" in summary.text and "Chưa có phiếu nào được gửi" in summary.text
    assert summary.document is None and labels([summary]) == ["Tải Excel", "Tải CSV"]


async def test_results_are_for_staff_only(answered: Core, owner: ConsoleChat) -> None:
    assert "Tôi không hiểu lệnh /ketqua" in texts(await owner.say("/ketqua nhu_cau"))
    for payload in ("svr:1", "svx:xlsx:1", "svvoid:ask:1", "svvoid:ok:1", "svvoid:keep"):
        assert "chỉ dành cho cán bộ" in texts(await owner.say("x", payload=payload))
    assert (await responses(answered))[0].status == ResponseStatus.SUBMITTED


async def test_export_buttons_send_the_file_and_are_audited(answered: Core,
                                                            staff: ConsoleChat) -> None:
    from openpyxl import load_workbook

    await staff.say("/ketqua nhu_cau")
    (reply,) = await staff.press("Tải CSV")
    assert reply.text == "4 phiếu đã gửi."
    assert reply.document.filename.startswith("nhu_cau-")
    assert reply.document.filename.endswith(".csv")
    assert reply.document.mime_type == "text/csv"
    csv_text = reply.document.content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("Số phiếu,")  # headers in Vietnamese
    assert len(csv_text.splitlines()) == 5
    await staff.say("/lang en")
    (reply,) = await staff.say("x", payload="svx:xlsx:1")  # from the earlier message: fine
    assert reply.document.filename.endswith(".xlsx") and reply.text == "4 submitted responses."
    sheet = load_workbook(io.BytesIO(reply.document.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Response no." and len(rows) == 5
    async with UnitOfWork(answered.session_factory) as uow:
        exports = [e for e in await uow.audit.recent() if e.action == "export.survey"]
    assert [(e.actor, e.target, e.details["format"]) for e in reversed(exports)] == [
        ("console:staff", "nhu_cau", "csv"), ("console:staff", "nhu_cau", "xlsx")]


async def test_voiding_a_response_frees_the_establishments_slot(
        answered: Core, owner: ConsoleChat, staff: ConsoleChat) -> None:
    mine = (await responses(answered))[0]
    results = await staff.say("/ketqua nhu_cau")
    await staff.press("Tải CSV")  # then the results' other button, from the same message
    void = next(c.payload for r in results for c in r.choices if c.label == "Hủy một phiếu")
    replies = await staff.say("", payload=void)
    assert "cột đầu tiên" in texts(replies)
    assert "ví dụ 12" in texts(await staff.say("phiếu của Phú Nghĩa"))
    assert "không có phiếu #999" in texts(await staff.say("999"))
    assert "không có phiếu #" in texts(await staff.say("9" * 30))
    replies = await staff.say(f"#{mine.id}")
    shown = texts(replies)
    assert f"Hủy phiếu #{mine.id} (đã gửi ngày" in shown
    assert "Cơ sở: Cơ sở Mây tre Phú Nghĩa" in shown
    # A stale or forged confirmation for another response does nothing.
    assert "không còn dùng được" in texts(await staff.say("x", payload="svvoid:ok:2"))
    replies = await staff.press(f"Hủy phiếu #{mine.id}")
    assert f"Đã hủy phiếu #{mine.id}" in texts(replies)

    voided = (await responses(answered))[0]
    assert voided.status == ResponseStatus.VOIDED
    assert voided.voided_by == "console:staff" and voided.voided_at is not None
    async with UnitOfWork(answered.session_factory) as uow:
        (entry,) = [e for e in await uow.audit.recent() if e.action == "survey.void_response"]
        session = uow.users._session
        (note,) = (await session.execute(select(OutboxMessage))).scalars()
    assert (entry.actor, entry.target, entry.details) == (
        "console:staff", "nhu_cau", {"response_id": mine.id, "was": "submitted"})
    assert note.user_id == mine.user_id
    assert "đã hủy câu trả lời của anh/chị cho khảo sát «Khảo sát nhu cầu hỗ trợ»" in note.text

    # The respondent is told, and their establishment may answer again.
    replies = await owner.say("/khaosat")
    assert "đã hủy câu trả lời" in replies[0].text and "chưa bắt đầu" in texts(replies)
    await answer_in_chat(owner)
    assert [r.status for r in await responses(answered)].count(ResponseStatus.SUBMITTED) == 4
    replies = await staff.say("/ketqua nhu_cau")
    assert "Đã gửi: 4" in texts(replies) and "Phiếu cán bộ đã hủy: 1" in texts(replies)


async def test_voiding_can_be_called_off(answered: Core, staff: ConsoleChat) -> None:
    mine = (await responses(answered))[0]
    await staff.say("/ketqua nhu_cau")
    await staff.press("Hủy một phiếu")
    await staff.say(str(mine.id))
    assert "Không hủy phiếu nào" in texts(await staff.press("Giữ lại"))
    assert (await responses(answered))[0].status == ResponseStatus.SUBMITTED
    # Typing a number now is a question for the knowledge base, not a void.
    await staff.say(str(mine.id))
    assert (await responses(answered))[0].status == ResponseStatus.SUBMITTED


async def test_surveys_open_to_users_after_import(cli_db: str, core: Core) -> None:
    """What make setup does: the imported, opened survey is offered in the chat."""
    assert await run_cli("surveys", "import", "--open", str(SHIPPED)) == 0
    async with UnitOfWork(core.session_factory) as uow:
        (survey,) = await uow.surveys.latest_versions(only_open=True)
    assert survey.status == SurveyStatus.OPEN
    chat = ConsoleChat(core.dispatcher, user_id="owner-x")
    assert "Khảo sát nhu cầu hỗ trợ khuyến công năm 2027" in texts(await chat.say("/khaosat"))
