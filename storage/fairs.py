"""Fairs and registrations for their booths.

Every change to who holds a fair's booths starts with `FairRepository.lock`, which takes the
fair's row lock (`SELECT … FOR UPDATE` on PostgreSQL; SQLite's single writer does the same),
so counting the booths left and taking them happen as one step under any load.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ACTIVE,
    HOLDING,
    EnterpriseProfile,
    Establishment,
    Fair,
    FairRegistration,
    FairStatus,
    RegistrationStatus,
)


class FairRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, fair_id: int) -> Fair | None:
        return await self._session.get(Fair, fair_id)

    async def by_code(self, code: str) -> Fair | None:
        query = select(Fair).where(func.lower(Fair.code) == code.lower())
        return (await self._session.execute(query)).scalar_one_or_none()

    async def lock(self, fair_id: int) -> Fair | None:
        """The fair, locked until the transaction ends (fresh from the database)."""
        query = (select(Fair).where(Fair.id == fair_id).with_for_update()
                 .execution_options(populate_existing=True))
        return (await self._session.execute(query)).scalar_one_or_none()

    async def listed(self, statuses: Iterable[str] | None = None) -> list[Fair]:
        """Fairs by start date (then code), optionally only those in `statuses`."""
        query = select(Fair).order_by(Fair.starts_on, Fair.code)
        if statuses is not None:
            query = query.where(Fair.status.in_(list(statuses)))
        return list((await self._session.execute(query)).scalars())

    async def add(self, **values: Any) -> Fair:
        fair = Fair(**values)
        self._session.add(fair)
        await self._session.flush()
        return fair

    async def held_booths(self, fair_id: int) -> int:
        """Booths held by confirmed registrations and open offers."""
        query = select(func.coalesce(func.sum(FairRegistration.booths), 0)).where(
            FairRegistration.fair_id == fair_id, FairRegistration.status.in_(HOLDING))
        return int((await self._session.execute(query)).scalar_one())

    async def held_booths_by_fair(self) -> dict[int, int]:
        query = (select(FairRegistration.fair_id, func.sum(FairRegistration.booths))
                 .where(FairRegistration.status.in_(HOLDING))
                 .group_by(FairRegistration.fair_id))
        return {fair_id: int(held) for fair_id, held in await self._session.execute(query)}


class RegistrationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, registration_id: int) -> FairRegistration | None:
        return await self._session.get(FairRegistration, registration_id)

    async def refresh(self, registration: FairRegistration) -> None:
        """Read the row again (after its fair was locked, to see a concurrent change)."""
        await self._session.refresh(registration)

    async def add(self, **values: Any) -> FairRegistration:
        registration = FairRegistration(**values)
        self._session.add(registration)
        await self._session.flush()
        return registration

    async def active_for(self, fair_id: int, establishment_id: int
                         ) -> FairRegistration | None:
        query = select(FairRegistration).where(
            FairRegistration.fair_id == fair_id,
            FairRegistration.establishment_id == establishment_id,
            FairRegistration.status.in_(ACTIVE))
        return (await self._session.execute(query)).scalar_one_or_none()

    async def of_establishment(self, establishment_id: int) -> list[FairRegistration]:
        """Every registration of an establishment, newest first."""
        query = (select(FairRegistration)
                 .where(FairRegistration.establishment_id == establishment_id)
                 .order_by(FairRegistration.id.desc()))
        return list((await self._session.execute(query)).scalars())

    async def of_user(self, user_id: int) -> list[FairRegistration]:
        query = (select(FairRegistration).where(FairRegistration.user_id == user_id)
                 .order_by(FairRegistration.id.desc()))
        return list((await self._session.execute(query)).scalars())

    async def of_fair(self, fair_id: int, statuses: Iterable[str] | None = None
                      ) -> list[FairRegistration]:
        """A fair's registrations in arrival order (the waitlist's order too)."""
        query = (select(FairRegistration).where(FairRegistration.fair_id == fair_id)
                 .order_by(FairRegistration.id))
        if statuses is not None:
            query = query.where(FairRegistration.status.in_(list(statuses)))
        return list((await self._session.execute(query)).scalars())

    async def waitlist_position(self, registration: FairRegistration) -> int:
        """1 for the first in line."""
        query = select(func.count()).where(
            FairRegistration.fair_id == registration.fair_id,
            FairRegistration.status == RegistrationStatus.WAITLISTED,
            FairRegistration.id <= registration.id)
        return int((await self._session.execute(query)).scalar_one())

    async def with_establishments(self, fair_id: int, statuses: Iterable[str]
                                  ) -> list[tuple[FairRegistration, Establishment]]:
        query = (select(FairRegistration, Establishment)
                 .join(Establishment, Establishment.id == FairRegistration.establishment_id)
                 .where(FairRegistration.fair_id == fair_id,
                        FairRegistration.status.in_(list(statuses)))
                 .order_by(FairRegistration.id))
        return [(r, e) for r, e in (await self._session.execute(query)).all()]

    async def stream_for_export(self, fair_id: int, *, batch: int = 500
                                ) -> AsyncIterator[tuple[FairRegistration, Establishment,
                                                         EnterpriseProfile | None]]:
        """Every registration of a fair with its establishment and the registrant's profile,
        in arrival order, read in batches."""
        query = (select(FairRegistration, Establishment, EnterpriseProfile)
                 .join(Establishment, Establishment.id == FairRegistration.establishment_id)
                 .outerjoin(EnterpriseProfile,
                            EnterpriseProfile.user_id == FairRegistration.user_id)
                 .where(FairRegistration.fair_id == fair_id)
                 .order_by(FairRegistration.id)
                 .execution_options(yield_per=batch))
        result = await self._session.stream(query)
        async for registration, establishment, profile in result:
            yield registration, establishment, profile

    async def counts(self, fair_id: int) -> dict[str, int]:
        query = (select(FairRegistration.status, func.count())
                 .where(FairRegistration.fair_id == fair_id)
                 .group_by(FairRegistration.status))
        return {status: int(n) for status, n in await self._session.execute(query)}


def booths_left(fair: Fair, held: int) -> int:
    return max(fair.booths - held, 0)


def is_taking_registrations(fair: Fair, now: datetime) -> bool:
    return fair.status == FairStatus.OPEN and now < fair.registration_deadline
