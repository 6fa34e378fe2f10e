"""Inbound update ledger: applies each (channel, update id) once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage._upsert import insert_ignoring_conflict
from storage.models import ProcessedUpdate


class InboundRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, channel: str, update_id: str, now: datetime) -> bool:
        """Record the update as applied; False when it already was.

        On PostgreSQL a concurrent duplicate waits for the first transaction and then sees
        the conflict, so the pair can never both be applied.
        """
        return await insert_ignoring_conflict(
            self._session, ProcessedUpdate, channel=channel, update_id=update_id, processed_at=now
        )

    async def forget_older_than(self, cutoff: datetime) -> int:
        """Drop ledger rows no platform would redeliver any more (Telegram keeps 24 h)."""
        result = await self._session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff)
        )
        return result.rowcount


LEDGER_RETENTION = timedelta(days=3)
