"""SQLAlchemy models: everything that must survive a restart."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def fit_to_column(column: Any, value: str | None) -> str | None:
    """Cut a platform-supplied string (a name, say) to the length of its column, which
    PostgreSQL enforces and SQLite does not."""
    length = getattr(column.type, "length", None)
    return value[:length] if value and length else value


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON,
                           list[dict[str, Any]]: JSON}


class User(Base):
    """One person on one channel (Telegram user, Zalo user, web visitor, console)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "channel_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    channel_user_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str | None] = mapped_column(String(128))
    locale: Mapped[str] = mapped_column(String(8), default="vi")
    # "user" or "staff"; admins come from settings (ADMIN_IDS), never from the database.
    role: Mapped[str] = mapped_column(String(8), default="user")
    created_at: Mapped[datetime]
    # Set when the platform said the user blocked the bot (403, my_chat_member); cleared when
    # they write again or unblock. Nothing outside a direct reply is sent while it is set.
    blocked_at: Mapped[datetime | None]
    # Set by /huydangky, cleared by /dangky: no broadcasts while it is set.
    unsubscribed_at: Mapped[datetime | None]
    # When the first broadcast they received (which says how to unsubscribe) was sent.
    broadcast_notice_at: Mapped[datetime | None]


class ConversationState(Base):
    """Where a user is in a multi-step flow, with the answers given so far."""

    __tablename__ = "conversation_states"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str | None] = mapped_column(String(32))
    step: Mapped[str | None] = mapped_column(String(32))
    draft: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The choices of the last reply, so "2" or a typed label can pick one on any channel.
    choices: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


class ProcessedUpdate(Base):
    """Inbound updates already applied, so a redelivered update is applied once."""

    __tablename__ = "processed_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # The replies the update produced, so a redelivered update re-sends what was not sent.
    replies: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    sent_at: Mapped[datetime | None]


class Consent(Base):
    """A user's consent to the processing of their enterprise's personal data."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    notice_version: Mapped[str] = mapped_column(String(16))
    granted_at: Mapped[datetime]


class Establishment(Base):
    """An enterprise, cooperative or household business (cơ sở), known by its tax code.

    "One per establishment" rules (a survey response, a fair registration) are keyed on it,
    never on a channel account: users on any channel who give the same tax code share it.
    """

    __tablename__ = "establishments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # 10 digits, 10-3 for a branch, or a household business's 12-digit personal id.
    tax_code: Mapped[str] = mapped_column(String(14), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    commune: Mapped[str | None] = mapped_column(String(64))
    sector: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class EnterpriseProfile(Base):
    """The establishment a user speaks for."""

    __tablename__ = "enterprise_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    establishment_id: Mapped[int | None] = mapped_column(
        ForeignKey("establishments.id", ondelete="SET NULL"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    tax_code: Mapped[str | None] = mapped_column(String(14))
    phone: Mapped[str | None] = mapped_column(String(16))
    commune: Mapped[str | None] = mapped_column(String(64))
    sector: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime]


class AuditEntry(Base):
    """A staff action that touched other people's data, or a user deleting their own."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(96))
    action: Mapped[str] = mapped_column(String(48))
    target: Mapped[str | None] = mapped_column(String(96))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AppSetting(Base):
    """Small values shared by all workers, such as the generated web-cookie secret."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Question(Base):
    """A question the bot could not answer well, kept for staff to review or answer."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(8))
    # unanswered: the bot found nothing (kept for review); forwarded: the user asked for
    # staff; answered: staff replied.
    status: Mapped[str] = mapped_column(String(16), index=True)
    best_entry_id: Mapped[str | None] = mapped_column(String(80))
    score: Mapped[float] = mapped_column(default=0.0)
    asked_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(96))
    answered_at: Mapped[datetime | None]


class StaffAnswer(Base):
    """A staff answer added to the knowledge base, searched like the content files."""

    __tablename__ = "staff_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(8))
    added_by: Mapped[str] = mapped_column(String(96))
    added_at: Mapped[datetime]


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting, or being sent under a lease
    SENT = "sent"  # the platform accepted it (or the web page acknowledged it)
    BLOCKED = "blocked"  # the user blocked the bot; never retried
    # The platform does not let the bot write to this user now (e.g. outside Zalo OA's
    # reply window); never retried, counted by the broadcasts.
    NOT_ALLOWED = "not_allowed"
    FAILED = "failed"  # refused for good, or out of attempts


class OutboxMessage(Base):
    """A message for a user that is not a reply to what they just sent (e.g. a staff answer)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    # Buttons sent with it ([[label, payload], ...]), e.g. accepting a booth that was offered.
    choices: Mapped[list[Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None] = mapped_column(index=True)  # when it was sent
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING,
                                        server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]  # None: as soon as possible
    # A sender holds the message until then; after a crash another worker takes it over.
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(64))


class SurveyStatus(StrEnum):
    CLOSED = "closed"  # imported, not (or no longer) taking answers
    OPEN = "open"


class Survey(Base):
    """One version of a survey (an XLSForm workbook); the newest version of a code is the one
    new respondents get."""

    __tablename__ = "surveys"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(64))
    title: Mapped[dict[str, Any]] = mapped_column(default=dict)  # language -> title
    form: Mapped[dict[str, Any]]  # the parsed form, see handlers/forms/storage.py
    status: Mapped[str] = mapped_column(String(16), default=SurveyStatus.CLOSED)
    imported_at: Mapped[datetime]
    imported_by: Mapped[str | None] = mapped_column(String(96))


class ResponseStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    VOIDED = "voided"  # by staff (audit-logged): the establishment may answer again


class SurveyResponse(Base):
    """A person's answers to one version of a survey, saved at every step."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        # One submitted response per establishment per survey, whatever the version.
        Index("uq_survey_responses_one_submitted", "survey_code", "establishment_id",
              unique=True, sqlite_where=text("status = 'submitted'"),
              postgresql_where=text("status = 'submitted'")),
        # Also the order of an export (submitted_at, id): read in order, no sort.
        Index("ix_survey_responses_code_status", "survey_code", "status", "submitted_at",
              "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"),
                                           index=True)
    survey_code: Mapped[str] = mapped_column(String(64))
    # Deleting one's data (/xoadulieu) deletes one's responses with it.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    establishment_id: Mapped[int | None] = mapped_column(
        ForeignKey("establishments.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default=ResponseStatus.IN_PROGRESS)
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the form runner's
    # Recorded by the platform, as XLSForm's start, end, today and deviceid.
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    voided_by: Mapped[str | None] = mapped_column(String(96))
    # What an export reads of the response, kept with every change of its answers or metadata
    # (storage.surveys.export_row): a JSON array of texts, so an export decodes one short
    # array per row instead of picking each answer out of the runner's JSON. Goes with the
    # row (voided with it, deleted with the user's data).
    export_row: Mapped[str | None] = mapped_column(Text)


class JobStatus(StrEnum):
    PENDING = "pending"  # due at due_at (a recurring job stays pending, moved forward)
    DONE = "done"
    FAILED = "failed"  # out of attempts; kept with its error for staff to look at


class Job(Base):
    """Timed work (an offer that expires, a reminder, a periodic clean-up), run once by one
    worker: the job's effects and its DONE mark are committed in one transaction."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    # Makes scheduling idempotent ("fair:3:remind:7d"); None for one-off jobs.
    key: Mapped[str | None] = mapped_column(String(120), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class FairStatus(StrEnum):
    DRAFT = "draft"  # being prepared by staff, not shown to enterprises
    OPEN = "open"  # shown; registration until the deadline
    CLOSED = "closed"  # shown to those registered; no new registrations


class Fair(Base):
    """A trade fair or exhibition at which the centre pays for a number of booths."""

    __tablename__ = "fairs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[dict[str, Any]] = mapped_column(default=dict)  # language -> text
    place: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # What the centre pays, in words (e.g. "50% of the booth rent"), language -> text.
    support: Mapped[dict[str, Any]] = mapped_column(default=dict)
    support_max_vnd: Mapped[int | None] = mapped_column(Integer)  # per booth, if capped
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    registration_deadline: Mapped[datetime]
    booths: Mapped[int] = mapped_column(Integer)  # the quota, in booths
    max_booths_per_establishment: Mapped[int] = mapped_column(Integer, default=1)
    offer_hours: Mapped[int] = mapped_column(Integer, default=48)
    reminder_days: Mapped[list[Any]] = mapped_column(JSON, default=lambda: [7, 1])
    status: Mapped[str] = mapped_column(String(16), default=FairStatus.DRAFT)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str | None] = mapped_column(String(96))


class RegistrationStatus(StrEnum):
    CONFIRMED = "confirmed"  # holds its booths
    WAITLISTED = "waitlisted"  # in line, by position
    OFFERED = "offered"  # holds freed booths until offer_expires_at
    CANCELLED = "cancelled"  # by the enterprise
    REJECTED = "rejected"  # by staff, with a reason
    EXPIRED = "expired"  # an offer left unanswered, or the deadline passed while waiting


HOLDING = (RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED)
ACTIVE = (*HOLDING, RegistrationStatus.WAITLISTED)


class FairRegistration(Base):
    """An establishment's registration for a fair: at most one active per establishment."""

    __tablename__ = "fair_registrations"
    __table_args__ = (
        Index("uq_fair_registrations_one_active", "fair_id", "establishment_id", unique=True,
              sqlite_where=text("status IN ('confirmed', 'waitlisted', 'offered')"),
              postgresql_where=text("status IN ('confirmed', 'waitlisted', 'offered')")),
        Index("ix_fair_registrations_fair_status", "fair_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fair_id: Mapped[int] = mapped_column(ForeignKey("fairs.id", ondelete="CASCADE"))
    establishment_id: Mapped[int] = mapped_column(
        ForeignKey("establishments.id", ondelete="CASCADE"), index=True)
    # Who registered, and hears about it. Deleting one's data (/xoadulieu) deletes one's
    # registrations with it, after cancelling them so their booths go to the waitlist.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    booths: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the fair's own questions
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    approved_at: Mapped[datetime | None]  # staff looked at it and agreed
    offer_expires_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)  # why staff rejected it
    decided_by: Mapped[str | None] = mapped_column(String(96))
class MediaFile(Base):
    """A photo or file (a chart, an export) for a channel that takes them only by URL (Zalo),
    served from our own server under an unguessable link until it expires."""

    __tablename__ = "media_files"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    mime_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ChannelToken(Base):
    """A channel's current API tokens (Zalo OA: a 25-hour access token and a single-use
    refresh token), shared by all workers and replaced under a row lock."""

    __tablename__ = "channel_tokens"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class ReplyWindow(Base):
    """Zalo OA's reply window of one user: opened by their last message, it allows a number of
    messages for a while (8 within 48 hours)."""

    __tablename__ = "reply_windows"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    opened_at: Mapped[datetime]
    replies: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class BroadcastStatus(StrEnum):
    SCHEDULED = "scheduled"  # waits for its time; its recipients are not listed yet
    SENDING = "sending"  # recipients are being listed (in batches) and sent to
    DONE = "done"  # every recipient ended sent, blocked, not allowed or failed
    CANCELLED = "cancelled"  # by staff before it finished; the rest was not sent


class RecipientStatus(StrEnum):
    QUEUED = "queued"  # waiting (next_attempt_at: not before then)
    SENDING = "sending"  # claimed by a sender until lease_until
    SENT = "sent"
    BLOCKED = "blocked"  # the user blocked the bot
    NOT_ALLOWED = "not_allowed"  # the platform does not let the bot write to them now
    FAILED = "failed"  # refused for good, or out of attempts; last_error says why
    CANCELLED = "cancelled"  # the broadcast was cancelled before this one was sent


FINAL_RECIPIENT_STATUSES = (RecipientStatus.SENT, RecipientStatus.BLOCKED,
                            RecipientStatus.NOT_ALLOWED, RecipientStatus.FAILED,
                            RecipientStatus.CANCELLED)


class Broadcast(Base):
    """An announcement from staff to an audience of subscribers, on every channel that
    pushes."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    # The audience as chosen (see storage.broadcasts.Audience.to_json).
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_by: Mapped[str] = mapped_column(String(96))  # channel:id of the staff member
    # The staff member's user row, who gets the progress and the report.
    staff_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    scheduled_at: Mapped[datetime]  # when sending starts (created_at for "send now")
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(96))
    # Recipients are listed in batches by user id; all listed once this is True.
    listed: Mapped[bool] = mapped_column(default=False)
    listed_up_to: Mapped[int] = mapped_column(Integer, default=0)  # the last user id listed
    # The progress message the staff member sees (where their channel can edit it) and the
    # worker that may update it until progress_lease_until.
    progress_message_id: Mapped[str | None] = mapped_column(String(64))
    progress_text: Mapped[str | None] = mapped_column(Text)
    progress_lease_until: Mapped[datetime | None]
    # Its photo or document (handlers.types.Attachment.to_json): the file is in media_files
    # under its token; each channel's reference to it (a Telegram file_id, a Zalo OA upload)
    # is kept here once known, so it is uploaded once per broadcast.
    attachment: Mapped[dict[str, Any] | None]


class BroadcastRecipient(Base):
    """One recipient of one broadcast: the durable delivery row the senders claim."""

    __tablename__ = "broadcast_recipients"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "user_id"),
        # The senders' claim: due rows of one channel.
        Index("ix_broadcast_recipients_claim", "channel", "status", "next_attempt_at"),
        Index("ix_broadcast_recipients_broadcast_status", "broadcast_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    # Deleting one's data (/xoadulieu) deletes one's delivery rows with it.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=RecipientStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None]


class BroadcastPace(Base):
    """A channel's next free send slot, shared by every worker sending broadcasts on it: a
    worker reserves a few slots at a time from here (and flood control pushes it later), so
    together they never exceed the channel's rate, and a slot one worker leaves unused is
    another's. Seconds since the epoch on the database's clock, so workers on several hosts
    need no agreed clock."""

    __tablename__ = "broadcast_pace"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    next_slot: Mapped[float] = mapped_column(Double)
