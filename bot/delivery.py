"""Delivery outcomes, and what channels record about sending outside the dispatcher's
transaction: replies sent (batched), replies kept for a redelivery, the outbox, blocked users.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.rendering import numbered
from handlers.error_report import anonymous_traceback
from handlers.stored_replies import to_stored
from handlers.types import Reply
from storage.uow import UnitOfWork

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Outcome(StrEnum):
    SENT = "sent"
    RETRY_AFTER = "retry_after"  # flood control: the platform names when to try again
    BLOCKED = "blocked"  # the user blocked the bot or left the platform
    # The platform does not let the bot write to this user now: never started the bot, or
    # outside Zalo OA's reply window. Not retried; counted.
    NOT_ALLOWED = "not_allowed"
    FAILED = "failed"  # refused (for good unless `transient`)


@dataclass(frozen=True)
class DeliveryOutcome:
    """How a send ended; `error` is short and never quotes the message or the user."""

    kind: Outcome
    retry_after: float = 0.0
    transient: bool = False  # a network or server error: worth another try
    error: str | None = None

    @property
    def worth_retrying(self) -> bool:
        return self.kind is Outcome.RETRY_AFTER or self.transient


SENT = DeliveryOutcome(Outcome.SENT)


def as_text(reply: Reply) -> str:
    """A reply as plain text, choices as a numbered list (the user may type the number), or
    as words to type where the question wants a typed answer (see Reply.expects_text)."""
    return numbered(reply.text, reply.choices, typed=reply.expects_text)


class Deliveries:
    """Shared by the channels of one process; `close()` flushes what is still collected."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], *,
                 clock: Clock = utc_now, flush_interval: float = 0.2) -> None:
        self._session_factory = session_factory
        self._clock = clock
        self._flush_interval = flush_interval
        self._sent: dict[str, set[str]] = {}
        self._flushing: dict[str, set[str]] = {}
        self._flush_scheduled = False
        self._flushes: set[asyncio.Task] = set()

    def replies_sent(self, channel: str, update_id: str | None) -> None:
        """Mark an update's replies as sent, in one UPDATE with the others of the next
        fraction of a second, so the hot path pays no database round trip."""
        if update_id is None:
            return
        self._sent.setdefault(channel, set()).add(update_id)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            task = asyncio.create_task(self._flush_soon(), name="replies-sent")
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)

    def were_sent(self, channel: str, update_id: str | None) -> bool:
        """Whether this process sent the update's replies and has not marked them yet (so a
        quick redelivery is not answered twice)."""
        return update_id is not None and (update_id in self._sent.get(channel, ()) or
                                          update_id in self._flushing.get(channel, ()))

    async def _flush_soon(self) -> None:
        await asyncio.sleep(self._flush_interval)
        self._flush_scheduled = False
        await self.flush()

    async def flush(self) -> None:
        sent, self._sent = self._sent, {}
        if not sent:
            return
        self._flushing = sent
        try:
            async with UnitOfWork(self._session_factory) as uow:
                for channel, update_ids in sent.items():
                    await uow.inbound.mark_sent(channel, sorted(update_ids), self._clock())
                await uow.commit()
        except Exception as error:  # a redelivery would then re-send them: not worth more
            logger.warning("could not mark replies as sent: %s", anonymous_traceback(error))
        finally:
            self._flushing = {}

    async def close(self) -> None:
        await asyncio.gather(*self._flushes)
        await self.flush()

    async def keep_unsent(self, channel: str, update_id: str, replies: list[Reply]) -> None:
        """Keep only the replies not sent yet with the update, for its redelivery."""
        async with UnitOfWork(self._session_factory) as uow:
            await uow.inbound.keep_unsent(channel, update_id, to_stored(replies))
            await uow.commit()

    async def queue(self, channel: str, channel_user_id: str, replies: list[Reply]) -> None:
        """Hand replies that could not be sent to the outbox, whose sender retries them."""
        async with UnitOfWork(self._session_factory) as uow:
            user = await uow.users.find(channel, channel_user_id)
            if user is None:
                return
            for reply in replies:
                if text := as_text(reply):
                    await uow.outbox.add(user.id, text, self._clock())
            await uow.commit()

    async def set_blocked(self, channel: str, channel_user_id: str, blocked: bool) -> None:
        """Record that a user blocked the bot, or unblocked it."""
        async with UnitOfWork(self._session_factory) as uow:
            await uow.users.set_blocked(channel, channel_user_id,
                                        self._clock() if blocked else None)
            await uow.commit()
