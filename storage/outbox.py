"""Messages to users that are not replies to what they just sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, User


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, user_id: int, text: str, now: datetime) -> None:
        self._session.add(OutboxMessage(user_id=user_id, text=text, created_at=now))
        await self._session.flush()

    async def take_for_user(self, user_id: int, now: datetime) -> list[OutboxMessage]:
        """Undelivered messages of one user, marked delivered (the caller shows them)."""
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.user_id == user_id, OutboxMessage.delivered_at.is_(None))
            .order_by(OutboxMessage.id)
            .with_for_update(skip_locked=True)
        )
        messages = list((await self._session.execute(query)).scalars())
        for message in messages:
            message.delivered_at = now
        return messages

    async def claim_for_channel(self, channel: str, limit: int
                                ) -> list[tuple[OutboxMessage, User]]:
        """Undelivered messages for users of a channel, locked so other workers skip them."""
        query = (
            select(OutboxMessage, User)
            .join(User, User.id == OutboxMessage.user_id)
            .where(User.channel == channel, OutboxMessage.delivered_at.is_(None))
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=OutboxMessage)
        )
        return [(m, u) for m, u in (await self._session.execute(query)).all()]

    async def release(self, message_ids: list[int]) -> None:
        """Put claimed messages back in the queue after a failed send."""
        await self._session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(message_ids))
            .values(delivered_at=None)
        )
