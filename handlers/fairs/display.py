"""How a fair and a registration are shown, in the reader's language (dates and money by
Babel, in Vietnam's time)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

from handlers.forms.model import Text
from handlers.i18n import LOCAL_TZ, Translator
from handlers.text import shorten
from storage.models import Fair, FairRegistration, RegistrationStatus


def fair_name(fair: Fair, i18n: Translator) -> str:
    return Text(fair.name or {}).get(i18n.locale) or fair.code


def dates(fair: Fair, i18n: Translator) -> str:
    if fair.starts_on == fair.ends_on:
        return i18n.date(fair.starts_on)
    return f"{i18n.date(fair.starts_on)} – {i18n.date(fair.ends_on)}"


def describe_fair(fair: Fair, i18n: Translator, *, left: int) -> str:
    """Name, place, dates, deadline, booths left and what the centre pays."""
    _ = i18n.gettext
    lines = [f"• {fair_name(fair, i18n)}"]
    place = Text(fair.place or {}).get(i18n.locale)
    if place:
        lines.append(_("Place: {place}").format(place=place))
    lines.append(_("Dates: {dates}").format(dates=dates(fair, i18n)))
    lines.append(_("Register by: {deadline}").format(
        deadline=i18n.datetime(fair.registration_deadline)))
    # The noun goes with the total: "1 of 3 booths left", not "1 of 3 booth left".
    lines.append(i18n.ngettext("{left} of {total} booth left", "{left} of {total} booths left",
                               fair.booths).format(left=i18n.number(left),
                                            total=i18n.number(fair.booths)))
    support = Text(fair.support or {}).get(i18n.locale)
    if support and fair.support_max_vnd:
        lines.append(_("The centre pays: {support}, up to {amount} per booth").format(
            support=support, amount=i18n.money(fair.support_max_vnd)))
    elif support:
        lines.append(_("The centre pays: {support}").format(support=support))
    elif fair.support_max_vnd:
        lines.append(_("The centre pays up to {amount} per booth").format(
            amount=i18n.money(fair.support_max_vnd)))
    if fair.max_booths_per_establishment > 1:
        lines.append(_("Each establishment may ask for up to {n} booths.").format(
            n=fair.max_booths_per_establishment))
    return "\n".join(lines)


def status_text(registration: FairRegistration, i18n: Translator, *,
                position: int | None = None) -> str:
    """The registration's status in words: confirmed, waitlisted (with position), offered
    until a time, cancelled, rejected (with the reason), expired."""
    _ = i18n.gettext
    status = registration.status
    if status == RegistrationStatus.CONFIRMED:
        if registration.approved_at is not None:
            return _("confirmed and approved by the centre")
        # The booth is the establishment's; the centre's approval is still to come.
        return _("booth confirmed, awaiting the centre's approval")
    if status == RegistrationStatus.WAITLISTED:
        if position is not None:
            return _("on the waitlist, number {position}").format(position=position)
        return _("on the waitlist")
    if status == RegistrationStatus.OFFERED and registration.offer_expires_at:
        return _("a booth is offered to you until {time}").format(
            time=i18n.datetime(registration.offer_expires_at))
    if status == RegistrationStatus.REJECTED:
        if registration.reason:
            return _("not accepted: {reason}").format(reason=registration.reason)
        return _("not accepted")
    if status == RegistrationStatus.CANCELLED:
        return _("cancelled")
    return _("expired")


def reminder_due(fair: Fair, days: int) -> datetime:
    """When the reminder `days` before the fair goes out: 8 o'clock that morning, local."""
    day = fair.starts_on - timedelta(days=days)
    return datetime(day.year, day.month, day.day, 8, tzinfo=LOCAL_TZ)


def button_names(fairs: Iterable[Fair], i18n: Translator) -> dict[int, str]:
    """Each fair's name as short as a button needs, told apart: two fairs whose names are cut
    to the same words ("Hội chợ Hàng công nghiệp nông thôn…") are named by their code first
    (on Zalo OA a tap sends the label, and the second fair's registered for the first)."""
    fairs = list(fairs)
    short = {fair.id: shorten(fair_name(fair, i18n)) for fair in fairs}
    alike = Counter(short.values())
    for fair in fairs:
        if alike[short[fair.id]] > 1:
            short[fair.id] = shorten(f"{fair.code} · {fair_name(fair, i18n)}")
    return short
