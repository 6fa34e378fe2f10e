"""What a broadcast looks like to its recipients, and the progress and reports staff see;
shared by the form's preview, the sender and the command line."""

from __future__ import annotations

from datetime import datetime

from handlers.i18n import N_, Translator
from handlers.types import Attachment, Reply
from storage.models import Broadcast, BroadcastStatus, RecipientStatus

CHANNEL_NAMES = {
    "telegram": "Telegram",
    "zalo_bot": "Zalo Bot",
    "zalo_oa": "Zalo OA",
}
STATUS_NAMES = {
    # TRANSLATORS: a broadcast waiting for the time staff chose
    BroadcastStatus.SCHEDULED: N_("scheduled"),
    # TRANSLATORS: a broadcast being sent
    BroadcastStatus.SENDING: N_("sending"),
    # TRANSLATORS: a broadcast that has been sent to everyone
    BroadcastStatus.DONE: N_("finished"),
    # TRANSLATORS: a broadcast cancelled by staff
    BroadcastStatus.CANCELLED: N_("cancelled"),
}


def recipient_reply(text: str, i18n: Translator, *, first: bool,
                    attachment: Attachment | None = None) -> Reply:
    """The broadcast as one recipient gets it, with its photo or document; their first one
    says how to unsubscribe."""
    lines = [i18n.gettext("Announcement from the Hai Phong Industrial Promotion Centre"), "",
             text.strip()]
    if first:
        lines += ["", i18n.gettext("(You receive the centre's announcements because you use "
                                   "this bot. Type /huydangky to stop them, /dangky to receive "
                                   "them again.)")]
    return Reply("\n".join(lines), titled=True, attachment=attachment)


def pending(counts: dict[str, int]) -> int:
    return counts.get(RecipientStatus.QUEUED, 0) + counts.get(RecipientStatus.SENDING, 0)


def progress_text(broadcast: Broadcast, counts: dict[str, int], i18n: Translator, *,
                  eta_seconds: float | None, listing: bool) -> str:
    """One line per figure: sent, blocked, not allowed, failed, left, time to finish."""
    _ = i18n.gettext
    left = pending(counts)
    lines = [_("Broadcast #{id}: {status}").format(
        id=broadcast.id, status=_(STATUS_NAMES[BroadcastStatus(broadcast.status)])),
        _("Sent: {n}").format(n=i18n.number(counts.get(RecipientStatus.SENT, 0))),
        _("Blocked the bot: {n}").format(n=i18n.number(counts.get(RecipientStatus.BLOCKED, 0))),
        _("Not allowed by Zalo: {n}").format(
            n=i18n.number(counts.get(RecipientStatus.NOT_ALLOWED, 0))),
        _("Failed: {n}").format(n=i18n.number(counts.get(RecipientStatus.FAILED, 0))),
        _("Left: {n}").format(n=i18n.number(left))]
    if counts.get(RecipientStatus.CANCELLED):
        lines.append(_("Not sent (cancelled or unsubscribed): {n}").format(
            n=i18n.number(counts[RecipientStatus.CANCELLED])))
    if listing:
        lines.append(_("Still listing recipients…"))
    elif eta_seconds is not None and left:
        lines.append(_("About {time} to go").format(time=i18n.duration(max(eta_seconds, 1))))
    return "\n".join(lines)


def report_text(broadcast: Broadcast, counts: dict[str, int],
                errors: list[tuple[str, int]], i18n: Translator) -> str:
    """The final report."""
    _ = i18n.gettext
    lines = [progress_text(broadcast, counts, i18n, eta_seconds=None, listing=False)]
    if broadcast.started_at and broadcast.finished_at:
        lines.append(_("Took {time}.").format(time=i18n.duration(
            max((broadcast.finished_at - broadcast.started_at).total_seconds(), 1))))
    if errors:
        lines.append(_("Errors:"))
        lines += [f"• {error}: {i18n.number(n)}" for error, n in errors]
    return "\n".join(lines)


def when_text(broadcast: Broadcast, i18n: Translator, now: datetime) -> str:
    if broadcast.scheduled_at > now:
        return i18n.gettext("scheduled for {time}").format(
            time=i18n.datetime(broadcast.scheduled_at))
    return i18n.gettext("created {time}").format(time=i18n.datetime(broadcast.created_at))
