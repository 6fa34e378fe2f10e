"""Inbound update ledger: applies each (channel, update id) once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, null, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage._upsert import insert_ignoring_conflict
from storage.models import ProcessedUpdate


class InboundRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, channel: str, update_id: str, now: datetime, *,
                     user_id: int | None = None,
                     replies: list[dict[str, Any]] | None = None) -> bool:
        """Record the update as applied, with the replies still to send; False when it
        already was (the caller rolls back).

        On PostgreSQL a concurrent duplicate waits for the first transaction and then sees
        the conflict, so the pair can never both be applied.
        """
        return await insert_ignoring_conflict(
            self._session, ProcessedUpdate, channel=channel, update_id=update_id,
            processed_at=now, user_id=user_id, replies=replies,
        )

    async def was_applied(self, channel: str, update_id: str) -> bool:
        return (await self._session.execute(select(ProcessedUpdate.update_id).where(
            ProcessedUpdate.channel == channel, ProcessedUpdate.update_id == update_id)
        )).first() is not None

    async def keep_unsent(self, channel: str, update_id: str,
                          replies: list[dict[str, Any]]) -> None:
        """Keep only the replies that could not be sent, for the update's redelivery."""
        await self._session.execute(
            update(ProcessedUpdate)
            .where(ProcessedUpdate.channel == channel, ProcessedUpdate.update_id == update_id)
            .values(replies=replies)
        )

    async def mark_sent(self, channel: str, update_ids: list[str], now: datetime) -> None:
        """The updates' replies were sent: a redelivery sends nothing, and the kept replies
        (which may quote personal data) are dropped."""
        await self._session.execute(
            update(ProcessedUpdate)
            .where(ProcessedUpdate.channel == channel, ProcessedUpdate.update_id.in_(update_ids))
            .values(sent_at=now, replies=null())
        )

    async def forget_older_than(self, cutoff: datetime) -> int:
        """Drop ledger rows no platform would redeliver any more (Telegram keeps 24 h)."""
        result = await self._session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff)
        )
        return result.rowcount


LEDGER_RETENTION = timedelta(days=3)
