"""`khuyencong broadcasts list|show ID`: the operator's view of broadcasts, with the same
figures staff see in the chat."""

from __future__ import annotations

from bot.admin_cli import print_table, with_uow
from handlers.broadcasts.compose import describe_audience
from handlers.broadcasts.messages import CHANNEL_NAMES, pending, progress_text, report_text
from handlers.communes import CommuneDirectory
from handlers.former_districts import FormerDistrictDirectory
from handlers.i18n import LOCAL_TZ, Translator
from storage.broadcasts import Audience
from storage.models import BroadcastStatus, RecipientStatus
from storage.uow import UnitOfWork


async def list_broadcasts(database_url: str, limit: int = 50) -> int:
    """The latest broadcasts and their figures, newest first."""

    async def run(uow: UnitOfWork) -> int:
        broadcasts = await uow.broadcasts.recent(limit)
        if not broadcasts:
            print("no broadcast yet: staff send one with /thongbao")
            return 0
        rows = [("id", "status", "by", "scheduled", "text", "recipients", "sent", "blocked",
                 "not allowed", "failed", "left")]
        for broadcast in broadcasts:
            counts = await uow.broadcasts.counts(broadcast.id)
            text = broadcast.text.replace("\n", " ")
            rows.append((str(broadcast.id), broadcast.status, broadcast.created_by,
                         f"{broadcast.scheduled_at.astimezone(LOCAL_TZ):%d/%m/%Y %H:%M}",
                         text if len(text) <= 40 else text[:39] + "…",
                         str(sum(counts.values())),
                         *(str(counts.get(status, 0)) for status in (
                             RecipientStatus.SENT, RecipientStatus.BLOCKED,
                             RecipientStatus.NOT_ALLOWED, RecipientStatus.FAILED)),
                         str(pending(counts))))
        print_table(rows, numbers_from=5)
        return 0

    return await with_uow(database_url, run)


async def show_broadcast(database_url: str, broadcast_id: int, i18n: Translator) -> int:
    """One broadcast: its progress or final report, by channel, and its audience."""

    async def run(uow: UnitOfWork) -> int:
        broadcast = await uow.broadcasts.get(broadcast_id)
        if broadcast is None:
            print(f"no broadcast #{broadcast_id}")
            return 1
        counts = await uow.broadcasts.counts(broadcast.id)
        if broadcast.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED):
            print(report_text(broadcast, counts, await uow.broadcasts.errors(broadcast.id),
                              i18n))
        else:
            print(progress_text(broadcast, counts, i18n, eta_seconds=None,
                                listing=not broadcast.listed))
        print()
        by_channel = await uow.broadcasts.counts_by_channel(broadcast.id)
        for channel, channel_counts in sorted(by_channel.items()):
            figures = ", ".join(f"{status} {n}" for status, n in sorted(channel_counts.items()))
            print(f"{CHANNEL_NAMES.get(channel, channel)}: {figures}")
        local = LOCAL_TZ
        print(f"created by {broadcast.created_by} at "
              f"{broadcast.created_at.astimezone(local):%d/%m/%Y %H:%M}; scheduled "
              f"{broadcast.scheduled_at.astimezone(local):%d/%m/%Y %H:%M}")
        if broadcast.cancelled_by:
            print(f"cancelled by {broadcast.cancelled_by}")
        print("audience:")
        print(describe_audience(Audience.from_json(broadcast.audience), i18n,
                                CommuneDirectory.load(), FormerDistrictDirectory.load()))
        if broadcast.attachment:
            attachment = broadcast.attachment
            print(f"attachment: {attachment['kind']} {attachment['filename']} "
                  f"({attachment['mime_type']}, {attachment['size']} bytes)")
        print()
        print(broadcast.text)
        return 0

    return await with_uow(database_url, run)
