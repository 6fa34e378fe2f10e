"""Broadcasts, their audiences and the per-recipient delivery rows the senders claim.

Recipients are listed in batches by user id (`list_batch`), each batch in its own short
transaction, so a broadcast to the whole register starts at once. Senders claim due rows with
`SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL; on SQLite the single process's write lock does
the same) and hold them under a lease: a sender killed mid-way leaves its rows to the next
claim once the lease has run out, so nobody is skipped and only messages in flight at the kill
may go twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Double, and_, bindparam, case, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from storage._upsert import insert_for
from storage.models import (
    Broadcast,
    BroadcastPace,
    BroadcastRecipient,
    BroadcastStatus,
    EnterpriseProfile,
    Establishment,
    FairRegistration,
    RecipientStatus,
    RegistrationStatus,
    ReplyWindow,
    ResponseStatus,
    SurveyResponse,
    User,
)

# A fair's registrants hold booths (or were offered one); its waitlist waits for one.
FAIR_GROUPS = {
    "registrants": (RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED),
    "waitlist": (RegistrationStatus.WAITLISTED,),
}


@dataclass(frozen=True)
class Audience:
    """Who a broadcast goes to: subscribers matching every criterion given (an empty one
    does not narrow); within one criterion, any of its values."""

    channels: tuple[str, ...] = ()
    communes: tuple[str, ...] = ()  # commune codes (a former district or province: its units)
    sectors: tuple[str, ...] = ()
    fair_id: int | None = None
    fair_group: str | None = None  # "registrants" or "waitlist"
    survey_code: str | None = None
    survey_submitted: bool | None = None
    # What staff chose, to show it back (e.g. the former province), not used by queries.
    labels: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"channels": list(self.channels), "communes": list(self.communes),
                "sectors": list(self.sectors), "fair_id": self.fair_id,
                "fair_group": self.fair_group, "survey_code": self.survey_code,
                "survey_submitted": self.survey_submitted, "labels": dict(self.labels)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        return cls(tuple(data.get("channels") or ()), tuple(data.get("communes") or ()),
                   tuple(data.get("sectors") or ()), data.get("fair_id"),
                   data.get("fair_group"), data.get("survey_code"),
                   data.get("survey_submitted"), dict(data.get("labels") or {}))


@dataclass(frozen=True)
class Claimed:
    """A recipient row leased to one sender."""

    id: int
    broadcast_id: int
    user_id: int
    channel_user_id: str
    locale: str
    attempts: int
    needs_notice: bool  # their first broadcast: it says how to unsubscribe
    # The claim's lease: only the sender holding it may record the outcome.
    lease_until: datetime


def _audience_query(audience: Audience, channels: Iterable[str]):
    """Ids and channels of the subscribers in the audience, by user id."""
    allowed = [c for c in channels if not audience.channels or c in audience.channels]
    establishment = EnterpriseProfile.establishment_id
    query = (
        select(User.id, User.channel)
        .outerjoin(EnterpriseProfile, EnterpriseProfile.user_id == User.id)
        .outerjoin(Establishment, Establishment.id == establishment)
        .where(User.channel.in_(allowed), User.blocked_at.is_(None),
               User.unsubscribed_at.is_(None))
    )
    if audience.communes:
        query = query.where(func.coalesce(Establishment.commune, EnterpriseProfile.commune)
                            .in_(audience.communes))
    if audience.sectors:
        query = query.where(func.coalesce(Establishment.sector, EnterpriseProfile.sector)
                            .in_(audience.sectors))
    if audience.fair_id is not None:
        statuses = FAIR_GROUPS.get(audience.fair_group or "registrants", ())
        query = query.where(exists().where(
            FairRegistration.fair_id == audience.fair_id,
            FairRegistration.status.in_(statuses),
            or_(FairRegistration.user_id == User.id,
                and_(establishment.is_not(None),
                     FairRegistration.establishment_id == establishment))))
    if audience.survey_code is not None:
        submitted = exists().where(
            SurveyResponse.survey_code == audience.survey_code,
            SurveyResponse.status == ResponseStatus.SUBMITTED,
            or_(SurveyResponse.user_id == User.id,
                and_(establishment.is_not(None),
                     SurveyResponse.establishment_id == establishment)))
        query = query.where(submitted if audience.survey_submitted else ~submitted)
    return query


class BroadcastRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # --- broadcasts ---------------------------------------------------------------------

    async def add(self, *, text: str, audience: Audience, created_by: str,
                  staff_user_id: int | None, now: datetime, scheduled_at: datetime,
                  attachment: dict[str, Any] | None = None) -> Broadcast:
        broadcast = Broadcast(text=text, audience=audience.to_json(), created_by=created_by,
                              staff_user_id=staff_user_id, created_at=now,
                              scheduled_at=scheduled_at, status=BroadcastStatus.SCHEDULED,
                              listed=False, listed_up_to=0, attachment=attachment)
        self._session.add(broadcast)
        await self._session.flush()
        return broadcast

    async def get(self, broadcast_id: int) -> Broadcast | None:
        return await self._session.get(Broadcast, broadcast_id)

    async def lock(self, broadcast_id: int) -> Broadcast | None:
        """The broadcast, locked, read afresh (not the copy already in the session)."""
        query = (select(Broadcast).where(Broadcast.id == broadcast_id).with_for_update()
                 .execution_options(populate_existing=True))
        return (await self._session.execute(query)).scalar_one_or_none()

    async def set_attachment_ref(self, broadcast_id: int, channel: str, ref: str) -> None:
        """Keep a channel's reference to the broadcast's attachment (its upload), so no
        other sender uploads it again; under the row lock, as other channels' senders may
        add theirs at the same time."""
        broadcast = await self.lock(broadcast_id)
        if broadcast is None or not broadcast.attachment:
            return
        refs = {**(broadcast.attachment.get("refs") or {}), channel: ref}
        broadcast.attachment = {**broadcast.attachment, "refs": refs}
        await self._session.flush()

    async def recent(self, limit: int = 20) -> list[Broadcast]:
        query = select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)
        return list((await self._session.execute(query)).scalars())

    async def unfinished(self) -> list[Broadcast]:
        query = (select(Broadcast)
                 .where(Broadcast.status.in_((BroadcastStatus.SCHEDULED,
                                              BroadcastStatus.SENDING)))
                 .order_by(Broadcast.id))
        return list((await self._session.execute(query)).scalars())

    async def sending(self) -> list[Broadcast]:
        query = (select(Broadcast).where(Broadcast.status == BroadcastStatus.SENDING)
                 .order_by(Broadcast.id))
        return list((await self._session.execute(query)).scalars())

    async def cancel(self, broadcast: Broadcast, *, by: str, now: datetime) -> int:
        """Cancel an unfinished broadcast: its queued recipients are not sent to (those a
        sender holds right now may still go). Returns how many were left unsent."""
        broadcast.status, broadcast.cancelled_by = BroadcastStatus.CANCELLED, by
        broadcast.finished_at = now
        result = await self._session.execute(
            update(BroadcastRecipient)
            .where(BroadcastRecipient.broadcast_id == broadcast.id,
                   BroadcastRecipient.status == RecipientStatus.QUEUED)
            .values(status=RecipientStatus.CANCELLED, last_error="cancelled"))
        await self._session.flush()
        return result.rowcount

    async def take_progress_turn(self, broadcast_id: int, now: datetime,
                                 hold: timedelta) -> bool:
        """Whether this worker may report the broadcast's progress now (one worker at a
        time, until `hold` has passed)."""
        result = await self._session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.SENDING,
                   or_(Broadcast.progress_lease_until.is_(None),
                       Broadcast.progress_lease_until < now))
            .values(progress_lease_until=now + hold))
        return result.rowcount == 1

    async def finish_if_done(self, broadcast_id: int, now: datetime) -> bool:
        """Mark a broadcast done once all its recipients are listed and none is waiting or
        being sent; True for the one call that did."""
        pending = exists().where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.status.in_((RecipientStatus.QUEUED, RecipientStatus.SENDING)))
        result = await self._session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.SENDING,
                   Broadcast.listed.is_(True), ~pending)
            .values(status=BroadcastStatus.DONE, finished_at=now))
        return result.rowcount == 1

    # --- audiences ----------------------------------------------------------------------

    async def count_audience(self, audience: Audience, channels: Iterable[str]
                             ) -> dict[str, int]:
        """Subscribers in the audience, by channel."""
        inner = _audience_query(audience, channels).subquery()
        query = select(inner.c.channel, func.count()).group_by(inner.c.channel)
        return {channel: n for channel, n in (await self._session.execute(query)).all()}

    async def outside_reply_window(self, audience: Audience, channel: str, now: datetime, *,
                                   length: timedelta, replies: int) -> int:
        """Subscribers of a channel with a reply window (Zalo OA) in the audience whom the
        platform would not let the bot write to now."""
        inner = _audience_query(audience, [channel]).subquery()
        within = exists().where(ReplyWindow.user_id == inner.c.id,
                                ReplyWindow.opened_at > now - length,
                                ReplyWindow.replies < replies)
        query = select(func.count()).select_from(inner).where(~within)
        return int((await self._session.execute(query)).scalar_one())

    async def list_batch(self, broadcast: Broadcast, channels: Iterable[str], now: datetime,
                         batch: int) -> int:
        """Add the next batch of the audience as queued recipients; returns how many."""
        audience = Audience.from_json(broadcast.audience)
        query = (_audience_query(audience, channels)
                 .where(User.id > broadcast.listed_up_to)
                 .order_by(User.id).limit(batch))
        rows = (await self._session.execute(query)).all()
        if rows:
            await self._session.execute(
                BroadcastRecipient.__table__.insert(),
                [{"broadcast_id": broadcast.id, "user_id": user_id, "channel": channel,
                  "status": RecipientStatus.QUEUED, "attempts": 0, "next_attempt_at": now}
                 for user_id, channel in rows])
            broadcast.listed_up_to = rows[-1][0]
        if len(rows) < batch:
            broadcast.listed = True
        await self._session.flush()
        return len(rows)

    # --- delivery rows ------------------------------------------------------------------

    async def claim(self, channel: str, now: datetime, lease: timedelta, limit: int
                    ) -> list[Claimed]:
        """Lease due recipients of a channel to one sender and count the attempt: queued
        rows that are due, and rows whose sender's lease ran out (it died)."""
        query = (
            select(BroadcastRecipient, User)
            .join(User, User.id == BroadcastRecipient.user_id)
            .join(Broadcast, Broadcast.id == BroadcastRecipient.broadcast_id)
            .where(BroadcastRecipient.channel == channel,
                   Broadcast.status == BroadcastStatus.SENDING,
                   or_(and_(BroadcastRecipient.status == RecipientStatus.QUEUED,
                            BroadcastRecipient.next_attempt_at <= now),
                       and_(BroadcastRecipient.status == RecipientStatus.SENDING,
                            BroadcastRecipient.lease_until < now)))
            .order_by(BroadcastRecipient.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=BroadcastRecipient)
        )
        claimed: list[Claimed] = []
        skipped: list[tuple[int, str]] = []
        for row, user in (await self._session.execute(query)).all():
            # Blocked or unsubscribed since the row was listed: never sent to.
            if user.blocked_at is not None:
                skipped.append((row.id, RecipientStatus.BLOCKED))
                continue
            if user.unsubscribed_at is not None:
                skipped.append((row.id, RecipientStatus.CANCELLED))
                continue
            claimed.append(Claimed(row.id, row.broadcast_id, user.id, user.channel_user_id,
                                   user.locale, row.attempts + 1,
                                   user.broadcast_notice_at is None, now + lease))
        if claimed:
            await self._session.execute(
                update(BroadcastRecipient)
                .where(BroadcastRecipient.id.in_([c.id for c in claimed]))
                .values(status=RecipientStatus.SENDING, lease_until=now + lease,
                        attempts=BroadcastRecipient.attempts + 1))
        for row_id, status in skipped:
            await self._session.execute(
                update(BroadcastRecipient).where(BroadcastRecipient.id == row_id)
                .values(status=status, lease_until=None,
                        last_error="unsubscribed" if status == RecipientStatus.CANCELLED
                        else "blocked the bot"))
        return claimed

    async def settle(self, outcomes: list[tuple[Claimed, str, dict[str, Any]]]) -> None:
        """Record how leased rows' attempts ended: (claim, status, other values) each; the
        lease is released. A row no longer held under that claim (its lease ran out and
        another sender took it) is left to the other sender."""
        # One statement per claim and outcome (most rows of a claim end the same way).
        groups: dict[tuple, list[int]] = {}
        for claim, status, values in outcomes:
            key = (status, claim.lease_until, tuple(sorted(values.items())))
            groups.setdefault(key, []).append(claim.id)
        for (status, lease_until, values), ids in groups.items():
            await self._session.execute(
                update(BroadcastRecipient)
                .where(BroadcastRecipient.id.in_(ids),
                       BroadcastRecipient.status == RecipientStatus.SENDING,
                       BroadcastRecipient.lease_until == lease_until)
                .values(status=status, lease_until=None, **dict(values)))
        # Rows given back (a retry, a stop) after their broadcast was cancelled would wait
        # for ever ("left" in its figures): they end as cancelled like the rest.
        cancelled = select(Broadcast.id).where(Broadcast.status == BroadcastStatus.CANCELLED)
        await self._session.execute(
            update(BroadcastRecipient)
            .where(BroadcastRecipient.id.in_([claim.id for claim, _s, _v in outcomes]),
                   BroadcastRecipient.status == RecipientStatus.QUEUED,
                   BroadcastRecipient.broadcast_id.in_(cancelled))
            .values(status=RecipientStatus.CANCELLED, last_error="cancelled"))

    async def mark_notice_given(self, user_ids: list[int], now: datetime) -> None:
        if user_ids:
            await self._session.execute(
                update(User).where(User.id.in_(user_ids), User.broadcast_notice_at.is_(None))
                .values(broadcast_notice_at=now))

    async def counts(self, broadcast_id: int) -> dict[str, int]:
        """Recipients by status."""
        query = (select(BroadcastRecipient.status, func.count())
                 .where(BroadcastRecipient.broadcast_id == broadcast_id)
                 .group_by(BroadcastRecipient.status))
        return {status: n for status, n in (await self._session.execute(query)).all()}

    async def counts_by_channel(self, broadcast_id: int) -> dict[str, dict[str, int]]:
        query = (select(BroadcastRecipient.channel, BroadcastRecipient.status, func.count())
                 .where(BroadcastRecipient.broadcast_id == broadcast_id)
                 .group_by(BroadcastRecipient.channel, BroadcastRecipient.status))
        counts: dict[str, dict[str, int]] = {}
        for channel, status, n in (await self._session.execute(query)).all():
            counts.setdefault(channel, {})[status] = n
        return counts

    async def errors(self, broadcast_id: int, limit: int = 10) -> list[tuple[str, int]]:
        """The most frequent errors of failed recipients."""
        query = (select(BroadcastRecipient.last_error, func.count().label("n"))
                 .where(BroadcastRecipient.broadcast_id == broadcast_id,
                        BroadcastRecipient.status == RecipientStatus.FAILED)
                 .group_by(BroadcastRecipient.last_error)
                 .order_by(func.count().desc()).limit(limit))
        return [(error or "-", n) for error, n in (await self._session.execute(query)).all()]

    async def sent_since(self, broadcast_id: int, since: datetime) -> int:
        query = select(func.count()).where(BroadcastRecipient.broadcast_id == broadcast_id,
                                           BroadcastRecipient.sent_at >= since)
        return int((await self._session.execute(query)).scalar_one())

    # --- the channel's pace, shared by its senders ------------------------------------

    async def take_slots(self, channel: str, seconds: float) -> tuple[float, float]:
        """Reserve the channel's next `seconds` of sending time for one sender, from its next
        free slot or now, whichever is later: one atomic statement, so two senders never get
        the same time. Returns (now, start), seconds since the epoch on the database's clock."""
        statement = _take_slots(self._session.get_bind().dialect.name)
        end, now = (await self._session.execute(
            statement, {"channel": channel, "seconds": seconds})).one()
        return now, end - seconds

    async def database_time(self) -> float:
        """Now on the database's clock (the clock of `take_slots`)."""
        return float((await self._session.execute(select(db_epoch()))).scalar_one())

    async def hold_slots(self, channel: str, seconds: float) -> None:
        """Flood control: no sender gets a slot of the channel in the next `seconds`."""
        statement = _hold_slots(self._session.get_bind().dialect.name)
        await self._session.execute(statement, {"channel": channel, "seconds": seconds})


class db_epoch(FunctionElement):
    """Now on the database's clock, in seconds since the epoch, the same in the whole
    statement (PostgreSQL: the statement's time, not the transaction's, which began a round
    trip earlier)."""

    type = Double()
    inherit_cache = True


@compiles(db_epoch)
def _epoch_postgresql(element: db_epoch, compiler: Any, **kw: Any) -> str:
    return "CAST(EXTRACT(EPOCH FROM statement_timestamp()) AS DOUBLE PRECISION)"


@compiles(db_epoch, "sqlite")
def _epoch_sqlite(element: db_epoch, compiler: Any, **kw: Any) -> str:
    return "((julianday('now') - 2440587.5) * 86400.0)"


def _later(a: Any, b: Any) -> Any:
    """The later of two times (greatest() on PostgreSQL is max() on SQLite)."""
    return case((a > b, a), else_=b)


@cache
def _take_slots(dialect: str) -> Any:
    table, now = BroadcastPace.__table__, db_epoch()
    seconds = bindparam("seconds", type_=Double())
    statement = insert_for(dialect, table).values(channel=bindparam("channel"),
                                                  next_slot=now + seconds)
    return statement.on_conflict_do_update(
        index_elements=["channel"],
        set_={"next_slot": _later(table.c.next_slot, now) + seconds},
    ).returning(table.c.next_slot, now)


@cache
def _hold_slots(dialect: str) -> Any:
    table, now = BroadcastPace.__table__, db_epoch()
    until = now + bindparam("seconds", type_=Double())
    statement = insert_for(dialect, table).values(channel=bindparam("channel"), next_slot=until)
    return statement.on_conflict_do_update(
        index_elements=["channel"], set_={"next_slot": _later(table.c.next_slot, until)})
