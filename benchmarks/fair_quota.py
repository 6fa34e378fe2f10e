"""A fair's quota under a rush: concurrent registrations for a few booths, on two workers.

Run from the project root (after `make setup`)::

    .venv/bin/python benchmarks/fair_quota.py                  # a temporary SQLite file
    TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test_fairx \\
        .venv/bin/python benchmarks/fair_quota.py              # PostgreSQL

What it does:

1. A fresh, migrated database: with TEST_DATABASE_URL (a PostgreSQL server on a loopback
   host), a database ``bench_fairs_<its database>`` created on that server for the run and
   dropped after it (the database named by the URL itself is only used to connect; nothing in
   it is touched); without it, a temporary SQLite file.
2. An open fair with ``--quota`` (10) booths, one per establishment, and ``--attempts`` (100)
   users: every tenth user speaks for the same establishment as another user (two people of
   one establishment tapping "Xác nhận" at once), so the attempts come from 90 establishments.
3. ``--workers`` engines (2 on PostgreSQL, like two processes of the bot; 1 on SQLite, which
   is run as one process), each with its connection pool warmed up.
4. Timed: every attempt at once (``asyncio.gather``, in a seeded random order, spread over the
   workers), each ``handlers.fairs.booking.register`` in its own unit of work committed on its
   own, as the bot runs a registration.
5. Checked from the database: ``confirmed``, ``waitlisted``, ``already`` (refused: the
   establishment was registered by its other user), ``overbooked`` (booths held beyond the
   quota), ``duplicates`` (active registrations beyond one per establishment) and
   ``out_of_order`` (waitlisted registrations that arrived before a confirmed one).

Prints one JSON object; exits with 1 when ``overbooked`` or ``duplicates`` is not 0, or, on
PostgreSQL, when ``seconds`` is 2 or more. ``machine_loop_s`` is the machine probe
(benchmarks/machine.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from benchmarks.machine import machine_speed
from benchmarks.scratch_db import scratch_database
from handlers.fairs import booking
from storage.db import create_engine, create_session_factory
from storage.models import ACTIVE, HOLDING, FairStatus, RegistrationStatus
from storage.uow import UnitOfWork

BENCH_DATABASE = "bench_fairs"
TARGET_SECONDS = 2.0  # PostgreSQL, 100 attempts


async def prepare(factory: Any, attempts: int, quota: int, seed: int
                  ) -> tuple[int, list[tuple[int, int]]]:
    """The fair and the attempts [(establishment, user)], in the order they are fired."""
    now = datetime.now(UTC)
    async with UnitOfWork(factory) as uow:
        fair = await uow.fairs.add(
            code="BENCH-1", name={"vi": "Hội chợ thử tải"}, place={}, support={},
            booths=quota, starts_on=(now + timedelta(days=60)).date(),
            ends_on=(now + timedelta(days=62)).date(),
            registration_deadline=now + timedelta(days=30), status=FairStatus.OPEN,
            created_at=now, updated_at=now)
        tries: list[tuple[int, int]] = []
        establishments: list[int] = []
        for n in range(attempts):
            if n % 10 == 9 and establishments:
                establishment_id = establishments[n // 10]  # another person of it
            else:
                establishment_id = (await uow.establishments.record(
                    f"{1_000_000_000 + n:010d}", name=f"Cơ sở {n}", commune=None, sector=None,
                    now=now)).id
                establishments.append(establishment_id)
            user = await uow.users.get_for_update("console", f"bench-{n}", locale="vi",
                                                  display_name=None, now=now)
            tries.append((establishment_id, user.id))
        await uow.commit()
    random.Random(seed).shuffle(tries)
    return fair.id, tries


async def attempt(factory: Any, fair_id: int, establishment_id: int, user_id: int) -> str:
    async with UnitOfWork(factory) as uow:
        try:
            booked = await booking.register(
                uow, fair_id, establishment_id=establishment_id, user_id=user_id, booths=1,
                answers={}, now=datetime.now(UTC))
        except booking.BookingRefused as refused:
            return refused.reason
        await uow.commit()
        return booked.registration.status


async def warm_up(engine: Any, connections: int) -> None:
    async def one() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            await asyncio.sleep(0.01)  # hold it, so the pool opens `connections` of them

    await asyncio.gather(*(one() for _ in range(connections)))


async def run(url: str, backend: str, args: argparse.Namespace) -> dict[str, Any]:
    engines = [create_engine(url) for _ in range(args.workers)]
    try:
        factories = [create_session_factory(engine) for engine in engines]
        fair_id, tries = await prepare(factories[0], args.attempts, args.quota, args.seed)
        for engine in engines:
            await warm_up(engine, engine.pool.size() + max(engine.pool.overflow(), 0)
                          if backend == "postgresql" else 1)
        started = time.perf_counter()
        told = await asyncio.gather(*(
            attempt(factories[n % args.workers], fair_id, establishment, user)
            for n, (establishment, user) in enumerate(tries)))
        seconds = time.perf_counter() - started
        async with UnitOfWork(factories[-1]) as uow:
            rows = await uow.registrations.of_fair(fair_id)  # by id: arrival order
    finally:
        for engine in engines:
            await engine.dispose()
    statuses = Counter(r.status for r in rows)
    held = sum(r.booths for r in rows if r.status in HOLDING)
    active = Counter(r.establishment_id for r in rows if r.status in ACTIVE)
    last_confirmed = max((r.id for r in rows if r.status == RegistrationStatus.CONFIRMED),
                         default=0)
    return {
        "backend": backend,
        "workers": args.workers,
        "attempts": args.attempts,
        "quota": args.quota,
        "confirmed": statuses[RegistrationStatus.CONFIRMED],
        "waitlisted": statuses[RegistrationStatus.WAITLISTED],
        "already": Counter(told)[booking.ALREADY],
        "overbooked": max(held - args.quota, 0),
        "duplicates": sum(n - 1 for n in active.values()),
        "out_of_order": sum(1 for r in rows if r.status == RegistrationStatus.WAITLISTED
                            and r.id < last_confirmed),
        "seconds": round(seconds, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--attempts", type=int, default=100)
    parser.add_argument("--quota", type=int, default=10)
    parser.add_argument("--workers", type=int, help="engines (default: 2 on PostgreSQL, "
                        "1 on SQLite)")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--backend", choices=("auto", "sqlite"), default="auto",
                        help="sqlite: a temporary SQLite file even when TEST_DATABASE_URL "
                             "is set")
    args = parser.parse_args(argv)
    server_url = os.environ.get("TEST_DATABASE_URL") if args.backend == "auto" else None
    backend = "postgresql" if server_url else "sqlite"
    if args.workers is None:
        args.workers = 2 if backend == "postgresql" else 1
    speed = machine_speed()
    with scratch_database(server_url, BENCH_DATABASE) as url:
        result = asyncio.run(run(url, backend, args))
    result["machine_loop_s"] = speed
    print(json.dumps(result))
    missed = result["overbooked"] or result["duplicates"] or (
        backend == "postgresql" and result["seconds"] >= TARGET_SECONDS)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
