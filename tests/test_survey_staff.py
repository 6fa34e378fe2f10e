"""Surveys for staff: the operator's import/open/close/list, and /ketqua in the chat (counts,
timing, charts, exports, voiding a response)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Core
from bot.channels.console import ConsoleChat
from bot.cli import main
from storage.models import AuditEntry, Survey, SurveyStatus
from storage.uow import UnitOfWork
from tests.test_first_conversation import texts
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
    assert capsys.readouterr().out == "imported nhu_cau_2027 version 2027.1 (1 version), closed\n"
    (survey,), audit = await stored(cli_db)
    assert (survey.code, survey.version, survey.status) == ("nhu_cau_2027", "2027.1", "closed")
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
        "nhu_cau_2027  Khảo sát nhu cầu hỗ trợ khuyến công năm 2027  2027.1   closed  "
        "        0            0",
    ]
    assert await run_cli("surveys", "close", "nho") == 0
    _surveys, audit = await stored(cli_db)
    assert [(e.action, e.target) for e in audit][-2:] == [("survey.open", "nho"),
                                                          ("survey.close", "nho")]


async def test_surveys_open_to_users_after_import(cli_db: str, core: Core) -> None:
    """What make setup does: the imported, opened survey is offered in the chat."""
    assert await run_cli("surveys", "import", "--open", str(SHIPPED)) == 0
    async with UnitOfWork(core.session_factory) as uow:
        (survey,) = await uow.surveys.latest_versions(only_open=True)
    assert survey.status == SurveyStatus.OPEN
    chat = ConsoleChat(core.dispatcher, user_id="owner-x")
    assert "Khảo sát nhu cầu hỗ trợ khuyến công năm 2027" in texts(await chat.say("/khaosat"))
