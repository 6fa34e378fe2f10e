"""Users: one row per person per channel."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, exists, null, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage._upsert import insert_ignoring_conflict
from storage.models import (
    ConversationState,
    DeliveryStatus,
    OutboxMessage,
    ProcessedUpdate,
    User,
)


class LockedUser(NamedTuple):
    user: User
    state: ConversationState | None
    has_queued_messages: bool
    # The ledger row of the update being handled, when it was applied before.
    applied: ProcessedUpdate | None = None


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
        now: datetime, update_id: str | None = None,
    ) -> LockedUser:
        """Lock (creating if new) the user, with their conversation state, whether messages
        wait for them and, given an update id, its ledger row if it was applied before: one
        statement for a known user, since this runs for every incoming message.

        The ledger row is read in the statement's snapshot; on PostgreSQL a duplicate that
        waited for the row lock may not see the row its twin just wrote, which is why
        `InboundRepository.record` still refuses a second row.
        """
        columns: list = [User, ConversationState,
                         exists().where(OutboxMessage.user_id == User.id,
                                        OutboxMessage.status == DeliveryStatus.PENDING)]
        if update_id is not None:
            columns.append(ProcessedUpdate)
        query = (
            select(*columns)
            .outerjoin(ConversationState, ConversationState.user_id == User.id)
            .where(User.channel == channel, User.channel_user_id == channel_user_id)
            .with_for_update(of=User)
            .execution_options(populate_existing=True)
        )
        if update_id is not None:
            query = query.outerjoin(ProcessedUpdate, and_(
                ProcessedUpdate.channel == channel, ProcessedUpdate.update_id == update_id))
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

    async def set_blocked(self, channel: str, channel_user_id: str,
                          blocked_at: datetime | None) -> None:
        """Record that the user blocked the bot (a time) or may be written to again (None)."""
        await self._session.execute(
            update(User)
            .where(User.channel == channel, User.channel_user_id == channel_user_id)
            .values(blocked_at=blocked_at)
        )

    async def delete(self, user: User) -> None:
        # The replies kept with their updates may quote the profile: they go too.
        await self._session.execute(
            update(ProcessedUpdate).where(ProcessedUpdate.user_id == user.id)
            .values(replies=null()))
        await self._session.delete(user)
        await self._session.flush()

    async def get(self, user_id: int) -> User | None:
        return await self._session.get(User, user_id)
