"""Users: one row per person per channel."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Select, and_, bindparam, exists, null, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage._upsert import insert_ignoring_conflict
from storage.establishments import EstablishmentRepository
from storage.models import (
    AuditEntry,
    Broadcast,
    ConversationState,
    DeliveryStatus,
    Fair,
    FairRegistration,
    OutboxMessage,
    ProcessedUpdate,
    Question,
    StaffAnswer,
    User,
    fit_to_column,
)
from storage.outbox import NOT_ALLOWED_KEPT


class LockedUser(NamedTuple):
    user: User
    state: ConversationState | None
    has_queued_messages: bool
    # The ledger row of the update being handled, when it was applied before.
    applied: ProcessedUpdate | None = None


def _lock_query(*, with_ledger: bool) -> Select:
    columns: list = [User, ConversationState,
                     # refused by the platform too, while kept: they come with the next
                     # reply (OutboxRepository.take_for_user); older ones would make every
                     # message look for them again
                     exists().where(OutboxMessage.user_id == User.id, or_(
                         OutboxMessage.status == DeliveryStatus.PENDING,
                         and_(OutboxMessage.status == DeliveryStatus.NOT_ALLOWED,
                              OutboxMessage.created_at >= bindparam("kept_since"))))]
    if with_ledger:
        columns.append(ProcessedUpdate)
    query = (
        select(*columns)
        .outerjoin(ConversationState, ConversationState.user_id == User.id)
        .where(User.channel == bindparam("channel"),
               User.channel_user_id == bindparam("channel_user_id"))
        .with_for_update(of=User)
    )
    if with_ledger:
        query = query.outerjoin(ProcessedUpdate, and_(
            ProcessedUpdate.channel == bindparam("channel"),
            ProcessedUpdate.update_id == bindparam("update_id")))
    return query


# Built once: they run for every message, and building costs more than running them.
_LOCK = _lock_query(with_ledger=False)
_LOCK_WITH_LEDGER = _lock_query(with_ledger=True)


# Columns that name a person by channel id ("telegram:801"): as actor or target of an audit
# entry, author of an answer or a broadcast, editor of a fair, decider on a registration.
_NAMES_AN_ACTOR = (AuditEntry.actor, AuditEntry.target, Broadcast.created_by,
                   Broadcast.cancelled_by, Question.answered_by, StaffAnswer.added_by,
                   Fair.updated_by, FairRegistration.decided_by)


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
        query = _LOCK_WITH_LEDGER if update_id is not None else _LOCK
        parameters = {"channel": channel, "channel_user_id": channel_user_id,
                      "update_id": update_id, "kept_since": now - NOT_ALLOWED_KEPT}
        row = (await self._session.execute(query, parameters)).one_or_none()
        if row is None:
            await insert_ignoring_conflict(
                self._session, User, channel=channel, channel_user_id=channel_user_id,
                locale=locale, role="user", created_at=now,
                display_name=fit_to_column(User.display_name, display_name),
            )
            row = (await self._session.execute(query, parameters)).one()
        return LockedUser(*row)

    async def find(self, channel: str, channel_user_id: str) -> User | None:
        query = select(User).where(User.channel == channel, User.channel_user_id == channel_user_id)
        return (await self._session.execute(query)).scalar_one_or_none()

    async def list_staff(self) -> list[User]:
        query = select(User).where(User.role == "staff").order_by(User.id)
        return list((await self._session.execute(query)).scalars())

    async def erase(self, user: User, reference: str) -> None:
        """Delete the user and every row about them; where a row must stay (the audit log,
        answers they gave as staff, the update ledger) put `reference` in place of their
        channel id, and drop what they typed.

        Profile, consent, conversation state, questions and queued messages go with the user
        row (ON DELETE CASCADE).
        """
        key = f"{user.channel}:{user.channel_user_id}"
        session = self._session
        for column in _NAMES_AN_ACTOR:
            await session.execute(update(column.class_).where(column == key)
                                  .values({column.key: reference}))
        await session.execute(update(ProcessedUpdate).where(ProcessedUpdate.user_id == user.id)
                              .values(user_id=None, replies=null()))
        await session.delete(user)
        await session.flush()
        # A household's tax code is its owner's personal id: an establishment nobody speaks
        # for any more goes too.
        await EstablishmentRepository(session).forget_unused()

    async def set_blocked(self, channel: str, channel_user_id: str,
                          blocked_at: datetime | None) -> None:
        """Record that the user blocked the bot (a time) or may be written to again (None)."""
        await self._session.execute(
            update(User)
            .where(User.channel == channel, User.channel_user_id == channel_user_id)
            .values(blocked_at=blocked_at)
        )

    async def get(self, user_id: int) -> User | None:
        return await self._session.get(User, user_id)
