"""Background delivery of queued messages (e.g. staff answers) to users who are not writing.

Due messages are leased in a short transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so
several workers share the queue), sent outside any transaction, and marked by how the
platform answered: sent, later (flood control, or a network or server error with backoff),
blocked, not allowed (the platform does not let the bot write to the user now, e.g. outside
Zalo OA's reply window), or failed for good. One sender serves each channel that pushes.
A sender that dies after leasing a message leaves it to the next claim once the lease has run
out.

Given the channel's shared pace (`SlotSource`, the row broadcasts send by), each message takes
its slot there first and flood control holds it for every sender, so staff answers and fair
offers sent during a broadcast keep within the platform's rate with it rather than on top of it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.background import BackgroundLoop
from bot.delivery import Clock, DeliveryOutcome, Outcome, utc_now
from handlers.error_report import anonymous_traceback
from handlers.stored_replies import queued_reply
from handlers.types import Reply
from storage.models import DeliveryStatus
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.broadcast_sender import SlotSource
    from bot.channels.base import Channel

logger = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 8
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True)
class Leased:
    message_id: int
    channel_user_id: str
    reply: Reply
    attempts: int


class OutboxSender(BackgroundLoop):
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], channel: Channel,
                 *, clock: Clock = utc_now, interval: float = 2.0,
                 batch: int = 20, lease: timedelta = LEASE,
                 max_attempts: int = MAX_ATTEMPTS, slots: SlotSource | None = None,
                 per_second: float = 30.0) -> None:
        super().__init__(f"outbox-{channel.name}", interval)
        self._session_factory = session_factory
        self._channel = channel.name
        self._deliver = channel.deliver
        self._clock = clock
        self._batch = batch
        self._lease = lease
        self._max_attempts = max_attempts
        self._slots = slots
        self._spacing = 1 / per_second  # between two sends (not the idle loop's interval)

    async def tick(self) -> bool:
        return await self.deliver_once() >= self._batch

    async def deliver_once(self) -> int:
        """Lease, send and mark one batch; returns how many messages were leased."""
        leased = await self.claim()
        if leased:
            await self._send(leased)
        return len(leased)

    async def claim(self) -> list[Leased]:
        """Lease a batch of due messages to this sender."""
        async with UnitOfWork(self._session_factory) as uow:
            claimed = await uow.outbox.claim_due(self._channel, self._clock(), self._lease,
                                                 self._batch)
            leased = [Leased(m.id, u.channel_user_id, queued_reply(m.text, m.choices), m.attempts)
                      for m, u in claimed]
            await uow.commit()
        return leased

    async def _send(self, leased: list[Leased]) -> None:
        outcomes: list[tuple[Leased, DeliveryOutcome]] = []
        for item in leased:
            await self._wait_for_slot()
            outcomes_of_item = await self._deliver(item.channel_user_id, [item.reply])
            outcome = outcomes_of_item[-1] if outcomes_of_item else DeliveryOutcome(
                Outcome.FAILED, error="nothing sent")
            outcomes.append((item, outcome))
            if outcome.kind is Outcome.RETRY_AFTER:
                # Flood control holds for the whole bot: the rest waits without trying.
                outcomes += [(rest, outcome) for rest in leased[len(outcomes):]]
                await self._hold(outcome.retry_after)
                break
        now = self._clock()
        async with UnitOfWork(self._session_factory) as uow:
            for item, outcome in outcomes:
                await self._settle(uow, item, outcome, now)
            await uow.commit()

    async def _wait_for_slot(self) -> None:
        """Take one slot of the channel's shared pace (none given: send at once)."""
        if self._slots is None:
            return
        try:
            starts_in = await self._slots.take(self._spacing)
        except Exception as error:  # the database is down: the claim failed too, or will
            logger.error("outbox: pace not shared: %s", anonymous_traceback(error))
            return
        if starts_in > 0:
            await asyncio.sleep(starts_in)

    async def _hold(self, seconds: float) -> None:
        if self._slots is None:
            return
        try:
            await self._slots.hold(seconds)
        except Exception as error:
            logger.error("outbox: flood control not shared: %s", anonymous_traceback(error))

    async def _settle(self, uow: UnitOfWork, item: Leased, outcome: DeliveryOutcome,
                      now: datetime) -> None:
        outbox = uow.outbox
        if outcome.kind is Outcome.SENT:
            await outbox.settle(item.message_id, DeliveryStatus.SENT, now)
        elif outcome.kind is Outcome.RETRY_AFTER:
            await outbox.settle(item.message_id, DeliveryStatus.PENDING, now,
                                next_attempt_at=now + timedelta(seconds=outcome.retry_after),
                                last_error=outcome.error, refund_attempt=True)
        elif outcome.kind is Outcome.BLOCKED:
            await outbox.settle(item.message_id, DeliveryStatus.BLOCKED, now,
                                last_error=outcome.error)
            await uow.users.set_blocked(self._channel, item.channel_user_id, now)
        elif outcome.kind is Outcome.NOT_ALLOWED:
            logger.info("outbox message #%s not allowed (%s)", item.message_id,
                        outcome.error or outcome.kind)
            await outbox.settle(item.message_id, DeliveryStatus.NOT_ALLOWED, now,
                                last_error=outcome.error or outcome.kind)
        elif outcome.transient and item.attempts < self._max_attempts:
            backoff = min(FIRST_BACKOFF * 2 ** (item.attempts - 1), MAX_BACKOFF)
            await outbox.settle(item.message_id, DeliveryStatus.PENDING, now,
                                next_attempt_at=now + backoff, last_error=outcome.error)
        else:
            logger.warning("outbox message #%s failed for good (%s)", item.message_id,
                           outcome.error or outcome.kind)
            await outbox.settle(item.message_id, DeliveryStatus.FAILED, now,
                                last_error=outcome.error or outcome.kind)
