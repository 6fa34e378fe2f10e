"""Programme questions: answers from the knowledge base, browsing by topic, hand-over to staff."""

from __future__ import annotations

import dataclasses
import re

from handlers.context import Context
from handlers.i18n import N_, Translator, translator_for
from handlers.identifiers import (
    PersonalData,
    find_personal_data,
    parse_phone,
    parse_tax_code,
)
from handlers.kb.index import SearchResult
from handlers.kb.model import Entry, Status
from handlers.kb.scope import ScopeRules
from handlers.language import language_named, switch_language
from handlers.routing import Router
from handlers.start import main_menu
from handlers.stored_replies import push
from handlers.text import row_id, shorten
from handlers.types import Choice, Incoming, Link, Reply

router = Router()

MAX_BROWSE_CHOICES = 12
LAST_QUESTION = "last_question"  # kept in the conversation draft for "ask staff"
STAFF_QUESTION_FLOW = "qa_to_staff"  # a question typed to be sent to staff as it is
MAX_SHOWN_QUESTION_CHARS = 300  # of the question shown before it is sent to staff

# Topics whose answers lead to something the bot itself does: a fair answer ("how do I get a
# booth?") offers the fairs open for registration, which the knowledge base cannot list.
_TOPIC_ACTIONS = {"hoi-cho": (N_("Trade fairs: register for a booth"), "fairs")}

_STATUS_NOTES = {
    Status.UNCONFIRMED: N_("Note: part of this has not been confirmed by an official text yet. "
                           "Please check with the centre before relying on it."),
    Status.HISTORICAL: N_("Note: this is an older rule, given for background; it may have been "
                          "replaced. Ask the centre for the rule in force."),
}

# Small talk (see handlers/kb/scope.yaml) gets a short friendly word and the menu.
GREETING = N_("Hello! Ask me about industrial-promotion support in your own words, or choose "
              "below.")
SMALL_TALK_REPLIES = {
    "greeting": GREETING,
    "asking": GREETING,  # "cho em hỏi chút": go ahead
    "thanks": N_("You're welcome! Ask me anything else about industrial-promotion support."),
    "ok": N_("All right. If you have another question, just type it."),
    "bye": N_("Goodbye, and good luck with your business! Come back any time."),
    "identity": N_("I am the virtual assistant of the Hai Phong Industrial Promotion Centre: "
                   "a program, not a person. I answer questions about industrial-promotion "
                   "support and pass what I cannot answer to the centre's staff."),
    "wishes": N_("Thank you! The centre wishes you and your business every success too."),
    "later": N_("Of course. Write again whenever you are ready; I am here at any time."),
    "complaint": N_("Sorry about that. Please ask me again in a few words, or choose a topic "
                    "below, and I will do my best."),
}

# Questions the centre does not handle: what it does not do, and who does where that is
# public knowledge. Staff cannot answer them either, so no hand-over is offered.
OUTSIDE_REPLIES = {
    "tax": N_("Taxes (declaring, paying, tax rates, invoices, refunds) are not handled by the "
              "industrial-promotion centre. Please ask the tax office that manages your "
              "business."),
    "bank": N_("Bank loans and their interest rates are not handled by the "
               "industrial-promotion centre. Please ask the bank you want to borrow from. If "
               "you mean interest support for moving a polluting workshop into an industrial "
               "cluster, ask me about that."),
    "social_insurance": N_("Social, health and unemployment insurance are not handled by the "
                           "industrial-promotion centre. Please ask the social insurance "
                           "agency (BHXH) where your business pays contributions."),
    "business_registration": N_("Registering, changing or closing a business is not handled "
                                "by the industrial-promotion centre. Please ask the business "
                                "registration office: for enterprises, the city's Business "
                                "Registration Office; for household businesses, the "
                                "commune or ward People's Committee."),
    "land": N_("Land (land-use certificates, land rent, prices, compensation) is not handled "
               "by the industrial-promotion centre. Please ask the People's Committee of the "
               "commune or ward where the land is."),
    "covid": N_("Covid-19 support packages are not handled by the industrial-promotion "
                "centre. The tax office, the social insurance agency (BHXH) or your commune or "
                "ward People's Committee can tell you about them."),
    "ocop": N_("OCOP (One Commune One Product) is a programme of new rural development, run "
               "with the agriculture sector, not by the industrial-promotion centre. Please ask "
               "the People's Committee of your commune or ward. If you mean the contest for "
               "typical rural industrial products, ask me about that."),
    "farming": N_("Support for crops, livestock and fish farming (breeds, seedlings, "
                  "veterinary care) is the agricultural extension service's business, not "
                  "industrial promotion. Please ask the agricultural extension officer of your "
                  "commune or ward, or the city's Agricultural Extension Centre. If your "
                  "workshop processes farm or fishery products, that is rural industry: ask me "
                  "about it."),
    "prices": N_("Market prices (gold, fuel, materials, exchange rates) are not something the "
                 "industrial-promotion centre follows, so I cannot answer that."),
    "labour": N_("Employment matters (finding a job, labour contracts, wages and overtime, "
                 "probation, accidents at work) are not handled by the industrial-promotion "
                 "centre. For a job, please ask the city's employment service centre; for the "
                 "rest, the city's labour authority or the People's Committee of your commune or "
                 "ward. If you mean training for your workers, ask me about that."),
    "customs": N_("Customs procedures (declarations, HS codes, import and export duties, "
                  "certificates of origin) are not handled by the industrial-promotion centre. "
                  "Please ask the customs office where you declare your goods. If you mean "
                  "support for trade fairs and promotion abroad, ask me about that."),
    "immigration": N_("Passports and visas are not handled by the industrial-promotion "
                      "centre. A passport is issued by the immigration office of the city "
                      "police; a visa to another country by that country's embassy or "
                      "consulate. If you mean support for trade fairs and study trips abroad, "
                      "ask me about that."),
    "utilities": N_("Electricity and water supply (connections, meters, bills, power cuts) are "
                    "not handled by the industrial-promotion centre. Please ask the power "
                    "company (Hai Phong Power Company, EVN) or your water supply company. If you "
                    "mean support for saving energy in your workshop, ask me about that."),
    "vehicles": N_("Vehicles (registration and number plates, driving licences, traffic fines) "
                   "are not handled by the industrial-promotion centre. Please ask the police: "
                   "the traffic police of the city or your commune or ward police."),
    "ip": N_("Filing a trademark, an industrial design or a patent (the application, its fees "
             "and time, disputes over copies) is the business of the Intellectual Property "
             "Office of Viet Nam, not of the industrial-promotion centre; counterfeit goods on "
             "sale are reported to the market surveillance force. If you mean the centre's "
             "support for the cost of building and protecting a brand, ask me about that."),
    "fire": N_("Fire safety (prevention plans, inspections, extinguishers and alarm systems) is "
               "not handled by the industrial-promotion centre. Please ask the fire police: "
               "the fire prevention and rescue police of the city police, or your commune or "
               "ward police."),
    "education": N_("Schools (places, enrolment, tuition fees, exams and scholarships) are "
                    "not handled by the industrial-promotion centre. Please ask the school, or "
                    "the People's Committee of your commune or ward (the city's Department of "
                    "Education and Training for upper-secondary schools). If you mean "
                    "vocational training for your workers, ask me about that."),
    "other": N_("That is outside what I can help with."),
}
REMIT = N_("I answer questions about industrial-promotion (khuyến công) support for "
           "rural-industry establishments in Hai Phong: machinery, fairs, training, product "
           "awards, brands, cleaner production and how to apply.")


NO_ANSWER = N_("Sorry, I have no information to answer that. I can pass your question to the "
               "centre's staff, who will answer you here.")
DID_YOU_MEAN = N_("Did you mean one of these?")
# After saying who handles another office's business the question names.
DID_YOU_MEAN_SUPPORT = N_("If you are asking about the centre's support, did you mean one of "
                          "these?")


# A runner-up scoring this close to the answer given is often the other half of a message
# that asks two things ("có được hỗ trợ không, tối đa bao nhiêu"): it comes first among the
# choices, before the entry's own related entries. On the blind sets 5, 7, 8 and 9, of 12
# answers given outright with another entry than the one labelled, the labelled one was among
# the choices for 7 with the related entries first, for 11 with such runners-up first (9 with
# runners-up within 0.15).
ALSO_ASKED_WITHIN = 0.3
# The button that makes the language a question was typed in the chat's language.
SWITCH_LABELS = {"en": N_("Continue in English"), "vi": N_("Continue in Vietnamese")}


@router.free_text
async def answer_question(msg: Incoming, ctx: Context) -> list[Reply]:
    """Free text outside any form: look it up in the knowledge base."""
    if (locale := language_named(msg.text)) and locale in ctx.translators:
        return await switch_language(locale, ctx)
    kb = ctx.services.kb
    await kb.reload_in_background_if_changed()
    await ctx.services.staff_answers.sync(ctx.uow)
    result = kb.search(msg.text, lang=ctx.user.locale)
    switch = None
    if result.lang in SWITCH_LABELS and result.lang != ctx.user.locale and \
            result.lang in ctx.translators:
        # Asked in English in a Vietnamese chat (or the other way round): answered in that
        # language, the chat's own words too, with a way to stay there.
        ctx = dataclasses.replace(ctx, i18n=ctx.translators[result.lang])
        switch = Choice(ctx._(SWITCH_LABELS[result.lang]), f"lang:{result.lang}")
    lang = result.lang or ctx.user.locale
    if not result.small_talk and (alone := _identifier_alone(msg.text)):
        # A phone number or a tax code with nothing else: no question for the knowledge base
        # ("outside what I can help with" was the reply), nor one to keep.
        menu = main_menu(ctx, ctx._(alone))
        if alone == PHONE_ALONE:  # the way to staff, which it told of, is a button here
            menu = dataclasses.replace(menu, choices=(
                Choice(ctx._("Write to staff"), "qa:write"), *menu.choices))
        return [menu]
    if result.small_talk:
        return [main_menu(ctx, ctx._(SMALL_TALK_REPLIES[result.small_talk]))]
    if result.outside:
        return [Reply(ctx._(OUTSIDE_REPLIES[result.outside])), main_menu(ctx, ctx._(REMIT))]
    ctx.conversation.draft[LAST_QUESTION] = msg.text
    if result.answer is None:
        question = await ctx.uow.questions.add(
            user_id=ctx.user.id, text=msg.text, lang=lang, status="unanswered",
            best_entry_id=None, score=result.score, now=ctx.now)
        return [Reply(
            ctx._(NO_ANSWER),
            choices=(Choice(ctx._("Pass it to staff"), f"qa:fwd:{question.id}"),
                     Choice(ctx._("Main menu"), "menu")),
        )]
    if not result.confident:
        *told, heading = _unsure_texts(result)
        candidates = _candidates(result)
        # What the bot itself does for the likeliest topic (the fairs open now) is one tap
        # away too: a fair question with a second question in it got only entries.
        return [*(Reply(ctx._(text)) for text in told), Reply(
            ctx._(heading),
            choices=(*(Choice(_title(e, lang), _entry_payload(ctx, e, lang))
                       for e in candidates),
                     *_topic_action(ctx, candidates[0]),
                     Choice(ctx._("None of these: ask staff"), "qa:staff"),
                     *([switch] if switch else [])),
        )]
    related = [entry for entry, _score in result.alternatives]
    also_asked = [entry for entry, score in result.alternatives
                  if score >= result.score - ALSO_ASKED_WITHIN]
    reply = show_entry(ctx, result.answer, related, lang=lang, also_asked=also_asked)
    if switch:
        reply = dataclasses.replace(reply, choices=(*reply.choices, switch))
    return [reply]


async def answer_in_passing(msg: Incoming, ctx: Context) -> Reply | None:
    """The answer to a question typed where a form waits for a tap on one of its answers,
    when the knowledge base is sure of one; without buttons, which would leave the form."""
    if not ScopeRules.asks(msg.text):
        return None
    result = ctx.services.kb.search(msg.text, lang=ctx.user.locale)
    if not result.confident or result.answer is None:
        return None
    lang = result.lang if result.lang in ctx.translators else ctx.user.locale
    shown = show_entry(dataclasses.replace(ctx, i18n=ctx.translators[lang]), result.answer,
                       lang=lang)
    return dataclasses.replace(shown, choices=())


def reply_as_text(result: SearchResult, i18n: Translator, lang: str) -> str:
    """What answer_question says to `result`, as plain text without its buttons (for
    `khuyencong ask`): the same replies to small talk, to questions outside the centre's
    remit, to questions with no answer, the same "did you mean" choices, and the answer as
    the chat shows it, followed by the addresses of its sources (the chat's links)."""
    gettext = i18n.gettext
    if result.small_talk:
        return gettext(SMALL_TALK_REPLIES[result.small_talk])
    if result.outside:
        return f"{gettext(OUTSIDE_REPLIES[result.outside])}\n\n{gettext(REMIT)}"
    if result.answer is None:
        return gettext(NO_ANSWER)
    if not result.confident:
        *told, heading = _unsure_texts(result)
        return "\n".join([*(f"{gettext(text)}\n" for text in told), gettext(heading),
                          *(f"- {_title(entry, lang)}" for entry in _candidates(result))])
    entry = result.answer
    sources = "\n".join(f"- {c.label}" + (f" <{c.url}>" if c.url else "")
                        for c in entry.citations)
    return f"{entry_text(entry, i18n, lang)}\n\n{sources}"


def _unsure_texts(result: SearchResult) -> tuple[str, ...]:
    """What an unsure answer says before its choices, the heading of the choices last: who
    handles another office's business the question names, if any."""
    if result.named_outside:
        return OUTSIDE_REPLIES[result.named_outside], DID_YOU_MEAN_SUPPORT
    return (DID_YOU_MEAN,)


def _candidates(result: SearchResult) -> list[Entry]:
    """The "did you mean" choices: the best entry and the runners-up, four at most."""
    return [result.answer, *(entry for entry, _score in result.alternatives)][:4]


def show_entry(ctx: Context, entry: Entry, related: list[Entry] | None = None,
               lang: str | None = None, also_asked: list[Entry] | None = None) -> Reply:
    """An entry with its source, review date and caveats; as choices, the entries the
    question may also be asking about, then the entry's own related entries, then `related`."""
    lang = lang or ctx.user.locale
    kb = ctx.services.kb
    linked = [kb.get(i) for i in entry.related]
    seen = {entry.id}
    choices = []
    for other in [*(also_asked or []), *(e for e in linked if e), *(related or [])]:
        if other.id not in seen and len(choices) < 3:
            seen.add(other.id)
            choices.append(Choice(_title(other, lang), _entry_payload(ctx, other, lang)))
    choices[:0] = _topic_action(ctx, entry)
    choices.append(Choice(ctx._("Ask staff"), "qa:staff"))
    links = tuple(Link(c.label, c.url) for c in entry.citations if c.url)
    return Reply(entry_text(entry, ctx.i18n, lang), choices=tuple(choices), titled=True,
                 links=links)


def _topic_action(ctx: Context, entry: Entry) -> tuple[Choice, ...]:
    """The button to what the bot itself does for the entry's topic, if anything."""
    action = _TOPIC_ACTIONS.get(entry.topic)
    return (Choice(ctx._(action[0]), action[1]),) if action else ()


def _entry_payload(ctx: Context, entry: Entry, lang: str) -> str:
    """A button that opens `entry`, in `lang` when that is not the chat's language (the choices
    offered to a question typed in English in a Vietnamese chat open in English)."""
    return f"kb:{entry.id}" if lang == ctx.user.locale else f"kb:{entry.id}:{lang}"


def entry_text(entry: Entry, i18n: Translator, lang: str) -> str:
    """An entry as the chat shows it: title, text, sources, review date and caveats."""
    lines = [entry.title.get(lang), "", entry.text.get(lang).strip(), ""]
    lines.append(i18n.gettext("Source: {source}").format(
        source="; ".join(citation.label for citation in entry.citations)))
    if entry.reviewed:
        lines.append(i18n.gettext("Last reviewed: {date}").format(date=i18n.date(entry.reviewed)))
    if entry.status in _STATUS_NOTES:
        lines += ["", i18n.gettext(_STATUS_NOTES[entry.status])]
    return "\n".join(lines)


@router.payload("kb", always_valid=True)
async def open_entry(msg: Incoming, ctx: Context) -> list[Reply]:
    entry_id, _, lang = msg.payload.removeprefix("kb:").partition(":")
    entry = ctx.services.kb.get(entry_id)
    if lang in ctx.translators and lang != ctx.user.locale:
        ctx = dataclasses.replace(ctx, i18n=ctx.translators[lang])
    else:
        lang = ctx.user.locale
    if entry is None:
        return [Reply(ctx._("That entry is no longer in the knowledge base. Please ask again "
                            "in your own words."))]
    return [show_entry(ctx, entry, lang=lang)]


@router.payload("ask", always_valid=True)
async def ask_prompt(msg: Incoming, ctx: Context) -> list[Reply]:
    return [Reply(ctx._("Type your question in your own words, with or without diacritics, "
                        "for example: \"hỗ trợ máy móc bao nhiêu tiền\"."))]


@router.payload("topics", always_valid=True)
async def browse_topics(msg: Incoming, ctx: Context) -> list[Reply]:
    lang = ctx.user.locale
    return [Reply(ctx._("Choose a topic:"), choices=(
        *(Choice(topic.name.get(lang), f"topic:{topic.id}") for topic in ctx.services.kb.topics()),
        Choice(ctx._("Main menu"), "menu")))]


@router.payload("topic", always_valid=True)
async def browse_topic(msg: Incoming, ctx: Context) -> list[Reply]:
    lang = ctx.user.locale
    entries = ctx.services.kb.entries_in(msg.payload.removeprefix("topic:"))
    if not entries:
        return [Reply(ctx._("That topic is empty now."))]
    choices = [Choice(_title(e, lang), f"kb:{e.id}") for e in entries[:MAX_BROWSE_CHOICES]]
    choices.append(Choice(ctx._("Other topics"), "topics"))
    return [Reply(ctx._("Choose a question:"), choices=tuple(choices))]


REPLY_TO_STAFF = N_("Reply to staff")


@router.payload("qa", always_valid=frozenset({"qa:write"}))
async def question_button(msg: Incoming, ctx: Context) -> list[Reply]:
    action, _sep, value = msg.payload.removeprefix("qa:").partition(":")
    if action == "staff":
        # The last question typed may be an earlier one than the answer under which "Ask
        # staff" was tapped (an entry opened from the topics): it is shown before it is sent.
        text = ctx.conversation.draft.get(LAST_QUESTION)
        if not text:
            return _ask_for_staff_question(ctx)
        return [Reply(ctx._("I will pass this question to the centre's staff:\n“{question}”")
                      .format(question=shorten(text, MAX_SHOWN_QUESTION_CHARS)),
                      choices=(Choice(ctx._("Send it"), "qa:send"),
                               Choice(ctx._("Write another question"), "qa:write"),
                               Choice(ctx._("Main menu"), "menu")))]
    if action == "send":
        text = ctx.conversation.draft.pop(LAST_QUESTION, None)
        if not text:  # sent already (a second tap), or the conversation moved on
            return _ask_for_staff_question(ctx)
        return [await _forward(ctx, text)]
    if action == "write":
        return _ask_for_staff_question(ctx)
    if action == "fwd" and row_id(value) is not None:
        question = await ctx.uow.questions.get_for_update(row_id(value))
        if question is None or question.user_id != ctx.user.id:
            return [Reply(ctx._("That button is no longer valid. Type /menu to start again."))]
        if question.status == "unanswered":
            question.status = "forwarded"
        return [_forwarded(ctx)]
    return [Reply(ctx._("That button is no longer valid. Type /menu to start again."))]


def _ask_for_staff_question(ctx: Context) -> list[Reply]:
    ctx.conversation.start(STAFF_QUESTION_FLOW, "typing", {})
    return [Reply(ctx._("Type your question for the centre's staff (/huy to cancel):"))]


@router.flow(STAFF_QUESTION_FLOW)
async def type_staff_question(msg: Incoming, ctx: Context) -> list[Reply]:
    reply_to = ctx.conversation.draft.get("reply_to")
    ctx.conversation.finish()
    # A reply to a staff answer names the question it follows, for staff to see (it came as
    # an unrelated question).
    return [await _forward(ctx, f"↪ #{reply_to}: {msg.text}" if reply_to else msg.text)]


# Under a staff answer pushed later: from any earlier message; it only asks for the text.
@router.payload("qareply", always_valid=True)
async def reply_to_staff(msg: Incoming, ctx: Context) -> list[Reply]:
    question_id = row_id(msg.payload.removeprefix("qareply:"))
    question = await ctx.uow.questions.get_for_update(question_id) if question_id else None
    if question is None or question.user_id != ctx.user.id:
        return _ask_for_staff_question(ctx)
    ctx.conversation.start(STAFF_QUESTION_FLOW, "typing", {"reply_to": question.id})
    return [Reply(ctx._("Type your reply to the centre's staff (/huy to cancel):"))]


async def _forward(ctx: Context, text: str) -> Reply:
    await ctx.uow.questions.add(user_id=ctx.user.id, text=text, lang=ctx.user.locale,
                                status="forwarded", best_entry_id=None, score=0.0, now=ctx.now)
    return _forwarded(ctx)


def _forwarded(ctx: Context) -> Reply:
    return Reply(ctx._("I have passed your question to the centre's staff. Their answer will "
                       "come to you here. (You can delete your data at any time with "
                       "/xoadulieu.)"), choices=(Choice(ctx._("Main menu"), "menu"),))


PHONE_ALONE = N_("That looks like a phone number. To have the centre's staff call you back, "
                 "tap \"Write to staff\" and say in a few words what it is about; your number "
                 "can be kept in your enterprise profile (/hoso).")
TAX_CODE_ALONE = N_("That looks like a tax code. Your enterprise profile (/hoso) keeps it for "
                    "surveys and fair registrations, and \"Am I eligible for support?\" checks "
                    "your establishment in a few questions.")


def _identifier_alone(text: str) -> str | None:
    """The reply to a message that is only a phone number or only a tax code."""
    stripped = text.strip()
    if parse_phone(stripped):
        return PHONE_ALONE
    if parse_tax_code(stripped):
        return TAX_CODE_ALONE
    return None


def _asked(text: str) -> str:
    """A forwarded question as its asker typed it, without the mark of a reply to staff."""
    return _REPLY_MARK.sub("", text, count=1)


_REPLY_MARK = re.compile(r"^↪ #\d+: ")


def _title(entry: Entry, lang: str) -> str:
    return entry.title.get(lang)


# --- staff side -----------------------------------------------------------------------------

ANSWER_FLOW = "qa_answer"
KB_QUESTION_FLOW = "qa_kb_question"
MAX_KB_QUESTION_CHARS = 300

_PERSONAL_DATA_NAMES = {
    PersonalData.PHONE: N_("a phone number"),
    PersonalData.EMAIL: N_("an e-mail address"),
    PersonalData.ID_NUMBER: N_("an id or tax number"),
}


@router.command("cauhoi", "questions", description=N_("Questions waiting for staff"),
                staff=True)
async def list_questions(msg: Incoming, ctx: Context) -> list[Reply]:
    waiting = await ctx.uow.questions.waiting()
    if not waiting:
        return [Reply(ctx._("No questions are waiting."))]
    await ctx.uow.audit.record(actor=ctx.actor, action="questions.view", now=ctx.now,
                               details={"ids": [q.id for q, _user in waiting]})
    total = await ctx.uow.questions.count_waiting()
    lines = [ctx.ngettext("{count} question is waiting:", "{count} questions are waiting:",
                          total).format(count=ctx.i18n.number(total))]
    choices = []
    for question, user in waiting:
        state = ctx._("asked for staff") if question.status == "forwarded" else ctx._(
            "the bot found no answer")
        # Who asked: the establishment of their profile, else that they have none (staff
        # could not tell who sent "135 workers, not 120").
        profile = await ctx.uow.profiles.get(user.id)
        who = profile.name if profile and profile.name else ctx._("no enterprise profile")
        lines.append(f"#{question.id} · {ctx.i18n.date(question.asked_at)} · {state} · "
                     f"{user.channel} · {who}\n  «{question.text}»")
        found = find_personal_data(question.text)
        if found:
            lines.append("  ⚠ " + _personal_data_warning(ctx, found))
        choices.append(Choice(ctx._("Answer #{id}").format(id=question.id),
                              f"qastaff:answer:{question.id}"))
    return [Reply("\n".join(lines), choices=tuple(choices))]


def _personal_data_warning(ctx: Context, found: set[PersonalData]) -> str:
    kinds = ", ".join(ctx._(_PERSONAL_DATA_NAMES[kind]) for kind in sorted(found))
    return ctx._("Contains personal data ({kinds}).").format(kinds=kinds)


# Valid from any earlier message: each action checks the question's state itself, and "add to
# the knowledge base" was lost once staff did anything else after answering.
@router.payload("qastaff", staff=True, always_valid=True)
async def staff_question_button(msg: Incoming, ctx: Context) -> list[Reply]:
    action, _sep, value = msg.payload.removeprefix("qastaff:").partition(":")
    question_id = row_id(value)
    if question_id is None:
        return [Reply(ctx._("That button is no longer valid. Type /menu to start again."))]
    question = await ctx.uow.questions.get_for_update(question_id)
    if question is None:
        return [Reply(ctx._("That question no longer exists (the asker may have deleted "
                            "their data)."))]
    if action == "answer":
        if question.status == "answered":
            return [Reply(ctx._("Question #{id} has already been answered.").format(
                id=question.id))]
        ctx.conversation.start(ANSWER_FLOW, "text", {"question_id": question.id})
        return [Reply(ctx._("Type your answer to question #{id}:\n«{text}»\n(/huy to cancel)")
                      .format(id=question.id, text=question.text))]
    if question.status != "answered":
        return [Reply(ctx._("That button is no longer valid. Type /menu to start again."))]
    if action == "addkb":
        return [_review_kb_question(ctx, question.id, _asked(question.text), question.answer)]
    if action == "rewrite":
        ctx.conversation.start(KB_QUESTION_FLOW, "text", {"question_id": question.id})
        return [Reply(ctx._("Type the question as everyone will see it, without names, phone "
                            "numbers or other personal details (/huy to cancel):"))]
    if action == "kbok":
        wording = ctx.conversation.draft.get("kb_question")
        if ctx.conversation.draft.get("question_id") != question.id or not wording or \
                find_personal_data(wording) or find_personal_data(question.answer or ""):
            return [Reply(ctx._("That button is no longer valid. Type /menu to start again."))]
        ctx.conversation.finish()
        await ctx.uow.staff_answers.add(question=wording, answer=question.answer,
                                        lang=question.lang, added_by=ctx.actor, now=ctx.now)
        ctx.services.staff_answers.invalidate()
        await ctx.uow.audit.record(actor=ctx.actor, action="kb.add_staff_answer",
                                   target=f"question:{question.id}", now=ctx.now)
        return [Reply(ctx._("Added to the knowledge base. From now on I answer similar "
                            "questions myself."))]
    return [Reply(ctx._("That button is no longer valid. Type /menu to start again."))]


def _review_kb_question(ctx: Context, question_id: int, wording: str,
                        answer: str | None) -> Reply:
    """Show the question and answer exactly as every user would see them, to confirm or
    rewrite the question.

    What an asker typed is never published unseen: it may name them or give their phone. Nor is
    an answer that gives someone's phone or e-mail ("liên hệ chị Hằng, số riêng 0905…" was
    added and shown to a stranger): it cannot be added.
    """
    ctx.conversation.start(KB_QUESTION_FLOW, "review",
                           {"question_id": question_id, "kb_question": wording})
    lines = [ctx._("Everyone who asks something similar will see this question with your "
                   "answer:"), f"«{wording}»", f"→ {answer or ''}"]
    rewrite = Choice(ctx._("Rewrite the question"), f"qastaff:rewrite:{question_id}")
    cancel = Choice(ctx._("Do not add"), "menu")
    if in_answer := find_personal_data(answer or ""):
        lines += ["", "⚠ " + _personal_data_warning(ctx, in_answer),
                  ctx._("An answer with personal details cannot be added for everyone.")]
        return Reply("\n".join(lines), choices=(cancel,))
    found = find_personal_data(wording)
    if found:
        lines += ["", "⚠ " + _personal_data_warning(ctx, found),
                  ctx._("Please rewrite it without personal details before adding it.")]
        return Reply("\n".join(lines), choices=(rewrite, cancel))
    return Reply("\n".join(lines), choices=(
        Choice(ctx._("Add with this wording"), f"qastaff:kbok:{question_id}"), rewrite, cancel))


@router.flow(KB_QUESTION_FLOW, staff=True)
async def type_kb_question(msg: Incoming, ctx: Context) -> list[Reply]:
    question_id = ctx.conversation.draft.get("question_id")
    if ctx.conversation.step != "text" or question_id is None:
        return [Reply(ctx._("Please use the buttons above, or type /huy to stop."))]
    if len(msg.text) > MAX_KB_QUESTION_CHARS or not any(ch.isalpha() for ch in msg.text):
        return [Reply(ctx._("Please type the question in up to {limit} characters.").format(
            limit=ctx.i18n.number(MAX_KB_QUESTION_CHARS)))]
    question = await ctx.uow.questions.get_for_update(int(question_id))
    return [_review_kb_question(ctx, int(question_id), msg.text,
                                question.answer if question else None)]


@router.flow(ANSWER_FLOW, staff=True)
async def type_answer(msg: Incoming, ctx: Context) -> list[Reply]:
    question_id = ctx.conversation.draft.get("question_id")
    if not any(ch.isalpha() for ch in msg.text):
        # "2", typed as if picking from a list, reached the asker as the answer.
        return [Reply(ctx._("An answer needs words: please type it (/huy to cancel)."))]
    ctx.conversation.finish()
    question = await ctx.uow.questions.get_for_update(int(question_id or 0))
    if question is None:
        return [Reply(ctx._("That question no longer exists (the asker may have deleted "
                            "their data)."))]
    if question.status == "answered":
        return [Reply(ctx._("Question #{id} has already been answered.").format(
            id=question.id))]
    question.status, question.answer = "answered", msg.text
    question.answered_by, question.answered_at = ctx.actor, ctx.now
    asker = await ctx.uow.users.get(question.user_id)
    translator = translator_for(ctx.translators, asker.locale)
    # With a way to write back: a reply typed under it went to the knowledge base, never to
    # staff (a staff member asking the asker for their establishment's name, 8 Dec 2026).
    await push(ctx.uow, asker.id, translator.gettext(
        "The centre's staff answered your question «{question}»:\n\n{answer}").format(
        question=_asked(question.text), answer=msg.text), ctx.now,
        [(translator.gettext(REPLY_TO_STAFF), f"qareply:{question.id}"),
         (translator.gettext("Main menu"), "menu")])
    await ctx.uow.audit.record(actor=ctx.actor, action="question.answer",
                               target=f"question:{question.id}", now=ctx.now)
    return [Reply(
        ctx._("Your answer is on its way to the asker. Add this question and answer to the "
              "knowledge base?"),
        choices=(Choice(ctx._("Add to the knowledge base"), f"qastaff:addkb:{question.id}"),
                 Choice(ctx._("No, thanks"), "menu")),
    )]
