"""Periodic pruning of what is kept only for a while (the processed-update ledger, expired
media files): recurring jobs of the scheduler, so one worker does each, each hour."""

from __future__ import annotations

import logging
from datetime import timedelta

from handlers.context import JobContext
from storage.inbound import LEDGER_RETENTION

logger = logging.getLogger(__name__)

PRUNE_LEDGER = "prune_ledger"
PRUNE_MEDIA = "prune_media"
PRUNE_EVERY = timedelta(hours=1)


async def prune_ledger(job: JobContext) -> None:
    pruned = await job.uow.inbound.forget_older_than(job.now - LEDGER_RETENTION)
    if pruned:
        logger.info("pruned %d processed-update rows", pruned)


async def prune_media(job: JobContext) -> None:
    """Files behind expired media links go (charts and exports may hold personal data)."""
    pruned = await job.uow.media.forget_expired(job.now)
    if pruned:
        logger.info("pruned %d expired media files", pruned)
