"""Surveys (versions of an XLSForm) and the responses to them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, String, func, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Establishment,
    ResponseStatus,
    Survey,
    SurveyResponse,
    SurveyStatus,
)


class SurveyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_version(self, *, code: str, version: str, title: dict[str, str],
                          form: dict[str, Any], now: datetime, by: str | None) -> Survey:
        """Store a new version; it keeps the status of the version it replaces."""
        previous = await self.latest(code)
        survey = Survey(code=code, version=version, title=title, form=form, imported_at=now,
                        imported_by=by,
                        status=previous.status if previous else SurveyStatus.CLOSED)
        self._session.add(survey)
        await self._session.flush()
        return survey

    async def find_version(self, code: str, version: str) -> Survey | None:
        query = select(Survey).where(Survey.code == code, Survey.version == version)
        return (await self._session.execute(query)).scalar_one_or_none()

    async def get(self, survey_id: int) -> Survey | None:
        return await self._session.get(Survey, survey_id)

    async def latest(self, code: str) -> Survey | None:
        """The newest version of a survey: the one new respondents get."""
        query = select(Survey).where(Survey.code == code).order_by(Survey.id.desc()).limit(1)
        return (await self._session.execute(query)).scalar_one_or_none()

    async def versions(self, code: str) -> list[Survey]:
        """Every version of a survey, oldest first."""
        query = select(Survey).where(Survey.code == code).order_by(Survey.id)
        return list((await self._session.execute(query)).scalars())

    async def latest_versions(self, *, only_open: bool = False) -> list[Survey]:
        newest = select(func.max(Survey.id)).group_by(Survey.code).scalar_subquery()
        query = select(Survey).where(Survey.id.in_(newest)).order_by(Survey.code)
        if only_open:
            query = query.where(Survey.status == SurveyStatus.OPEN)
        return list((await self._session.execute(query)).scalars())

    async def count_versions(self, code: str) -> int:
        query = select(func.count()).select_from(Survey).where(Survey.code == code)
        return (await self._session.execute(query)).scalar_one()

    async def set_status(self, code: str, status: SurveyStatus) -> int:
        """Open or close every version of a survey; returns how many versions there are."""
        result = await self._session.execute(
            update(Survey).where(Survey.code == code).values(status=status))
        return result.rowcount


class ResponseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def start(self, survey: Survey, *, user_id: int, establishment_id: int | None,
                    now: datetime, metadata: dict[str, Any]) -> SurveyResponse:
        response = SurveyResponse(
            survey_id=survey.id, survey_code=survey.code, user_id=user_id,
            establishment_id=establishment_id, status=ResponseStatus.IN_PROGRESS,
            progress={}, metadata_=metadata, started_at=now, updated_at=now,
            export_row=export_row({}, metadata, answer_names(survey.form)))
        self._session.add(response)
        await self._session.flush()
        return response

    async def save_progress(self, response: SurveyResponse, progress: dict[str, Any], *,
                            now: datetime) -> None:
        """Keep the form runner's progress (at every step), and the export's copy of the
        answers with it."""
        response.progress = progress
        response.updated_at = now
        await self._keep_export_row(response)

    async def submit(self, response: SurveyResponse, *, now: datetime, end: str) -> None:
        """Mark the response submitted; `end` is the metadata's end (local ISO time)."""
        response.status = ResponseStatus.SUBMITTED
        response.submitted_at = now
        response.metadata_ = {**response.metadata_, "end": end}
        await self._keep_export_row(response)

    async def _keep_export_row(self, response: SurveyResponse) -> None:
        survey = await self._session.get(Survey, response.survey_id)  # usually loaded already
        names = answer_names(survey.form) if survey is not None else []
        response.export_row = export_row(response.progress, response.metadata_, names)

    async def get(self, response_id: int) -> SurveyResponse | None:
        return await self._session.get(SurveyResponse, response_id)

    async def of_user(self, code: str, user_id: int) -> SurveyResponse | None:
        """The user's latest response that is not voided (in progress or submitted)."""
        query = (select(SurveyResponse)
                 .where(SurveyResponse.survey_code == code, SurveyResponse.user_id == user_id,
                        SurveyResponse.status != ResponseStatus.VOIDED)
                 .order_by(SurveyResponse.id.desc()).limit(1))
        return (await self._session.execute(query)).scalar_one_or_none()

    async def submitted_for(self, code: str, establishment_id: int) -> SurveyResponse | None:
        query = select(SurveyResponse).where(
            SurveyResponse.survey_code == code,
            SurveyResponse.establishment_id == establishment_id,
            SurveyResponse.status == ResponseStatus.SUBMITTED)
        return (await self._session.execute(query)).scalar_one_or_none()

    async def statuses_of_user(self, user_id: int) -> dict[str, str]:
        """Survey code -> status of the user's latest non-voided response."""
        query = (select(SurveyResponse.survey_code, SurveyResponse.status)
                 .where(SurveyResponse.user_id == user_id,
                        SurveyResponse.status != ResponseStatus.VOIDED)
                 .order_by(SurveyResponse.id))
        return dict((await self._session.execute(query)).all())

    async def lock_establishment_slot(self, establishment_id: int) -> None:
        """Serialise submissions for one establishment (PostgreSQL row lock on it; SQLite
        has one writer anyway), so two people of the same establishment cannot both submit."""
        await self._session.execute(
            select(Establishment.id).where(Establishment.id == establishment_id)
            .with_for_update())

    async def void(self, response: SurveyResponse, *, by: str, now: datetime) -> None:
        response.status, response.voided_at, response.voided_by = (
            ResponseStatus.VOIDED, now, by)
        await self._session.flush()

    async def counts(self, code: str) -> dict[str, int]:
        query = (select(SurveyResponse.status, func.count())
                 .where(SurveyResponse.survey_code == code)
                 .group_by(SurveyResponse.status))
        return dict((await self._session.execute(query)).all())

    async def durations(self, code: str) -> list[float]:
        """Seconds from start to submission of each submitted response."""
        query = select(SurveyResponse.started_at, SurveyResponse.submitted_at).where(
            SurveyResponse.survey_code == code,
            SurveyResponse.status == ResponseStatus.SUBMITTED)
        return [(submitted - started).total_seconds()
                for started, submitted in (await self._session.execute(query)).all()]

    async def answers_of_submitted(self, code: str) -> list[dict[str, Any]]:
        """The answers of every submitted response (for charts of choice questions)."""
        query = select(SurveyResponse.progress).where(
            SurveyResponse.survey_code == code,
            SurveyResponse.status == ResponseStatus.SUBMITTED)
        return [(progress or {}).get("a", {}) for progress in
                (await self._session.execute(query)).scalars()]

    async def stream_submitted_rows(self, code: str, batch: int = 2000,
                                    ) -> AsyncIterator[Sequence[Row[Any]]]:
        """Submitted responses as plain rows, oldest first, a batch at a time, for exports:
        (id, submitted_at as the driver gives it (SQLite: ISO text in UTC), survey_id,
        establishment name, tax code, commune, sector, export_row (see export_row)).

        Rows come without type processing: no ORM objects, and SQLite's time text is read
        faster by the caller than by SQLAlchemy's per-row regular expression. On SQLite they
        come straight from the driver's cursor (plain tuples, a batch per trip to its
        thread), on the session's connection (read-only where the engine is)."""
        query = (select(SurveyResponse.id, type_coerce(SurveyResponse.submitted_at, String),
                        SurveyResponse.survey_id, Establishment.name, Establishment.tax_code,
                        Establishment.commune, Establishment.sector, SurveyResponse.export_row)
                 .outerjoin(Establishment, Establishment.id == SurveyResponse.establishment_id)
                 .where(SurveyResponse.survey_code == code,
                        SurveyResponse.status == ResponseStatus.SUBMITTED)
                 .order_by(SurveyResponse.submitted_at, SurveyResponse.id)
                 .execution_options(yield_per=batch))
        connection = await self._session.connection()
        if connection.dialect.name == "sqlite":
            compiled = query.compile(dialect=connection.dialect)
            # Straight on aiosqlite, around SQLAlchemy's adapter and its lock: nothing else
            # uses this session while an export streams from it.
            driver = (await connection.get_raw_connection()).driver_connection
            async with driver.execute(str(compiled), [compiled.params[name] for name in
                                                      compiled.positiontup]) as cursor:
                while rows := await cursor.fetchmany(batch):
                    yield rows
            return
        result = await connection.stream(query)
        async for rows in result.partitions():
            yield rows


def answer_names(form: Mapping[str, Any]) -> list[str]:
    """The question names of a stored form (handlers.forms.model.form_to_json), in the form's
    order: the order of the answers in an export row."""
    return [question["name"] for question in form.get("questions", ())]


def export_row(progress: Mapping[str, Any] | None, metadata: Mapping[str, Any] | None,
               names: Sequence[str]) -> str:
    """What an export reads of a response: the metadata's start and end, then the answer to
    each of `names` (its version's questions, answer_names), as a JSON array. Each item is
    text or null: an answer stored as text as it is, any other (a number, a list of options)
    as its JSON text, so the export converts text only and numbers keep the digits stored."""
    answers = (progress or {}).get("a") or {}
    metadata = metadata or {}
    return json.dumps([_as_text(metadata.get("start")), _as_text(metadata.get("end")),
                       *(_as_text(answers.get(name)) for name in names)],
                      ensure_ascii=False, separators=(",", ":"))


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
