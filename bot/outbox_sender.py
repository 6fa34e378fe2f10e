"""Background delivery of queued messages (e.g. staff answers) to users who are not writing.

Messages are claimed in short transactions (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so
several workers share the queue), sent outside any transaction, and put back when sending
failed for a reason other than the user being unreachable.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.uow import UnitOfWork

logger = logging.getLogger(__name__)

# send(channel_user_id, text) -> True when delivered or undeliverable for good (blocked),
# False to try again later.
Sender = Callable[[str, str], Awaitable[bool]]


class OutboxSender:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], channel: str,
                 send: Sender, *, interval: float = 2.0, batch: int = 20) -> None:
        self._session_factory = session_factory
        self._channel = channel
        self._send = send
        self._interval = interval
        self._batch = batch
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"outbox-{self._channel}")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                sent = await self.deliver_once()
            except Exception:  # keep the loop alive; the next round retries
                logger.exception("outbox delivery failed")
                sent = 0
            if sent < self._batch:
                await asyncio.sleep(self._interval)

    async def deliver_once(self) -> int:
        """Claim and send one batch; returns how many messages were claimed."""
        async with UnitOfWork(self._session_factory) as uow:
            claimed = await uow.outbox.claim_for_channel(self._channel, self._batch)
            now = datetime.now(UTC)
            for message, _user in claimed:
                message.status, message.delivered_at = "sent", now  # reset below on failure
            work = [(m.id, u.channel_user_id, m.text) for m, u in claimed]
            await uow.commit()
        failed = [message_id for message_id, user_id, text in work
                  if not await self._send(user_id, text)]
        if failed:
            async with UnitOfWork(self._session_factory) as uow:
                await uow.outbox.release(failed)
                await uow.commit()
        return len(work)
