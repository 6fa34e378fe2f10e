"""The scheduler: jobs in the database, run once across workers, on a clock tests move."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.app import build_core
from bot.housekeeping import PRUNE_LEDGER
from handlers.context import JobContext
from storage.models import Job, JobStatus, ProcessedUpdate
from storage.uow import UnitOfWork
from tests.conftest import MovableClock, make_settings

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


async def _count(core, model) -> int:
    async with UnitOfWork(core.session_factory) as uow:
        return (await uow._session.execute(select(func.count()).select_from(model))).scalar()


async def _schedule(core, kind: str, due_at: datetime, **kwargs) -> None:
    async with UnitOfWork(core.session_factory) as uow:
        await uow.jobs.schedule(kind, due_at, NOW, **kwargs)
        await uow.commit()


async def _job(core, key: str) -> Job:
    async with UnitOfWork(core.session_factory) as uow:
        job = await uow.jobs.get(key)
        assert job is not None
        return job


def _core(database_url, locales_dir, knowledge_base, clock):
    return build_core(make_settings(database_url, locales_dir), kb=knowledge_base, clock=clock)


async def test_the_ledger_is_pruned_by_a_recurring_job(database_url, locales_dir,
                                                       knowledge_base) -> None:
    clock = MovableClock(NOW)
    core = _core(database_url, locales_dir, knowledge_base, clock)
    try:
        async with UnitOfWork(core.session_factory) as uow:
            await uow.inbound.record("telegram", "1", NOW - timedelta(days=4))
            await uow.inbound.record("telegram", "2", NOW - timedelta(hours=1))
            await uow.commit()
        await core.scheduler.ensure_recurring()
        assert await core.scheduler.run_due() == 2  # the ledger's and the media files'
        assert await _count(core, ProcessedUpdate) == 1
        assert await core.scheduler.run_due() == 0  # next run in an hour
        job = await _job(core, PRUNE_LEDGER)
        assert (job.status, job.due_at) == (JobStatus.PENDING, NOW + timedelta(hours=1))
        clock.advance(days=3)
        assert await core.scheduler.run_due() == 2
        assert await _count(core, ProcessedUpdate) == 0
    finally:
        await core.close()


async def test_a_job_due_while_no_worker_ran_runs_when_one_starts(
        database_url, locales_dir, knowledge_base) -> None:
    clock = MovableClock(NOW)
    ran: list[dict] = []

    async def note(job: JobContext) -> None:
        ran.append(job.payload)

    core = _core(database_url, locales_dir, knowledge_base, clock)
    try:
        core.scheduler.register("note", note)
        await _schedule(core, "note", NOW + timedelta(hours=2), payload={"n": 1}, key="k1")
        assert await core.scheduler.run_due() == 0
        clock.advance(days=2)  # every worker was down for two days
        core.scheduler.start()
        for _ in range(2000):  # returns as soon as it is done; up to 20 s on a loaded machine
            # Done, not only run: stopping the scheduler between the two (a loaded machine)
            # would roll the run back, as it should.
            if ran and (await _job(core, "k1")).status == JobStatus.DONE:
                break
            await asyncio.sleep(0.01)
        await core.scheduler.stop()
        assert ran == [{"n": 1}]
        assert (await _job(core, "k1")).status == JobStatus.DONE
    finally:
        await core.close()


async def test_scheduling_the_same_key_twice_keeps_one_job_and_moves_it(
        database_url, locales_dir, knowledge_base) -> None:
    core = _core(database_url, locales_dir, knowledge_base, MovableClock(NOW))
    try:
        await _schedule(core, "note", NOW + timedelta(hours=1), key="same")
        await _schedule(core, "note", NOW + timedelta(hours=5), key="same")
        assert await _count(core, Job) == 1
        assert (await _job(core, "same")).due_at == NOW + timedelta(hours=5)
    finally:
        await core.close()


async def test_a_failing_job_is_rolled_back_retried_with_backoff_then_kept_as_failed(
        database_url, locales_dir, knowledge_base) -> None:
    clock = MovableClock(NOW)
    calls = 0

    async def flaky(job: JobContext) -> None:
        nonlocal calls
        calls += 1
        await job.uow.inbound.record("telegram", f"side-effect-{calls}", job.now)
        raise RuntimeError("boom")

    core = _core(database_url, locales_dir, knowledge_base, clock)
    try:
        core.scheduler.register("flaky", flaky)
        await _schedule(core, "flaky", NOW, key="f")
        assert await core.scheduler.run_due() == 1
        job = await _job(core, "f")
        assert (job.status, job.attempts, job.last_error) == (JobStatus.PENDING, 1,
                                                              "RuntimeError")
        assert job.due_at == NOW + timedelta(minutes=1)
        assert await _count(core, ProcessedUpdate) == 0  # its effects were rolled back
        for _ in range(10):
            clock.advance(hours=2)
            await core.scheduler.run_due()
        job = await _job(core, "f")
        assert (job.status, job.attempts) == (JobStatus.FAILED, 5)
        assert calls == 5
    finally:
        await core.close()


async def test_two_workers_run_each_due_job_exactly_once(database_url, locales_dir,
                                                         knowledge_base) -> None:
    clock = MovableClock(NOW)
    ran: list[int] = []

    async def slow(job: JobContext) -> None:
        await job.uow.inbound.record("telegram", f"job-{job.payload['n']}", job.now)
        await asyncio.sleep(0.005)
        ran.append(job.payload["n"])

    first = _core(database_url, locales_dir, knowledge_base, clock)
    second = _core(database_url, locales_dir, knowledge_base, clock)
    try:
        for core in (first, second):
            core.scheduler.register("slow", slow)
        for n in range(30):
            await _schedule(first, "slow", NOW - timedelta(seconds=n), payload={"n": n},
                            key=f"slow:{n}")
        await asyncio.gather(first.scheduler.run_due(), second.scheduler.run_due())
        assert sorted(ran) == list(range(30))
        assert await _count(first, ProcessedUpdate) == 30
    finally:
        await first.close()
        await second.close()


async def test_expired_media_files_are_pruned_by_a_recurring_job(database_url, locales_dir,
                                                                 knowledge_base) -> None:
    from storage.models import MediaFile

    core = _core(database_url, locales_dir, knowledge_base, MovableClock(NOW))
    try:
        async with UnitOfWork(core.session_factory) as uow:
            for token, expires_at in (("old", NOW - timedelta(minutes=1)),
                                      ("fresh", NOW + timedelta(hours=1))):
                uow._session.add(MediaFile(token=token, filename="x.xlsx", mime_type="x",
                                           content=b"personal", created_at=NOW,
                                           expires_at=expires_at))
            await uow.commit()
        await core.scheduler.ensure_recurring()
        await core.scheduler.run_due()
        async with UnitOfWork(core.session_factory) as uow:
            tokens = (await uow._session.execute(select(MediaFile.token))).scalars().all()
        assert tokens == ["fresh"]
    finally:
        await core.close()
