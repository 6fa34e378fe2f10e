"""Fairs for staff: create and edit a fair with a guided form, open and close it, change its
booths, see registrants and the waitlist, approve or reject with a reason, export.

Payloads: `fa…` only show something or start a form (valid from any earlier message);
`fs…` change a fair or a registration, so they must have been offered in the current step.
Both are staff-only, checked by the router when applied.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from handlers.context import Context
from handlers.fairs import booking, notices
from handlers.fairs.display import dates, describe_fair, fair_name, status_text
from handlers.fairs.export import EXPORT_FORMATS, export_registrations
from handlers.fairs.jobs import schedule_fair
from handlers.forms.model import Form, Question, QuestionType
from handlers.forms.numbers import parse_number
from handlers.forms.runner import FormRunner, Progress, msgid
from handlers.forms.runner import Step as FormStep
from handlers.i18n import LOCAL_TZ, N_
from handlers.identifiers import mask_tax_code
from handlers.routing import Router
from handlers.text import row_id
from handlers.types import Choice, Document, Incoming, Reply
from storage.fairs import booths_left, is_taking_registrations
from storage.models import ACTIVE, Fair, FairStatus, RegistrationStatus

router = Router()

EDIT_FLOW = "fair_edit"
EDIT_PREFIX = "fe"
REJECT_FLOW = "fair_reject"
BOOTHS_FLOW = "fair_booths"
MAX_REGISTRATION_BUTTONS = 20
MAX_BOOTHS = 1000

_STATUS = {
    # TRANSLATORS: a fair being prepared, not shown to enterprises
    FairStatus.DRAFT: N_("draft"),
    # TRANSLATORS: a fair taking registrations
    FairStatus.OPEN: N_("open"),
    # TRANSLATORS: a fair no longer taking registrations
    FairStatus.CLOSED: N_("closed"),
}
# TRANSLATORS: a fair still marked open whose registration deadline has passed
DEADLINE_PASSED = N_("open, deadline passed")
_STALE = N_("That button is no longer valid. Type /hoicho to start again.")


def _status_of(ctx: Context, fair: Fair) -> str:
    """The fair's status in words; an open one past its deadline says so (it read "open"
    while enterprises no longer saw it)."""
    if fair.status == FairStatus.OPEN and not is_taking_registrations(fair, ctx.now):
        return ctx._(DEADLINE_PASSED)
    return ctx._(_STATUS[FairStatus(fair.status)])
_TEXT_RULE = "string-length(.) <= 200"


def fair_form(*, creating: bool) -> Form:
    """The guided form for a fair's details; its code is asked only when creating it."""
    questions = [
        Question("name_vi", QuestionType.TEXT, msgid("Name of the fair, in Vietnamese:"),
                 required=True, constraint=_TEXT_RULE,
                 constraint_message=msgid("Please keep it under 200 characters.")),
        Question("name_en", QuestionType.TEXT, msgid("Name of the fair, in English (optional):"),
                 constraint=_TEXT_RULE,
                 constraint_message=msgid("Please keep it under 200 characters.")),
        Question("place_vi", QuestionType.TEXT, msgid("Where is it held? (in Vietnamese)"),
                 required=True, constraint=_TEXT_RULE,
                 constraint_message=msgid("Please keep it under 200 characters.")),
        Question("place_en", QuestionType.TEXT, msgid("Where is it held? (in English, "
                                                      "optional)"),
                 constraint=_TEXT_RULE,
                 constraint_message=msgid("Please keep it under 200 characters.")),
        Question("starts_on", QuestionType.DATE, msgid("First day of the fair (dd/mm/yyyy):"),
                 required=True),
        Question("ends_on", QuestionType.DATE, msgid("Last day of the fair (dd/mm/yyyy):"),
                 required=True, constraint=". >= ${starts_on}",
                 constraint_message=msgid("The last day cannot be before the first day.")),
        Question("deadline", QuestionType.DATE,
                 msgid("Last day to register (dd/mm/yyyy); registration closes at 23:59 that "
                       "day:"), required=True, constraint=". < ${starts_on}",
                 constraint_message=msgid("Registration must close before the fair starts.")),
        Question("booths", QuestionType.INTEGER,
                 msgid("How many booths does the centre pay for?"), required=True,
                 constraint=f". >= 1 and . <= {MAX_BOOTHS}",
                 constraint_message=msgid("Please type a number from 1 to 1000.")),
        Question("max_booths", QuestionType.INTEGER,
                 msgid("How many booths may one establishment ask for at most?"),
                 required=True, constraint=". >= 1 and . <= ${booths}",
                 constraint_message=msgid("At least 1, and no more than the fair's booths.")),
        Question("support_vi", QuestionType.TEXT,
                 msgid("What does the centre pay, in Vietnamese (for example \"50% tiền thuê "
                       "gian hàng\")? Optional."), constraint=_TEXT_RULE,
                 constraint_message=msgid("Please keep it under 200 characters.")),
        Question("support_en", QuestionType.TEXT,
                 msgid("What does the centre pay, in English? Optional."),
                 constraint=_TEXT_RULE,
                 constraint_message=msgid("Please keep it under 200 characters.")),
        Question("support_max", QuestionType.INTEGER,
                 msgid("At most how many đồng per booth (for example 15 triệu)? Optional."),
                 constraint=". >= 0 and . <= 2000000000",
                 constraint_message=msgid("Please type an amount in đồng, for example 15 "
                                          "triệu.")),
        Question("offer_hours", QuestionType.INTEGER,
                 msgid("When a booth comes free, how many hours does the next establishment "
                       "on the waitlist have to accept it?"), required=True,
                 constraint=". >= 1 and . <= 720",
                 constraint_message=msgid("Please type a number of hours from 1 to 720.")),
        Question("reminder_days", QuestionType.TEXT,
                 msgid("How many days before the fair should registrants be reminded? Several "
                       "numbers separated by commas, for example 7, 1."), required=True,
                 constraint="regex(., '^ *[0-9]{1,2}( *, *[0-9]{1,2}){0,4} *$')",
                 constraint_message=msgid("Please type up to five numbers of days separated "
                                          "by commas, for example 7, 1.")),
    ]
    if creating:
        questions.insert(0, Question(
            "code", QuestionType.TEXT,
            msgid("A short code for the fair, used in exports and commands (letters, digits "
                  "and dashes, for example HC-2027-01):"), required=True,
            constraint="regex(., '^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$')",
            constraint_message=msgid("Use 2 to 32 letters, digits, dashes or underscores, "
                                     "for example HC-2027-01.")))
    return Form(code="fair", version="1", title=msgid("Fair"), questions=tuple(questions))


def fair_answers(fair: Fair) -> dict[str, Any]:
    """A fair's details as the form's answers (to edit it)."""
    deadline = fair.registration_deadline.astimezone(LOCAL_TZ).date()
    answers = {
        "name_vi": fair.name.get("vi"), "name_en": fair.name.get("en"),
        "place_vi": fair.place.get("vi"), "place_en": fair.place.get("en"),
        "starts_on": fair.starts_on.isoformat(), "ends_on": fair.ends_on.isoformat(),
        "deadline": deadline.isoformat(), "booths": fair.booths,
        "max_booths": fair.max_booths_per_establishment,
        "support_vi": fair.support.get("vi"), "support_en": fair.support.get("en"),
        "support_max": fair.support_max_vnd, "offer_hours": fair.offer_hours,
        "reminder_days": ", ".join(str(d) for d in fair.reminder_days or ()),
    }
    return {k: v for k, v in answers.items() if v not in (None, "")}


def fair_values(answers: dict[str, Any]) -> dict[str, Any]:
    """The form's answers as a fair's columns (without booths, which go through booking)."""

    def texts(prefix: str) -> dict[str, str]:
        return {lang: answers[f"{prefix}_{lang}"].strip() for lang in ("vi", "en")
                if answers.get(f"{prefix}_{lang}")}

    deadline_day = date.fromisoformat(answers["deadline"])
    return {
        "name": texts("name"), "place": texts("place"), "support": texts("support"),
        "support_max_vnd": int(answers["support_max"]) if answers.get("support_max") else None,
        "starts_on": date.fromisoformat(answers["starts_on"]),
        "ends_on": date.fromisoformat(answers["ends_on"]),
        "registration_deadline": deadline_at(deadline_day),
        "max_booths_per_establishment": int(answers["max_booths"]),
        "offer_hours": int(answers["offer_hours"]),
        "reminder_days": parse_reminder_days(answers["reminder_days"]),
    }


def deadline_at(day: date) -> datetime:
    """Registration closes at 23:59 of its last day, Vietnam's time."""
    return datetime(day.year, day.month, day.day, 23, 59, tzinfo=LOCAL_TZ)


def parse_reminder_days(text: str) -> list[int]:
    return sorted({int(part) for part in str(text).split(",") if part.strip()}, reverse=True)


# --- the list and one fair ---------------------------------------------------------------

@router.payload("fa", staff=True, always_valid=True)
async def admin_button(msg: Incoming, ctx: Context) -> list[Reply]:
    action, _sep, arg = (msg.payload or "").removeprefix("fa").lstrip(":").partition(":")
    if action == "":
        return await _fair_list(ctx)
    if action == "new":
        return _begin_edit(ctx, None, {"max_booths": 1, "offer_hours": 48,
                                       "reminder_days": "7, 1"})
    if action == "r":
        return await _registration_detail(ctx, arg)
    fair_id = row_id(arg)
    fair = await ctx.uow.fairs.get(fair_id) if fair_id is not None else None
    if fair is None:
        return [Reply(ctx._(_STALE))]
    if action == "f":
        return [await fair_detail(ctx, fair)]
    if action == "l":
        return [await _registrations(ctx, fair)]
    if action == "e":
        return _begin_edit(ctx, fair, fair_answers(fair))
    if action == "b":
        ctx.conversation.start(BOOTHS_FLOW, "number", {"fair": fair.id})
        return [Reply(ctx._("«{name}» has {booths} booths, {held} of them given. Type the new "
                            "number of booths (/huy to cancel):").format(
            name=fair_name(fair, ctx.i18n), booths=fair.booths,
            held=await ctx.uow.fairs.held_booths(fair.id)), expects_text=True)]
    if action in EXPORT_FORMATS:
        return [await _export(ctx, fair, action)]
    return [Reply(ctx._(_STALE))]


async def _fair_list(ctx: Context) -> list[Reply]:
    fairs = await ctx.uow.fairs.listed()
    held = await ctx.uow.fairs.held_booths_by_fair()
    lines = [ctx._("Fairs (tap one to manage it):")] if fairs else [
        ctx._("There is no fair yet.")]
    choices = []
    for fair in fairs:
        lines.append(ctx._("• {code} {name} ({dates}): {status}, {held}/{booths} booths "
                           "given").format(
            code=fair.code, name=fair_name(fair, ctx.i18n), dates=dates(fair, ctx.i18n),
            status=_status_of(ctx, fair), held=held.get(fair.id, 0),
            booths=fair.booths))
        choices.append(Choice(fair.code, f"fa:f:{fair.id}"))
    choices.append(Choice(ctx._("New fair"), "fa:new"))
    return [Reply("\n".join(lines), choices=tuple(choices))]


async def fair_detail(ctx: Context, fair: Fair) -> Reply:
    held = await ctx.uow.fairs.held_booths(fair.id)
    counts = await ctx.uow.registrations.counts(fair.id)
    text = "\n".join([
        ctx._("{code} — {status}").format(code=fair.code,
                                          status=_status_of(ctx, fair)),
        describe_fair(fair, ctx.i18n, left=booths_left(fair, held)),
        ctx._("Registrations: {confirmed} confirmed, {offered} offered, {waiting} on the "
              "waitlist, {cancelled} cancelled, {rejected} rejected.").format(
            confirmed=counts.get(RegistrationStatus.CONFIRMED, 0),
            offered=counts.get(RegistrationStatus.OFFERED, 0),
            waiting=counts.get(RegistrationStatus.WAITLISTED, 0),
            cancelled=counts.get(RegistrationStatus.CANCELLED, 0),
            rejected=counts.get(RegistrationStatus.REJECTED, 0)),
    ])
    choices = [Choice(ctx._("Registrants and waitlist"), f"fa:l:{fair.id}"),
               Choice(ctx._("Edit details"), f"fa:e:{fair.id}"),
               Choice(ctx._("Change the number of booths"), f"fa:b:{fair.id}")]
    if fair.status == FairStatus.OPEN:
        choices.append(Choice(ctx._("Close registration"), f"fs:close:{fair.id}"))
    else:
        choices.append(Choice(ctx._("Open registration"), f"fs:open:{fair.id}"))
    choices += [Choice(ctx._("Export (Excel)"), f"fa:xlsx:{fair.id}"),
                Choice(ctx._("Export (CSV)"), f"fa:csv:{fair.id}"),
                Choice(ctx._("All fairs"), "fa")]
    return Reply(text, choices=tuple(choices))


async def _registrations(ctx: Context, fair: Fair) -> Reply:
    rows = await ctx.uow.registrations.with_establishments(fair.id, ACTIVE)
    if not rows:
        return Reply(ctx._("No establishment is registered for «{name}» yet.").format(
            name=fair_name(fair, ctx.i18n)), choices=(Choice(fair.code, f"fa:f:{fair.id}"),))
    lines = [ctx._("Registrants of «{name}», in the order they came:").format(
        name=fair_name(fair, ctx.i18n))]
    choices = []
    position = 0
    for registration, establishment in rows:
        if registration.status == RegistrationStatus.WAITLISTED:
            position += 1
        lines.append(ctx._("#{id} {establishment}: {booths} × booth, {status}").format(
            id=registration.id, establishment=establishment.name or "-",
            booths=registration.booths,
            status=status_text(registration, ctx.i18n, position=position or None)))
        if len(choices) < MAX_REGISTRATION_BUTTONS:
            choices.append(Choice(f"#{registration.id}", f"fa:r:{registration.id}"))
    choices.append(Choice(fair.code, f"fa:f:{fair.id}"))
    return Reply("\n".join(lines), choices=tuple(choices))


async def _registration_detail(ctx: Context, raw_id: str) -> list[Reply]:
    registration_id = row_id(raw_id)
    registration = await ctx.uow.registrations.get(registration_id) \
        if registration_id is not None else None
    if registration is None:
        return [Reply(ctx._(_STALE))]
    fair = await ctx.uow.fairs.get(registration.fair_id)
    establishment = await ctx.uow.establishments.get(registration.establishment_id)
    assert fair is not None and establishment is not None
    answers = registration.answers or {}
    position = None
    if registration.status == RegistrationStatus.WAITLISTED:
        position = await ctx.uow.registrations.waitlist_position(registration)
    lines = [
        ctx._("Registration #{id} for «{name}»").format(id=registration.id,
                                                       name=fair_name(fair, ctx.i18n)),
        ctx._("Establishment: {value}").format(value=establishment.name or "-"),
        ctx._("Tax code: {value}").format(value=mask_tax_code(establishment.tax_code)),
        ctx._("Contact person: {value}").format(value=answers.get("contact_name") or "-"),
        ctx._("Phone: {value}").format(value=answers.get("contact_phone") or "-"),
        ctx._("Products: {value}").format(value=answers.get("products") or "-"),
        ctx._("Booths: {value}").format(value=registration.booths),
        ctx._("Registered on: {value}").format(value=ctx.i18n.datetime(registration.created_at)),
        ctx._("Status: {value}").format(
            value=status_text(registration, ctx.i18n, position=position)),
    ]
    choices = []
    if registration.status == RegistrationStatus.CONFIRMED and registration.approved_at is None:
        choices.append(Choice(ctx._("Approve"), f"fs:ok:{registration.id}"))
    if registration.status in ACTIVE:
        choices.append(Choice(ctx._("Reject with a reason"), f"fs:no:{registration.id}"))
    choices.append(Choice(ctx._("Registrants and waitlist"), f"fa:l:{fair.id}"))
    return [Reply("\n".join(lines), choices=tuple(choices))]


async def _export(ctx: Context, fair: Fair, fmt: str) -> Reply:
    out = io.BytesIO()
    rows = await export_registrations(ctx.uow, fair, fmt, out, translator=ctx.i18n,
                                      communes=ctx.services.communes)
    await ctx.uow.audit.record(actor=ctx.actor, action="export.registrations",
                               target=fair.code, now=ctx.now,
                               details={"format": fmt, "registrations": rows})
    filename = f"{fair.code}-{ctx.now.astimezone(LOCAL_TZ):%Y-%m-%d}.{fmt}"
    return Reply(ctx.ngettext("{count} registration.", "{count} registrations.", rows).format(
        count=ctx.i18n.number(rows)),
        document=Document(filename, out.getvalue(), EXPORT_FORMATS[fmt]))


# --- changes (offered in the current step only) -------------------------------------------

@router.payload("fs", staff=True)
async def change_button(msg: Incoming, ctx: Context) -> list[Reply]:
    action, _sep, arg = (msg.payload or "").removeprefix("fs:").partition(":")
    if row_id(arg) is None:
        return [Reply(ctx._(_STALE))]
    if action in ("open", "close"):
        return await _open_or_close(ctx, int(arg), action == "open")
    if action == "ok":
        try:
            approved = await booking.approve(ctx.uow, int(arg), actor=ctx.actor, now=ctx.now)
        except booking.BookingRefused:
            return [Reply(ctx._("That registration is no longer active."))]
        await notices.send(ctx.uow, ctx.translators, approved, ctx.now)
        await ctx.uow.audit.record(actor=ctx.actor, action="fair.approve",
                                   target=f"registration:{arg}", now=ctx.now)
        return [Reply(ctx._("Approved; the establishment has been told.")),
                *await _registration_detail(ctx, arg)]
    if action == "no":
        ctx.conversation.start(REJECT_FLOW, "reason", {"registration": int(arg)})
        return [Reply(ctx._("Type the reason for rejecting registration #{id}; the "
                            "establishment will read it (/huy to cancel):").format(id=arg))]
    return [Reply(ctx._(_STALE))]


async def _open_or_close(ctx: Context, fair_id: int, opening: bool) -> list[Reply]:
    fair = await ctx.uow.fairs.lock(fair_id)
    if fair is None:
        return [Reply(ctx._(_STALE))]
    if opening and fair.registration_deadline <= ctx.now:
        return [Reply(ctx._("Its registration deadline ({deadline}) has passed: edit the "
                            "fair's dates first.").format(
            deadline=ctx.i18n.datetime(fair.registration_deadline))),
            await fair_detail(ctx, fair)]
    fair.status = FairStatus.OPEN if opening else FairStatus.CLOSED
    fair.updated_at, fair.updated_by = ctx.now, ctx.actor
    await schedule_fair(ctx.uow, fair, ctx.now)
    passed = await booking.promote(ctx.uow, fair, ctx.now) if opening else []
    await notices.send(ctx.uow, ctx.translators, passed, ctx.now)
    await ctx.uow.audit.record(actor=ctx.actor, action="fair.open" if opening else
                               "fair.close", target=fair.code, now=ctx.now)
    text = (ctx._("Registration for «{name}» is open.") if opening else
            ctx._("Registration for «{name}» is closed.")).format(
        name=fair_name(fair, ctx.i18n))
    return [Reply(text), await fair_detail(ctx, fair)]


@router.flow(REJECT_FLOW, staff=True)
async def reject_reason(msg: Incoming, ctx: Context) -> list[Reply]:
    reason = msg.text.strip()
    if not reason:
        return [Reply(ctx._("Please type the reason (/huy to cancel):"))]
    registration_id = int(ctx.conversation.draft.get("registration", 0))
    ctx.conversation.finish()
    try:
        passed = await booking.reject(ctx.uow, registration_id, reason=reason[:500],
                                      actor=ctx.actor, now=ctx.now)
    except booking.BookingRefused:
        return [Reply(ctx._("That registration is no longer active."))]
    await notices.send(ctx.uow, ctx.translators, passed, ctx.now)
    await ctx.uow.audit.record(actor=ctx.actor, action="fair.reject",
                               target=f"registration:{registration_id}", now=ctx.now)
    return [Reply(ctx._("Rejected; the establishment has been told the reason.")),
            *await _registration_detail(ctx, str(registration_id))]


@router.flow(BOOTHS_FLOW, staff=True)
async def booths_number(msg: Incoming, ctx: Context) -> list[Reply]:
    booths = parse_number(msg.text, integer=True)  # the runner's reading: "1.000", "12"
    if booths is None or not 1 <= booths <= MAX_BOOTHS:
        return [Reply(ctx._("Please type a number from 1 to 1000 (/huy to cancel):"),
                      expects_text=True)]
    fair_id = int(ctx.conversation.draft.get("fair", 0))
    held = await ctx.uow.fairs.held_booths(fair_id)
    if booths < held:
        # Asked again, the number still to come: back on the fair's card, the next number
        # typed picked its button of that rank ("4" closed registration).
        return [Reply(ctx._("{held} booths are already given to establishments: type a "
                            "number from {held} up, or reject or cancel registrations first "
                            "(/huy to cancel):").format(held=held), expects_text=True)]
    ctx.conversation.finish()
    replies = await _change_booths(ctx, fair_id, int(booths))
    fair = await ctx.uow.fairs.get(fair_id)
    return replies + ([await fair_detail(ctx, fair)] if fair else [])


async def _change_booths(ctx: Context, fair_id: int, booths: int) -> list[Reply]:
    try:
        passed = await booking.set_booths(ctx.uow, fair_id, booths, ctx.now)
    except booking.BookingRefused as refused:
        if refused.reason != booking.BELOW_HELD:
            return [Reply(ctx._(_STALE))]
        return [Reply(ctx._("More booths than that are already given to establishments. To "
                            "give fewer, reject or cancel registrations first."))]
    await notices.send(ctx.uow, ctx.translators, passed, ctx.now)
    await ctx.uow.audit.record(actor=ctx.actor, action="fair.booths",
                               target=str(fair_id), now=ctx.now, details={"booths": booths})
    return [Reply(ctx.ngettext("Done: {n} booth offered to the waitlist.",
                               "Done: {n} booths offered to the waitlist.",
                               sum(n.registration.booths for n in passed)).format(
        n=sum(n.registration.booths for n in passed)))] if passed else []


# --- the guided form -----------------------------------------------------------------------

def _begin_edit(ctx: Context, fair: Fair | None, answers: dict[str, Any]) -> list[Reply]:
    ctx.conversation.start(EDIT_FLOW, "answering", {
        "fair": fair.id if fair else None,
        # The fair as it was when the form opened: saving over a change made meanwhile (its
        # booths, by a colleague) is refused rather than undone by "Keep".
        "seen": fair.updated_at.isoformat() if fair else None,
        "progress": Progress(answers=answers).to_json()})
    runner = _edit_runner(ctx)
    replies = runner.start()
    ctx.conversation.draft["progress"] = runner.progress.to_json()
    intro = ctx._("Editing «{name}»: each answer is shown with Keep; type /huy to stop without "
                  "saving.").format(name=fair_name(fair, ctx.i18n)) if fair else ctx._(
        "A new fair: a few questions, then you check everything. It is saved as a draft, not "
        "shown to enterprises until you open registration. Type /huy to stop.")
    return [Reply(intro), *replies]


@router.payload(EDIT_PREFIX, staff=True)
async def edit_button(msg: Incoming, ctx: Context) -> list[Reply]:
    return await _edit_step(ctx, lambda runner: runner.on_button(msg.payload))


@router.flow(EDIT_FLOW, staff=True)
async def edit_text(msg: Incoming, ctx: Context) -> list[Reply]:
    return await _edit_step(ctx, lambda runner: runner.on_text(msg.text))


def _edit_runner(ctx: Context) -> FormRunner:
    draft = ctx.conversation.draft
    return FormRunner(fair_form(creating=draft.get("fair") is None), ctx,
                      Progress.from_json(draft.get("progress")), prefix=EDIT_PREFIX)


async def _edit_step(ctx: Context, act: Callable[[FormRunner], FormStep]) -> list[Reply]:
    if ctx.conversation.flow != EDIT_FLOW:
        return [Reply(ctx._(_STALE))]
    runner = _edit_runner(ctx)
    step = act(runner)
    ctx.conversation.draft["progress"] = runner.progress.to_json()
    if not step.completed:
        return step.replies
    fair_id, seen = ctx.conversation.draft.get("fair"), ctx.conversation.draft.get("seen")
    answers = runner.progress.answers
    ctx.conversation.finish()
    values = fair_values(answers)
    if fair_id is None:
        code = str(answers["code"]).strip()
        if await ctx.uow.fairs.by_code(code) is not None:
            return [Reply(ctx._("There is already a fair with the code {code}. Tap New fair "
                                "to start again with another code.").format(code=code),
                          choices=(Choice(ctx._("New fair"), "fa:new"),))]
        fair = await ctx.uow.fairs.add(code=code, booths=int(answers["booths"]),
                                       status=FairStatus.DRAFT, created_at=ctx.now,
                                       updated_at=ctx.now, updated_by=ctx.actor, **values)
        await ctx.uow.audit.record(actor=ctx.actor, action="fair.create", target=code,
                                   now=ctx.now)
        return [*step.replies, Reply(ctx._("Saved as a draft. Open registration when it is "
                                           "ready.")), await fair_detail(ctx, fair)]
    fair = await ctx.uow.fairs.lock(int(fair_id))
    if fair is None:
        return [Reply(ctx._(_STALE))]
    if seen not in (None, fair.updated_at.isoformat()):
        return [Reply(ctx._("Not saved: «{name}» was changed by someone else while you were "
                            "editing it. Here it is now; tap Edit details to start again "
                            "from it.").format(name=fair_name(fair, ctx.i18n))),
                await fair_detail(ctx, fair)]
    before = fair_answers(fair)
    changed = sorted(name for name, value in answers.items() if before.get(name) != value)
    if answers["deadline"] == before["deadline"]:
        # The same day: keep its time (an import may have set 17:00, not 23:59).
        values.pop("registration_deadline")
    for name, value in values.items():
        setattr(fair, name, value)
    fair.updated_at, fair.updated_by = ctx.now, ctx.actor
    replies = [*step.replies, Reply(ctx._("Saved."))]
    if int(answers["booths"]) != fair.booths:
        replies += await _change_booths(ctx, fair.id, int(answers["booths"]))
    else:
        await notices.send(ctx.uow, ctx.translators,
                           await booking.promote(ctx.uow, fair, ctx.now), ctx.now)
    await schedule_fair(ctx.uow, fair, ctx.now)
    told = 0
    if {"starts_on", "ends_on", "place_vi", "place_en"} & set(changed):
        told = await notices.moved(ctx.uow, ctx.translators, fair, ctx.now)
        if told:
            replies.append(Reply(ctx.ngettext(
                "The new dates and place were sent to {n} registered establishment.",
                "The new dates and place were sent to {n} registered establishments.",
                told).format(n=told)))
    await ctx.uow.audit.record(actor=ctx.actor, action="fair.edit", target=fair.code,
                               now=ctx.now, details={"changed": changed, "told": told})
    return [*replies, await fair_detail(ctx, fair)]
