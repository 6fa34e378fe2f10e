"""Messages to users that are not replies to what they just sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DeliveryStatus, OutboxMessage, User


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, user_id: int, text: str, now: datetime) -> None:
        self._session.add(OutboxMessage(user_id=user_id, text=text, created_at=now))
        await self._session.flush()

    async def take_for_user(self, user_id: int, now: datetime) -> list[OutboxMessage]:
        """Pending messages of one user, marked sent: the caller puts them in a reply that is
        kept with the update's ledger row, so they are re-sent if that reply is lost."""
        messages = await self.pending_for_user(user_id)
        for message in messages:
            message.status, message.delivered_at = DeliveryStatus.SENT, now
        return messages

    async def pending_for_user(self, user_id: int) -> list[OutboxMessage]:
        """Pending messages of one user, oldest first, left pending (the web page polls them
        and acknowledges what it showed)."""
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.user_id == user_id,
                   OutboxMessage.status == DeliveryStatus.PENDING)
            .order_by(OutboxMessage.id)
            .with_for_update(skip_locked=True)
        )
        return list((await self._session.execute(query)).scalars())

    async def mark_sent(self, user_id: int, message_ids: list[int], now: datetime) -> int:
        """Mark messages of this user as sent; ids of other users' messages are ignored."""
        result = await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.user_id == user_id, OutboxMessage.id.in_(message_ids),
                   OutboxMessage.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.SENT, delivered_at=now)
        )
        return result.rowcount

    async def claim_for_channel(self, channel: str, limit: int
                                ) -> list[tuple[OutboxMessage, User]]:
        """Undelivered messages for users of a channel, locked so other workers skip them."""
        query = (
            select(OutboxMessage, User)
            .join(User, User.id == OutboxMessage.user_id)
            .where(User.channel == channel, OutboxMessage.status == DeliveryStatus.PENDING)
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=OutboxMessage)
        )
        return [(m, u) for m, u in (await self._session.execute(query)).all()]

    async def release(self, message_ids: list[int]) -> None:
        """Put claimed messages back in the queue after a failed send."""
        await self._session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(message_ids))
            .values(delivered_at=None, status=DeliveryStatus.PENDING)
        )
