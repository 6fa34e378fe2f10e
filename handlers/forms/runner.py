"""The one step runner: asks a form's questions one at a time and keeps the answers.

The runner is given the form, the person's progress (answers, the question being asked, the
questions asked so far) and their message; it returns the replies and updates the progress.
Where the progress is kept (the conversation draft, a survey response row) and what happens
on completion is the capability's business.

Buttons carry `<prefix>:<action>[:<arg>]`, with option positions rather than names (Telegram
allows 64 bytes). They change state, so the dispatcher accepts only those of the current
question; the runner checks again that each fits the question it is asking.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from handlers.communes import bare_name
from handlers.context import Context
from handlers.former_districts import FormerCommune, FormerDistrictDirectory
from handlers.forms import expressions
from handlers.forms.model import Form, Option, Question, QuestionType, Text
from handlers.forms.numbers import label_unit, parse_number
from handlers.i18n import LOCAL_TZ, N_
from handlers.identifiers import (
    TaxCodeProblem,
    mask_tax_code,
    parse_phone,
    parse_tax_code,
    phone_in,
    tax_code_in,
    tax_code_problem,
)
from handlers.text import closeness, fold, pick_yes_or_no, plain, shorten, yes_or_no
from handlers.types import Choice, Reply

MAX_MATCH_CHOICES = 8
# Answered by typing: their buttons (Keep, Skip, Back) are navigation only.
_TYPED = frozenset({QuestionType.TEXT, QuestionType.INTEGER, QuestionType.DECIMAL,
                    QuestionType.DATE, QuestionType.PHONE, QuestionType.TAX_CODE})
# Characters of an answer shown on the review screen: enough for several choices ticked.
MAX_REVIEW_VALUE = 200

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


def msgid(text: str) -> Text:
    """A label written in the code: an English msgid, translated by the catalogs."""
    return Text({"": text})


@dataclass
class Progress:
    """Where a person is in a form; stored as JSON between messages."""

    answers: dict[str, Any] = field(default_factory=dict)
    current: str | None = None  # the question being asked; None: on the review screen
    history: list[str] = field(default_factory=list)  # asked before it, for Back
    selecting: list[str] | None = None  # options ticked so far in a select_multiple
    finished: bool = False
    # Changing one answer from the review screen: only questions it makes relevant follow.
    revisiting: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"a": self.answers, "q": self.current, "h": self.history,
                "s": self.selecting, "f": self.finished, "r": self.revisiting}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Progress:
        data = data or {}
        return cls(dict(data.get("a") or {}), data.get("q"), list(data.get("h") or []),
                   data.get("s"), bool(data.get("f")), bool(data.get("r")))


@dataclass
class Step:
    """What one message did to the form."""

    replies: list[Reply]
    completed: bool = False  # every question answered (and, with a review, submitted)




class FormRunner:
    def __init__(self, form: Form, ctx: Context, progress: Progress, *, prefix: str,
                 review: bool = True, keep_answers: bool = False,
                 derive: Callable[[dict[str, Any]], None] | None = None,
                 submitted: bool = False) -> None:
        self.form = form
        self.ctx = ctx
        self.progress = progress
        self.prefix = prefix
        self.review = review  # end on a review screen with "Submit", else finish at once
        # Editing saved answers (the profile): every question offers Keep.
        self.keep_answers = keep_answers
        # Adds answers computed in code (say, the kind of the commune chosen) for later
        # questions' conditions to use.
        self.derive = derive
        # Answers already sent (a survey seen again): the review ends with "Done", not
        # "Submit", as there is nothing more to send.
        self.submitted = submitted
        self._lang = ctx.user.locale

    # --- entry points -------------------------------------------------------------------

    def start(self) -> list[Reply]:
        """Ask the first question (or resume where the person was)."""
        if self.progress.current is None and not self.progress.finished and \
                not self.progress.history:
            return self._advance(after=None)
        return self.resume()

    def resume(self) -> list[Reply]:
        """Show the current question again, or the review screen."""
        if self.progress.current is None:
            return [self._review_screen()] if self.review else self._advance(after=None)
        return [self._ask(self.form.question(self.progress.current))]

    def on_text(self, text: str) -> Step:
        current = self._current_question()
        if current is None:
            return Step([Reply(self._("Please use the buttons: submit your answers, or "
                                      "change one of them.")), self._review_screen()])
        if current.type in (*_TYPED, QuestionType.COMMUNE) and self.progress.answers.get(
                current.name) not in (None, "", []) and _means_keep(text):
            # "đúng rồi em", "dc" under "Hiện tại: …" keep it ("dc" became the name).
            return self.on_button(self._payload("keep"))
        if current.type is QuestionType.SELECT_ONE:
            # An answer typed by a part of its name ("doanh nghiep" for "Doanh nghiệp nhỏ và
            # vừa"), when it names one answer only.
            options = self._options(current)
            labels = [self._text(o.label) for o in options]
            found = _matching(labels, text) or _matching(labels, _expanded(text))
            if len(found) != 1 and (said := pick_yes_or_no(text, labels)) is not None:
                found = [said]  # "ko" for "Không", "đồng ý" for "Tôi đồng ý"
            if len(found) != 1 and all(label.isdigit() for label in labels) and (
                    number := parse_number(text, integer=True)) is not None:
                found = [i for i, label in enumerate(labels) if int(label) == number]  # "2 gian"
            if len(found) == 1:
                return self._answer(current, options[found[0]].name)
        if current.type in (QuestionType.SELECT_ONE, QuestionType.ACKNOWLEDGE,
                            QuestionType.NOTE):
            return Step([Reply(self._("Please tap one of the answers, or type “cancel” to "
                                      "stop.")), self._ask(current)])
        if current.type is QuestionType.SELECT_MULTIPLE:
            return self._typed_selection(current, text)
        if current.type is QuestionType.COMMUNE:
            return self._typed_commune(current, text)
        if current.type is QuestionType.ATTACHMENT:
            return Step([self._refusal(current, self._("Please send the photo or document "
                                                       "itself, as a file."))])
        value, problem = self._parse(current, text)
        if problem is not None:
            return Step([self._refusal(current, problem)])
        return self._answer(current, value)

    def on_file(self, value: dict[str, Any]) -> Step:
        """A file for an attachment question (as the capability stored it)."""
        current = self._current_question()
        if current is None or current.type is not QuestionType.ATTACHMENT:
            return Step([Reply(self._("That is not an answer to this question.")),
                         *self.resume()])
        return self._answer(current, value)

    def on_button(self, payload: str) -> Step:
        action, _sep, arg = payload.removeprefix(f"{self.prefix}:").partition(":")
        current = self._current_question()
        if action == "back":
            return Step(self._back())
        if current is None:  # review screen
            return self._review_button(action, arg)
        if action == "skip" and not current.required:
            # Kept as None: skipped, not unseen, so an edit from the review does not ask again.
            self.progress.answers[current.name] = None
            return self._move_on(current)
        if action == "keep" and self.progress.answers.get(current.name) not in (None, "", []):
            return self._move_on(current)
        if action == "ok" and current.type in (QuestionType.ACKNOWLEDGE, QuestionType.NOTE):
            if current.type is QuestionType.ACKNOWLEDGE:
                return self._answer(current, "OK")
            return self._move_on(current)
        options = self._options(current)
        if action == "o" and arg.isdigit() and int(arg) < len(options):
            option = options[int(arg)]
            if current.type is QuestionType.SELECT_MULTIPLE:
                return Step([self._toggle(current, option)])
            return self._answer(current, option.name)
        if action == "c" and current.type is QuestionType.COMMUNE and \
                self.ctx.services.communes.get(arg):
            return self._answer(current, arg)
        if action == "done" and current.type is QuestionType.SELECT_MULTIPLE:
            return self._finish_selection(current)
        return Step([Reply(self._("That button belongs to an earlier question.")),
                     self._ask(current)])

    # --- moving through the form ---------------------------------------------------------

    def _answer(self, question: Question, value: Any) -> Step:
        problem = self._check_constraint(question, value)
        if problem is not None:
            if question.type in (QuestionType.SELECT_MULTIPLE, QuestionType.SELECT_ONE):
                # The choices again (as ticked, to untick some: "chọn tối đa 3"); a single
                # choice refused kept only Skip and Back, its buttons "an earlier message".
                return Step([Reply(problem), self._ask(question)])
            return Step([self._refusal(question, problem)])
        self.progress.answers[question.name] = value
        self.progress.selecting = None
        if self.derive is not None:
            self.derive(self.progress.answers)
        return self._move_on(question)

    def _move_on(self, question: Question) -> Step:
        """After an answer: the next relevant unanswered question, or the end."""
        if self.progress.current and (not self.progress.history or
                                      self.progress.history[-1] != question.name):
            self.progress.history.append(question.name)
        replies = self._advance(after=question.name)
        # A sent form whose edit made new questions relevant is not done until they are
        # answered (it ended on the first of them, "changes saved", with them missing).
        return Step(replies, completed=self.progress.finished and self.progress.current is None)

    def _advance(self, after: str | None) -> list[Reply]:
        """Go to the first relevant question after `after` (when reviewing: the first
        relevant question still unanswered), computing calculations on the way."""
        notes: list[Reply] = []
        names = [q.name for q in self.form.questions]
        start = names.index(after) + 1 if after in names else 0
        revisiting = self.progress.revisiting or self.progress.finished
        for question in self.form.questions[start:]:
            if not self._relevant(question):
                self.progress.answers.pop(question.name, None)
                continue
            if question.type is QuestionType.CALCULATE:
                self.progress.answers[question.name] = self._calculate(question)
                continue
            if revisiting and question.name in self.progress.answers and \
                    not self.keep_answers and question.type is not QuestionType.NOTE:
                if self._still_stands(question):
                    continue  # an edit from the review screen: only new questions are asked
                # An earlier answer changed under it: the total of workers now below the
                # women's, the province no longer the district's. Asked again.
                self.progress.answers.pop(question.name, None)
                notes.append(Reply(self._("An answer you changed affects this one, so it is "
                                          "asked again.")))
            if question.type is QuestionType.NOTE:
                if revisiting:
                    continue
                said = self._label(question)
                if question.section and self._section_starts_at(question):
                    # a group opening with a note: its heading was never shown
                    said = f"{self._text(question.section).upper()}\n{said}"
                notes.append(Reply(said))
                continue
            self.progress.current = question.name
            self.progress.selecting = None
            return [*notes, self._ask(question)]
        self.progress.current = None
        self.progress.revisiting = False
        if self.review:
            # The notes after the last question (a form's "thank you, we will contact you")
            # are said once the answers are submitted, not above the summary as if they were.
            return [self._review_screen()]
        self._drop_irrelevant()
        self.progress.finished = True
        return notes

    def _back(self) -> list[Reply]:
        history = self.progress.history
        while history:
            name = history.pop()
            question = self.form.question(name)
            if self._relevant(question):
                self.progress.current = name
                self.progress.selecting = None
                return [self._ask(question)]
        current = self._current_question()
        notice = Reply(self._("This is the first question."))
        return [notice, self._ask(current)] if current else [notice, self._review_screen()]

    # --- questions -----------------------------------------------------------------------

    def _ask(self, question: Question) -> Reply:
        lines = []
        if question.section and self._section_starts_at(question):
            lines.append(self._text(question.section).upper())
        position, total = self._position(question)
        if total:
            lines.append(self._("Question {position}/{total}").format(
                position=self.ctx.i18n.number(position), total=self.ctx.i18n.number(total)))
        lines.append(self._label(question))
        if question.hint:
            lines.append(f"({self._text(question.hint)})")
        saved = self.progress.answers.get(question.name)
        if saved not in (None, "", []) and question.type not in (
                QuestionType.SELECT_MULTIPLE, QuestionType.ACKNOWLEDGE):
            lines.append(self._("Now: {value}").format(value=self._shown(question, saved)))
        choices: list[Choice] = []
        if question.type in (QuestionType.SELECT_ONE, QuestionType.COMMUNE):
            choices += [Choice(self._text(o.label), self._payload("o", i))
                        for i, o in enumerate(self._options(question))]
        elif question.type is QuestionType.SELECT_MULTIPLE:
            ticked = set(self._ticked(question))
            choices += [Choice(("✓ " if o.name in ticked else "") + self._text(o.label),
                               self._payload("o", i))
                        for i, o in enumerate(self._options(question))]
            choices.append(Choice(self._("Done"), self._payload("done")))
            lines.append(self._("Tap every answer that applies, then Done."))
        elif question.type in (QuestionType.ACKNOWLEDGE, QuestionType.NOTE):
            choices.append(Choice(self._("OK"), self._payload("ok")))
        choices += self._navigation(question)
        return Reply("\n".join(lines), choices=tuple(choices),
                     expects_text=question.type in _TYPED)

    def _navigation(self, question: Question) -> list[Choice]:
        choices = []
        saved = self.progress.answers.get(question.name) not in (None, "", [])
        if saved and question.type not in (QuestionType.SELECT_MULTIPLE,
                                           QuestionType.ACKNOWLEDGE):
            choices.append(Choice(self._("Keep"), self._payload("keep")))
            if question.type is QuestionType.ATTACHMENT and not question.required:
                # A file cannot be typed away: going on without it is a choice of its own.
                choices.append(Choice(self._("Remove the file"), self._payload("skip")))
        elif not question.required and question.type is not QuestionType.NOTE:
            choices.append(Choice(self._("Skip"), self._payload("skip")))
        if self.progress.history:
            choices.append(Choice(self._("Back"), self._payload("back")))
        return choices

    def _position(self, question: Question) -> tuple[int, int]:
        """"Question 3 of 15": the total counts the questions that may still come, i.e. also
        those whose condition depends on questions not answered yet."""
        shown = [q for q in self.form.questions if q.is_asked and q.type is not QuestionType.NOTE
                 and (self._relevant(q) or self._undecided(q))]
        names = [q.name for q in shown]
        return (names.index(question.name) + 1, len(shown)) if question.name in names else (0, 0)

    def _section_starts_at(self, question: Question) -> bool:
        """Whether the question is the first asked one of its section (shown once)."""
        for other in self.form.questions:
            if other.section == question.section and other.is_asked and self._relevant(other):
                return other.name == question.name
        return False

    def _still_stands(self, question: Question) -> bool:
        """Whether a saved answer still meets its question's rule and, for a choice, is still
        among the choices offered (choice_filter), after another answer changed."""
        value = self.progress.answers.get(question.name)
        if value in (None, "", []):
            return True
        if question.choice_filter and question.type in (QuestionType.SELECT_ONE,
                                                         QuestionType.SELECT_MULTIPLE):
            offered = {option.name for option in self._options(question)}
            if not set(value if isinstance(value, list) else [value]) <= offered:
                return False
        return self._check_constraint(question, value) is None

    def _options(self, question: Question) -> list[Option]:
        if not question.choice_filter:
            return list(question.options)
        return [o for o in question.options if expressions.truth(self._evaluate(
            question.choice_filter, option={**o.properties, "name": o.name}))]

    # --- select_multiple ------------------------------------------------------------------

    def _ticked(self, question: Question) -> list[str]:
        if self.progress.selecting is not None:
            return self.progress.selecting
        saved = self.progress.answers.get(question.name)
        return list(saved) if isinstance(saved, list) else []

    def _toggle(self, question: Question, option: Option) -> Reply:
        ticked = self._ticked(question)
        ticked = [n for n in ticked if n != option.name] if option.name in ticked else [
            *ticked, option.name]
        order = [o.name for o in question.options]
        self.progress.selecting = sorted(ticked, key=order.index)
        return self._ask(question)

    def _finish_selection(self, question: Question) -> Step:
        ticked = self._ticked(question)
        if not ticked and question.required:
            return Step([Reply(self._required_message(question)), self._ask(question)])
        if not ticked:
            self.progress.answers[question.name] = None
            self.progress.selecting = None
            return self._move_on(question)
        return self._answer(question, list(ticked))

    def _typed_selection(self, question: Question, text: str) -> Step:
        """"1, 3" or "1 3": the numbered options, for channels without buttons; or their
        names."""
        options = self._options(question)
        numbers = re.findall(r"\d+", text)
        if not numbers or re.sub(r"[\d\s,;.và&and]", "", text.lower()):
            return self._typed_names(question, options, text)
        picked = {int(n) for n in numbers}
        if any(not 1 <= n <= len(options) for n in picked):
            return Step([Reply(self._("Please type numbers from 1 to {count}.").format(
                count=len(options))), self._ask(question)])
        self.progress.selecting = [o.name for i, o in enumerate(options, 1) if i in picked]
        return Step([self._ask(question)])

    def _typed_names(self, question: Question, options: list[Option], text: str) -> Step:
        """"An Lão, Kiến Thụy": options typed by name, as communes are (case, diacritics and a
        leading "huyện", "thị xã"… optional); each one found is ticked. A name that matches
        several options asks which; one that matches none offers the closest."""
        labels = [self._text(o.label) for o in options]
        parts = [text] if len(_matching(labels, text)) == 1 else [
            p.strip() for p in re.split(r"[,;\n]|\s(?:và|and|va)\s", text) if p.strip()]
        ticked = list(self._ticked(question))
        noted = []
        for part in parts:
            found = _matching(labels, part)
            if len(found) == 1:
                noted.append(labels[found[0]])
                if options[found[0]].name not in ticked:
                    ticked.append(options[found[0]].name)
                continue
            self._keep_ticked(question, ticked)
            if len(found) > MAX_MATCH_CHOICES:
                return Step([Reply(self._("Many answers match \"{text}\". Please type more of "
                                          "the name.").format(text=part)), self._ask(question)])
            if found:
                prompt = self._("Which one do you mean by \"{text}\"?").format(text=part)
            elif (found := _closest(labels, part)):
                prompt = self._("I could not find \"{text}\" among the answers. Did you mean "
                                "one of these?").format(text=part)
            else:
                return Step([Reply(self._("I could not find \"{text}\" among the answers. "
                                          "Please tap the answers that apply, or type their "
                                          "numbers or names.").format(text=part)),
                             self._ask(question)])
            if noted:  # those typed before it were ticked
                prompt = self._("Noted: {answers}.").format(answers=", ".join(noted)) + "\n" + \
                    prompt
            choices = [Choice(("✓ " if options[i].name in ticked else "") + labels[i],
                              self._payload("o", i)) for i in found]
            return Step([Reply(prompt, choices=(*choices, Choice(self._("Done"), self._payload(
                "done")), *self._navigation(question)))])
        self._keep_ticked(question, ticked)
        return Step([Reply(self._("Noted: {answers}.").format(answers=", ".join(noted))),
                     self._ask(question)])

    def _keep_ticked(self, question: Question, ticked: list[str]) -> None:
        order = [o.name for o in question.options]
        self.progress.selecting = sorted(ticked, key=order.index)

    # --- typed answers --------------------------------------------------------------------

    def _parse(self, question: Question, text: str) -> tuple[Any, str | None]:
        kind = question.type
        if kind in (QuestionType.INTEGER, QuestionType.DECIMAL):
            number = parse_number(text, integer=kind is QuestionType.INTEGER,
                                  unit=label_unit(*question.label.values.values()))
            if number is None:
                return None, self._("Please type a whole number, for example 25 or "
                                    "1.500.000.") if kind is QuestionType.INTEGER else self._(
                    "Please type a number, for example 2,5 or 1,5 tỷ.")
            return json_number(number), None
        if kind is QuestionType.DATE:
            day = _parse_date(text)
            if day is None:
                return None, self._("Please type a date as day/month/year, for example "
                                    "15/03/2027.")
            return day.isoformat(), None
        if kind is QuestionType.PHONE:
            phone = parse_phone(text) or phone_in(text)  # "so nay nhe em 0987 654 321"
            if phone is None:
                return None, self._("That is not a valid Vietnamese phone number. Please type "
                                    "a mobile number such as 0912 345 678 or a landline such as "
                                    "0225 3 123 456.")
            return phone, None
        if kind is QuestionType.TAX_CODE:
            tax_code = parse_tax_code(text) or tax_code_in(text)  # "tax code is 0201…"
            if tax_code is None:
                return None, self._(_TAX_CODE_PROBLEMS[tax_code_problem(text)])
            return tax_code, None
        return text, None

    def _typed_commune(self, question: Question, text: str) -> Step:
        text = _ENGLISH_PLACE_WORDS.sub(" ", text).strip(" ,") or text  # "Hai An district"
        communes = self.ctx.services.communes
        found = communes.search(text)
        former: list[FormerCommune] = []
        if not found:
            parts = _place_parts(text, self.ctx.services.former_districts)
            # A commune named as it was before 1/7/2025 ("xã Lập Lễ, Thủy Nguyên"): the unit
            # it went into, not the district's namesake named after it.
            former = self._former_communes(parts)
            found = list({c.code: c for f in former if (c := communes.get(f.today))}.values())
            if not found and len(parts) > 1:
                # A place among other words: "KCN Tràng Duệ, An Dương" names the ward after a
                # comma.
                found = list({c.code: c for part in parts for c in communes.search(part)}.values())
        if len(found) == 1:
            noted = Reply(self._("Noted: {place}.").format(place=found[0].full_name) if not (
                former) else self._("Noted: {place} (which the former {former} is now part "
                                    "of).").format(place=found[0].full_name, former=", ".join(
                                        dict.fromkeys(f"{f.name}, {f.district}" for f in former))))
            step = self._answer(question, found[0].code)
            return Step([noted, *step.replies], step.completed)
        # The question's own answers ("Outside Hai Phong") stay on offer when the name is not
        # found (they were dropped with the question's message).
        own = [Choice(self._text(o.label), self._payload("o", str(i)))
               for i, o in enumerate(self._options(question))]
        if not found and (close := communes.suggest(text)):
            choices = [Choice(c.full_name, self._payload("c", c.code)) for c in close]
            return Step([Reply(self._("I could not find \"{text}\". Did you mean one of "
                                      "these?").format(text=text),
                               choices=(*choices, *own, *self._navigation(question)))])
        if not found:
            refusal = self._refusal(question, self._(
                "I could not find \"{text}\" among Hai Phong's 114 communes, wards and special "
                "zones (since 1 July 2025). Please check the name.").format(text=text))
            return Step([dataclasses.replace(refusal, choices=(*own, *refusal.choices))])
        if len(found) > MAX_MATCH_CHOICES:
            return Step([Reply(self._("Many places match \"{text}\". Please type more of the "
                                      "name.").format(text=text),
                               choices=tuple(self._navigation(question)))])
        choices = [Choice(c.full_name, self._payload("c", c.code)) for c in found]
        return Step([Reply(self._("Which one do you mean?"),
                           choices=(*choices, *self._navigation(question)))])

    def _former_communes(self, parts: list[str]) -> list[FormerCommune]:
        """The former communes the first part naming one (and no unit of today: "An Dương"
        is a ward now, as it was in Lê Chân) names, narrowed to the former district another
        part names, if it names one of theirs."""
        directory = self.ctx.services.former_districts
        for index, part in enumerate(parts):
            named = directory.former_communes_named(part)
            if not named or self.ctx.services.communes.search(part):
                continue
            others = [bare_name(other) for other in parts[:index] + parts[index + 1:]]
            narrowed = [f for f in named if any(o and o in fold(f.district) for o in others)]
            return narrowed or named
        return []

    def _check_constraint(self, question: Question, value: Any) -> str | None:
        """The translated message when the answer breaks the question's constraint."""
        if not question.constraint:
            return None
        # "${age} > 0" names the question itself: the answer being checked, not the saved one.
        if expressions.truth(self._evaluate(question.constraint, current=value,
                                            own=(question.name, value))):
            return None
        if question.constraint_message:
            return self._text(question.constraint_message)
        return self._("That answer is not accepted here. Please check it.")

    def _refusal(self, question: Question, problem: str) -> Reply:
        """A refused answer: what was wrong, and the buttons that let the person go on."""
        choices = self._navigation(question)
        hint = ""
        if any(c.payload == self._payload("keep") for c in choices):
            hint = " " + self._("Or tap Keep to leave the saved answer as it is.")
        elif any(c.payload == self._payload("skip") for c in choices):
            hint = " " + self._("Or tap Skip to leave it out.")
        # A form's own message may end without a full stop ("Doanh thu không được âm").
        if hint and problem and problem.rstrip()[-1] not in ".!?…:;)\"»”":
            problem = problem.rstrip() + "."
        # Still a typed answer that is wanted: "1" after "0 is not accepted" is the answer,
        # not the first button (Back or Keep, which saved the old value silently).
        return Reply(problem + hint, choices=tuple(choices),
                     expects_text=question.type in _TYPED)

    def _required_message(self, question: Question) -> str:
        if question.required_message:
            return self._text(question.required_message)
        return self._("This question needs an answer.")

    # --- review ---------------------------------------------------------------------------

    def _review_screen(self) -> Reply:
        lines = [self._("Please check your answers:")]
        number = 0
        for question in self._reviewable():
            number += 1
            value = self.progress.answers.get(question.name)
            shown = self._shown(question, value) if value not in (None, "", []) else self._(
                "(skipped)")
            shown = shorten(shown, MAX_REVIEW_VALUE)
            lines.append(f"{number}. {self._label(question)}\n   → {shown}")
        choices = (Choice(self._("Done") if self.submitted else self._("Submit"),
                          self._payload("submit")),
                   Choice(self._("Change an answer"), self._payload("change")))
        return Reply("\n".join(lines), choices=choices)

    @property
    def at_review(self) -> bool:
        """Whether every question is answered and the review screen is what is shown."""
        return self.review and self._current_question() is None

    def _closing_notes(self) -> list[Reply]:
        """The relevant notes after the last question the person answers."""
        closing: list[Question] = []
        for question in reversed(self.form.questions):
            if not self._relevant(question):
                continue
            if question.type is QuestionType.NOTE:
                closing.append(question)
            elif question.is_asked:
                break
        return [Reply(self._label(question)) for question in reversed(closing)]

    def _reviewable(self) -> list[Question]:
        return [q for q in self.form.questions if q.is_asked and q.type not in (
            QuestionType.NOTE, QuestionType.ACKNOWLEDGE) and self._relevant(q)]

    def _review_button(self, action: str, arg: str) -> Step:
        questions = self._reviewable()
        if action == "submit":
            missing = [q for q in questions if q.required and
                       self.progress.answers.get(q.name) in (None, "", [])]
            if missing:
                self.progress.current = missing[0].name
                return Step([Reply(self._required_message(missing[0])), self._ask(missing[0])])
            self._drop_irrelevant()
            self.progress.finished = True
            return Step(self._closing_notes(), completed=True)
        if action == "change":
            choices = [Choice(f"{i}. {shorten(self._label(q))}", self._payload("edit", i - 1))
                       for i, q in enumerate(questions, 1)]
            choices.append(Choice(self._("Back to the summary"), self._payload("summary")))
            return Step([Reply(self._("Which answer do you want to change?"),
                               choices=tuple(choices))])
        if action == "summary":
            return Step([self._review_screen()])
        if action == "edit" and arg.isdigit() and int(arg) < len(questions):
            question = questions[int(arg)]
            self.progress.current = question.name
            self.progress.history = []
            self.progress.revisiting = True
            return Step([self._ask(question)])
        return Step([Reply(self._("That button belongs to an earlier question.")),
                     self._review_screen()])

    # --- helpers --------------------------------------------------------------------------

    def _current_question(self) -> Question | None:
        name = self.progress.current
        return self.form.question(name) if name else None

    def _relevant(self, question: Question) -> bool:
        return not question.relevant or expressions.truth(self._evaluate(question.relevant))

    def _undecided(self, question: Question) -> bool:
        if not question.relevant:
            return False
        references = expressions.parse(question.relevant).references()
        return any(name not in self.progress.answers and name != question.name
                   and self._relevant(self.form.question(name))
                   for name in references if name in self.form._by_name)

    def _drop_irrelevant(self) -> None:
        """As ODK does: answers to questions that stopped being relevant are not kept."""
        for question in self.form.questions:
            if not self._relevant(question):
                self.progress.answers.pop(question.name, None)

    def _calculate(self, question: Question) -> Any:
        value = self._evaluate(question.calculation or "''")
        if isinstance(value, float) and not math.isfinite(value):
            return None  # from an answer skipped or a division by zero: no value ("NaN")
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    def _evaluate(self, source: str, *, current: Any = None,
                  option: dict[str, str] | None = None,
                  own: tuple[str, Any] | None = None) -> Any:
        answers = self.progress.answers if own is None else {**self.progress.answers,
                                                              own[0]: own[1]}
        env = expressions.Env(answers=answers, current=current,
                              today=self.ctx.now.astimezone(LOCAL_TZ).date(), option=option)
        return expressions.parse(source).evaluate(env)

    def _shown(self, question: Question, value: Any) -> str:
        """An answer as shown back to the person who gave it."""
        if question.type in (QuestionType.SELECT_ONE, QuestionType.SELECT_MULTIPLE):
            names = value if isinstance(value, list) else [value]
            labels = {o.name: self._text(o.label) for o in question.options}
            # Labels hold commas themselves ("Ứng dụng máy móc, thiết bị"): ticked ones are
            # parted by semicolons.
            return "; ".join(labels.get(n, n) for n in names)
        if question.type is QuestionType.COMMUNE:
            labels = {o.name: self._text(o.label) for o in question.options}
            commune = self.ctx.services.communes.get(str(value))
            return commune.full_name if commune else labels.get(value, str(value))
        if question.type is QuestionType.TAX_CODE:
            return mask_tax_code(str(value))
        if question.type in (QuestionType.INTEGER, QuestionType.DECIMAL):
            number = Decimal(str(value))
            if question.type is QuestionType.INTEGER and 1000 <= number <= 2100 and (
                    _YEAR_WORDS & set(fold(self._label(question)).split())):
                return str(number)  # "Năm thành lập" 2005, not 2.005
            return self.ctx.i18n.number(number)
        if question.type is QuestionType.DATE:
            return self.ctx.i18n.date(date.fromisoformat(str(value)))
        if question.type is QuestionType.ATTACHMENT and isinstance(value, dict):
            return f"📎 {value.get('filename', '')}"
        return str(value)

    def _label(self, question: Question) -> str:
        return self._text(question.label) or question.name

    def _text(self, text: Text) -> str:
        if "" in text.values:
            return self.ctx._(text.values[""])
        shown = text.get(self._lang)
        return _REFERENCE.sub(self._filled_in, shown) if "${" in shown else shown

    def _filled_in(self, reference: re.Match[str]) -> str:
        """What a `${name}` in a label, hint, note or message stands for: that question's
        answer as shown back, or a calculation's value; empty while there is none (as ODK
        shows it)."""
        value = self.progress.answers.get(reference.group(1))
        try:
            question = self.form.question(reference.group(1))
        except KeyError:
            return reference.group()
        if value in (None, "", []):
            return ""
        if question.type is not QuestionType.CALCULATE:
            return self._shown(question, value)
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            number = Decimal(str(value))
            return self.ctx.i18n.number(round(number, 2)) if number.is_finite() else ""
        return str(value)

    def _payload(self, action: str, arg: object = None) -> str:
        return f"{self.prefix}:{action}" if arg is None else f"{self.prefix}:{action}:{arg}"

    def _(self, message: str) -> str:
        return self.ctx._(message)


_YEAR_WORDS = frozenset({"nam", "year"})  # folded: a label asking for a year
# A reference to another question's answer in a text of the form: "${tong_lao_dong}".
_REFERENCE = re.compile(r"\$\{([^{}\s]+)\}")


# Abbreviations owners type for the kinds of establishment ("hkd" for "Hộ kinh doanh").
_ABBREVIATIONS = {"hkd": "ho kinh doanh", "htx": "hop tac xa", "dn": "doanh nghiep",
                  "cty": "cong ty", "ct": "cong ty", "dnnvv": "doanh nghiep nho va vua",
                  "csxk": "co so san xuat kinh doanh", "kd": "kinh doanh", "sx": "san xuat",
                  "tp": "thuc pham"}


# The kind of a place in English, after its name ("Hai An district", "Trang Minh ward").
_ENGLISH_PLACE_WORDS = re.compile(r"\b(?:district|ward|commune|town|city|province|village|"
                                  r"special zone)\b", re.IGNORECASE)
# Words that begin the name of a place ("xã Quang Hưng huyện An Lão"), folded.
_PLACE_WORDS = re.compile(r"\s+(?=(?:xa|huyen|quan|phuong|thi tran|thi xa|thon|tp|thanh pho|"
                          r"dac khu)\s)")


def _place_parts(text: str, districts: FormerDistrictDirectory) -> list[str]:
    """The places a typed address names, most precise first: split at commas, else before
    each word that begins a place ("xa quang hung huyen an lao"), else before a former
    district's name it ends with ("quang hung an lao": once "Phường Trần Hưng Đạo?")."""
    parts = [p.strip() for p in re.split(r"[,;/()]", text) if p.strip()]
    if len(parts) != 1:
        return parts
    folded = fold(text)
    if len(split := _PLACE_WORDS.split(folded)) > 1:
        return [p for p in split if p]
    for district in districts:
        name = fold(district.name)
        if folded.endswith(f" {name}") and len(folded) > len(name) + 1:
            return [folded[:-len(name)].strip(), name]
    return parts


# Folded; "dung" alone is not here: it is also the name Dũng ("đúng" keeps, as typed).
_KEEPING = frozenset({"dung roi", "dung vay", "dung the", "chinh xac", "giu nguyen",
                      "giu", "van the", "nhu cu", "khong doi", "correct", "right", "thats right",
                      "keep", "keep it", "same"})


def _means_keep(typed: str) -> bool:
    """Whether a reply to a question showing its saved answer says to keep it."""
    said = " ".join(w for w in plain(typed).split() if w not in ("em", "a", "ad", "nhe"))
    return yes_or_no(typed) is True or said in _KEEPING or plain(typed) in _KEEPING or \
        typed.strip().lower().rstrip(" .!ạa") in ("đúng", "đúng rồi")


def _expanded(typed: str) -> str:
    return " ".join(_ABBREVIATIONS.get(word, word) for word in fold(typed).split())


def _matching(labels: list[str], typed: str) -> list[int]:
    """The labels a typed name stands for: those equal to it, else those containing it."""
    query, bare = fold(typed), bare_name(typed)
    if not bare:
        return []
    exact = [i for i, label in enumerate(labels)
             if query == fold(label) or bare == bare_name(label)]
    within = [i for i, label in enumerate(labels) if bare in fold(label)]
    if exact or within:
        return exact or within
    # Its words, in another order or with others between them ("che bien thuc pham" for
    # "Chế biến nông, lâm, thủy sản và thực phẩm"), when it has two or more.
    typed_words = set(bare.split())
    return [i for i, label in enumerate(labels)
            if len(typed_words) >= 2 and typed_words <= set(re.findall(r"\w+", fold(label)))]


def _closest(labels: list[str], typed: str, limit: int = 5) -> list[int]:
    """The labels close to a mistyped name, closest first."""
    query = bare_name(typed)
    if len(query) < 3:
        return []
    scored = []
    for i, label in enumerate(labels):
        scores = [s for s in (closeness(query, bare_name(label)), closeness(query, fold(label)))
                  if s is not None]
        if scores:
            scored.append((-max(scores), i))
    return [i for _score, i in sorted(scored)[:limit]]


def json_number(number: Decimal) -> int | float:
    return int(number) if number == number.to_integral_value() else float(number)


_DATE = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")


def _parse_date(text: str) -> date | None:
    """15/03/2027, 15-3-2027, 15.03.2027 (day first, as in Vietnam) or 2027-03-15."""
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        match = _DATE.fullmatch(text)
        if match:
            day, month, year = map(int, match.groups())
            return date(year, month, day)
    except ValueError:
        return None
    return None

