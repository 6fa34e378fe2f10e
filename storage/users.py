"""Users: one row per person per channel."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage._upsert import insert_ignoring_conflict
from storage.models import ConversationState, DeliveryStatus, OutboxMessage, User


class LockedUser(NamedTuple):
    user: User
    state: ConversationState | None
    has_queued_messages: bool


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_for_update(
        self, channel: str, channel_user_id: str, *, locale: str, display_name: str | None,
        now: datetime,
    ) -> User:
        """Fetch the user, creating them first, and lock the row for this transaction.

        The row lock serialises updates from one user across workers on PostgreSQL; SQLite
        serialises all writers already (BEGIN IMMEDIATE).
        """
        return (await self.lock_with_state(channel, channel_user_id, locale=locale,
                                           display_name=display_name, now=now)).user

    async def lock_with_state(
        self, channel: str, channel_user_id: str, *, locale: str, display_name: str | None,
        now: datetime,
    ) -> LockedUser:
        """Lock (creating if new) the user, with their conversation state and whether
        messages wait for them: one statement for a known user, since this runs for every
        incoming message."""
        query = (
            select(User, ConversationState,
                   exists().where(OutboxMessage.user_id == User.id,
                                  OutboxMessage.status == DeliveryStatus.PENDING))
            .outerjoin(ConversationState, ConversationState.user_id == User.id)
            .where(User.channel == channel, User.channel_user_id == channel_user_id)
            .with_for_update(of=User)
            .execution_options(populate_existing=True)
        )
        row = (await self._session.execute(query)).one_or_none()
        if row is None:
            await insert_ignoring_conflict(
                self._session, User, channel=channel, channel_user_id=channel_user_id,
                locale=locale, role="user", display_name=display_name, created_at=now,
            )
            row = (await self._session.execute(query)).one()
        return LockedUser(*row)

    async def find(self, channel: str, channel_user_id: str) -> User | None:
        query = select(User).where(User.channel == channel, User.channel_user_id == channel_user_id)
        return (await self._session.execute(query)).scalar_one_or_none()

    async def list_staff(self) -> list[User]:
        query = select(User).where(User.role == "staff").order_by(User.id)
        return list((await self._session.execute(query)).scalars())

    async def delete(self, user: User) -> None:
        await self._session.delete(user)
        await self._session.flush()

    async def get(self, user_id: int) -> User | None:
        return await self._session.get(User, user_id)
