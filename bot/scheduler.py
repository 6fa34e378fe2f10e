"""The scheduler: runs due jobs from the jobs table, each exactly once across workers.

Timed work (an offer that expires, a reminder, the hourly clean-up) is a row, never an
in-memory timer: a job due while every worker was down runs when one comes back. Each job
runs in the transaction that marks it done (see storage/jobs.py), so its database effects,
messages queued in the outbox included, happen once. A failing job is retried with backoff
and, out of attempts, kept as failed with its error type.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.background import BackgroundLoop
from bot.delivery import Clock
from handlers.context import JobContext, JobHandler
from handlers.error_report import anonymous_traceback
from handlers.i18n import Translator
from handlers.services import Services
from storage.uow import UnitOfWork

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(minutes=1)


@dataclass(frozen=True)
class _Registered:
    handler: JobHandler
    every: timedelta | None  # recurring: run again this long after each run
    # Runs (in its own transaction) when a one-off job fails for good, so what waited on it
    # does not wait for ever.
    on_give_up: JobHandler | None = None


class Scheduler(BackgroundLoop):
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], clock: Clock, *,
                 translators: dict[str, Translator], services: Services,
                 interval: float = 5.0, batch: int = 50) -> None:
        super().__init__("scheduler", interval)
        self._session_factory = session_factory
        self._clock = clock
        self._translators = translators
        self._services = services
        self._batch = batch
        self._jobs: dict[str, _Registered] = {}
        self._recurring_ensured = False

    def register(self, kind: str, handler: JobHandler, *, every: timedelta | None = None,
                 on_give_up: JobHandler | None = None) -> None:
        self._jobs[kind] = _Registered(handler, every, on_give_up)


    async def ensure_recurring(self) -> None:
        """Give each recurring kind its row (due now), unless it has one."""
        now = self._clock()
        async with UnitOfWork(self._session_factory) as uow:
            for kind, registered in self._jobs.items():
                if registered.every is not None:
                    await uow.jobs.ensure_recurring(kind, now, now)
            await uow.commit()

    async def tick(self) -> bool:
        # In the loop, not at start: a database that is down must not stop the server.
        if not self._recurring_ensured:
            await self.ensure_recurring()
            self._recurring_ensured = True
        return await self.run_due() >= self._batch

    async def run_due(self) -> int:
        """Run due jobs one transaction each, up to a batch; returns how many ran."""
        ran = 0
        kinds = frozenset(self._jobs)
        while ran < self._batch:
            outcome = await self._run_one(kinds)
            if outcome is None:
                break
            ran += 1
        return ran

    async def _run_one(self, kinds: frozenset[str]) -> bool | None:
        """Run the most overdue job: True if it ran, False if it failed, None if none is due."""
        now = self._clock()
        async with UnitOfWork(self._session_factory) as uow:
            job = await uow.jobs.take_due(now, kinds)
            if job is None:
                return None
            job_id, kind, attempts, payload = job.id, job.kind, job.attempts, job.payload
            registered = self._jobs[kind]
            try:
                await registered.handler(JobContext(uow, now, dict(job.payload),
                                                    self._translators, self._services))
                next_due = now + registered.every if registered.every else None
                await uow.jobs.finish(job, now, next_due=next_due)
                await uow.commit()
                return True
            except Exception as error:
                await uow.rollback()
                failure = error
        logger.error("job #%s (%s) failed: %s", job_id, kind, anonymous_traceback(failure))
        retry_at = None
        if attempts + 1 < MAX_ATTEMPTS:
            retry_at = now + FIRST_RETRY * 2 ** attempts
        if registered.every is not None:  # a recurring job never gives up: next period
            retry_at = retry_at or now + registered.every
        async with UnitOfWork(self._session_factory) as uow:
            await uow.jobs.record_failure(job_id, now, type(failure).__name__,
                                          retry_at=retry_at)
            await uow.commit()
        if retry_at is None and registered.on_give_up is not None:
            await self._give_up(registered.on_give_up, kind, payload, now)
        return False

    async def _give_up(self, step: JobHandler, kind: str, payload: dict, now: datetime) -> None:
        """Its own transaction, after the failure is recorded: a give-up step that fails too
        is logged and does not bring the job back."""
        try:
            async with UnitOfWork(self._session_factory) as uow:
                await step(JobContext(uow, now, dict(payload), self._translators,
                                      self._services))
                await uow.commit()
        except Exception as error:
            logger.error("giving up job %s failed: %s", kind, anonymous_traceback(error))
