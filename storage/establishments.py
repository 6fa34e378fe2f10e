"""Establishments (cơ sở), keyed by tax code, shared by the users who speak for them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage._upsert import insert_ignoring_conflict
from storage.models import EnterpriseProfile, Establishment, FairRegistration, SurveyResponse


class EstablishmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, establishment_id: int) -> Establishment | None:
        return await self._session.get(Establishment, establishment_id)

    async def find(self, tax_code: str) -> Establishment | None:
        query = select(Establishment).where(Establishment.tax_code == tax_code)
        return (await self._session.execute(query)).scalar_one_or_none()

    async def record(self, tax_code: str, *, name: str | None, commune: str | None,
                     sector: str | None, now: datetime,
                     by_user: int | None = None) -> Establishment:
        """The establishment with this tax code, created or brought up to date with what the
        latest profile says (safe when two users register the same one at once). When another
        user's profile already speaks for it, `by_user`'s profile only fills in what is empty:
        a tax code is anyone's to type, and a stranger's profile renamed a firm in the staff's
        lists and exports (7 Dec 2026)."""
        await insert_ignoring_conflict(self._session, Establishment, tax_code=tax_code,
                                       name=name, commune=commune, sector=sector,
                                       created_at=now, updated_at=now)
        establishment = await self.find(tax_code)
        assert establishment is not None
        shared = by_user is not None and bool((await self._session.execute(select(exists().where(
            EnterpriseProfile.establishment_id == establishment.id,
            EnterpriseProfile.user_id != by_user)))).scalar())
        for attribute, value in (("name", name), ("commune", commune), ("sector", sector)):
            if value and not (shared and getattr(establishment, attribute)):
                setattr(establishment, attribute, value)
        establishment.updated_at = now
        return establishment

    async def forget_unused(self) -> int:
        """Delete establishments no profile, survey response or fair registration points to
        any more (a household's tax code is its owner's personal id: it must not outlive
        their data)."""
        result = await self._session.execute(delete(Establishment).where(
            ~exists().where(EnterpriseProfile.establishment_id == Establishment.id),
            ~exists().where(SurveyResponse.establishment_id == Establishment.id),
            ~exists().where(FairRegistration.establishment_id == Establishment.id),
        ))
        return result.rowcount
