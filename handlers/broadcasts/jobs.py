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


JOBS: dict[str, JobHandler] = {LIST_JOB: list_recipients}
