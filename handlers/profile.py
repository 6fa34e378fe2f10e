"""Enterprise profile: consent first, then one question at a time; view and edit."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from handlers.context import Context
from handlers.i18n import N_
from handlers.identifiers import (
    TaxCodeProblem,
    mask_tax_code,
    parse_phone,
    parse_tax_code,
    tax_code_problem,
)
from handlers.routing import Router
from handlers.sectors import SECTORS
from handlers.types import Choice, Incoming, Reply
from storage.models import EnterpriseProfile

router = Router()

FLOW = "profile"
CONSENT_PURPOSE = "enterprise_profile"
# Bump when the consent notice changes, so we know which text each user agreed to.
NOTICE_VERSION = "2026-11"
MAX_COMMUNE_CHOICES = 8


_TAX_CODE_PROBLEMS = {
    TaxCodeProblem.CHECK_DIGIT: N_(
        "The last digit of that tax code does not match the others (wrong check digit). "
        "Please check it on your registration certificate."),
    TaxCodeProblem.PERSONAL_ID: N_(
        "That is not a valid 12-digit personal identification number. A household business "
        "gives the number on its representative's citizen identity card. Please check it."),
    TaxCodeProblem.FORMAT: N_(
        "That is not a valid tax code. An enterprise's tax code has 10 digits, or 10 digits, a "
        "dash and 3 digits for a branch (for example 0201234569 or 0201234569-001); a "
        "household business gives its representative's 12-digit personal identification "
        "number. Please check it."),
}


class Step(StrEnum):
    NAME = "name"
    TAX_CODE = "tax_code"
    PHONE = "phone"
    COMMUNE = "commune"
    SECTOR = "sector"


@router.command("hoso", "profile", description=N_("See or fill in your enterprise profile"))
async def profile_command(msg: Incoming, ctx: Context) -> list[Reply]:
    return await _show_or_ask_consent(ctx)


@router.payload("profile", always_valid=frozenset({"profile"}))
async def profile_button(msg: Incoming, ctx: Context) -> list[Reply]:
    action, _sep, value = msg.payload.removeprefix("profile").lstrip(":").partition(":")
    if action == "":
        return await _show_or_ask_consent(ctx)
    if action == "consent":
        if await ctx.uow.profiles.consent(ctx.user.id, CONSENT_PURPOSE) is None:
            await ctx.uow.profiles.grant_consent(ctx.user.id, CONSENT_PURPOSE, NOTICE_VERSION,
                                                 ctx.now)
        return _begin(ctx, draft={})
    if action == "decline":
        return [Reply(ctx._("All right, I have not saved anything about your enterprise. You "
                            "can still ask questions; type /hoso if you change your mind."))]
    if action == "edit":
        profile = await ctx.uow.profiles.get(ctx.user.id)
        if await ctx.uow.profiles.consent(ctx.user.id, CONSENT_PURPOSE) is None:
            return await _show_or_ask_consent(ctx)
        draft = {f: getattr(profile, f) for f in Step} if profile else {}
        return _begin(ctx, draft)
    if ctx.conversation.flow != FLOW:
        return [Reply(ctx._("That button is no longer valid. Type /hoso to see your profile."))]
    step = ctx.conversation.step
    if action == "keep" and ctx.conversation.draft.get(step):
        return await _store(ctx, step, ctx.conversation.draft[step])
    if action == "skip" and step in (Step.TAX_CODE, Step.PHONE, Step.COMMUNE):
        # Skipping never erases a saved value: it keeps whatever the question showed.
        return await _store(ctx, step, ctx.conversation.draft.get(step))
    if action == "commune" and step == Step.COMMUNE and ctx.services.communes.get(value):
        return await _store(ctx, Step.COMMUNE, value)
    if action == "sector" and step == Step.SECTOR and value in SECTORS:
        return await _store(ctx, Step.SECTOR, value)
    return [Reply(ctx._("That button belongs to an earlier question.")), _prompt(ctx)]


@router.flow(FLOW)
async def profile_step(msg: Incoming, ctx: Context) -> list[Reply]:
    """A typed answer to the current question of the profile form."""
    step = ctx.conversation.step
    text = msg.text
    if step == Step.NAME:
        if not any(ch.isalpha() for ch in text) or len(text) > 200:
            return [Reply(ctx._("Please type the name of your establishment, for example "
                                "\"Công ty TNHH Cơ khí Thành Phương\"."))]
        return await _store(ctx, Step.NAME, text)
    if step == Step.TAX_CODE:
        tax_code = parse_tax_code(text)
        if tax_code is None:
            return [_ask_again(ctx, ctx._(_TAX_CODE_PROBLEMS[tax_code_problem(text)]))]
        return await _store(ctx, Step.TAX_CODE, tax_code)
    if step == Step.PHONE:
        phone = parse_phone(text)
        if phone is None:
            return [_ask_again(ctx, ctx._(
                "That is not a valid Vietnamese phone number. Please type a mobile number such "
                "as 0912 345 678 or a landline such as 0225 3 123 456."))]
        return await _store(ctx, Step.PHONE, phone)
    if step == Step.COMMUNE:
        return await _match_commune(ctx, text)
    if step == Step.SECTOR:
        return [Reply(ctx._("Please choose your sector from the list.")), _prompt(ctx)]
    ctx.conversation.finish()
    return [Reply(ctx._("Type /hoso to see your profile."))]


async def _show_or_ask_consent(ctx: Context) -> list[Reply]:
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
            choices=(Choice(ctx._("I agree"), "profile:consent"),
                     Choice(ctx._("I do not agree"), "profile:decline")),
        )]
    profile = await ctx.uow.profiles.get(ctx.user.id)
    if profile is None:
        return _begin(ctx, draft={})
    return [Reply(
        describe_profile(ctx, profile, consent_date=consent.granted_at),
        choices=(Choice(ctx._("Edit"), "profile:edit"), Choice(ctx._("Main menu"), "menu")),
    )]


async def link_establishment(ctx: Context, profile: EnterpriseProfile) -> None:
    """Link the profile to the establishment its tax code names (shared with anyone, on any
    channel, who gives the same tax code)."""
    if not profile.tax_code:
        profile.establishment_id = None
        return
    establishment = await ctx.uow.establishments.record(
        profile.tax_code, name=profile.name, commune=profile.commune, sector=profile.sector,
        now=ctx.now)
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


def _begin(ctx: Context, draft: dict) -> list[Reply]:
    ctx.conversation.start(FLOW, Step.NAME, draft)
    intro = ctx._("Thank you. I will ask five short questions; type /huy to stop at any time.")
    return [Reply(intro), _prompt(ctx)]


_ORDER = list(Step)


async def _store(ctx: Context, step: str, value: str | None) -> list[Reply]:
    """Keep the answer in the draft and move on; save the profile after the last one."""
    ctx.conversation.draft[step] = value
    position = _ORDER.index(Step(step))
    if position + 1 < len(_ORDER):
        ctx.conversation.goto(_ORDER[position + 1])
        return [_prompt(ctx)]
    answers = {f.value: ctx.conversation.draft.get(f) for f in Step}
    profile = await ctx.uow.profiles.save(ctx.user.id, now=ctx.now, **answers)
    await link_establishment(ctx, profile)
    ctx.conversation.finish()
    return [Reply(ctx._("Saved. Thank you!")),
            Reply(describe_profile(ctx, profile),
                  choices=(Choice(ctx._("Edit"), "profile:edit"),
                           Choice(ctx._("Main menu"), "menu")))]


def _keep_or_skip(ctx: Context) -> tuple[Choice, ...]:
    """Keep when the question has a saved value (editing), else Skip for optional ones."""
    step = ctx.conversation.step
    if ctx.conversation.draft.get(step):
        return (Choice(ctx._("Keep"), "profile:keep"),)
    if step in (Step.TAX_CODE, Step.PHONE, Step.COMMUNE):
        return (Choice(ctx._("Skip"), "profile:skip"),)
    return ()


def _ask_again(ctx: Context, problem: str) -> Reply:
    """A refused answer: what was wrong, and the button that lets the user go on."""
    choices = _keep_or_skip(ctx)
    if not choices:
        return Reply(problem)
    if choices[0].payload == "profile:keep":
        hint = ctx._("Or tap Keep to leave the saved answer as it is.")
    else:
        hint = ctx._("Or tap Skip to leave it out.")
    return Reply(f"{problem} {hint}", choices=choices)


def _shown(ctx: Context, step: str, value: str) -> str:
    """A saved answer as the question shows it back to its owner."""
    if step == Step.TAX_CODE:
        return mask_tax_code(value)
    if step == Step.COMMUNE:
        commune = ctx.services.communes.get(value)
        return commune.full_name if commune else value
    if step == Step.SECTOR:
        return ctx._(SECTORS[value]) if value in SECTORS else value
    return value


def _prompt(ctx: Context) -> Reply:
    step = ctx.conversation.step
    current = ctx.conversation.draft.get(step)
    now = ctx._(" (now: {value})").format(value=_shown(ctx, step, current)) if current else ""
    keep_or_skip = _keep_or_skip(ctx)
    if step == Step.NAME:
        return Reply(ctx._("1/5. What is the name of your establishment?") + now,
                     choices=keep_or_skip)
    if step == Step.TAX_CODE:
        return Reply(ctx._("2/5. What is its tax code (mã số thuế)? A household business "
                           "gives its representative's 12-digit personal identification "
                           "number.") + now, choices=keep_or_skip)
    if step == Step.PHONE:
        return Reply(ctx._("3/5. Which phone number can the centre call?") + now,
                     choices=keep_or_skip)
    if step == Step.COMMUNE:
        return Reply(ctx._("4/5. In which commune, ward or special zone of Hai Phong does it "
                           "produce? Type its name, for example \"An Thành\" or \"Cát Hải\".")
                     + now, choices=keep_or_skip)
    return Reply(ctx._("5/5. Which sector is it in?") + now,
                 choices=keep_or_skip + tuple(Choice(ctx._(label), f"profile:sector:{key}")
                                              for key, label in SECTORS.items()))


async def _match_commune(ctx: Context, text: str) -> list[Reply]:
    found = ctx.services.communes.search(text)
    if len(found) == 1:
        noted = Reply(ctx._("Noted: {place}.").format(place=found[0].full_name))
        return [noted, *await _store(ctx, Step.COMMUNE, found[0].code)]
    if not found:
        return [_ask_again(ctx, ctx._(
            "I could not find \"{text}\" among Hai Phong's 114 communes, wards and special "
            "zones (since 1 July 2025). Please check the name.").format(text=text))]
    if len(found) > MAX_COMMUNE_CHOICES:
        return [Reply(ctx._("Many places match \"{text}\". Please type more of the name.")
                      .format(text=text), choices=_keep_or_skip(ctx))]
    return [Reply(ctx._("Which one do you mean?"),
                  choices=tuple(Choice(c.full_name, f"profile:commune:{c.code}")
                                for c in found) + _keep_or_skip(ctx))]
