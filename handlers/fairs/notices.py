"""Telling people what happened to their registration, in their language, through the outbox
(delivered by the channel's sender, or with their next reply)."""

from __future__ import annotations

from datetime import datetime

from handlers.fairs.booking import Notice, NoticeKind
from handlers.fairs.display import dates, fair_name
from handlers.forms.model import Text
from handlers.i18n import Translator, translator_for
from handlers.stored_replies import push
from storage.models import ACTIVE, Fair, FairRegistration
from storage.uow import UnitOfWork

ACCEPT = "fo:yes"  # + ":<registration id>"; checked against the person and the offer
DECLINE = "fo:no"


async def send(uow: UnitOfWork, translators: dict[str, Translator], notices: list[Notice],
               now: datetime) -> None:
    """Queue one message per notice for the person who registered."""
    fairs: dict[int, Fair | None] = {}
    for notice in notices:
        registration = notice.registration
        if registration.fair_id not in fairs:
            fairs[registration.fair_id] = await uow.fairs.get(registration.fair_id)
        fair = fairs[registration.fair_id]
        user = await uow.users.get(registration.user_id)
        if fair is None or user is None:
            continue
        i18n = translator_for(translators, user.locale)
        text, choices = _message(notice.kind, registration, fair, i18n)
        await push(uow, user.id, text, now, choices)


async def remind(uow: UnitOfWork, translators: dict[str, Translator], fair: Fair, days: int,
                 registration: FairRegistration, now: datetime) -> None:
    user = await uow.users.get(registration.user_id)
    if user is None:
        return
    i18n = translator_for(translators, user.locale)
    _ = i18n.gettext
    if days == 0:
        text = _("Reminder: «{name}» starts today ({dates}).")
    elif days == 1:
        text = _("Reminder: «{name}» starts tomorrow ({dates}).")
    else:
        text = _("Reminder: «{name}» starts in {days} days ({dates}).")
    text = text.format(name=fair_name(fair, i18n), days=days, dates=dates(fair, i18n))
    place = Text(fair.place or {}).get(i18n.locale)
    if place:
        text += "\n" + _("Place: {place}").format(place=place)
    text += "\n" + i18n.ngettext(
        "Your establishment has {n} booth there.",
        "Your establishment has {n} booths there.", registration.booths).format(
        n=registration.booths)
    await uow.outbox.add(user.id, text, now)


async def moved(uow: UnitOfWork, translators: dict[str, Translator], fair: Fair,
                now: datetime) -> int:
    """Tell everyone with an active registration the fair's new dates and place (staff moved
    it: the reminders already sent gave the old ones). Returns the number told."""
    told = 0
    for registration in await uow.registrations.of_fair(fair.id, ACTIVE):
        user = await uow.users.get(registration.user_id)
        if user is None:
            continue
        i18n = translator_for(translators, user.locale)
        _ = i18n.gettext
        text = _("«{name}» has changed: it is now held {dates}.").format(
            name=fair_name(fair, i18n), dates=dates(fair, i18n))
        if place := Text(fair.place or {}).get(i18n.locale):
            text += "\n" + _("Place: {place}").format(place=place)
        text += "\n" + _("Your registration stays as it was; to cancel it, open /hoicho.")
        await uow.outbox.add(user.id, text, now)
        told += 1
    return told


def _message(kind: NoticeKind, registration: FairRegistration, fair: Fair,
             i18n: Translator) -> tuple[str, list[tuple[str, str]] | None]:
    _ = i18n.gettext
    name = fair_name(fair, i18n)
    if kind is NoticeKind.OFFERED:
        assert registration.offer_expires_at is not None
        text = i18n.ngettext(
            "Good news: {n} booth at «{name}» has come free and is kept for your establishment "
            "until {time}. Do you take it?",
            "Good news: {n} booths at «{name}» have come free and are kept for your "
            "establishment until {time}. Do you take them?", registration.booths).format(
            name=name, n=registration.booths,
            time=i18n.datetime(registration.offer_expires_at))
        return text, [(_("Yes, we take it"), f"{ACCEPT}:{registration.id}"),
                      (_("No, pass it on"), f"{DECLINE}:{registration.id}")]
    if kind is NoticeKind.OFFER_EXPIRED:
        return _("The booth offered to you at «{name}» was not taken in time, so it has "
                 "passed to the next establishment in line. You can register again with "
                 "/hoicho while registration is open.").format(name=name), None
    if kind is NoticeKind.APPROVED:
        return _("The centre has approved your registration for «{name}». See you at the "
                 "fair!").format(name=name), None
    if kind is NoticeKind.PASSED_ON:
        return i18n.ngettext(
            "Someone of your establishment who registered it for «{name}» ({n} booth) has "
            "deleted their data on the bot; the registration is now in your name. Type "
            "/hoicho to see or cancel it.",
            "Someone of your establishment who registered it for «{name}» ({n} booths) has "
            "deleted their data on the bot; the registration is now in your name. Type "
            "/hoicho to see or cancel it.", registration.booths).format(
            name=name, n=registration.booths), None
    if kind is NoticeKind.REJECTED:
        return _("The centre could not accept your registration for «{name}». Reason: "
                 "{reason}").format(name=name, reason=registration.reason or "-"), None
    return _("Registration for «{name}» has closed and no booth came free for your "
             "establishment. Thank you for your interest; we will tell you about the next "
             "fairs.").format(name=name), None
