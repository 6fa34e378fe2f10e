"""Periodic pruning of what is kept only for a while (the processed-update ledger).

Every worker may run it: deleting rows another worker already deleted is harmless.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import Clock, utc_now
from handlers.error_report import anonymous_traceback
from storage.inbound import LEDGER_RETENTION
from storage.uow import UnitOfWork

logger = logging.getLogger(__name__)


class Housekeeping:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], *,
                 clock: Clock = utc_now, interval: float = 3600.0,
                 ledger_retention: timedelta = LEDGER_RETENTION) -> None:
        self._session_factory = session_factory
        self._clock = clock
        self._interval = interval
        self._ledger_retention = ledger_retention
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="housekeeping")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception as error:  # the next round tries again
                logger.error("housekeeping failed: %s", anonymous_traceback(error))
            await asyncio.sleep(self._interval)

    async def run_once(self) -> int:
        """Prune the ledger; returns how many rows went."""
        async with UnitOfWork(self._session_factory) as uow:
            pruned = await uow.inbound.forget_older_than(self._clock() - self._ledger_retention)
            await uow.commit()
        if pruned:
            logger.info("pruned %d processed-update rows", pruned)
        return pruned
