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
from handlers.forms.model import Form, Option, Question, QuestionType
from handlers.forms.numbers import parse_number
from handlers.forms.runner import FormRunner, Progress, msgid
from handlers.forms.runner import Step as FormStep
from handlers.i18n import N_
from handlers.questions import LAST_QUESTION
from handlers.routing import Router
from handlers.sectors import SECTORS
from handlers.types import Choice, Incoming, Reply

router = Router()

FLOW = "eligibility"
PREFIX = "el"  # the form's buttons
PLACE_KIND = "place_kind"  # derived: "xa", "phuong", "dac_khu" or "outside"
SME_WORKERS = 200  # insured workers of an industrial SME at most (Decree 80/2021, Art. 5)


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


YES_NO_UNKNOWN = (Option("yes", msgid("Yes")), Option("no", msgid("No")),
                  Option("unknown", msgid("I don't know")))
# Who gets asked what: an SME answers on size, anyone registered on where and what it makes.
_SIZE_OK = "${kind} != 'sme' or (${workers} = 'upto200' and ${finance} != 'no')"
_IN_SCOPE = f"${{kind}} != 'none' and ({_SIZE_OK})"

FORM = Form(
    code=FLOW, version="2026-12", title=msgid("Am I eligible for support?"),
    questions=(
        Question(Step.KIND, QuestionType.SELECT_ONE, msgid("What kind of establishment is it?"),
                 options=tuple(Option(key, msgid(label)) for key, label in KINDS.items()),
                 required=True),
        Question(Step.WORKERS, QuestionType.SELECT_ONE,
                 msgid("How many workers with social insurance (BHXH) does it have, on average "
                       "over the year?"),
                 options=(Option("upto200", msgid("200 or fewer")),
                          Option("over200", msgid("More than 200"))),
                 required=True, relevant="${kind} = 'sme'"),
        Question(Step.FINANCE, QuestionType.SELECT_ONE,
                 msgid("Is its annual revenue at most VND 200 billion, or its total capital at "
                       "most VND 100 billion?"),
                 options=YES_NO_UNKNOWN, required=True,
                 relevant="${kind} = 'sme' and ${workers} = 'upto200'"),
        Question(Step.PLACE, QuestionType.COMMUNE,
                 msgid("In which commune, ward or special zone of Hai Phong does it produce? "
                       "Type its name."),
                 options=(Option("outside", msgid("Outside Hai Phong")),),
                 required=True, relevant=_IN_SCOPE),
        Question(Step.CRAFT_VILLAGE, QuestionType.SELECT_ONE,
                 msgid("Is the workshop in a craft village (làng nghề) recognised by the city?"),
                 options=YES_NO_UNKNOWN, required=True,
                 relevant=f"({_IN_SCOPE}) and ${{{PLACE_KIND}}} = 'phuong'"),
        Question(Step.SECTOR, QuestionType.SELECT_ONE, msgid("Which sector is it in?"),
                 options=tuple(Option(key, msgid(label)) for key, label in SECTORS.items()),
                 required=True, relevant=f"({_IN_SCOPE}) and ${{place}} != 'outside'"),
    ),
)


@router.payload("elig", always_valid=frozenset({"elig"}))
async def eligibility_button(msg: Incoming, ctx: Context) -> list[Reply]:
    """"Am I eligible?" from the menu: a new check, one tap at a time."""
    ctx.conversation.start(FLOW, "asking", {})
    runner = _runner(ctx)
    replies = runner.start()
    _keep(ctx, runner)
    return [Reply(ctx._("Let us check, in a few taps, whether your establishment can receive "
                        "industrial-promotion support. Type /huy to stop.")), *replies]


@router.command("dieukien", "eligible", description=N_("Check whether you can get support"))
async def eligibility_command(msg: Incoming, ctx: Context) -> list[Reply]:
    return await eligibility_button(Incoming(channel=msg.channel, user_id=msg.user_id,
                                             payload="elig"), ctx)


@router.payload(PREFIX)
async def eligibility_answer_button(msg: Incoming, ctx: Context) -> list[Reply]:
    if ctx.conversation.flow != FLOW:
        return [Reply(ctx._("That button belongs to an earlier question."))]
    runner = _runner(ctx)
    return _after(ctx, runner, runner.on_button(msg.payload))


@router.flow(FLOW)
async def eligibility_text(msg: Incoming, ctx: Context) -> list[Reply]:
    runner = _runner(ctx)
    if runner.progress.current == Step.WORKERS and (
            workers := parse_number(msg.text, integer=True)) is not None and workers >= 0:
        # "120 lao động" typed to "200 or fewer" / "More than 200" was "please choose".
        choice = "o:0" if workers <= SME_WORKERS else "o:1"
        return _after(ctx, runner, runner.on_button(f"{PREFIX}:{choice}"))
    return _after(ctx, runner, runner.on_text(msg.text))


@router.resume(FLOW)
async def eligibility_resume(ctx: Context) -> list[Reply]:
    return _runner(ctx).resume()


def _runner(ctx: Context) -> FormRunner:
    progress = Progress.from_json(ctx.conversation.draft.get("progress"))

    def derive(answers: dict) -> None:
        # Whether the place is a ward decides the craft-village question.
        commune = ctx.services.communes.get(str(answers.get(Step.PLACE, "")))
        answers[PLACE_KIND] = commune.kind if commune else answers.get(Step.PLACE)

    return FormRunner(FORM, ctx, progress, prefix=PREFIX, review=False, derive=derive)


def _keep(ctx: Context, runner: FormRunner) -> None:
    ctx.conversation.draft["progress"] = runner.progress.to_json()


def _after(ctx: Context, runner: FormRunner, step: FormStep) -> list[Reply]:
    _keep(ctx, runner)
    if not step.completed:
        return step.replies
    return [*step.replies, *_verdict(ctx, runner.progress.answers)]


def _verdict(ctx: Context, answers: dict) -> list[Reply]:
    """The verdict from the answers given (a question left unasked ended the check early)."""
    # The answers, for the conclusion and for "ask staff" (which forwards them).
    ctx.conversation.draft.pop("progress", None)
    ctx.conversation.draft.update({str(k): v for k, v in answers.items() if v is not None})
    if answers.get(Step.KIND) == "none":
        return _finish(ctx, Verdict.PROBABLY_NOT, [ctx._(
            "Support goes to registered establishments: enterprises, cooperatives, "
            "cooperative groups and household businesses. Registering as a household "
            "business is the usual first step.")])
    if answers.get(Step.WORKERS) == "over200":
        return _finish(ctx, Verdict.PROBABLY_NOT, [ctx._(
            "With more than 200 insured workers an industrial enterprise is not an SME, "
            "so it is not a rural-industry establishment. Establishments applying cleaner "
            "production can be supported whatever their size: ask the centre.")],
            rules=(RULE_SME, RULE_DECREES))
    if answers.get(Step.FINANCE) == "no":
        return _finish(ctx, Verdict.PROBABLY_NOT, [ctx._(
            "With revenue over VND 200 billion and capital over VND 100 billion an "
            "industrial enterprise is not an SME.")], rules=(RULE_SME, RULE_DECREES))
    if answers.get(Step.PLACE) == "outside":
        return _finish(ctx, Verdict.ASK_CENTRE, [ctx._(
            "This bot serves Hai Phong. The same national rules apply in other provinces: "
            "ask the industrial-promotion centre of the province where you produce.")])
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
    answered = _answered(ctx, ctx.conversation.draft)
    ctx.conversation.finish()
    # "Ask staff" passes on what was answered, in words, so staff need not ask again; the
    # person sees it first and may write their own question instead (staff once got
    # "[eligibility] eligible: kind=household, place=11824", sent at once).
    ctx.conversation.draft[LAST_QUESTION] = "\n".join(
        [ctx._("Am I eligible for support?") + " " + ctx._(_VERDICT_TEXT[verdict]), *answered])
    lines = [ctx._(_VERDICT_TEXT[verdict]), "", *(f"• {r}" for r in reasons), ""]
    lines += [ctx._(rule) for rule in rules]
    lines.append(ctx._("This is a first check, not a decision: the amount of support is set "
                       "by the approved scheme (đề án)."))
    return [Reply("\n".join(lines), choices=(Choice(ctx._("Ask staff"), "qa:staff"),
                                             Choice(ctx._("Main menu"), "menu")))]


# How each answer is named for staff, shortly ("Loại hình: Hộ kinh doanh").
_ANSWER_NAMES = {
    Step.KIND: N_("Kind: {value}"),
    Step.WORKERS: N_("Insured workers: {value}"),
    Step.FINANCE: N_("Revenue or capital within the SME limits: {value}"),
    Step.PLACE: N_("Where it produces: {value}"),
    Step.CRAFT_VILLAGE: N_("In a recognised craft village: {value}"),
    Step.SECTOR: N_("Sector: {value}"),
}


def _answered(ctx: Context, answers: dict) -> list[str]:
    """The check's answers, each named shortly, in the person's language."""
    lines = []
    for question in FORM.questions:
        value = answers.get(question.name)
        if value is None:
            continue
        commune = ctx.services.communes.get(value) if question.type is (
            QuestionType.COMMUNE) else None
        labels = {option.name: ctx._(option.label.values[""]) for option in question.options}
        shown = commune.full_name if commune else labels.get(value, str(value))
        lines.append("• " + ctx._(_ANSWER_NAMES[Step(question.name)]).format(value=shown))
    return lines
