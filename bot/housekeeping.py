"""Periodic pruning of what is kept only for a while (the processed-update ledger): a
recurring job of the scheduler, so one worker does it each hour."""

from __future__ import annotations

import logging
from datetime import timedelta

from handlers.context import JobContext
from storage.inbound import LEDGER_RETENTION

logger = logging.getLogger(__name__)

PRUNE_LEDGER = "prune_ledger"
PRUNE_EVERY = timedelta(hours=1)


async def prune_ledger(job: JobContext) -> None:
    pruned = await job.uow.inbound.forget_older_than(job.now - LEDGER_RETENTION)
    if pruned:
        logger.info("pruned %d processed-update rows", pruned)
