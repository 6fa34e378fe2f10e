"""Listing a broadcast's recipients in the background: one batch per job run, each run in its
own transaction, so a broadcast to 50,000 starts sending after the first batch."""

from __future__ import annotations

from handlers.context import JobContext, JobHandler
from storage.models import BroadcastStatus

LIST_JOB = "broadcast.list"
LIST_BATCH = 1000


def list_job_key(broadcast_id: int, batch: int) -> str:
    return f"broadcast:{broadcast_id}:list:{batch}"


async def list_recipients(job: JobContext) -> None:
    uow = job.uow
    broadcast = await uow.broadcasts.lock(int(job.payload["broadcast"]))
    if broadcast is None or broadcast.status in (BroadcastStatus.CANCELLED,
                                                 BroadcastStatus.DONE):
        return
    if broadcast.status == BroadcastStatus.SCHEDULED:
        broadcast.status, broadcast.started_at = BroadcastStatus.SENDING, job.now
        await uow.audit.record(actor="system", action="broadcast.start",
                               target=f"broadcast:{broadcast.id}", now=job.now)
    batch = int(job.payload.get("batch", 0))
    await uow.broadcasts.list_batch(broadcast, job.services.broadcast_channels, job.now,
                                    int(job.payload.get("size", LIST_BATCH)))
    if not broadcast.listed:
        await uow.jobs.schedule(LIST_JOB, job.now, job.now,
                                payload={**job.payload, "batch": batch + 1},
                                key=list_job_key(broadcast.id, batch + 1))


async def listing_failed(job: JobContext) -> None:
    """The listing failed for good: stop it, so the broadcast finishes with the recipients
    listed so far instead of staying "sending" for ever, and tell the staff member."""
    uow = job.uow
    broadcast = await uow.broadcasts.lock(int(job.payload["broadcast"]))
    if broadcast is None or broadcast.listed or broadcast.status in (
            BroadcastStatus.CANCELLED, BroadcastStatus.DONE):
        return
    broadcast.listed = True
    if broadcast.status == BroadcastStatus.SCHEDULED:  # its first batch failed: the monitor
        broadcast.status, broadcast.started_at = BroadcastStatus.SENDING, job.now  # ends it
    await uow.audit.record(actor="system", action="broadcast.listing_failed",
                           target=f"broadcast:{broadcast.id}", now=job.now)
    staff = await uow.users.get(broadcast.staff_user_id) if broadcast.staff_user_id else None
    if staff is None:
        return
    i18n = job.i18n_for(staff)
    listed = sum((await uow.broadcasts.counts(broadcast.id)).values())
    await uow.outbox.add(staff.id, i18n.gettext(
        "Broadcast #{id}: listing its recipients failed several times, so it goes only to "
        "the {count} listed so far. Please tell the administrator.").format(
        id=broadcast.id, count=i18n.number(listed)), job.now)


JOBS: dict[str, JobHandler] = {LIST_JOB: list_recipients}
# What to do when a job of the kind fails for good (see bot/scheduler.py).
GIVE_UP: dict[str, JobHandler] = {LIST_JOB: listing_failed}
