"""`khuyencong surveys import|open|close|list`: the operator's side of surveys."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.admin_cli import cli_actor, print_table, with_uow
from handlers.forms.model import form_to_json
from handlers.forms.xlsform import XLSFormError, load_xlsform
from storage.models import ResponseStatus, SurveyStatus
from storage.uow import UnitOfWork


async def import_survey(database_url: str, file: str, *, open_new: bool = False) -> int:
    """Store a workbook as a new version of its survey; the same version again is a no-op when
    its content is the same and refused when it differs."""
    try:
        form = load_xlsform(Path(file))
    except XLSFormError as error:
        for problem in error.problems:
            print(problem.format(file))
        print(f"{len(error.problems)} problem(s): nothing imported", file=sys.stderr)
        return 1
    # Through JSON, as the database gives it back, so equal content compares equal.
    content = json.loads(json.dumps(form_to_json(form)))

    async def run(uow: UnitOfWork) -> int:
        existing = await uow.surveys.find_version(form.code, form.version)
        if existing is not None:
            if existing.form == content:
                print(f"{form.code} version {form.version} is already imported")
                return 0
            print(f"{form.code} version {form.version} is already imported with other "
                  "content: raise the version in the workbook's settings sheet and import "
                  "again", file=sys.stderr)
            return 1
        now = datetime.now(UTC)
        survey = await uow.surveys.add_version(
            code=form.code, version=form.version, title=dict(form.title.values), form=content,
            now=now, by=cli_actor())
        versions = await uow.surveys.count_versions(form.code)
        await uow.audit.record(actor=cli_actor(), action="survey.import", target=form.code,
                               now=now, details={"version": form.version, "file": Path(file).name})
        if open_new and survey.status != SurveyStatus.OPEN:
            await uow.surveys.set_status(form.code, SurveyStatus.OPEN)
            await uow.audit.record(actor=cli_actor(), action="survey.open", target=form.code,
                                   now=now)
            survey.status = SurveyStatus.OPEN
        await uow.commit()
        print(f"imported {form.code} version {form.version} ({_versions(versions)}), "
              f"{survey.status}")
        return 0

    return await with_uow(database_url, run)


async def set_survey_status(database_url: str, code: str, status: SurveyStatus) -> int:
    """Open or close every version of a survey (audit-logged when it changes)."""

    async def run(uow: UnitOfWork) -> int:
        latest = await uow.surveys.latest(code)
        if latest is None:
            print(f"unknown survey {code!r}: see khuyencong surveys list", file=sys.stderr)
            return 1
        if latest.status == status:
            print(f"{code} is already {status}")
            return 0
        await uow.surveys.set_status(code, status)
        action = "survey.open" if status == SurveyStatus.OPEN else "survey.close"
        await uow.audit.record(actor=cli_actor(), action=action, target=code,
                               now=datetime.now(UTC))
        await uow.commit()
        print(f"{code} is now {status}")
        return 0

    return await with_uow(database_url, run)


async def list_surveys(database_url: str) -> int:
    """A table of the surveys (newest version of each) with their response counts."""

    async def run(uow: UnitOfWork) -> int:
        rows = [("code", "title (vi)", "version", "status", "submitted", "in progress")]
        for survey in await uow.surveys.latest_versions():
            counts = await uow.responses.counts(survey.code)
            title = survey.title.get("vi") or next(iter(survey.title.values()), "")
            rows.append((survey.code, title, survey.version, survey.status,
                         str(counts.get(ResponseStatus.SUBMITTED, 0)),
                         str(counts.get(ResponseStatus.IN_PROGRESS, 0))))
        if len(rows) == 1:
            print("no survey imported yet: khuyencong surveys import FILE")
            return 0
        print_table(rows, numbers_from=4)
        return 0

    return await with_uow(database_url, run)


def _versions(count: int) -> str:
    return "1 version" if count == 1 else f"{count} versions"

