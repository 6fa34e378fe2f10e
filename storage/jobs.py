"""The jobs table: timed work claimed by one worker at a time.

A worker takes one due job with `FOR UPDATE SKIP LOCKED` (PostgreSQL; on SQLite the single
process's write lock does the same), runs it in the same transaction and marks it done there:
a crash rolls everything back and the job is taken again, a second worker skips the locked
row and, once the first committed, no longer sees it as pending.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage._upsert import insert_ignoring_conflict
from storage.models import Job, JobStatus


class JobRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def schedule(self, kind: str, due_at: datetime, now: datetime, *,
                       payload: dict[str, Any] | None = None, key: str | None = None) -> None:
        """Add a job. With a key, scheduling twice keeps one job: a pending one is moved to
        the new time, a done one stays done (it happened)."""
        if key is None:
            self._session.add(Job(kind=kind, key=None, payload=payload or {}, due_at=due_at,
                                  status=JobStatus.PENDING, attempts=0, created_at=now))
            await self._session.flush()
            return
        inserted = await insert_ignoring_conflict(
            self._session, Job, kind=kind, key=key, payload=payload or {}, due_at=due_at,
            status=JobStatus.PENDING, attempts=0, created_at=now)
        if not inserted:
            await self._session.execute(
                update(Job).where(Job.key == key, Job.status == JobStatus.PENDING)
                .values(due_at=due_at, payload=payload or {}))

    async def ensure_recurring(self, kind: str, first_due: datetime, now: datetime) -> None:
        """The one row of a recurring job (keyed by its kind); a failed one is revived."""
        await self.schedule(kind, first_due, now, key=kind)
        await self._session.execute(
            update(Job).where(Job.key == kind, Job.status != JobStatus.PENDING)
            .values(status=JobStatus.PENDING, due_at=first_due, attempts=0))

    async def cancel(self, key_prefix: str) -> int:
        """Drop pending jobs whose key starts with `key_prefix` (a fair's reminders, say)."""
        result = await self._session.execute(
            delete(Job).where(Job.key.startswith(key_prefix, autoescape=True),
                              Job.status == JobStatus.PENDING))
        return result.rowcount

    async def take_due(self, now: datetime, kinds: frozenset[str]) -> Job | None:
        """The most overdue pending job of these kinds, locked for this transaction."""
        query = (
            select(Job)
            .where(Job.status == JobStatus.PENDING, Job.due_at <= now, Job.kind.in_(kinds))
            .order_by(Job.due_at, Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        return (await self._session.execute(query)).scalar_one_or_none()

    async def finish(self, job: Job, now: datetime, *, next_due: datetime | None = None
                     ) -> None:
        """Mark a job done, or move a recurring one to its next time."""
        if next_due is not None:
            job.due_at, job.attempts, job.last_error = next_due, 0, None
        else:
            job.status, job.finished_at = JobStatus.DONE, now
        await self._session.flush()

    async def record_failure(self, job_id: int, now: datetime, error: str, *,
                             retry_at: datetime | None) -> None:
        """Count a failed run: try again at `retry_at`, or give up (None)."""
        values: dict[str, Any] = {"attempts": Job.attempts + 1, "last_error": error[:200]}
        if retry_at is None:
            values.update(status=JobStatus.FAILED, finished_at=now)
        else:
            values["due_at"] = retry_at
        await self._session.execute(
            update(Job).where(Job.id == job_id, Job.status == JobStatus.PENDING)
            .values(**values))

    async def get(self, key: str) -> Job | None:
        return (await self._session.execute(select(Job).where(Job.key == key))
                ).scalar_one_or_none()

    async def pending(self, key_prefix: str = "") -> list[Job]:
        query = (select(Job).where(Job.status == JobStatus.PENDING,
                                   Job.key.startswith(key_prefix, autoescape=True))
                 .order_by(Job.due_at, Job.id))
        return list((await self._session.execute(query)).scalars())
