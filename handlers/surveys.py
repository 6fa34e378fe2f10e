"""Demand surveys: XLSForm surveys answered in the chat, one response per establishment."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from handlers.context import Context
from handlers.forms.model import Question, QuestionType, Text
from handlers.forms.numbers import parse_number
from handlers.forms.runner import FormRunner, Progress, json_number
from handlers.forms.runner import Step as FormStep
from handlers.i18n import LOCAL_TZ, N_
from handlers.profile import profile_for
from handlers.routing import Router
from handlers.sectors import SECTORS
from handlers.text import fold
from handlers.types import Choice, Incoming, Reply
from storage.models import ResponseStatus, Survey, SurveyResponse, SurveyStatus

router = Router()

FLOW = "survey"
NOTE_FLOW = "survey_note"
PREFIX = "sv"  # the runner's buttons
CONSENT_PURPOSE = "enterprise_profile"  # the profile's consent covers surveys, see /hoso
MAX_NOTE_CHARS = 1000


_STATUS = {
    None: N_("not started"),
    ResponseStatus.IN_PROGRESS: N_("in progress"),
    ResponseStatus.SUBMITTED: N_("submitted"),
}
ANSWERED_BY_COLLEAGUE = N_("already answered by someone of your establishment")


@router.command("khaosat", "survey", description=N_("Answer the centre's surveys"))
async def list_surveys(msg: Incoming, ctx: Context) -> list[Reply]:
    surveys = await ctx.uow.surveys.latest_versions(only_open=True)
    if not surveys:
        return [Reply(ctx._("There is no open survey right now. Thank you for your interest!"),
                      choices=(Choice(ctx._("Main menu"), "menu"),))]
    statuses = await ctx.uow.responses.statuses_of_user(ctx.user.id)
    profile = await ctx.uow.profiles.get(ctx.user.id)
    establishment = profile.establishment_id if profile else None
    lines = [ctx._("Open surveys:")]
    choices = []
    for survey in surveys:
        title = _title(survey, ctx)
        status = statuses.get(survey.code)
        if status is None and establishment is not None and \
                await ctx.uow.responses.submitted_for(survey.code, establishment):
            # Answered by a colleague: "not started" was shown, then "already answered".
            lines.append(f"• {title} — {ctx._(ANSWERED_BY_COLLEAGUE)}")
            choices.append(Choice(ctx._("See: {title}").format(title=title),
                                  f"svl:{survey.code}"))
            continue
        lines.append(f"• {title} — {ctx._(_STATUS.get(status, _STATUS[None]))}")
        label = {None: ctx._("Answer: {title}"),
                 ResponseStatus.IN_PROGRESS: ctx._("Continue: {title}"),
                 ResponseStatus.SUBMITTED: ctx._("See or change: {title}")}.get(
            status, ctx._("Answer: {title}")).format(title=title)
        choices.append(Choice(label, f"svl:{survey.code}"))
    choices.append(Choice(ctx._("Main menu"), "menu"))
    return [Reply("\n".join(lines), choices=tuple(choices))]


@router.payload("surveys", always_valid=True)
async def surveys_button(msg: Incoming, ctx: Context) -> list[Reply]:
    """The main menu's entry: the same list as /khaosat."""
    return await list_surveys(msg, ctx)


@router.payload("svl", always_valid=True)
async def open_survey(msg: Incoming, ctx: Context) -> list[Reply]:
    """Start, resume or review a survey (safe from any message: it only picks up where the
    person was)."""
    code = msg.payload.removeprefix("svl:")
    survey = await ctx.uow.surveys.latest(code)
    if survey is None or survey.status != SurveyStatus.OPEN:
        return [Reply(ctx._("That survey is not open any more. Type /khaosat to see the open "
                            "ones."))]
    if await ctx.uow.profiles.consent(ctx.user.id, CONSENT_PURPOSE) is None:
        return [Reply(ctx._("The survey asks about your establishment. First, please read "
                            "how we keep your data and agree to it."),
                      choices=(Choice(ctx._("Read and agree"), profile_for(msg.payload)),))]
    profile = await ctx.uow.profiles.get(ctx.user.id)
    if profile is None or profile.establishment_id is None:
        return [Reply(ctx._("Each establishment answers once, so I need to know which one you "
                            "speak for: please fill in your enterprise profile with its tax "
                            "code first, then come back with /khaosat."),
                      choices=(Choice(ctx._("My enterprise profile"),
                                      profile_for(msg.payload)),))]
    response = await ctx.uow.responses.of_user(code, ctx.user.id)
    if response is None:
        taken = await ctx.uow.responses.submitted_for(code, profile.establishment_id)
        if taken is not None:
            return [_already_answered(ctx, taken)]
        response = await ctx.uow.responses.start(
            survey, user_id=ctx.user.id, establishment_id=profile.establishment_id,
            now=ctx.now, metadata={"start": _local(ctx), "today": _today(ctx),
                                   "deviceid": ctx.user.channel})
        # What the profile already says is offered, not asked again ("Keep" or a new value).
        form = ctx.services.forms.get(survey.id, survey.form)
        known = {QuestionType.TAX_CODE: profile.tax_code, QuestionType.PHONE: profile.phone,
                 QuestionType.COMMUNE: profile.commune, _NAME: profile.name,
                 _SECTOR: profile.sector}
        sector_labels = {fold(translator.gettext(SECTORS[profile.sector]))
                         for translator in ctx.translators.values()
                         } if profile.sector in SECTORS else set()
        # Only the first question of each kind: a later phone question asks for someone
        # else's number ("số điện thoại của người liên hệ khác").
        offered: dict[str, Any] = {}
        for question in form.questions:
            kind = _NAME if _asks_the_name(question) else question.type
            if kind is QuestionType.SELECT_ONE and _SECTOR in known and (
                    option := _option_like(question, sector_labels)):
                # The profile's sector, as this form words it ("…thủy sản, thực phẩm").
                kind, known[_SECTOR] = _SECTOR, option
            if value := known.pop(kind, None):
                offered[question.name] = value
            elif (default := _default_answer(question)) is not None:
                offered[question.name] = default  # the form's default column, with Keep
        await ctx.uow.responses.save_progress(response, Progress(answers=offered).to_json(),
                                              now=ctx.now)
    runner_survey = await ctx.uow.surveys.get(response.survey_id)
    ctx.conversation.start(FLOW, "answering", {
        "response_id": response.id, "submitted": response.status == ResponseStatus.SUBMITTED})
    runner = _runner(ctx, runner_survey, response)
    intro = []
    if response.status == ResponseStatus.SUBMITTED:
        intro.append(Reply(ctx._("You submitted this survey on {date}. You can change your "
                                 "answers until it closes.").format(
            date=ctx.i18n.date(response.submitted_at))))
    elif not Progress.from_json(response.progress).history:
        intro.append(Reply(ctx._("{title}: one question at a time. Your answers are saved at "
                                 "every step; type /huy to stop and /khaosat to come "
                                 "back.").format(title=_title(runner_survey, ctx))))
    replies = runner.start()
    await _save(response, runner, ctx)
    return [*intro, *replies]


@router.payload(PREFIX)
async def survey_button(msg: Incoming, ctx: Context) -> list[Reply]:
    return await _answer(ctx, lambda runner: runner.on_button(msg.payload))


@router.flow(FLOW)
async def survey_text(msg: Incoming, ctx: Context) -> list[Reply]:
    loaded = await _load(ctx)
    if not isinstance(loaded, list) and loaded[1].status == ResponseStatus.SUBMITTED and (
            loaded[2].at_review):
        # Looking over answers already sent, the person types something else (a question,
        # "cảm ơn"): the survey is left as it is and the message is read as any other.
        from handlers.questions import answer_question  # it imports this module's caller

        ctx.conversation.finish()
        return await answer_question(msg, ctx)
    return await _answer(ctx, lambda runner: runner.on_text(msg.text))


@router.resume(FLOW)
async def survey_resume(ctx: Context) -> list[Reply]:
    return await _answer(ctx, lambda runner: FormStep(runner.resume()))


async def _answer(ctx: Context, act: Callable[[FormRunner], FormStep]) -> list[Reply]:
    """Apply a message to the survey in progress, save, and submit after the last step."""
    loaded = await _load(ctx)
    if isinstance(loaded, list):
        return loaded
    survey, response, runner = loaded
    step = act(runner)
    return await _after_step(ctx, survey, response, runner, step.replies, step.completed)


async def _load(ctx: Context) -> tuple[Survey, SurveyResponse, FormRunner] | list[Reply]:
    """The survey, response and runner of the conversation, or the replies that say why
    there is none."""
    response_id = ctx.conversation.draft.get("response_id") if \
        ctx.conversation.flow == FLOW else None
    response = await ctx.uow.responses.get(int(response_id)) if response_id else None
    if response is None or response.user_id != ctx.user.id or \
            response.status == ResponseStatus.VOIDED:
        ctx.conversation.finish()
        return [Reply(ctx._("That survey is no longer open to you here. Type /khaosat to see "
                            "the open surveys."))]
    survey = await ctx.uow.surveys.get(response.survey_id)
    latest = await ctx.uow.surveys.latest(response.survey_code)
    if latest is None or latest.status != SurveyStatus.OPEN:
        ctx.conversation.finish()
        return [Reply(ctx._("This survey has closed. Your answers are kept, but they can no "
                            "longer be changed. Thank you!"))]
    return survey, response, _runner(ctx, survey, response)


async def _after_step(ctx: Context, survey: Survey, response: SurveyResponse,
                      runner: FormRunner, replies: list[Reply],
                      completed: bool) -> list[Reply]:
    await _save(response, runner, ctx)
    if not completed:
        return replies
    ctx.conversation.finish()
    if response.status == ResponseStatus.SUBMITTED:
        # The summary shown above it is done with: its buttons would send what is sent.
        shown = [replace(reply, choices=()) for reply in replies]
        return [*shown, Reply(ctx._("Your changes are saved. Thank you!"), choices=(
            Choice(ctx._("Change an answer"), f"svl:{response.survey_code}"),
            Choice(ctx._("Main menu"), "menu")))]
    if response.establishment_id is not None:
        await ctx.uow.responses.lock_establishment_slot(response.establishment_id)
        taken = await ctx.uow.responses.submitted_for(response.survey_code,
                                                      response.establishment_id)
        if taken is not None:  # someone else of the establishment submitted meanwhile
            return [_already_answered(ctx, taken)]
    await ctx.uow.responses.submit(response, now=ctx.now, end=_local(ctx))
    return [*replies, Reply(
        ctx._("Thank you! Your answers to «{title}» have been sent to the centre. You can see "
              "and change them with /khaosat until the survey closes.").format(
            title=_title(survey, ctx)),
        choices=(Choice(ctx._("Main menu"), "menu"),))]


# The profile's other answers a survey may ask again (the establishment's name, its sector).
_NAME, _SECTOR = "name", "sector"
_NAME_LABELS = ("ten co so", "ten doanh nghiep", "ten cong ty", "ten ho kinh doanh",
                "ten hop tac xa", "ten htx", "name of the establishment", "establishment name",
                "name of your establishment", "company name", "business name")
# Share of words a choice's label has in common with the profile's sector's label (folded)
# from which it is that sector: "Chế biến nông, lâm, thủy sản, thực phẩm" for "… và thực
# phẩm", "Hàng thủ công mỹ nghệ, tiểu thủ công nghiệp" for "Tiểu thủ công nghiệp, thủ công mỹ
# nghệ".
_SAME_SECTOR = 0.75


def _asks_the_name(question: Question) -> bool:
    return question.type is QuestionType.TEXT and any(
        name in fold(label) for label in question.label.values.values() for name in _NAME_LABELS)


def _option_like(question: Question, labels: set[str]) -> str | None:
    """The one choice of `question` whose label shares _SAME_SECTOR of its words with one of
    `labels` (None when none or several do)."""
    def words_of(text: str) -> set[str]:
        return set(re.findall(r"\w+", fold(text)))

    wanted = [words_of(label) for label in labels]
    found = [option.name for option in question.options
             if any(len(words_of(text) & words) / len(words_of(text) | words) >= _SAME_SECTOR
                    for text in option.label.values.values() for words in wanted if words)]
    return found[0] if len(found) == 1 else None


def _default_answer(question: Question) -> Any:
    """A question's `default` as its answer, where it is one the person could have given
    (a text, a number, choices of its list); None otherwise."""
    default = (question.default or "").strip()
    if not default or "${" in default or "(" in default:
        return None  # an expression ("today()", "${n}*3.7"), not a value to offer
    if question.type is QuestionType.TEXT:
        return default
    if question.type in (QuestionType.INTEGER, QuestionType.DECIMAL):
        number = parse_number(default, integer=question.type is QuestionType.INTEGER)
        return None if number is None else json_number(number)
    names = {option.name for option in question.options}
    if question.type is QuestionType.SELECT_ONE:
        return default if default in names else None
    if question.type is QuestionType.SELECT_MULTIPLE:
        ticked = default.split()
        return ticked if ticked and set(ticked) <= names else None
    return None


def _already_answered(ctx: Context, taken: SurveyResponse) -> Reply:
    ctx.conversation.start(NOTE_FLOW, "offer", {"survey_code": taken.survey_code})
    return Reply(ctx._("Someone of your establishment already answered this survey, on "
                       "{date}. Each establishment answers once. If something should be "
                       "added or corrected, you can send a note to the centre's staff.").format(
        date=ctx.i18n.date(taken.submitted_at)),
        choices=(Choice(ctx._("Send a note to staff"), "svnote"),
                 Choice(ctx._("Main menu"), "menu")))


@router.payload("svnote")
async def note_button(msg: Incoming, ctx: Context) -> list[Reply]:
    if ctx.conversation.flow != NOTE_FLOW:
        return [Reply(ctx._("That button is no longer valid. Type /menu to start again."))]
    ctx.conversation.goto("typing")
    return [Reply(ctx._("Type your note for the centre's staff (/huy to cancel):"))]


@router.flow(NOTE_FLOW)
async def type_note(msg: Incoming, ctx: Context) -> list[Reply]:
    code = ctx.conversation.draft.get("survey_code", "")
    if ctx.conversation.step != "typing":
        ctx.conversation.finish()
        return [Reply(ctx._("Type /khaosat to see the open surveys."))]
    ctx.conversation.finish()
    await ctx.uow.questions.add(user_id=ctx.user.id, text=f"[{code}] {msg.text}",
                                lang=ctx.user.locale, status="forwarded",
                                best_entry_id=None, score=0.0, now=ctx.now)
    return [Reply(ctx._("Thank you, your note has been passed to the centre's staff. Their "
                        "answer will come to you here."))]


def _runner(ctx: Context, survey: Survey, response: SurveyResponse) -> FormRunner:
    progress = Progress.from_json(response.progress)
    return FormRunner(ctx.services.forms.get(survey.id, survey.form), ctx, progress, prefix=PREFIX,
                      submitted=response.status == ResponseStatus.SUBMITTED)


async def _save(response: SurveyResponse, runner: FormRunner, ctx: Context) -> None:
    """Answers are saved at every step, with the version they belong to."""
    await ctx.uow.responses.save_progress(response, runner.progress.to_json(), now=ctx.now)


def _title(survey: Survey, ctx: Context) -> str:
    return Text(survey.title or {}).get(ctx.user.locale) or survey.code


def _local(ctx: Context) -> str:
    return ctx.now.astimezone(LOCAL_TZ).isoformat(timespec="seconds")


def _today(ctx: Context) -> str:
    return ctx.now.astimezone(LOCAL_TZ).date().isoformat()
