"""Messages to users that are not replies to what they just sent."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DeliveryStatus, OutboxMessage, User

# How long a message the platform refused to push waits for the user's next message.
NOT_ALLOWED_KEPT = timedelta(days=30)


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, user_id: int, text: str, now: datetime, *,
                  choices: list[tuple[str, str]] | None = None) -> None:
        """Queue a message; `choices` are (label, payload) buttons sent with it."""
        self._session.add(OutboxMessage(
            user_id=user_id, text=text, created_at=now,
            choices=[list(choice) for choice in choices] if choices else None))
        await self._session.flush()

    async def take_for_user(self, user_id: int, now: datetime) -> list[OutboxMessage]:
        """Pending messages of one user, marked sent: the caller puts them in a reply that is
        kept with the update's ledger row, so they are re-sent if that reply is lost. Messages
        a sender holds under a lease are left to it. So are, with the next reply, those the
        platform did not let the sender push (Zalo OA outside its 48-hour window: a staff
        answer was lost), for NOT_ALLOWED_KEPT."""
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.user_id == user_id,
                   or_(OutboxMessage.status == DeliveryStatus.PENDING,
                       and_(OutboxMessage.status == DeliveryStatus.NOT_ALLOWED,
                            OutboxMessage.created_at >= now - NOT_ALLOWED_KEPT)),
                   or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now))
            .order_by(OutboxMessage.id)
            .with_for_update(skip_locked=True)
        )
        messages = list((await self._session.execute(query)).scalars())
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

    async def claim_due(self, channel: str, now: datetime, lease: timedelta, limit: int
                        ) -> list[tuple[OutboxMessage, User]]:
        """Lease due messages for users of a channel to one sender and count the attempt.

        Rows locked by another sender's claim are skipped (`SKIP LOCKED`), rows it leased stay
        its own until the lease ends, so a sender that dies mid-way delays a message by the
        lease and never loses it. Messages for users who blocked the bot are marked blocked
        here and not returned.
        """
        query = (
            select(OutboxMessage, User)
            .join(User, User.id == OutboxMessage.user_id)
            .where(User.channel == channel, OutboxMessage.status == DeliveryStatus.PENDING,
                   or_(OutboxMessage.next_attempt_at.is_(None),
                       OutboxMessage.next_attempt_at <= now),
                   or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now))
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=OutboxMessage)
        )
        claimed = []
        for message, user in (await self._session.execute(query)).all():
            if user.blocked_at is not None:
                message.status, message.lease_until = DeliveryStatus.BLOCKED, None
                continue
            message.lease_until, message.attempts = now + lease, message.attempts + 1
            claimed.append((message, user))
        await self._session.flush()
        return claimed

    async def settle(self, message_id: int, status: DeliveryStatus, now: datetime, *,
                     next_attempt_at: datetime | None = None, last_error: str | None = None,
                     refund_attempt: bool = False) -> None:
        """Record how a leased message's attempt ended and release the lease."""
        values: dict = {"status": status, "lease_until": None,
                        "next_attempt_at": next_attempt_at,
                        "last_error": last_error[:64] if last_error else None}
        if status == DeliveryStatus.SENT:
            values["delivered_at"] = now
        if refund_attempt:  # flood control is not the message's fault
            values["attempts"] = OutboxMessage.attempts - 1
        await self._session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))
