"""A fair's quota under load: concurrent registrations and cancellations through the booking
rules, each in its own unit of work, spread over two workers (two engines on one database),
on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from handlers.fairs import booking
from storage.db import create_engine, create_session_factory
from storage.models import ACTIVE, HOLDING, FairRegistration, FairStatus, RegistrationStatus
from storage.uow import UnitOfWork

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
WORKERS = 2


@pytest.fixture
async def workers(database_url: str) -> AsyncIterator[list[async_sessionmaker]]:
    """Two workers' session factories, each on its own engine (its own connections; on SQLite
    its own write lock), as two processes of the bot would have."""
    engines = [create_engine(database_url) for _ in range(WORKERS)]
    yield [create_session_factory(engine) for engine in engines]
    for engine in engines:
        await engine.dispose()


async def new_fair(factory: async_sessionmaker, booths: int) -> int:
    async with UnitOfWork(factory) as uow:
        fair = await uow.fairs.add(
            code=f"Q{random.randrange(10**8)}", name={"vi": "Hội chợ"}, place={}, support={},
            booths=booths, starts_on=date(2027, 3, 15), ends_on=date(2027, 3, 18),
            registration_deadline=datetime(2027, 3, 1, 16, 59, tzinfo=UTC),
            status=FairStatus.OPEN, created_at=NOW, updated_at=NOW)
        await uow.commit()
        return fair.id


async def people(factory: async_sessionmaker, count: int, *, users_each: int = 1
                 ) -> list[list[tuple[int, int]]]:
    """`count` establishments, each with `users_each` users: [(establishment, user), …]."""
    result = []
    async with UnitOfWork(factory) as uow:
        for n in range(count):
            establishment = await uow.establishments.record(
                f"{random.randrange(10**9):010d}", name=f"Cơ sở {n}", commune=None,
                sector=None, now=NOW)
            pairs = []
            for k in range(users_each):
                user = await uow.users.get_for_update(
                    "console", f"u{establishment.id}-{k}", locale="vi", display_name=None,
                    now=NOW)
                pairs.append((establishment.id, user.id))
            result.append(pairs)
        await uow.commit()
    return result


async def register(factory: async_sessionmaker, fair_id: int, establishment_id: int,
                   user_id: int) -> FairRegistration | str:
    """One registration as the bot makes it: its own unit of work; the refusal's reason."""
    async with UnitOfWork(factory) as uow:
        try:
            booked = await booking.register(uow, fair_id, establishment_id=establishment_id,
                                            user_id=user_id, booths=1, answers={}, now=NOW)
        except booking.BookingRefused as refused:
            return refused.reason
        await uow.commit()
        return booked.registration


async def cancel(factory: async_sessionmaker, registration_id: int) -> list[booking.Notice]:
    async with UnitOfWork(factory) as uow:
        passed = await booking.cancel(uow, registration_id, NOW)
        await uow.commit()
        return passed


async def registrations(factory: async_sessionmaker, fair_id: int) -> list[FairRegistration]:
    async with UnitOfWork(factory) as uow:
        return await uow.registrations.of_fair(fair_id)  # by id: arrival order


async def assert_consistent(factory: async_sessionmaker, fair_id: int, quota: int) -> None:
    """What must hold whatever the interleaving: the quota, one active registration per
    establishment, no booth left free while someone waits, the waitlist numbered in order."""
    rows = await registrations(factory, fair_id)
    held = sum(r.booths for r in rows if r.status in HOLDING)
    assert held <= quota
    active = Counter(r.establishment_id for r in rows if r.status in ACTIVE)
    assert max(active.values(), default=1) == 1
    waiting = [r for r in rows if r.status == RegistrationStatus.WAITLISTED]
    if waiting:
        assert held == quota
    async with UnitOfWork(factory) as uow:
        positions = [await uow.registrations.waitlist_position(r) for r in waiting]
    assert positions == list(range(1, len(waiting) + 1))


async def test_100_concurrent_registrations_for_10_booths_on_two_workers(workers) -> None:
    fair_id = await new_fair(workers[0], 10)
    attempts = [pairs[0] for pairs in await people(workers[0], 100)]
    results = await asyncio.gather(*(
        register(workers[n % WORKERS], fair_id, establishment, user)
        for n, (establishment, user) in enumerate(attempts)))
    assert all(isinstance(r, FairRegistration) for r in results)
    rows = await registrations(workers[1], fair_id)
    assert len(rows) == 100
    assert len({r.establishment_id for r in rows}) == 100
    # Exactly 10 confirmed: the first 10 to arrive; everyone after them waits, in order.
    assert [r.status for r in rows] == ["confirmed"] * 10 + ["waitlisted"] * 90
    await assert_consistent(workers[0], fair_id, 10)
    # What each caller was told is what was stored.
    told = {r.id: r.status for r in results if isinstance(r, FairRegistration)}
    assert told == {r.id: r.status for r in rows}


async def test_one_establishment_registering_from_two_users_at_once_is_registered_once(
        workers) -> None:
    fair_id = await new_fair(workers[0], 10)
    establishments = await people(workers[0], 20, users_each=2)
    # Both users of each establishment tap "Xác nhận" at once, on different workers.
    attempts = [(worker, pair) for pairs in establishments
                for worker, pair in enumerate(pairs)]
    random.shuffle(attempts)
    results = await asyncio.gather(*(
        register(workers[worker], fair_id, establishment, user)
        for worker, (establishment, user) in attempts))
    assert Counter(r if isinstance(r, str) else "registered" for r in results) == {
        "registered": 20, booking.ALREADY: 20}
    rows = await registrations(workers[0], fair_id)
    assert len(rows) == 20 and len({r.establishment_id for r in rows}) == 20
    assert [r.status for r in rows] == ["confirmed"] * 10 + ["waitlisted"] * 10
    await assert_consistent(workers[1], fair_id, 10)


async def test_cancellations_racing_registrations_offer_freed_booths_in_waitlist_order(
        workers) -> None:
    fair_id = await new_fair(workers[0], 10)
    earlier = [pairs[0] for pairs in await people(workers[0], 13)]
    booked = [await register(workers[0], fair_id, e, u) for e, u in earlier]
    assert [r.status for r in booked] == ["confirmed"] * 10 + ["waitlisted"] * 3
    newcomers = [pairs[0] for pairs in await people(workers[0], 10)]
    # Two confirmed establishments cancel while ten more register, on both workers.
    work = [cancel(workers[0], booked[0].id), cancel(workers[1], booked[1].id)] + [
        register(workers[n % WORKERS], fair_id, e, u) for n, (e, u) in enumerate(newcomers)]
    random.shuffle(work)
    results = await asyncio.gather(*work)
    offered = [n.registration.id for r in results if isinstance(r, list) for n in r]
    # The freed booths went to the first two in line (who were there before the race).
    assert sorted(offered) == [booked[10].id, booked[11].id]
    rows = {r.id: r for r in await registrations(workers[1], fair_id)}
    assert [rows[r.id].status for r in booked] == (
        ["cancelled"] * 2 + ["confirmed"] * 8 + ["offered"] * 2 + ["waitlisted"])
    assert all(r.status == "waitlisted" for r in results if isinstance(r, FairRegistration))
    await assert_consistent(workers[0], fair_id, 10)


async def test_a_cancellation_racing_a_registration_when_no_one_waits(workers) -> None:
    """Whichever comes first, the newcomer ends up holding the freed booth: confirmed if the
    cancellation came first, else waitlisted and then offered it."""
    for round_ in range(6):
        fair_id = await new_fair(workers[0], 10)
        everyone = [pairs[0] for pairs in await people(workers[0], 11)]
        booked = [await register(workers[0], fair_id, e, u) for e, u in everyone[:10]]
        establishment, user = everyone[10]
        racing = [cancel(workers[0], booked[0].id),
                  register(workers[1], fair_id, establishment, user)]
        if round_ % 2:
            racing.reverse()
        await asyncio.gather(*racing)
        rows = await registrations(workers[0], fair_id)
        newcomer = next(r for r in rows if r.establishment_id == establishment)
        assert newcomer.status in HOLDING
        assert sum(r.booths for r in rows if r.status in HOLDING) == 10
        await assert_consistent(workers[1], fair_id, 10)


async def test_an_offered_registration_cancelled_passes_its_offer_on(workers) -> None:
    fair_id = await new_fair(workers[0], 1)
    everyone = [pairs[0] for pairs in await people(workers[0], 3)]
    first, second, third = [await register(workers[0], fair_id, e, u) for e, u in everyone]
    (offer,) = await cancel(workers[1], first.id)
    assert offer.registration.id == second.id
    (passed,) = await cancel(workers[0], second.id)
    assert passed.registration.id == third.id
    rows = await registrations(workers[1], fair_id)
    assert [(r.status, r.offer_expires_at is None) for r in rows] == [
        ("cancelled", True), ("cancelled", True), ("offered", False)]
    await assert_consistent(workers[0], fair_id, 1)
