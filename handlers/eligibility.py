""""Am I eligible?": a short guided check against the rules for rural-industry support.

Rules applied (see ../shared/domain, facts DT-02, DT-04, DT-05, K-04):
- Decree 45/2012/NĐ-CP as amended by Decree 235/2025/NĐ-CP (Art. 1, clause 2): small and
  medium enterprises, cooperatives and their unions, cooperative groups and household
  businesses that produce in a commune or special zone of a centrally-run city such as Hai
  Phong, or in a craft village recognised by the city.
- SME size for industry (Decree 80/2021/NĐ-CP, Art. 5): at most 200 insured workers and annual
  revenue up to VND 200 billion or total capital up to VND 100 billion.
- Eligible sectors: Decree 45/2012/NĐ-CP, Art. 5.
Whether a ward of Hai Phong outside a recognised craft village is excluded is the editor's
reading, not confirmed (K-04), so that case is sent to the centre.
"""

from __future__ import annotations

from enum import StrEnum

from handlers.context import Context
from handlers.i18n import N_
from handlers.questions import LAST_QUESTION
from handlers.routing import Router
from handlers.sectors import SECTORS
from handlers.types import Choice, Incoming, Reply

router = Router()

FLOW = "eligibility"


class Step(StrEnum):
    KIND = "kind"
    WORKERS = "workers"
    FINANCE = "finance"
    PLACE = "place"
    CRAFT_VILLAGE = "craft_village"
    SECTOR = "sector"


class Verdict(StrEnum):
    ELIGIBLE = "eligible"
    PROBABLY_NOT = "probably_not"
    ASK_CENTRE = "ask_centre"


KINDS = {
    "sme": N_("Enterprise (company)"),
    "coop": N_("Cooperative or union of cooperatives"),
    "group": N_("Cooperative group (tổ hợp tác)"),
    "household": N_("Household business"),
    "none": N_("Not registered yet"),
}
RULE_DECREES = N_("Rule applied: Decree 45/2012/NĐ-CP on industrial promotion, as amended by "
                  "Decree 235/2025/NĐ-CP (Article 1, clause 2, in force since 15/10/2025).")
RULE_SME = N_("SME size: Decree 80/2021/NĐ-CP, Article 5 (industry: at most 200 insured "
              "workers, and revenue up to VND 200 billion or capital up to VND 100 billion).")


@router.payload("elig", always_valid=frozenset({"elig"}))
async def eligibility_button(msg: Incoming, ctx: Context) -> list[Reply]:
    action, _sep, value = msg.payload.removeprefix("elig").lstrip(":").partition(":")
    if action == "":
        ctx.conversation.start(FLOW, Step.KIND)
        return [Reply(ctx._("Let us check, in a few taps, whether your establishment can "
                            "receive industrial-promotion support. Type /huy to stop.")),
                _prompt(ctx)]
    if ctx.conversation.flow != FLOW or action != ctx.conversation.step:
        return [Reply(ctx._("That button belongs to an earlier question."))]
    return await _answer(ctx, Step(action), value)


@router.command("dieukien", "eligible", description=N_("Check whether you can get support"))
async def eligibility_command(msg: Incoming, ctx: Context) -> list[Reply]:
    return await eligibility_button(Incoming(channel=msg.channel, user_id=msg.user_id,
                                             payload="elig"), ctx)


@router.flow(FLOW)
async def eligibility_text(msg: Incoming, ctx: Context) -> list[Reply]:
    """Typed answers: only the place is typed; other steps want a button."""
    if ctx.conversation.step != Step.PLACE:
        return [Reply(ctx._("Please tap one of the answers.")), _prompt(ctx)]
    found = ctx.services.communes.search(msg.text)
    if len(found) == 1:
        return await _answer(ctx, Step.PLACE, found[0].code)
    if not found:
        return [Reply(ctx._("I could not find \"{text}\" among Hai Phong's 114 communes, wards "
                            "and special zones (since 1 July 2025). Please check the name.")
                      .format(text=msg.text)), _prompt(ctx)]
    return [Reply(ctx._("Which one do you mean?"), choices=tuple(
        Choice(c.full_name, f"elig:place:{c.code}") for c in found[:8]))]


async def _answer(ctx: Context, step: Step, value: str) -> list[Reply]:
    draft = ctx.conversation.draft
    draft[step] = value
    if step == Step.KIND:
        if value not in KINDS:
            return [_prompt(ctx)]
        if value == "none":
            return _finish(ctx, Verdict.PROBABLY_NOT, [ctx._(
                "Support goes to registered establishments: enterprises, cooperatives, "
                "cooperative groups and household businesses. Registering as a household "
                "business is the usual first step.")])
        return _goto(ctx, Step.WORKERS if value == "sme" else Step.PLACE)
    if step == Step.WORKERS:
        if value == "over200":
            return _finish(ctx, Verdict.PROBABLY_NOT, [ctx._(
                "With more than 200 insured workers an industrial enterprise is not an SME, "
                "so it is not a rural-industry establishment. Establishments applying cleaner "
                "production can be supported whatever their size: ask the centre.")],
                rules=(RULE_SME, RULE_DECREES))
        return _goto(ctx, Step.FINANCE)
    if step == Step.FINANCE:
        if value == "no":
            return _finish(ctx, Verdict.PROBABLY_NOT, [ctx._(
                "With revenue over VND 200 billion and capital over VND 100 billion an "
                "industrial enterprise is not an SME.")], rules=(RULE_SME, RULE_DECREES))
        return _goto(ctx, Step.PLACE)
    if step == Step.PLACE:
        if value == "outside":
            return _finish(ctx, Verdict.ASK_CENTRE, [ctx._(
                "This bot serves Hai Phong. The same national rules apply in other provinces: "
                "ask the industrial-promotion centre of the province where you produce.")])
        commune = ctx.services.communes.get(value)
        if commune is None:
            return [_prompt(ctx)]
        return _goto(ctx, Step.CRAFT_VILLAGE if commune.kind == "phuong" else Step.SECTOR)
    if step == Step.CRAFT_VILLAGE:
        return _goto(ctx, Step.SECTOR)
    if value not in SECTORS:
        return [_prompt(ctx)]
    return _conclude(ctx)


def _conclude(ctx: Context) -> list[Reply]:
    draft = ctx.conversation.draft
    commune = ctx.services.communes.get(draft[Step.PLACE])
    reasons: list[str] = []
    verdict = Verdict.ELIGIBLE
    if commune.kind == "phuong":
        if draft.get(Step.CRAFT_VILLAGE) == "yes":
            reasons.append(ctx._("{place} is a ward, but you produce in a craft village "
                                 "recognised by the city, which qualifies.").format(
                place=commune.full_name))
        else:
            verdict = Verdict.ASK_CENTRE
            reasons.append(ctx._("{place} is a ward. For a centrally-run city such as Hai "
                                 "Phong the rule names communes, special zones and recognised "
                                 "craft villages, not wards; whether a workshop in a ward "
                                 "outside a craft village is excluded has not been confirmed.")
                           .format(place=commune.full_name))
    else:
        reasons.append(ctx._("{place} qualifies as a place of production.").format(
            place=commune.full_name))
    if draft[Step.KIND] == "sme" and draft.get(Step.FINANCE) == "unknown":
        verdict = Verdict.ASK_CENTRE
        reasons.append(ctx._("Whether your enterprise is an SME depends on its revenue or "
                             "capital: the centre can check it with you."))
    if draft[Step.SECTOR] == "other":
        verdict = Verdict.ASK_CENTRE
        reasons.append(ctx._("Your sector is not one of those listed in the decree; the centre "
                             "can tell whether it counts."))
    else:
        reasons.append(ctx._("{sector} is a supported sector.").format(
            sector=ctx._(SECTORS[draft[Step.SECTOR]])))
    rules = (RULE_DECREES, RULE_SME) if draft[Step.KIND] == "sme" else (RULE_DECREES,)
    return _finish(ctx, verdict, reasons, rules=rules)


_VERDICT_TEXT = {
    Verdict.ELIGIBLE: N_("Result: your establishment appears to be eligible for "
                         "industrial-promotion support."),
    Verdict.PROBABLY_NOT: N_("Result: your establishment is probably not eligible."),
    Verdict.ASK_CENTRE: N_("Result: the centre needs to confirm this with you."),
}


def _finish(ctx: Context, verdict: Verdict, reasons: list[str],
            rules: tuple[str, ...] = (RULE_DECREES,)) -> list[Reply]:
    summary = ", ".join(f"{k}={v}" for k, v in ctx.conversation.draft.items())
    ctx.conversation.finish()
    # "Ask staff" forwards what was answered, so staff need not ask again.
    ctx.conversation.draft[LAST_QUESTION] = f"[{FLOW}] {verdict}: {summary}"
    lines = [ctx._(_VERDICT_TEXT[verdict]), "", *(f"• {r}" for r in reasons), ""]
    lines += [ctx._(rule) for rule in rules]
    lines.append(ctx._("This is a first check, not a decision: the amount of support is set "
                       "by the approved scheme (đề án)."))
    return [Reply("\n".join(lines), choices=(Choice(ctx._("Ask staff"), "qa:staff"),
                                             Choice(ctx._("Main menu"), "menu")))]


def _goto(ctx: Context, step: Step) -> list[Reply]:
    ctx.conversation.goto(step)
    return [_prompt(ctx)]


def _prompt(ctx: Context) -> Reply:
    step = ctx.conversation.step
    yes_no_unknown = (Choice(ctx._("Yes"), f"elig:{step}:yes"),
                      Choice(ctx._("No"), f"elig:{step}:no"),
                      Choice(ctx._("I don't know"), f"elig:{step}:unknown"))
    if step == Step.KIND:
        return Reply(ctx._("What kind of establishment is it?"), choices=tuple(
            Choice(ctx._(label), f"elig:kind:{key}") for key, label in KINDS.items()))
    if step == Step.WORKERS:
        return Reply(ctx._("How many workers with social insurance (BHXH) does it have, on "
                           "average over the year?"),
                     choices=(Choice(ctx._("200 or fewer"), "elig:workers:upto200"),
                              Choice(ctx._("More than 200"), "elig:workers:over200")))
    if step == Step.FINANCE:
        return Reply(ctx._("Is its annual revenue at most VND 200 billion, or its total "
                           "capital at most VND 100 billion?"), choices=yes_no_unknown)
    if step == Step.PLACE:
        return Reply(ctx._("In which commune, ward or special zone of Hai Phong does it "
                           "produce? Type its name."),
                     choices=(Choice(ctx._("Outside Hai Phong"), "elig:place:outside"),))
    if step == Step.CRAFT_VILLAGE:
        return Reply(ctx._("Is the workshop in a craft village (làng nghề) recognised by the "
                           "city?"), choices=yes_no_unknown)
    return Reply(ctx._("Which sector is it in?"), choices=tuple(
        Choice(ctx._(label), f"elig:sector:{key}") for key, label in SECTORS.items()))
