"""Survey results for staff (/ketqua): counts, timing, charts, exports and voiding a response."""

from __future__ import annotations

import asyncio
import io
import statistics
from collections import Counter
from typing import Any

from handlers.context import Context
from handlers.forms.model import Question, QuestionType, Text
from handlers.i18n import LOCAL_TZ, N_, translator_for
from handlers.routing import Router
from handlers.survey_charts import BarChart, render_bar_charts
from handlers.survey_export import ExportFormat, LabelStyle, export_survey
from handlers.text import row_id
from handlers.types import Choice, Document, Incoming, Reply
from storage.models import ResponseStatus, Survey, SurveyStatus

router = Router()

RESULTS = "svr"  # svr:SURVEY_ID — show; survey ids, not codes, keep payloads within 64 bytes
EXPORT = "svx"  # svx:xlsx:SURVEY_ID, svx:csv:SURVEY_ID
VOID = "svvoid"  # svvoid:ask:SURVEY_ID, then svvoid:ok:RESPONSE_ID or svvoid:keep
VOID_FLOW = "survey_void"
MAX_CHARTS = 10
MAX_BARS = 20  # more options than this: the rest in one bar
EXPORTS = {"xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
           "csv": ("CSV", "text/csv")}

_STATUS = {
    # TRANSLATORS: a survey's state: taking answers
    SurveyStatus.OPEN: N_("open"),
    # TRANSLATORS: a survey's state: not taking answers
    SurveyStatus.CLOSED: N_("closed"),
}
_STALE = N_("That button is no longer valid. Type /menu to start again.")


@router.command("ketqua", "results", description=N_("Survey results and exports: /ketqua CODE"),
                staff=True)
async def show_results(msg: Incoming, ctx: Context) -> list[Reply]:
    parts = msg.text.split(maxsplit=1)
    if len(parts) < 2:
        return await _choose_survey(ctx)
    code = parts[1].strip()
    survey = await ctx.uow.surveys.latest(code)
    if survey is None:
        return [Reply(ctx._("There is no survey {code}. Type /ketqua to see the surveys.")
                      .format(code=code))]
    return await _results(ctx, survey)


@router.payload(RESULTS, staff=True, always_valid=True)
async def results_button(msg: Incoming, ctx: Context) -> list[Reply]:
    survey = await _survey_of(ctx, msg.payload.removeprefix(f"{RESULTS}:"))
    if survey is None:
        return [Reply(ctx._(_STALE))]
    return await _results(ctx, survey)


async def _choose_survey(ctx: Context) -> list[Reply]:
    surveys = await ctx.uow.surveys.latest_versions()
    if not surveys:
        return [Reply(ctx._("No survey has been imported yet. The operator imports one with: "
                            "khuyencong surveys import FILE"))]
    lines = [ctx._("Which survey? (or type /ketqua CODE)")]
    lines += [f"• {s.code} — {_title(s, ctx)} ({ctx._(_STATUS.get(s.status, s.status))})"
              for s in surveys]
    return [Reply("\n".join(lines), choices=tuple(
        Choice(_title(s, ctx), f"{RESULTS}:{s.id}") for s in surveys))]


async def _results(ctx: Context, survey: Survey) -> list[Reply]:
    code = survey.code
    counts = await ctx.uow.responses.counts(code)
    submitted = counts.get(ResponseStatus.SUBMITTED, 0)
    in_progress = counts.get(ResponseStatus.IN_PROGRESS, 0)
    voided = counts.get(ResponseStatus.VOIDED, 0)
    started = submitted + in_progress
    n = ctx.i18n.number
    lines = [ctx._("«{title}» ({code}, version {version}, {status})").format(
                 title=_title(survey, ctx), code=code, version=survey.version,
                 status=ctx._(_STATUS.get(survey.status, survey.status))),
             ctx._("Submitted: {count}").format(count=n(submitted)),
             ctx._("In progress: {count}").format(count=n(in_progress))]
    if started:
        lines.append(ctx._("Completion rate (submitted / started): {rate}").format(
            rate=ctx.i18n.percent(submitted / started)))
    durations = await ctx.uow.responses.durations(code)
    if durations:
        lines.append(ctx._("Median time to answer: {duration}").format(
            duration=ctx.i18n.duration(statistics.median(durations))))
    if voided:
        lines.append(ctx._("Voided by staff: {count}").format(count=n(voided)))
    replies = []
    if submitted:
        charts = _charts(ctx, survey, await ctx.uow.responses.answers_of_submitted(code))
        if charts:
            shown = charts[:MAX_CHARTS]
            heading = ctx._("{title}: {count} submitted").format(title=_title(survey, ctx),
                                                                   count=n(submitted))
            png = await asyncio.to_thread(render_bar_charts, heading, shown)
            caption = ctx._("Answers to the choice questions.")
            if len(charts) > len(shown):
                caption = ctx._("Answers to the first {shown} of {total} choice questions; "
                                "the export has them all.").format(shown=n(len(shown)),
                                                                   total=n(len(charts)))
            replies.append(Reply(caption, document=Document(
                f"{code}-{ctx.now.astimezone(LOCAL_TZ):%Y-%m-%d}.png", png, "image/png")))
    else:
        lines.append(ctx._("No response has been submitted yet."))
    choices = [Choice(ctx._("Download Excel"), f"{EXPORT}:xlsx:{survey.id}"),
               Choice(ctx._("Download CSV"), f"{EXPORT}:csv:{survey.id}")]
    if started:
        choices.append(Choice(ctx._("Void a response"), f"{VOID}:ask:{survey.id}"))
    replies.append(Reply("\n".join(lines), choices=tuple(choices)))
    return replies


def _charts(ctx: Context, survey: Survey, answers: list[dict[str, Any]]) -> list[BarChart]:
    """A bar chart per choice question of the newest version; answers given in older versions
    with options it no longer has get bars of their own."""
    lang, n = ctx.user.locale, ctx.i18n.number
    form = ctx.services.forms.get(survey.id, survey.form)
    charts = []
    for question in form.questions:
        if question.type not in (QuestionType.SELECT_ONE, QuestionType.SELECT_MULTIPLE):
            continue
        counts, answered = _count(question, answers)
        bars = [(o.label.get(lang) or o.name, counts.pop(o.name, 0)) for o in question.options]
        bars += sorted(counts.items())
        if len(bars) > MAX_BARS:
            rest = sum(count for _label, count in bars[MAX_BARS - 1:])
            bars = [*bars[:MAX_BARS - 1], (ctx._("Other options"), rest)]
        title = question.label.get(lang) or question.name
        if question.type is QuestionType.SELECT_MULTIPLE:
            note = ctx.ngettext("{count} answered, several choices each",
                                "{count} answered, several choices each", answered)
        else:
            note = ctx.ngettext("{count} answered", "{count} answered", answered)
        charts.append(BarChart(
            title=f"{title} ({note.format(count=n(answered))})", bars=tuple(bars),
            value_labels=tuple(f"{n(count)} · {ctx.i18n.percent(count / answered)}"
                               if answered else n(count) for _label, count in bars)))
    return charts


def _count(question: Question, answers: list[dict[str, Any]]) -> tuple[Counter[str], int]:
    """How often each option was picked, and by how many responses."""
    counts: Counter[str] = Counter()
    answered = 0
    for response in answers:
        value = response.get(question.name)
        picked = value if isinstance(value, list) else [value] if value else []
        if picked:
            answered += 1
            counts.update(str(option) for option in picked)
    return counts, answered


# --- exports ---------------------------------------------------------------------------------

@router.payload(EXPORT, staff=True, always_valid=True)
async def export_button(msg: Incoming, ctx: Context) -> list[Reply]:
    """The responses as a workbook or CSV (only shows data, so any earlier button works)."""
    fmt, _sep, survey_id = msg.payload.removeprefix(f"{EXPORT}:").partition(":")
    survey = await _survey_of(ctx, survey_id)
    if fmt not in EXPORTS or survey is None:
        return [Reply(ctx._(_STALE))]
    format_name, mime_type = EXPORTS[fmt]
    labels = LabelStyle.EN if ctx.user.locale == "en" else LabelStyle.VI
    out = io.BytesIO()
    # Headers and sector names in the staff member's language, communes from the directory
    # the bot already loaded.
    rows = await export_survey(ctx.uow, survey.code, getattr(ExportFormat, format_name), labels,
                               out, translator=ctx.i18n, communes=ctx.services.communes)
    await ctx.uow.audit.record(actor=ctx.actor, action="export.survey", target=survey.code,
                               now=ctx.now, details={"format": fmt, "responses": rows})
    filename = f"{survey.code}-{ctx.now.astimezone(LOCAL_TZ):%Y-%m-%d}.{fmt}"
    return [Reply(ctx.ngettext("{count} submitted response.", "{count} submitted responses.",
                               rows).format(count=ctx.i18n.number(rows)),
                  document=Document(filename, out.getvalue(), mime_type))]


# --- voiding a response ----------------------------------------------------------------------

# Valid from an earlier message too ("Hủy một phiếu" under the results, after a download was
# refused as stale); confirming still needs the number typed in this very flow.
@router.payload(VOID, staff=True, always_valid=True)
async def void_button(msg: Incoming, ctx: Context) -> list[Reply]:
    action, _sep, value = msg.payload.removeprefix(f"{VOID}:").partition(":")
    if action == "ask":
        survey = await _survey_of(ctx, value)
        if survey is None:
            return [Reply(ctx._(_STALE))]
        ctx.conversation.start(VOID_FLOW, "number", {"survey_code": survey.code})
        return [Reply(ctx._("Type the number of the response to void (the first column of "
                            "the export), or /huy to cancel:"))]
    if action == "keep":
        ctx.conversation.finish()
        return [Reply(ctx._("Nothing was voided."))]
    draft = ctx.conversation.draft
    if action != "ok" or ctx.conversation.flow != VOID_FLOW or \
            str(draft.get("response_id")) != value:
        return [Reply(ctx._(_STALE))]
    ctx.conversation.finish()
    response = await ctx.uow.responses.get(int(value))
    if response is None or response.status == ResponseStatus.VOIDED:
        return [Reply(ctx._("Response #{id} no longer exists or is already voided.").format(
            id=value))]
    was = response.status
    await ctx.uow.responses.void(response, by=ctx.actor, now=ctx.now)
    await ctx.uow.audit.record(actor=ctx.actor, action="survey.void_response",
                               target=response.survey_code, now=ctx.now,
                               details={"response_id": response.id, "was": was})
    survey = await ctx.uow.surveys.get(response.survey_id)
    respondent = await ctx.uow.users.get(response.user_id)
    if respondent is not None:
        their = translator_for(ctx.translators, respondent.locale)
        await ctx.uow.outbox.add(respondent.id, their.gettext(
            "The centre's staff voided your answers to the survey «{title}». You may answer "
            "it again: type /khaosat.").format(title=_title(survey, ctx, respondent.locale)),
            ctx.now)
    return [Reply(ctx._("Response #{id} is voided. Its establishment may answer again, and "
                        "the person who answered has been told.").format(id=response.id),
                  choices=(Choice(ctx._("Back to the results"), f"{RESULTS}:{survey.id}"),))]


@router.flow(VOID_FLOW, staff=True)
async def type_response_number(msg: Incoming, ctx: Context) -> list[Reply]:
    """The number typed, checked and shown for confirmation (a new number may be typed)."""
    code = ctx.conversation.draft.get("survey_code", "")
    number = msg.text.strip().lstrip("#")
    if not (number.isascii() and number.isdigit()):
        return [Reply(ctx._("Please type the response number, for example 12 (/huy to "
                            "cancel)."))]
    response_id = row_id(number)
    response = await ctx.uow.responses.get(response_id) if response_id is not None else None
    if response is None or response.survey_code != code:
        return [Reply(ctx._("Survey {code} has no response #{id}. Type another number, or /huy "
                            "to cancel.").format(code=code, id=number))]
    if response.status == ResponseStatus.VOIDED:
        return [Reply(ctx._("Response #{id} is already voided. Type another number, or /huy "
                            "to cancel.").format(id=response.id))]
    ctx.conversation.start(VOID_FLOW, "confirm", {"survey_code": code,
                                                  "response_id": response.id})
    if response.status == ResponseStatus.SUBMITTED:
        state = ctx._("submitted on {date}").format(date=ctx.i18n.date(response.submitted_at))
    else:
        state = ctx._("in progress since {date}").format(date=ctx.i18n.date(response.started_at))
    lines = [ctx._("Void response #{id} ({state})?").format(id=response.id, state=state)]
    if response.establishment_id is not None:
        establishment = await ctx.uow.establishments.get(response.establishment_id)
        if establishment is not None and establishment.name:
            lines.append(ctx._("Establishment: {name}").format(name=establishment.name))
    lines.append(ctx._("Its answers leave the results and exports, the establishment may "
                       "answer again, and the person who answered is told."))
    return [Reply("\n".join(lines), choices=(
        Choice(ctx._("Void response #{id}").format(id=response.id), f"{VOID}:ok:{response.id}"),
        Choice(ctx._("Keep it"), f"{VOID}:keep")))]


async def _survey_of(ctx: Context, survey_id: str) -> Survey | None:
    id_ = row_id(survey_id)
    return await ctx.uow.surveys.get(id_) if id_ is not None else None


def _title(survey: Survey, ctx: Context, lang: str | None = None) -> str:
    return Text(survey.title or {}).get(lang or ctx.user.locale) or survey.code
