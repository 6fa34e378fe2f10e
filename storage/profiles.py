"""Enterprise profiles and the consent that allows storing them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Consent, EnterpriseProfile


class ProfileRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, user_id: int) -> EnterpriseProfile | None:
        return await self._session.get(EnterpriseProfile, user_id)

    async def speakers(self, establishment_id: int) -> list[int]:
        """The users whose profile names this establishment, earliest first."""
        query = (select(EnterpriseProfile.user_id)
                 .where(EnterpriseProfile.establishment_id == establishment_id)
                 .order_by(EnterpriseProfile.user_id))
        return list((await self._session.execute(query)).scalars())

    async def save(self, user_id: int, *, now: datetime, **fields: str | None) -> EnterpriseProfile:
        profile = await self._session.get(EnterpriseProfile, user_id)
        if profile is None:
            profile = EnterpriseProfile(user_id=user_id)
            self._session.add(profile)
        for name, value in fields.items():
            setattr(profile, name, value)
        profile.updated_at = now
        await self._session.flush()
        return profile

    async def grant_consent(self, user_id: int, purpose: str, notice_version: str,
                            now: datetime) -> None:
        self._session.add(Consent(user_id=user_id, purpose=purpose,
                                  notice_version=notice_version, granted_at=now))
        await self._session.flush()

    async def consent(self, user_id: int, purpose: str) -> Consent | None:
        query = (
            select(Consent)
            .where(Consent.user_id == user_id, Consent.purpose == purpose)
            .order_by(Consent.granted_at.desc())
            .limit(1)
        )
        return (await self._session.execute(query)).scalar_one_or_none()

    async def withdraw_consent(self, user_id: int) -> None:
        await self._session.execute(delete(Consent).where(Consent.user_id == user_id))
