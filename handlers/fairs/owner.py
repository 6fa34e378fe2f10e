"""Fairs for business owners: the open fairs, registering from the establishment's profile
plus the fair's own questions, the waitlist, offers, "My registrations" and cancelling."""

from __future__ import annotations

from collections.abc import Callable

from handlers.context import Context
from handlers.fairs import booking, notices
from handlers.fairs.display import button_names, describe_fair, fair_name, status_text
from handlers.forms.model import Form, Option, Question, QuestionType, Text
from handlers.forms.runner import FormRunner, Progress, msgid
from handlers.forms.runner import Step as FormStep
from handlers.i18n import N_
from handlers.profile import profile_for
from handlers.routing import Router
from handlers.text import row_id
from handlers.types import Choice, Incoming, Reply
from storage.fairs import booths_left, is_taking_registrations
from storage.models import ACTIVE, Fair, FairRegistration, FairStatus, RegistrationStatus

router = Router()

FLOW = "fair_register"
PREFIX = "fg"  # the registration form's buttons
CONSENT_PURPOSE = "enterprise_profile"  # the profile's consent covers registrations
MAX_LISTED = 10  # registrations shown under "My registrations"

_CONTACT_RULE = "string-length(.) <= 100 and regex(., '.*[^\\W\\d_].*')"


def registration_form(fair: Fair) -> Form:
    """The fair's own questions; how many booths only where more than one may be asked."""
    questions = [
        Question("contact_name", QuestionType.TEXT,
                 msgid("Who will be the contact person for this fair? Please type their full "
                       "name."), required=True, constraint=_CONTACT_RULE,
                 constraint_message=msgid("Please type a person's name, for example \"Nguyễn "
                                          "Thị Hoa\".")),
        Question("contact_phone", QuestionType.PHONE,
                 msgid("Which phone number can the centre call about the fair?"),
                 required=True),
        Question("products", QuestionType.TEXT,
                 msgid("Which products will you show at the fair?"), required=True,
                 constraint="string-length(.) <= 500",
                 constraint_message=msgid("Please keep it under 500 characters.")),
    ]
    if fair.max_booths_per_establishment > 1:
        questions.append(Question(
            "booths", QuestionType.SELECT_ONE, msgid("How many booths would you like?"),
            options=tuple(Option(str(n), Text({"": str(n)}))
                          for n in range(1, fair.max_booths_per_establishment + 1)),
            required=True))
    return Form(code=f"fair-{fair.code}", version="1", title=Text(fair.name or {}),
                questions=tuple(questions))


@router.command("hoicho", "fairs", description=N_("Trade fairs: register for a booth"))
async def fairs_command(msg: Incoming, ctx: Context) -> list[Reply]:
    return await list_fairs(ctx)


@router.payload("fairs", always_valid=True)
async def fairs_button(msg: Incoming, ctx: Context) -> list[Reply]:
    """The main menu's entry: the same list as /hoicho."""
    return await list_fairs(ctx)


async def list_fairs(ctx: Context) -> list[Reply]:
    fairs = [f for f in await ctx.uow.fairs.listed([FairStatus.OPEN])
             if is_taking_registrations(f, ctx.now)]
    held = await ctx.uow.fairs.held_booths_by_fair()
    mine = {r.fair_id: r for r in await _registrations(ctx) if r.status in ACTIVE}
    choices = []
    names = button_names(fairs, ctx.i18n)
    if fairs:
        blocks = [ctx._("Fairs open for registration:")]
        for fair in fairs:
            blocks.append(describe_fair(fair, ctx.i18n, left=booths_left(fair, held.get(
                fair.id, 0))))
            registration = mine.get(fair.id)
            if registration is not None:
                blocks[-1] += "\n" + ctx._("Your registration: {status}").format(
                    status=await _status(ctx, registration))
            else:
                choices.append(Choice(ctx._("Register: {name}").format(name=names[fair.id]),
                                      f"fr:{fair.id}"))
        text = "\n\n".join(blocks)
    else:
        # No promise to tell: opening a fair tells no one by itself (staff announce it).
        text = ctx._("No fair is open for registration right now. Please look again later "
                     "with /hoicho.")
    choices.append(Choice(ctx._("My registrations"), "fmy"))
    if ctx.is_staff:
        choices.append(Choice(ctx._("Manage fairs"), "fa"))
    choices.append(Choice(ctx._("Main menu"), "menu"))
    return [Reply(text, choices=tuple(choices))]


@router.payload("fr", always_valid=True)
async def start_registration(msg: Incoming, ctx: Context) -> list[Reply]:
    """Start (or resume) registering the user's establishment for a fair."""
    fair = await _fair_from(msg.payload, "fr:", ctx)
    if fair is None or not is_taking_registrations(fair, ctx.now):
        return [_closed_reply(ctx, fair)]
    if await ctx.uow.profiles.consent(ctx.user.id, CONSENT_PURPOSE) is None:
        return [Reply(ctx._("Registration uses your enterprise profile. First, please read "
                            "how we keep your data and agree to it."),
                      choices=(Choice(ctx._("Read and agree"), profile_for(msg.payload)),))]
    profile = await ctx.uow.profiles.get(ctx.user.id)
    if profile is None or profile.establishment_id is None:
        return [Reply(ctx._("Each establishment registers once per fair, so I need to know "
                            "which one you speak for: please fill in your enterprise profile "
                            "with its tax code first, then come back with /hoicho."),
                      choices=(Choice(ctx._("My enterprise profile"),
                                      profile_for(msg.payload)),))]
    existing = await ctx.uow.registrations.active_for(fair.id, profile.establishment_id)
    if existing is not None:
        return [await _already_registered(ctx, fair, existing)]
    resuming = ctx.conversation.flow == FLOW and ctx.conversation.draft.get("fair") == fair.id
    if not resuming:
        answers = {"contact_phone": profile.phone} if profile.phone else {}
        ctx.conversation.start(FLOW, "answering", {
            "fair": fair.id, "progress": Progress(answers=answers).to_json()})
    runner = _runner(ctx, fair)
    left = booths_left(fair, await ctx.uow.fairs.held_booths(fair.id))
    intro = [ctx._("Registering {establishment} for «{name}». Your enterprise profile is "
                   "used as it is (/hoso to change it); a few questions about the fair follow, "
                   "then you check everything before it is sent. Type /huy to stop.").format(
        establishment=profile.name or ctx._("your establishment"),
        name=fair_name(fair, ctx.i18n))]
    if left <= 0:
        intro.append(ctx._("All booths are taken at the moment: if you register, your "
                           "establishment joins the waitlist and is offered a booth if one "
                           "comes free."))
    replies = runner.start()
    ctx.conversation.draft["progress"] = runner.progress.to_json()
    return [Reply("\n\n".join(intro)), *replies]


@router.payload(PREFIX)
async def registration_button(msg: Incoming, ctx: Context) -> list[Reply]:
    return await _step(ctx, lambda runner: runner.on_button(msg.payload))


@router.flow(FLOW)
async def registration_text(msg: Incoming, ctx: Context) -> list[Reply]:
    return await _step(ctx, lambda runner: runner.on_text(msg.text))


@router.resume(FLOW)
async def registration_resume(ctx: Context) -> list[Reply]:
    return await _step(ctx, lambda runner: FormStep(runner.resume()))


async def _step(ctx: Context, act: Callable[[FormRunner], FormStep]) -> list[Reply]:
    fair_id = ctx.conversation.draft.get("fair") if ctx.conversation.flow == FLOW else None
    fair = await ctx.uow.fairs.get(int(fair_id)) if fair_id else None
    if fair is None:
        ctx.conversation.finish()
        return [Reply(ctx._("That button is no longer valid. Type /hoicho to see the fairs."))]
    if not is_taking_registrations(fair, ctx.now):
        ctx.conversation.finish()
        return [_closed_reply(ctx, fair)]
    runner = _runner(ctx, fair)
    step = act(runner)
    ctx.conversation.draft["progress"] = runner.progress.to_json()
    if not step.completed:
        return step.replies
    ctx.conversation.finish()
    return [*step.replies, *await _submit(ctx, fair, runner.progress.answers)]


async def _submit(ctx: Context, fair: Fair, answers: dict) -> list[Reply]:
    profile = await ctx.uow.profiles.get(ctx.user.id)
    if profile is None or profile.establishment_id is None:
        return [Reply(ctx._("Your enterprise profile has no tax code any more, so I cannot "
                            "register it. Type /hoso to complete it."))]
    booths = int(answers.get("booths") or 1)
    kept = {k: answers[k] for k in ("contact_name", "contact_phone", "products") if k in answers}
    try:
        booked = await booking.register(
            ctx.uow, fair.id, establishment_id=profile.establishment_id, user_id=ctx.user.id,
            booths=booths, answers=kept, now=ctx.now)
    except booking.BookingRefused as refused:
        if refused.reason == booking.ALREADY and refused.registration is not None:
            return [await _already_registered(ctx, fair, refused.registration)]
        return [_closed_reply(ctx, fair)]
    registration = booked.registration
    name = fair_name(fair, ctx.i18n)
    going_on = (Choice(ctx._("My registrations"), "fmy"), Choice(ctx._("Main menu"), "menu"))
    if registration.status == RegistrationStatus.CONFIRMED:
        text = ctx.ngettext(
            "Registered: your establishment has {n} booth at «{name}». The centre will review "
            "your registration and tell you here.",
            "Registered: your establishment has {n} booths at «{name}». The centre will "
            "review your registration and tell you here.", registration.booths).format(
            n=registration.booths, name=name)
        return [Reply(text, choices=going_on)]
    position = await ctx.uow.registrations.waitlist_position(registration)
    if (left := booths_left(fair, await ctx.uow.fairs.held_booths(fair.id))) > 0:
        # Some booths are free, fewer than asked for: not "all booths are taken" (a phone
        # user asking for 2 of 1 free was told so beside "1 of 3 booths left").
        text = ctx.ngettext(
            "Only {left} booth is free at «{name}», fewer than the {n} you asked for, so your "
            "establishment is on the waitlist for {n}, number {position}. To take the free "
            "one now instead, cancel this registration and register again for {left}.",
            "Only {left} booths are free at «{name}», fewer than the {n} you asked for, so "
            "your establishment is on the waitlist for {n}, number {position}. To take the "
            "free ones now instead, cancel this registration and register again for {left}.",
            left).format(left=left, name=name, n=registration.booths, position=position)
    else:
        text = ctx.ngettext(
            "All booths at «{name}» are taken, so your establishment is on the waitlist, "
            "number {position}. If a booth comes free, I will offer it to you here and you "
            "will have {hours} hour to accept.",
            "All booths at «{name}» are taken, so your establishment is on the waitlist, "
            "number {position}. If a booth comes free, I will offer it to you here and you "
            "will have {hours} hours to accept.", fair.offer_hours).format(
            name=name, position=position, hours=fair.offer_hours)
    return [Reply(text, choices=going_on)]


@router.payload("fmy", always_valid=True)
async def my_registrations(msg: Incoming, ctx: Context) -> list[Reply]:
    registrations = (await _registrations(ctx))[:MAX_LISTED]
    if not registrations:
        return [Reply(ctx._("Your establishment has no fair registration yet. Type /hoicho "
                            "to see the open fairs."),
                      choices=(Choice(ctx._("Main menu"), "menu"),))]
    lines = [ctx._("Your establishment's registrations:")]
    choices = []
    fairs = {r.fair_id: await ctx.uow.fairs.get(r.fair_id) for r in registrations}
    names = button_names((f for f in fairs.values() if f), ctx.i18n)
    for registration in registrations:
        fair = fairs[registration.fair_id]
        if fair is None:
            continue
        name = fair_name(fair, ctx.i18n)
        lines.append(ctx.ngettext("• {name}: {n} booth, {status}",
                                  "• {name}: {n} booths, {status}", registration.booths).format(
            name=name, n=registration.booths, status=await _status(ctx, registration)))
        if registration.user_id != ctx.user.id:
            if registration.status in ACTIVE:
                lines.append("  " + ctx._("Made by someone else of your establishment: they or "
                                          "the centre can change it."))
            continue
        if registration.status == RegistrationStatus.OFFERED:
            choices += [Choice(ctx._("Take the booth: {name}").format(name=names[fair.id]),
                               f"{notices.ACCEPT}:{registration.id}"),
                        Choice(ctx._("Pass it on: {name}").format(name=names[fair.id]),
                               f"{notices.DECLINE}:{registration.id}")]
        elif registration.status in ACTIVE:
            choices.append(Choice(ctx._("Cancel: {name}").format(name=names[fair.id]),
                                  f"fx:{registration.id}"))
    choices.append(Choice(ctx._("Main menu"), "menu"))
    return [Reply("\n".join(lines), choices=tuple(choices))]


@router.payload("fx", always_valid=True)
async def ask_cancel(msg: Incoming, ctx: Context) -> list[Reply]:
    """Ask before cancelling (only the confirmation changes anything)."""
    registration = await _own_registration(ctx, msg.payload, "fx:")
    if registration is None or registration.status not in ACTIVE:
        return [Reply(ctx._("That registration is no longer active. Type /hoicho to see your "
                            "registrations."))]
    fair = await ctx.uow.fairs.get(registration.fair_id)
    assert fair is not None
    return [Reply(ctx._("Cancel your establishment's registration for «{name}»? Its place "
                        "will go to the next establishment in line.").format(
        name=fair_name(fair, ctx.i18n)),
        choices=(Choice(ctx._("Yes, cancel it"), f"fxy:{registration.id}"),
                 Choice(ctx._("No, keep it"), "fmy")))]


@router.payload("fxy")
async def confirm_cancel(msg: Incoming, ctx: Context) -> list[Reply]:
    registration = await _own_registration(ctx, msg.payload, "fxy:")
    if registration is None:
        return [Reply(ctx._("That registration is no longer active. Type /hoicho to see your "
                            "registrations."))]
    try:
        passed = await booking.cancel(ctx.uow, registration.id, ctx.now)
    except booking.BookingRefused:
        return [Reply(ctx._("That registration is no longer active. Type /hoicho to see your "
                            "registrations."))]
    await notices.send(ctx.uow, ctx.translators, passed, ctx.now)
    return [Reply(ctx._("Your registration is cancelled. Thank you for letting us know."),
                  choices=(Choice(ctx._("My registrations"), "fmy"),
                           Choice(ctx._("Main menu"), "menu")))]


@router.payload("fo", always_valid=True)
async def answer_offer(msg: Incoming, ctx: Context) -> list[Reply]:
    """Take or pass on an offered booth: valid from the offer's message for as long as the
    offer stands, which booking checks under the fair's lock."""
    action, _sep, _rest = msg.payload.removeprefix("fo:").partition(":")
    registration = await _own_registration(ctx, msg.payload, f"fo:{action}:")
    if registration is None or action not in ("yes", "no"):
        return [Reply(ctx._("That offer is no longer open. Type /hoicho to see your "
                            "registrations."))]
    fair = await ctx.uow.fairs.get(registration.fair_id)
    assert fair is not None
    name = fair_name(fair, ctx.i18n)
    try:
        if action == "no":
            passed = await booking.decline_offer(ctx.uow, registration.id, ctx.now)
            await notices.send(ctx.uow, ctx.translators, passed, ctx.now)
            return [Reply(ctx._("All right, the booth at «{name}» goes to the next "
                                "establishment in line. Thank you for answering.").format(
                name=name))]
        booked = await booking.accept_offer(ctx.uow, registration.id, ctx.now)
    except booking.BookingRefused:
        return [Reply(ctx._("That offer is no longer open. Type /hoicho to see your "
                            "registrations."))]
    if booked.registration.status == RegistrationStatus.EXPIRED:
        others = [n for n in booked.notices if n.registration.id != registration.id]
        await notices.send(ctx.uow, ctx.translators, others, ctx.now)
        return [Reply(ctx._("Sorry, the time to take this booth ran out, so it has passed to "
                            "the next establishment in line. You can register again with "
                            "/hoicho while registration is open."))]
    return [Reply(ctx.ngettext(
        "Done: your establishment has {n} booth at «{name}». The centre will tell you here "
        "when it has reviewed the registration.",
        "Done: your establishment has {n} booths at «{name}». The centre will tell you here "
        "when it has reviewed the registration.", registration.booths).format(
        n=registration.booths, name=name),
        choices=(Choice(ctx._("My registrations"), "fmy"),))]


async def _registrations(ctx: Context) -> list[FairRegistration]:
    """The registrations of the user's establishment (whoever of its people made them), or
    the user's own when the profile names none."""
    profile = await ctx.uow.profiles.get(ctx.user.id)
    if profile is not None and profile.establishment_id is not None:
        return await ctx.uow.registrations.of_establishment(profile.establishment_id)
    return await ctx.uow.registrations.of_user(ctx.user.id)


async def _own_registration(ctx: Context, payload: str | None, prefix: str
                            ) -> FairRegistration | None:
    """The registration a button names, if the user made it. Someone else of the establishment
    sees it but cannot cancel it nor answer its offers: anyone may type a tax code, and an
    outside probe cancelled a firm's booth so (7 Dec 2026); the centre's staff can."""
    registration_id = row_id((payload or "").removeprefix(prefix))
    if registration_id is None:
        return None
    registration = await ctx.uow.registrations.get(registration_id)
    if registration is None or registration.user_id != ctx.user.id:
        return None
    return registration


async def _status(ctx: Context, registration: FairRegistration) -> str:
    position = None
    if registration.status == RegistrationStatus.WAITLISTED:
        position = await ctx.uow.registrations.waitlist_position(registration)
    return status_text(registration, ctx.i18n, position=position)


async def _already_registered(ctx: Context, fair: Fair, registration: FairRegistration
                              ) -> Reply:
    ctx.conversation.finish()
    return Reply(ctx._("Your establishment is already registered for «{name}»: {status}. "
                       "Each establishment registers once per fair.").format(
        name=fair_name(fair, ctx.i18n), status=await _status(ctx, registration)),
        choices=(Choice(ctx._("My registrations"), "fmy"),))


def _closed_reply(ctx: Context, fair: Fair | None) -> Reply:
    # A fair staff are still preparing is not announced, even to a forged button.
    if fair is None or fair.status == FairStatus.DRAFT:
        return Reply(ctx._("I cannot find that fair. Type /hoicho to see the open fairs."))
    return Reply(ctx._("Registration for «{name}» is closed (it ran until {deadline}). Type "
                       "/hoicho to see the fairs still open.").format(
        name=fair_name(fair, ctx.i18n),
        deadline=ctx.i18n.datetime(fair.registration_deadline)))


async def _fair_from(payload: str | None, prefix: str, ctx: Context) -> Fair | None:
    fair_id = row_id((payload or "").removeprefix(prefix))
    return await ctx.uow.fairs.get(fair_id) if fair_id is not None else None


def _runner(ctx: Context, fair: Fair) -> FormRunner:
    progress = Progress.from_json(ctx.conversation.draft.get("progress"))
    return FormRunner(registration_form(fair), ctx, progress, prefix=PREFIX)
