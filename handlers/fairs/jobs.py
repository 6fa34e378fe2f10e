"""A fair's timed work, run by the scheduler: offers that expire, the close of the waitlist at
the deadline, and reminders before the fair (each sent once, whatever the workers)."""

from __future__ import annotations

from datetime import datetime

from handlers.context import JobContext, JobHandler
from handlers.fairs import booking, notices
from handlers.fairs.display import reminder_due
from handlers.i18n import LOCAL_TZ
from storage.models import Fair, FairStatus, RegistrationStatus
from storage.uow import UnitOfWork

REMINDER_JOB = "fair_reminder"
DEADLINE_JOB = "fair_deadline"


async def schedule_fair(uow: UnitOfWork, fair: Fair, now: datetime) -> None:
    """(Re)plan a fair's reminders and deadline after it was created, opened or edited.

    Keys carry the dates they were planned for, so an edit replaces the pending jobs while a
    reminder already sent is not sent again for the same day.
    """
    await uow.jobs.cancel(f"fair:{fair.id}:")
    if fair.status == FairStatus.DRAFT:
        return
    deadline = fair.registration_deadline
    await uow.jobs.schedule(DEADLINE_JOB, deadline, now, payload={"fair": fair.id},
                            key=f"fair:{fair.id}:deadline:{int(deadline.timestamp())}")
    for days in sorted({int(d) for d in fair.reminder_days or ()}, reverse=True):
        due = reminder_due(fair, days)
        if due > now:
            await uow.jobs.schedule(
                REMINDER_JOB, due, now, payload={"fair": fair.id, "days": days},
                key=f"fair:{fair.id}:remind:{days}:{fair.starts_on.isoformat()}")


async def expire_offer(job: JobContext) -> None:
    passed = await booking.expire_offer(job.uow, int(job.payload["registration"]), job.now)
    await notices.send(job.uow, job.translators, passed, job.now)


async def close_waitlist(job: JobContext) -> None:
    fair = await job.uow.fairs.get(int(job.payload["fair"]))
    if fair is None:
        return
    closed = await booking.close_waitlist(job.uow, fair.id, job.now)
    await notices.send(job.uow, job.translators, closed, job.now)


async def remind(job: JobContext) -> None:
    fair = await job.uow.fairs.get(int(job.payload["fair"]))
    if fair is None or fair.status == FairStatus.DRAFT:
        return
    # Counted from today, not from the plan: a reminder run late after an outage is right.
    days_left = (fair.starts_on - job.now.astimezone(LOCAL_TZ).date()).days
    if days_left < 0:
        return
    for registration in await job.uow.registrations.of_fair(
            fair.id, [RegistrationStatus.CONFIRMED]):
        await notices.remind(job.uow, job.translators, fair, days_left, registration, job.now)


JOBS: dict[str, JobHandler] = {
    booking.OFFER_EXPIRY_JOB: expire_offer,
    DEADLINE_JOB: close_waitlist,
    REMINDER_JOB: remind,
}
