"""Surveys (versions of an XLSForm) and the responses to them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
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
            progress={}, metadata_=metadata, started_at=now, updated_at=now)
        self._session.add(response)
        await self._session.flush()
        return response

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

    async def stream_submitted_rows(self, code: str, answers: Sequence[str],
                                    batch: int = 2000) -> AsyncIterator[Sequence[Row[Any]]]:
        """Submitted responses as plain rows, oldest first, a batch at a time, for exports:
        (id, submitted_at as the driver gives it (SQLite: ISO text in UTC), survey_id,
        establishment name, tax code, commune, sector, metadata start, metadata end, then the
        answer to each of `answers` as text: a list as JSON text, a number as its digits
        (SQLite: at most 15 significant ones), None when not answered).

        The database picks the answers out of the JSON (SQLite parses a row's JSON once for
        all of them) and rows come through Core: Python decodes no JSON and builds no ORM
        objects, which profiling showed cost more."""
        # No type processors: SQLite's time text is read faster by the caller than by
        # SQLAlchemy's per-row regular expression.
        query = (select(SurveyResponse.id, type_coerce(SurveyResponse.submitted_at, String),
                        SurveyResponse.survey_id, Establishment.name, Establishment.tax_code,
                        Establishment.commune, Establishment.sector,
                        SurveyResponse.metadata_["start"].as_string(),
                        SurveyResponse.metadata_["end"].as_string(),
                        *(SurveyResponse.progress[("a", name)].as_string()
                          for name in answers))
                 .outerjoin(Establishment, Establishment.id == SurveyResponse.establishment_id)
                 .where(SurveyResponse.survey_code == code,
                        SurveyResponse.status == ResponseStatus.SUBMITTED)
                 .order_by(SurveyResponse.submitted_at, SurveyResponse.id)
                 .execution_options(yield_per=batch))
        connection = await self._session.connection()
        result = await connection.stream(query)
        async for rows in result.partitions():
            yield rows
