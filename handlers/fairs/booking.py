"""The rules of a fair's booths: who holds them, who waits, who is offered what, until when.

Every function here starts by locking the fair (storage/fairs.py), so they hold under any
number of concurrent registrations and workers. They change rows and return the notices the
people concerned must get; handlers/fairs/notices.py words and queues them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from storage.fairs import is_taking_registrations
from storage.models import (
    ACTIVE,
    HOLDING,
    Fair,
    FairRegistration,
    RegistrationStatus,
)
from storage.uow import UnitOfWork

OFFER_EXPIRY_JOB = "fair_offer_expiry"
# Answers about a person, not the establishment: they leave with the person who typed them.
PERSONAL_ANSWERS = frozenset({"contact_name", "contact_phone"})


class NoticeKind(StrEnum):
    OFFERED = "offered"  # a booth freed up for a waitlisted establishment
    OFFER_EXPIRED = "offer_expired"
    APPROVED = "approved"
    REJECTED = "rejected"
    WAITLIST_CLOSED = "waitlist_closed"  # the deadline passed while still in line
    PASSED_ON = "passed_on"  # its registrant deleted their data: now a colleague's


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    registration: FairRegistration


class BookingRefused(Exception):
    """Why a booking change cannot be made; `reason` names it for the message."""

    def __init__(self, reason: str, registration: FairRegistration | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.registration = registration


# Reasons a change is refused.
CLOSED = "closed"  # not open, or past its deadline
ALREADY = "already"  # the establishment has an active registration
NOT_OFFERED = "not_offered"  # nothing to accept (any more)
OFFER_EXPIRED = "offer_expired"
NOT_ACTIVE = "not_active"  # already cancelled, rejected or expired
BELOW_HELD = "below_held"  # fewer booths than are already given


@dataclass(frozen=True)
class Booked:
    registration: FairRegistration
    notices: list[Notice]


async def register(uow: UnitOfWork, fair_id: int, *, establishment_id: int, user_id: int,
                   booths: int, answers: dict[str, Any], now: datetime) -> Booked:
    """Confirm the booths if enough are left, else put the establishment on the waitlist."""
    fair = await _locked(uow, fair_id)
    if not is_taking_registrations(fair, now):
        raise BookingRefused(CLOSED)
    existing = await uow.registrations.active_for(fair.id, establishment_id)
    if existing is not None:
        raise BookingRefused(ALREADY, existing)
    booths = max(1, min(booths, fair.max_booths_per_establishment))
    left = fair.booths - await uow.fairs.held_booths(fair.id)
    status = RegistrationStatus.CONFIRMED if booths <= left else RegistrationStatus.WAITLISTED
    registration = await uow.registrations.add(
        fair_id=fair.id, establishment_id=establishment_id, user_id=user_id, status=status,
        booths=booths, answers=answers, created_at=now, updated_at=now)
    return Booked(registration, [])


async def cancel(uow: UnitOfWork, registration_id: int, now: datetime) -> list[Notice]:
    """The establishment withdraws; booths it held go to the waitlist."""
    registration, fair = await _locked_registration(uow, registration_id)
    if registration.status not in ACTIVE:
        raise BookingRefused(NOT_ACTIVE, registration)
    held = registration.status in HOLDING
    _set(registration, RegistrationStatus.CANCELLED, now)
    registration.offer_expires_at = None  # an offer it had ends with it
    return await promote(uow, fair, now) if held else []


async def withdraw_for_erasure(uow: UnitOfWork, user_id: int, now: datetime) -> list[Notice]:
    """Before a user's data is deleted (/xoadulieu): an active registration they made passes
    to another person of the establishment, without the contact details they typed; with
    nobody else, it is cancelled so its booths go to the waitlist."""
    notices: list[Notice] = []
    for registration in await uow.registrations.of_user(user_id):
        if registration.status not in ACTIVE:
            continue
        others = [u for u in await uow.profiles.speakers(registration.establishment_id)
                  if u != user_id]
        if others:
            registration.user_id = others[0]
            registration.answers = {k: v for k, v in (registration.answers or {}).items()
                                    if k not in PERSONAL_ANSWERS}
            registration.updated_at = now
            # Told: it was theirs without a word, reminders and all (a staff walkthrough).
            notices.append(Notice(NoticeKind.PASSED_ON, registration))
        else:
            notices += await cancel(uow, registration.id, now)
    return notices


async def reject(uow: UnitOfWork, registration_id: int, *, reason: str, actor: str,
                 now: datetime) -> list[Notice]:
    """Staff turn a registration down, saying why; its booths go to the waitlist."""
    registration, fair = await _locked_registration(uow, registration_id)
    if registration.status not in ACTIVE:
        raise BookingRefused(NOT_ACTIVE, registration)
    held = registration.status in HOLDING
    _set(registration, RegistrationStatus.REJECTED, now)
    registration.offer_expires_at = None
    registration.reason, registration.decided_by = reason, actor
    notices = [Notice(NoticeKind.REJECTED, registration)]
    return notices + (await promote(uow, fair, now) if held else [])


async def approve(uow: UnitOfWork, registration_id: int, *, actor: str, now: datetime
                  ) -> list[Notice]:
    """Staff agree to a confirmed registration (they looked at it)."""
    registration, _fair = await _locked_registration(uow, registration_id)
    if registration.status != RegistrationStatus.CONFIRMED:
        raise BookingRefused(NOT_ACTIVE, registration)
    if registration.approved_at is not None:
        return []
    registration.approved_at, registration.decided_by = now, actor
    registration.updated_at = now
    return [Notice(NoticeKind.APPROVED, registration)]


async def accept_offer(uow: UnitOfWork, registration_id: int, now: datetime) -> Booked:
    """Take the booths offered. An offer accepted after its time is not: it expires here
    (if the expiry job has not run yet) and passes on; the caller sees status EXPIRED."""
    registration, fair = await _locked_registration(uow, registration_id)
    if registration.status != RegistrationStatus.OFFERED:
        raise BookingRefused(NOT_OFFERED, registration)
    expires_at = registration.offer_expires_at
    if expires_at is None or now >= expires_at:
        return Booked(registration, await _expire(uow, registration, fair, now))
    _set(registration, RegistrationStatus.CONFIRMED, now)
    registration.offer_expires_at = None
    return Booked(registration, [])


async def decline_offer(uow: UnitOfWork, registration_id: int, now: datetime
                        ) -> list[Notice]:
    """Let the offered booths pass to the next in line (and leave the waitlist)."""
    registration, fair = await _locked_registration(uow, registration_id)
    if registration.status != RegistrationStatus.OFFERED:
        raise BookingRefused(NOT_OFFERED, registration)
    _set(registration, RegistrationStatus.CANCELLED, now)
    registration.offer_expires_at = None
    return await promote(uow, fair, now)


async def expire_offer(uow: UnitOfWork, registration_id: int, now: datetime
                       ) -> list[Notice]:
    """The expiry job: an offer still unanswered at its time passes to the next in line."""
    registration = await uow.registrations.get(registration_id)
    if registration is None:
        return []
    fair = await _locked(uow, registration.fair_id)
    await uow.registrations.refresh(registration)
    if registration.status != RegistrationStatus.OFFERED or registration.offer_expires_at is \
            None or registration.offer_expires_at > now:
        return []  # accepted, declined or cancelled meanwhile
    return await _expire(uow, registration, fair, now)


async def set_booths(uow: UnitOfWork, fair_id: int, booths: int, now: datetime
                     ) -> list[Notice]:
    """Change a fair's quota; more booths go to the waitlist in order. Fewer than are
    already given is refused: taking booths back is a decision per establishment."""
    fair = await _locked(uow, fair_id)
    if booths < await uow.fairs.held_booths(fair.id):
        raise BookingRefused(BELOW_HELD)
    fair.booths, fair.updated_at = booths, now
    return await promote(uow, fair, now)


async def close_waitlist(uow: UnitOfWork, fair_id: int, now: datetime) -> list[Notice]:
    """At the deadline: those still waiting are told no booth came free for them."""
    fair = await _locked(uow, fair_id)
    if now < fair.registration_deadline:
        return []  # the deadline was moved later
    notices = await _expire_overdue_offers(uow, fair, now)
    for registration in await uow.registrations.of_fair(
            fair.id, [RegistrationStatus.WAITLISTED]):
        _set(registration, RegistrationStatus.EXPIRED, now)
        notices.append(Notice(NoticeKind.WAITLIST_CLOSED, registration))
    return notices


async def promote(uow: UnitOfWork, fair: Fair, now: datetime) -> list[Notice]:
    """Offer free booths to the waitlist in order: to each establishment whose request fits
    what is free, until nothing fits. No offer after the deadline or outliving it."""
    if not is_taking_registrations(fair, now):
        return []
    notices = await _expire_overdue_offers(uow, fair, now)
    free = fair.booths - await uow.fairs.held_booths(fair.id)
    for waiting in await uow.registrations.of_fair(fair.id, [RegistrationStatus.WAITLISTED]):
        if free <= 0:
            break
        if waiting.booths > free:
            continue  # keeps its place for a larger gap
        free -= waiting.booths
        expires_at = min(now + timedelta(hours=fair.offer_hours), fair.registration_deadline)
        _set(waiting, RegistrationStatus.OFFERED, now)
        waiting.offer_expires_at = expires_at
        await uow.jobs.schedule(
            OFFER_EXPIRY_JOB, expires_at, now, payload={"registration": waiting.id},
            key=f"fair-offer:{waiting.id}:{int(expires_at.timestamp())}")
        notices.append(Notice(NoticeKind.OFFERED, waiting))
    return notices


async def _expire_overdue_offers(uow: UnitOfWork, fair: Fair, now: datetime) -> list[Notice]:
    """Offers past their time that their expiry job has not ended (it may have failed for
    good): ended here, so their booths never stay held."""
    overdue = [r for r in await uow.registrations.of_fair(fair.id, [RegistrationStatus.OFFERED])
               if r.offer_expires_at is None or r.offer_expires_at <= now]
    for registration in overdue:
        _set(registration, RegistrationStatus.EXPIRED, now)
        registration.offer_expires_at = None
    return [Notice(NoticeKind.OFFER_EXPIRED, r) for r in overdue]


async def _expire(uow: UnitOfWork, registration: FairRegistration, fair: Fair,
                  now: datetime) -> list[Notice]:
    _set(registration, RegistrationStatus.EXPIRED, now)
    registration.offer_expires_at = None
    return [Notice(NoticeKind.OFFER_EXPIRED, registration), *await promote(uow, fair, now)]


def _set(registration: FairRegistration, status: RegistrationStatus, now: datetime) -> None:
    registration.status, registration.updated_at = status, now


async def _locked(uow: UnitOfWork, fair_id: int) -> Fair:
    fair = await uow.fairs.lock(fair_id)
    if fair is None:
        raise BookingRefused(CLOSED)
    return fair


async def _locked_registration(uow: UnitOfWork, registration_id: int
                               ) -> tuple[FairRegistration, Fair]:
    """The registration, read again after its fair was locked (so a concurrent change to it
    is seen)."""
    registration = await uow.registrations.get(registration_id)
    if registration is None:
        raise BookingRefused(NOT_ACTIVE)
    fair = await _locked(uow, registration.fair_id)
    await uow.registrations.refresh(registration)
    return registration, fair
