"""Enterprise profile: consent first, then one question at a time; view and edit."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from enum import StrEnum

from handlers.context import Context
from handlers.forms.model import Form, Option, Question, QuestionType
from handlers.forms.runner import FormRunner, Progress, msgid
from handlers.forms.runner import Step as FormStep
from handlers.i18n import N_
from handlers.identifiers import mask_tax_code
from handlers.routing import Router
from handlers.sectors import SECTORS
from handlers.types import Choice, Incoming, Reply
from storage.models import EnterpriseProfile

router = Router()

FLOW = "profile"
PREFIX = "pf"  # the form's buttons
CONSENT_PURPOSE = "enterprise_profile"
# Bump when the consent notice changes, so we know which text each user agreed to.
NOTICE_VERSION = "2026-11"
# What a survey or a fair sends a person to the profile for: once it is saved, a button goes
# back there ("profile:open:svl:CODE"; each of those buttons checks everything again).
CONTINUE_LABELS = {"svl:": N_("Go on to the survey"), "fr:": N_("Go on with the registration")}
MAX_BUTTON_DATA = 64  # bytes of a Telegram button's callback_data


class Step(StrEnum):
    NAME = "name"
    TAX_CODE = "tax_code"
    PHONE = "phone"
    COMMUNE = "commune"
    SECTOR = "sector"


# The name must hold a letter: "123" or an emoji is no establishment's name; nor is a question
# ("cho em hỏi hỗ trợ máy móc bao nhiêu tiền ạ?" was saved as one).
_NAME_RULE = ("string-length(.) <= 200 and regex(., '.*[^\\W\\d_].*') and "
              "not(regex(., '.*[?？]\\s*'))")

FORM = Form(
    code=FLOW, version=NOTICE_VERSION, title=msgid("Enterprise profile"),
    questions=(
        Question(Step.NAME, QuestionType.TEXT,
                 msgid("What is the name of your establishment?"), required=True,
                 constraint=_NAME_RULE, constraint_message=msgid(
                     "Please type the name of your establishment (up to 200 characters), for "
                     "example \"Công ty TNHH Cơ khí Thành Phương\". To ask a question instead, "
                     "type /huy first.")),
        Question(Step.TAX_CODE, QuestionType.TAX_CODE,
                 msgid("What is its tax code (mã số thuế)? A household business gives its "
                       "representative's 12-digit personal identification number.")),
        Question(Step.PHONE, QuestionType.PHONE,
                 msgid("Which phone number can the centre call?")),
        Question(Step.COMMUNE, QuestionType.COMMUNE,
                 msgid("In which commune, ward or special zone of Hai Phong does it produce? "
                       "Type its name, for example \"An Thành\" or \"Cát Hải\".")),
        Question(Step.SECTOR, QuestionType.SELECT_ONE, msgid("Which sector is it in?"),
                 options=tuple(Option(key, msgid(label)) for key, label in SECTORS.items()),
                 required=True),
    ),
)


# Opened on the way to a survey or a fair, the profile must link an establishment, which its
# tax code names: "Skip" there ended the way on without a word (a phone user, 8 Dec 2026).
FORM_GOING_ON = dataclasses.replace(FORM, questions=tuple(
    dataclasses.replace(question, required=True, label=msgid(
        "What is its tax code (mã số thuế)? It is needed to go on. A household business gives "
        "its representative's 12-digit personal identification number."))
    if question.name == Step.TAX_CODE else question for question in FORM.questions))


@router.command("hoso", "profile", description=N_("See or fill in your enterprise profile"))
async def profile_command(msg: Incoming, ctx: Context) -> list[Reply]:
    return await _show_or_ask_consent(ctx)


@router.payload("profile", always_valid=frozenset({"profile"}))
async def profile_button(msg: Incoming, ctx: Context) -> list[Reply]:
    action, _, then = msg.payload.removeprefix("profile").lstrip(":").partition(":")
    then = then if then.startswith(tuple(CONTINUE_LABELS)) else ""
    if action in ("", "open"):
        return await _show_or_ask_consent(ctx, then)
    if action == "consent":
        if await ctx.uow.profiles.consent(ctx.user.id, CONSENT_PURPOSE) is None:
            await ctx.uow.profiles.grant_consent(ctx.user.id, CONSENT_PURPOSE, NOTICE_VERSION,
                                                 ctx.now)
        return _begin(ctx, {}, then)
    if action == "decline":
        return [Reply(ctx._("All right, I have not saved anything about your enterprise. You "
                            "can still ask questions; type /hoso if you change your mind."),
                      choices=(Choice(ctx._("Main menu"), "menu"),))]
    if action == "edit":
        profile = await ctx.uow.profiles.get(ctx.user.id)
        if await ctx.uow.profiles.consent(ctx.user.id, CONSENT_PURPOSE) is None:
            return await _show_or_ask_consent(ctx)
        answers = {f.value: getattr(profile, f.value) for f in Step} if profile else {}
        return _begin(ctx, {k: v for k, v in answers.items() if v}, then)
    return [Reply(ctx._("That button is no longer valid. Type /hoso to see your profile."))]


@router.payload(PREFIX)
async def profile_answer_button(msg: Incoming, ctx: Context) -> list[Reply]:
    """A button of the profile form (an answer, Keep, Skip, Back)."""
    if ctx.conversation.flow != FLOW:
        return [Reply(ctx._("That button is no longer valid. Type /hoso to see your profile."))]
    runner = _runner(ctx)
    return await _after(ctx, runner, runner.on_button(msg.payload))


@router.flow(FLOW)
async def profile_step(msg: Incoming, ctx: Context) -> list[Reply]:
    """A typed answer to the current question of the profile form."""
    runner = _runner(ctx)
    return await _after(ctx, runner, runner.on_text(msg.text))


@router.resume(FLOW)
async def profile_resume(ctx: Context) -> list[Reply]:
    return _runner(ctx).resume()


def profile_for(then: str) -> str:
    """The button payload that opens the profile and afterwards offers to go on to `then` (a
    survey's or a fair's button, "svl:CODE" or "fr:ID")."""
    return _then("open", then)


def _then(action: str, then: str) -> str:
    payload = f"profile:{action}:{then}"
    # A button's data fits Telegram's 64 bytes, or the message would be refused: a very long
    # survey code goes without the way back.
    return payload if then and len(payload.encode()) <= MAX_BUTTON_DATA else f"profile:{action}"


async def _show_or_ask_consent(ctx: Context, then: str = "") -> list[Reply]:
    consent = await ctx.uow.profiles.consent(ctx.user.id, CONSENT_PURPOSE)
    if consent is None:
        return [Reply(
            ctx._("Before I save anything about your enterprise, please read this.\n\n"
                  "I will ask for: the name of your establishment, its tax code, a phone "
                  "number, the commune, ward or special zone where it produces, and its "
                  "sector. The centre's staff use them only to advise you about support "
                  "programmes and to contact you about your requests. They are personal "
                  "data under Vietnamese law: you can see them at any time with /hoso and "
                  "delete everything with /xoadulieu.\n\nDo you agree?"),
            choices=(Choice(ctx._("I agree"), _then("consent", then)),
                     Choice(ctx._("I do not agree"), "profile:decline")),
        )]
    profile = await ctx.uow.profiles.get(ctx.user.id)
    if profile is None:
        return _begin(ctx, {}, then)
    return [Reply(
        describe_profile(ctx, profile, consent_date=consent.granted_at),
        choices=(*(_going_on(ctx, then) if profile.establishment_id else ()),
                 Choice(ctx._("Edit"), _then("edit", then)), Choice(ctx._("Main menu"), "menu")),
    )]


def _going_on(ctx: Context, then: str) -> tuple[Choice, ...]:
    """The button back to what sent the person here, if anything did."""
    label = next((label for prefix, label in CONTINUE_LABELS.items()
                  if then.startswith(prefix)), None)
    return (Choice(ctx._(label), then),) if label else ()


async def link_establishment(ctx: Context, profile: EnterpriseProfile) -> None:
    """Link the profile to the establishment its tax code names (shared with anyone, on any
    channel, who gives the same tax code)."""
    if not profile.tax_code:
        profile.establishment_id = None
        return
    establishment = await ctx.uow.establishments.record(
        profile.tax_code, name=profile.name, commune=profile.commune, sector=profile.sector,
        now=ctx.now, by_user=ctx.user.id)
    profile.establishment_id = establishment.id


def describe_profile(ctx: Context, profile: EnterpriseProfile,
                     consent_date: datetime | None = None) -> str:
    not_given = ctx._("not given")
    commune = ctx.services.communes.get(profile.commune) if profile.commune else None
    lines = [
        ctx._("Your enterprise profile:"),
        ctx._("Name: {value}").format(value=profile.name or not_given),
        ctx._("Tax code: {value}").format(
            value=mask_tax_code(profile.tax_code) if profile.tax_code else not_given),
        ctx._("Phone: {value}").format(value=profile.phone or not_given),
        ctx._("Where it produces: {value}").format(
            value=f"{commune.full_name}, Hải Phòng" if commune else not_given),
        ctx._("Sector: {value}").format(
            value=ctx._(SECTORS[profile.sector]) if profile.sector in SECTORS else not_given),
    ]
    if consent_date is not None:
        lines.append(ctx._("You agreed to us keeping these data on {date}.").format(
            date=ctx.i18n.date(consent_date)))
    return "\n".join(lines)


def _begin(ctx: Context, answers: dict, then: str = "") -> list[Reply]:
    """Start the form; when editing, every question shows the saved answer with Keep."""
    ctx.conversation.start(FLOW, "asking", {"then": then} if then else {})
    runner = _runner(ctx, Progress(answers=answers), editing=bool(answers))
    replies = runner.start()
    ctx.conversation.draft["progress"] = runner.progress.to_json()
    intro = ctx._("Thank you. I will ask five short questions; type /huy to stop at any time.")
    return [Reply(intro), *replies]


def _runner(ctx: Context, progress: Progress | None = None, *,
            editing: bool | None = None) -> FormRunner:
    draft = ctx.conversation.draft
    if progress is None:
        progress = Progress.from_json(draft.get("progress"))
    if editing is None:
        editing = bool(draft.get("editing"))
    draft["editing"] = editing
    form = FORM_GOING_ON if draft.get("then") else FORM
    return FormRunner(form, ctx, progress, prefix=PREFIX, review=False, keep_answers=editing)


async def _after(ctx: Context, runner: FormRunner, step: FormStep) -> list[Reply]:
    """Keep the progress; after the last question, save the profile."""
    ctx.conversation.draft["progress"] = runner.progress.to_json()
    if not step.completed:
        return step.replies
    answers = {f.value: runner.progress.answers.get(f.value) for f in Step}
    profile = await ctx.uow.profiles.save(ctx.user.id, now=ctx.now, **answers)
    await link_establishment(ctx, profile)
    then = str(ctx.conversation.draft.get("then") or "")
    ctx.conversation.finish()
    going_on = _going_on(ctx, then) if profile.establishment_id else ()
    return [*step.replies, Reply(ctx._("Saved. Thank you!")),
            Reply(describe_profile(ctx, profile),
                  choices=(*going_on, Choice(ctx._("Edit"), _then("edit", then)),
                           Choice(ctx._("Main menu"), "menu")))]
