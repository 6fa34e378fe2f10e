"""/thongbao: the staff's guided form for a broadcast (text, an optional photo or document,
audience), a preview exactly as recipients will see it with the recipients per channel, then
send now or at a time (Vietnam's time); and cancelling a broadcast that has not finished.

The photo or document is sent to the bot as a file at the attachment question (or with the
text as its caption); it is checked (handlers/attachments.py) and kept in media storage, 7
days while the form is open and until 30 days after the broadcast's time once created.

Payloads: `bf:` the form's buttons and `bc:` the preview's (state-changing: only those of the
current step are accepted); `bk:ID` asks to cancel (shows a confirmation, valid any time) and
`by:ID` cancels (only from that confirmation). All are staff-only, checked by the router.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from handlers.attachments import FilePolicy, problem_text
from handlers.broadcasts.jobs import LIST_JOB, list_job_key
from handlers.broadcasts.messages import (
    CHANNEL_NAMES,
    STATUS_NAMES,
    pending,
    recipient_reply,
    when_text,
)
from handlers.communes import CommuneDirectory
from handlers.context import Context
from handlers.former_districts import FormerDistrictDirectory
from handlers.forms.model import Form, Option, Question, QuestionType, Text
from handlers.forms.runner import FormRunner, Progress, msgid
from handlers.forms.runner import Step as FormStep
from handlers.i18n import DEFAULT_LOCALE, LOCAL_TZ, N_, Translator, translator_for
from handlers.routing import Router
from handlers.sectors import SECTORS
from handlers.types import Attachment, Choice, Incoming, Reply
from storage.broadcasts import Audience
from storage.models import Broadcast, BroadcastStatus

router = Router()

FLOW = "broadcast"
FORM_PREFIX = "bf"
MAX_TEXT = 3000
TELEGRAM_CAPTION = 1024  # characters under a photo or document on Telegram
# How long the attached file is kept: while the form is open, and after the broadcast's time
# (Zalo fetches photos by link, and a document sent as a link must still open).
DRAFT_KEPT = timedelta(days=7)
KEPT_AFTER_SENDING = timedelta(days=30)
# Channels on which staff can send the bot a file (Zalo Bot: photos only).
FILE_CHANNELS = frozenset({"telegram", "zalo_bot", "zalo_oa"})
# Zalo OA's reply window (bot/channels/zalo_oa.py), to count who it would not allow.
ZALO_OA = "zalo_oa"
OA_WINDOW = timedelta(hours=48)
OA_WINDOW_REPLIES = 8
# Units whose code (Decision 19/2025/QĐ-TTg) is in the former Hải Dương province's block:
# every code of Hải Dương's former units is below Hải Phòng's first (11296).
FIRST_HAI_PHONG_CODE = 11296
PROVINCES = {
    # TRANSLATORS: the city of Hai Phong as it was before 1 July 2025
    "haiphong": N_("Former Hai Phong city (before 1/7/2025)"),
    # TRANSLATORS: Hải Dương province, merged into Hai Phong on 1 July 2025
    "haiduong": N_("Former Hải Dương province (before 1/7/2025)"),
}
# Today's units formed from the chosen former districts are named up to this many.
MAX_UNITS_LISTED = 15
_STALE = N_("That button is no longer valid. Type /thongbao to start again.")
_WHEN = re.compile(r"\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\s+(\d{1,2})[:hg](\d{2})\s*")


def former_province(code: str) -> str:
    return "haiduong" if int(code) < FIRST_HAI_PHONG_CODE else "haiphong"


async def broadcast_form(ctx: Context) -> Form:
    """The form's questions; the fairs and surveys to choose from are today's."""
    channels = ctx.services.broadcast_channels
    questions = [
        Question("text", QuestionType.TEXT,
                 msgid("Type the announcement as recipients should read it (up to 3000 "
                       "characters):"), required=True,
                 constraint=f"string-length(.) <= {MAX_TEXT}",
                 constraint_message=msgid("Please keep it under 3000 characters.")),
        Question("attachment", QuestionType.ATTACHMENT, _attachment_label(ctx.user.channel)),
    ]
    if len(channels) > 1:
        questions.append(Question(
            "channels", QuestionType.SELECT_MULTIPLE,
            msgid("On which channels? Skip to send on all of them."),
            options=tuple(Option(c, Text({"vi": CHANNEL_NAMES.get(c, c)})) for c in channels)))
    questions += [
        Question("area", QuestionType.SELECT_ONE, msgid("Where are the establishments?"),
                 required=True, options=(
                     Option("all", msgid("Anywhere (all subscribers)")),
                     Option("commune", msgid("In one commune, ward or special zone")),
                     Option("district", msgid("In former districts, towns or cities (before "
                                              "1/7/2025)")),
                     Option("province", msgid("In the former Hai Phong city or Hải Dương "
                                              "province")))),
        Question("commune", QuestionType.COMMUNE,
                 msgid("Type the name of the commune, ward or special zone:"), required=True,
                 relevant="${area} = 'commune'"),
        Question("districts", QuestionType.SELECT_MULTIPLE,
                 msgid("Which former districts, towns or cities (before 1/7/2025)?"),
                 hint=msgid("Those of the former Hai Phong city come first, then those of the "
                            "former Hải Dương province. You can also type their names, for "
                            "example: An Lao, Kien Thuy."),
                 required=True, relevant="${area} = 'district'",
                 required_message=msgid("Please choose at least one former district."),
                 options=tuple(Option(d.code, Text({"vi": d.full_name}))
                               for d in ctx.services.former_districts)),
        Question("province", QuestionType.SELECT_ONE, msgid("Which one?"), required=True,
                 relevant="${area} = 'province'",
                 options=tuple(Option(key, msgid(label)) for key, label in PROVINCES.items())),
        Question("sectors", QuestionType.SELECT_MULTIPLE,
                 msgid("Only some sectors? Tick them, or skip for every sector."),
                 options=tuple(Option(key, msgid(label)) for key, label in SECTORS.items())),
    ]
    fairs = await ctx.uow.fairs.listed()
    if fairs:
        questions += [
            Question("fair_group", QuestionType.SELECT_ONE,
                     msgid("Only those registered for a fair?"), required=True, options=(
                         Option("any", msgid("No, whatever their registrations")),
                         Option("registrants", msgid("Registrants of a fair")),
                         Option("waitlist", msgid("The waitlist of a fair")))),
            Question("fair", QuestionType.SELECT_ONE, msgid("Which fair?"), required=True,
                     relevant="${fair_group} != 'any'",
                     options=tuple(Option(str(f.id), Text({
                         lang: f"{f.code} {name}" for lang, name in f.name.items()} or {
                         "vi": f.code})) for f in fairs)),
        ]
    surveys = await ctx.uow.surveys.latest_versions()
    if surveys:
        questions += [
            Question("survey_filter", QuestionType.SELECT_ONE,
                     msgid("Only those who have, or have not, submitted a survey?"),
                     required=True, options=(
                         Option("any", msgid("No, whatever their surveys")),
                         Option("submitted", msgid("Those who submitted a survey")),
                         Option("not_submitted", msgid("Those who have not submitted it")))),
            Question("survey", QuestionType.SELECT_ONE, msgid("Which survey?"), required=True,
                     relevant="${survey_filter} != 'any'",
                     options=tuple(Option(s.code, Text({
                         lang: f"{s.code} {title}" for lang, title in s.title.items()} or {
                         "vi": s.code})) for s in surveys)),
        ]
    return Form(code="broadcast", version="1", title=msgid("Broadcast"),
                questions=tuple(questions))


def _attachment_label(channel: str) -> Text:
    if channel == "zalo_bot":
        return msgid("Add a photo? Send it now, or tap Skip to send the text alone. (Zalo Bot "
                     "does not pass documents on to the bot: for a PDF, Word or Excel file, "
                     "use Telegram or the Zalo OA.)")
    if channel not in FILE_CHANNELS:
        return msgid("Add a photo or a document? This chat cannot take files: to attach one, "
                     "write /thongbao to the bot on Telegram or Zalo. Tap Skip to send the "
                     "text alone.")
    return msgid("Add a photo, or a PDF, Word or Excel document? Send it now as a file (a "
                 "photo up to 10 MB, a document up to 20 MB), or tap Skip to send the text "
                 "alone.")


def _wants_file(step: str | None, draft: dict[str, Any]) -> bool:
    """The form takes a file at its attachment question, and at the text question as a
    photo or document with the text as its caption."""
    return step == "answering" and Progress.from_json(draft.get("progress")).current in (
        "text", "attachment")


def audience_of(answers: dict[str, Any], ctx: Context) -> Audience:
    """The form's answers as an audience."""
    communes: tuple[str, ...] = ()
    labels: dict[str, Any] = {}
    if answers.get("area") == "commune" and answers.get("commune"):
        communes = (str(answers["commune"]),)
        labels["commune"] = communes[0]
    elif answers.get("area") == "district" and answers.get("districts"):
        districts = [str(code) for code in answers["districts"]]
        communes = ctx.services.former_districts.communes_of(districts)
        labels["districts"] = districts
    elif answers.get("area") == "province" and answers.get("province"):
        province = str(answers["province"])
        communes = tuple(c.code for c in ctx.services.communes
                         if former_province(c.code) == province)
        labels["province"] = province
    fair_group = answers.get("fair_group")
    survey_filter = answers.get("survey_filter")
    has_fair = fair_group in ("registrants", "waitlist") and answers.get("fair")
    has_survey = survey_filter in ("submitted", "not_submitted") and answers.get("survey")
    return Audience(
        channels=tuple(answers.get("channels") or ()), communes=communes,
        sectors=tuple(answers.get("sectors") or ()),
        fair_id=int(answers["fair"]) if has_fair else None,
        fair_group=fair_group if has_fair else None,
        survey_code=str(answers["survey"]) if has_survey else None,
        survey_submitted=survey_filter == "submitted" if has_survey else None, labels=labels)


async def _named_audience(answers: dict[str, Any], ctx: Context) -> Audience:
    """The audience, with its fair's code and name kept for describing it ("#2" was all the
    preview, `broadcasts show` and the audit log said, and staff know fairs by their code)."""
    audience = audience_of(answers, ctx)
    if audience.fair_id is not None and (fair := await ctx.uow.fairs.get(audience.fair_id)):
        audience.labels["fair"] = f"{fair.code} {Text(fair.name or {}).get(DEFAULT_LOCALE)}"
    return audience


def describe_audience(audience: Audience, i18n: Translator, communes: CommuneDirectory,
                      districts: FormerDistrictDirectory) -> str:
    """The audience in words, one criterion a line (the preview, `broadcasts show`, the audit
    log)."""
    _ = i18n.gettext
    lines = []
    if audience.channels:
        lines.append(_("Channels: {names}").format(
            names=", ".join(CHANNEL_NAMES.get(c, c) for c in audience.channels)))
    if "commune" in audience.labels:
        commune = communes.get(audience.labels["commune"])
        lines.append(_("Place: {place}").format(
            place=commune.full_name if commune else audience.labels["commune"]))
    elif "districts" in audience.labels:
        lines += _district_lines(audience, i18n, communes, districts)
    elif "province" in audience.labels:
        lines.append(_("Place: {place}").format(
            place=_(PROVINCES.get(audience.labels["province"], audience.labels["province"]))))
    if audience.sectors:
        lines.append(_("Sectors: {names}").format(
            names="; ".join(_(SECTORS[s]) for s in audience.sectors if s in SECTORS)))
    if audience.fair_id is not None:
        lines.append((_("Registrants of fair {fair}") if audience.fair_group == "registrants"
                      else _("Waitlist of fair {fair}")).format(
            fair=audience.labels.get("fair") or f"#{audience.fair_id}"))
    if audience.survey_code is not None:
        lines.append((_("Submitted survey {code}") if audience.survey_submitted
                      else _("Have not submitted survey {code}")).format(
            code=audience.survey_code))
    return "\n".join(lines) or _("All subscribers")


def _district_lines(audience: Audience, i18n: Translator, communes: CommuneDirectory,
                    directory: FormerDistrictDirectory) -> list[str]:
    """The former districts chosen, today's units formed from them, and which of those were
    formed only partly from them."""
    _ = i18n.gettext
    codes = [str(code) for code in audience.labels["districts"]]
    names = [d.full_name if (d := directory.get(code)) else code for code in codes]
    lines = [_("Place: {districts} (former, before 1/7/2025)").format(
        districts=", ".join(names))]
    units = [c.name_in_text if (c := communes.get(code)) else code
             for code in audience.communes]
    if len(units) <= MAX_UNITS_LISTED:
        lines.append(i18n.ngettext("Today, {n} unit: {units}", "Today, {n} units: {units}",
                                   len(units)).format(n=len(units), units=", ".join(units)))
    else:
        lines.append(_("Today: {n} communes, wards and special zones").format(
            n=i18n.number(len(units))))
    partly = directory.partly_from(codes)
    if partly:
        lines.append(_("Included although formed only partly from them: {units}").format(
            units="; ".join(_("{unit} (also from {districts})").format(
                unit=c.name_in_text if (c := communes.get(code)) else code,
                districts=", ".join(d.full_name for d in others))
                for code, others in partly.items())))
    return lines


# --- the form ------------------------------------------------------------------------------

@router.command("thongbao", "broadcast", description=N_("Send an announcement to enterprises"),
                staff=True)
async def start_broadcast(msg: Incoming, ctx: Context) -> list[Reply]:
    if not ctx.services.broadcast_channels:
        return [Reply(ctx._("No channel that can send announcements (Telegram, Zalo) is "
                            "configured."))]
    ctx.conversation.start(FLOW, "answering", {"progress": Progress().to_json()})
    runner = await _runner(ctx)
    replies = runner.start()
    ctx.conversation.draft["progress"] = runner.progress.to_json()
    intro = [Reply(ctx._("A new announcement: the text (with a photo or document if you "
                         "like), who gets it, then a preview before anything is sent. Type "
                         "/huy to stop."))]
    unfinished = await ctx.uow.broadcasts.unfinished()
    if unfinished:
        lines = [ctx._("Announcements not finished yet:")]
        lines += [_summary_line(b, ctx) for b in unfinished]
        intro.insert(0, Reply("\n".join(lines), choices=tuple(
            Choice(ctx._("Cancel #{id}").format(id=b.id), f"bk:{b.id}") for b in unfinished)))
    return [*intro, *replies]


def _summary_line(broadcast: Broadcast, ctx: Context) -> str:
    text = ("📎 " if broadcast.attachment else "") + broadcast.text.replace("\n", " ")
    return "#{id} ({status}, {when}): {text}".format(
        id=broadcast.id, status=ctx._(STATUS_NAMES[BroadcastStatus(broadcast.status)]),
        when=when_text(broadcast, ctx.i18n, ctx.now),
        text=text if len(text) <= 60 else text[:59] + "…")


async def _runner(ctx: Context) -> FormRunner:
    return FormRunner(await broadcast_form(ctx), ctx,
                      Progress.from_json(ctx.conversation.draft.get("progress")),
                      prefix=FORM_PREFIX)


@router.payload(FORM_PREFIX, staff=True)
async def form_button(msg: Incoming, ctx: Context) -> list[Reply]:
    return await _form_step(ctx, lambda runner: runner.on_button(msg.payload or ""))


@router.flow(FLOW, staff=True, files=FilePolicy(wanted=_wants_file))
async def form_text(msg: Incoming, ctx: Context) -> list[Reply]:
    if msg.file is not None:
        return await _file_sent(msg, ctx)
    if ctx.conversation.step == "when":
        return await _scheduled_time(msg.text, ctx)
    if ctx.conversation.step == "preview":
        return [Reply(ctx._("Please use the buttons under the preview.")),
                *await _preview(ctx)]
    return await _form_step(ctx, lambda runner: runner.on_text(msg.text))


async def _form_step(ctx: Context, act: Callable[[FormRunner], FormStep]) -> list[Reply]:
    if ctx.conversation.flow != FLOW or ctx.conversation.step != "answering":
        return [Reply(ctx._(_STALE))]
    runner = await _runner(ctx)
    return await _stepped(ctx, runner, act(runner))


async def _stepped(ctx: Context, runner: FormRunner, step: FormStep) -> list[Reply]:
    """Save the form's progress; on to the preview once it is complete."""
    ctx.conversation.draft["progress"] = runner.progress.to_json()
    if not step.completed:
        return step.replies
    ctx.conversation.goto("preview")
    return [*step.replies, *await _preview(ctx)]


async def _file_sent(msg: Incoming, ctx: Context) -> list[Reply]:
    """A photo or document: the attachment (with a caption at the text question: the text
    too). A refused file changes nothing already answered."""
    if ctx.conversation.step in ("preview", "when"):
        return [Reply(ctx._("To change the photo or document, tap Change something under the "
                            "preview.")), *await _preview(ctx)]
    if ctx.conversation.step != "answering":
        return [Reply(ctx._(_STALE))]
    runner = await _runner(ctx)
    file = msg.file
    assert file is not None
    replies: list[Reply] = []
    if runner.progress.current == "text":
        if not msg.text:
            return [Reply(ctx._("Please type the announcement's text first; the photo or "
                                "document comes right after it.")), *runner.resume()]
        # A photo with a caption: the caption is the text, the photo its attachment.
        step = runner.on_text(msg.text)
        if runner.progress.current != "attachment":  # the text was refused
            return await _stepped(ctx, runner, step)
        ctx.conversation.draft["progress"] = runner.progress.to_json()
        replies.append(Reply(ctx._("Text noted.")))
    if runner.progress.current != "attachment":
        return [Reply(ctx._("That is not an answer to this question.")), *runner.resume()]
    if file.content is None:
        kept = ctx._("What you have entered so far is kept.")
        return [*replies, Reply(f"{problem_text(file, ctx.i18n)} {kept}"), *runner.resume()]
    previous = Attachment.from_json(runner.progress.answers.get("attachment"))
    if previous is not None:
        await ctx.uow.media.forget(previous.media_token)
    token = secrets.token_urlsafe(32)
    await ctx.uow.media.add(token, filename=file.filename, mime_type=file.mime_type,
                            content=file.content, now=ctx.now, expires_at=ctx.now + DRAFT_KEPT)
    attachment = Attachment(file.kind, file.filename, file.mime_type, len(file.content), token,
                            {msg.channel: file.ref} if file.ref else {})
    step = runner.on_file(attachment.to_json())
    return [*replies, *await _stepped(ctx, runner, step)]


# --- preview, send, schedule ---------------------------------------------------------------

def _answers(ctx: Context) -> dict[str, Any]:
    return Progress.from_json(ctx.conversation.draft.get("progress")).answers


async def _kept_attachment(ctx: Context) -> tuple[Attachment | None, list[Reply]]:
    """The form's attachment, if its file is still kept; one the draft outlived is removed
    from the form, with a word about it."""
    progress = Progress.from_json(ctx.conversation.draft.get("progress"))
    attachment = Attachment.from_json(progress.answers.get("attachment"))
    if attachment is None or await ctx.uow.media.exists(attachment.media_token, ctx.now):
        return attachment, []
    progress.answers["attachment"] = None
    ctx.conversation.draft["progress"] = progress.to_json()
    return None, [Reply(ctx._("The attached file is no longer kept (an unfinished "
                              "announcement keeps it for 7 days), so it was removed. Tap Change "
                              "something to attach it again."))]


async def _preview(ctx: Context) -> list[Reply]:
    attachment, notices = await _kept_attachment(ctx)
    answers = _answers(ctx)
    audience = await _named_audience(answers, ctx)
    counts = await ctx.uow.broadcasts.count_audience(audience, ctx.services.broadcast_channels)
    total = sum(counts.values())
    lines = [ctx._("Who gets it:"), describe_audience(
        audience, ctx.i18n, ctx.services.communes, ctx.services.former_districts), "",
             ctx.ngettext("{n} recipient:", "{n} recipients:", total).format(
                 n=ctx.i18n.number(total))]
    for channel in ctx.services.broadcast_channels:
        if channel in counts:
            lines.append(f"• {CHANNEL_NAMES.get(channel, channel)}: "
                         f"{ctx.i18n.number(counts[channel])}")
    if counts.get(ZALO_OA):
        outside = await ctx.uow.broadcasts.outside_reply_window(
            audience, ZALO_OA, ctx.now, length=OA_WINDOW, replies=OA_WINDOW_REPLIES)
        if outside:
            lines.append(ctx._("Of those on Zalo OA, {n} have not written to the OA in the "
                               "last 48 hours: Zalo does not allow writing to them, so they "
                               "will be counted as not allowed.").format(
                n=ctx.i18n.number(outside)))
    lines += ["", ctx._("Those who receive their first announcement also get a line on how to "
                        "stop them (/huydangky).")]
    choices = [Choice(ctx._("Send now"), "bc:now"),
               Choice(ctx._("Schedule for later"), "bc:later"),
               Choice(ctx._("Change something"), "bc:edit"),
               Choice(ctx._("Cancel"), "bc:drop")]
    if not total:
        lines.append(ctx._("Nobody matches: change the audience, or cancel."))
        choices = choices[2:]
    preview = recipient_reply(answers.get("text", ""), ctx.i18n, first=False,
                              attachment=attachment)
    if attachment and counts.get("telegram"):
        with_notice = recipient_reply(answers.get("text", ""), ctx.i18n, first=True)
        if len(preview.text) > TELEGRAM_CAPTION:
            lines.append(ctx._("On Telegram the text is longer than a photo's or document's "
                               "caption may be (1,024 characters), so the file comes first "
                               "and the text follows as a message of its own, as in this "
                               "preview."))
        elif len(with_notice.text) > TELEGRAM_CAPTION:
            lines.append(ctx._("On Telegram, those who receive their first announcement get "
                               "the file first and the text as a message of its own: with "
                               "the line on how to stop them it is longer than a caption may "
                               "be (1,024 characters)."))
    return [*notices, Reply(ctx._("Preview: this is what recipients will see.")), preview,
            Reply("\n".join(lines), choices=tuple(choices))]


@router.payload("bc", staff=True)
async def preview_button(msg: Incoming, ctx: Context) -> list[Reply]:
    if ctx.conversation.flow != FLOW or ctx.conversation.step not in ("preview", "when"):
        return [Reply(ctx._(_STALE))]
    action = (msg.payload or "").removeprefix("bc:")
    if action == "now":
        return await _create(ctx, ctx.now)
    if action == "later":
        ctx.conversation.goto("when")
        return [Reply(ctx._("When should it be sent? Type the date and time in Vietnam's time, "
                            "for example {example}.").format(
            example=(ctx.now.astimezone(LOCAL_TZ) + timedelta(days=1)).strftime(
                "%d/%m/%Y 08:00")),
            choices=(Choice(ctx._("Back to the preview"), "bc:back"),), expects_text=True)]
    if action == "back":
        ctx.conversation.goto("preview")
        return await _preview(ctx)
    if action == "edit":
        runner = await _runner(ctx)
        runner.progress.finished = False
        runner.progress.current = None
        ctx.conversation.goto("answering")
        ctx.conversation.draft["progress"] = runner.progress.to_json()
        return runner.resume()
    if action == "drop":
        ctx.conversation.finish()
        return [Reply(ctx._("Cancelled: nothing was sent."))]
    return [Reply(ctx._(_STALE))]


async def _scheduled_time(text: str, ctx: Context) -> list[Reply]:
    match = _WHEN.fullmatch(text)
    at = None
    if match:
        day, month, year, hour, minute = map(int, match.groups())
        try:
            at = datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ)
        except ValueError:
            at = None
    back = (Choice(ctx._("Back to the preview"), "bc:back"),)
    if at is None:
        return [Reply(ctx._("Please type a date and time such as 25/12/2026 08:00."),
                      choices=back, expects_text=True)]
    if at <= ctx.now:
        return [Reply(ctx._("That time has passed. Please type a time to come."),
                      choices=back, expects_text=True)]
    return await _create(ctx, at)


async def _create(ctx: Context, at: datetime) -> list[Reply]:
    attachment, notices = await _kept_attachment(ctx)
    if notices:
        ctx.conversation.goto("preview")
        return [*notices, *await _preview(ctx)]
    answers = _answers(ctx)
    audience = await _named_audience(answers, ctx)
    counts = await ctx.uow.broadcasts.count_audience(audience, ctx.services.broadcast_channels)
    if not sum(counts.values()):
        return [Reply(ctx._("Nobody matches: change the audience, or cancel.")),
                *await _preview(ctx)]
    if attachment is not None:
        await ctx.uow.media.keep_until(attachment.media_token,
                                       max(at, ctx.now) + KEPT_AFTER_SENDING, ctx.now)
    broadcast = await ctx.uow.broadcasts.add(
        text=str(answers["text"]).strip(), audience=audience, created_by=ctx.actor,
        staff_user_id=ctx.user.id, now=ctx.now, scheduled_at=at,
        attachment=attachment.to_json() if attachment else None)
    await ctx.uow.jobs.schedule(LIST_JOB, at, ctx.now, payload={"broadcast": broadcast.id},
                                key=list_job_key(broadcast.id, 0))
    await ctx.uow.audit.record(actor=ctx.actor, action="broadcast.create",
                               target=f"broadcast:{broadcast.id}", now=ctx.now, details={
                                   "audience": audience.to_json(),
                                   # In words, as staff chose it (Vietnamese, the log's
                                   # language): commune codes alone say little.
                                   "audience_text": describe_audience(
                                       audience, translator_for(ctx.translators, DEFAULT_LOCALE),
                                       ctx.services.communes, ctx.services.former_districts),
                                   "recipients": counts,
                                   "scheduled_at": at.isoformat(),
                                   "attachment": {"kind": attachment.kind.value,
                                                  "mime_type": attachment.mime_type,
                                                  "size": attachment.size}
                                   if attachment else None})
    ctx.conversation.finish()
    cancel = (Choice(ctx._("Cancel #{id}").format(id=broadcast.id), f"bk:{broadcast.id}"),)
    if at > ctx.now:
        return [Reply(ctx._("Announcement #{id} is scheduled for {time}.").format(
            id=broadcast.id, time=ctx.i18n.datetime(at)), choices=cancel)]
    return [Reply(ctx._("Announcement #{id} is being sent. You will see its progress here, "
                        "then a report.").format(id=broadcast.id), choices=cancel)]


# --- cancelling ----------------------------------------------------------------------------

@router.payload("bk", staff=True, always_valid=True)
async def ask_cancel(msg: Incoming, ctx: Context) -> list[Reply]:
    broadcast = await _broadcast_of(msg.payload, "bk", ctx)
    if broadcast is None or broadcast.status not in (BroadcastStatus.SCHEDULED,
                                                     BroadcastStatus.SENDING):
        return [Reply(ctx._("That announcement has already finished or been cancelled."))]
    if broadcast.status == BroadcastStatus.SCHEDULED:  # its recipients are not listed yet
        question = ctx._("Cancel announcement #{id}? It is scheduled and has not been sent to "
                         "anyone yet.").format(id=broadcast.id)
    else:
        counts = await ctx.uow.broadcasts.counts(broadcast.id)
        question = ctx._("Cancel announcement #{id}? It has been sent to {sent}; the {left} "
                         "left will not get it.").format(
            id=broadcast.id, sent=ctx.i18n.number(counts.get("sent", 0)),
            left=ctx.i18n.number(pending(counts)))
    return [Reply(question + "\n" + _summary_line(broadcast, ctx),
        choices=(Choice(ctx._("Yes, cancel the announcement"), f"by:{broadcast.id}"),
                 Choice(ctx._("No, let it go on"), "staff")))]


@router.payload("by", staff=True)
async def cancel(msg: Incoming, ctx: Context) -> list[Reply]:
    found = await _broadcast_of(msg.payload, "by", ctx)
    broadcast = await ctx.uow.broadcasts.lock(found.id) if found else None
    if broadcast is None or broadcast.status not in (BroadcastStatus.SCHEDULED,
                                                     BroadcastStatus.SENDING):
        return [Reply(ctx._("That announcement has already finished or been cancelled."))]
    unsent = await ctx.uow.broadcasts.cancel(broadcast, by=ctx.actor, now=ctx.now)
    await ctx.uow.jobs.cancel(f"broadcast:{broadcast.id}:")
    await ctx.uow.audit.record(actor=ctx.actor, action="broadcast.cancel",
                               target=f"broadcast:{broadcast.id}", now=ctx.now,
                               details={"unsent": unsent})
    return [Reply(ctx._("Announcement #{id} is cancelled.").format(id=broadcast.id))]


async def _broadcast_of(payload: str | None, prefix: str, ctx: Context) -> Broadcast | None:
    raw = (payload or "").removeprefix(f"{prefix}:")
    return await ctx.uow.broadcasts.get(int(raw)) if raw.isdigit() else None
