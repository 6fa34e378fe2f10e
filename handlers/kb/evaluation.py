"""Measuring search quality on an evaluation set of questions with the expected entry."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from handlers.kb.index import SearchResult
from handlers.kb.knowledge_base import KnowledgeBase


@dataclass(frozen=True)
class EvalQuestion:
    text: str
    lang: str
    expect: str | None  # the entry that answers it; None when out of scope
    group: str | None = None  # the kind of question (e.g. vi_no_diacritics, off_topic), if given
    no_entry: bool = False  # in scope, but no entry answers it yet: left out of the figures
    also: tuple[str, ...] = ()  # other entries that answer it equally well


@dataclass(frozen=True)
class Miss:
    question: EvalQuestion
    result: SearchResult

    def describe(self) -> str:
        got = self.result.answer.id if self.result.answer else None
        others = ", ".join(f"{e.id} {s:.2f}" for e, s in self.result.alternatives)
        sure = "confident" if self.result.confident else "unsure"
        kind = "/".join(filter(None, (self.question.lang, self.question.group)))
        return (f"[{kind}] {self.question.text!r}: expected {self.question.expect}, "
                f"got {got} {self.result.score:.2f} {sure}; then {others or '-'}")


def load_eval_set(path: str | Path) -> list[EvalQuestion]:
    """The questions of an evaluation file (`questions: [{q, lang, expect, group, no_entry}]`;
    group and no_entry are optional)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return [EvalQuestion(str(item["q"]), item.get("lang", "vi"), item.get("expect"),
                         item.get("group"), bool(item.get("no_entry", False)),
                         tuple(_ids(item.get("also"))))
            for item in data["questions"]]


def _ids(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(value)] if isinstance(value, str) else [str(v) for v in value]


def evaluate(
    kb: KnowledgeBase, questions: Iterable[EvalQuestion]
) -> tuple[dict[str, Any], list[Miss]]:
    """Quality figures over all questions, per language and per group, and the questions gone
    wrong.

    top1: share of in-scope questions answered with the expected entry; top3: expected entry
    among the answer and alternatives; out_of_scope_refused: share of out-of-scope questions
    with no answer; confident_right: share of confident answers that are right; direct: share
    of in-scope questions answered confidently with the expected entry (no "did you mean");
    confidently_wrong: share of in-scope questions answered confidently with another entry;
    an entry named in a question's `also` counts as the expected one. out_of_scope_redirected
    and out_of_scope_small_talk: shares of out-of-scope questions recognised as outside the
    centre's remit, or as small talk; out_of_scope_told_with_choices: of those told who handles
    them before "did you mean" choices. Questions marked no_entry (no entry answers them yet)
    are not searched nor counted anywhere; their number is no_entry_skipped. by_group has only
    the questions that name a group.
    """
    questions = list(questions)
    results = [(q, kb.search(q.text, q.lang)) for q in questions if not q.no_entry]
    misses = [Miss(q, r) for q, r in results if not answered_right(q, r)]
    figures = _figures(results)
    figures["no_entry_skipped"] = sum(q.no_entry for q in questions)
    figures["by_lang"] = {
        lang: _figures([(q, r) for q, r in results if q.lang == lang])
        for lang in sorted({q.lang for q, _ in results})
    }
    figures["by_group"] = {
        group: _figures([(q, r) for q, r in results if q.group == group])
        for group in sorted({q.group for q, _ in results if q.group is not None})
    }
    return figures, misses


def _top_ids(result: SearchResult, count: int) -> list[str]:
    entries = ([result.answer] if result.answer else []) + [e for e, _ in result.alternatives]
    return [entry.id for entry in entries[:count]]


def answered_right(question: EvalQuestion, result: SearchResult) -> bool:
    """Whether `result` answers with the expected entry or one of its `also` (for an
    out-of-scope question: whether it has no answer)."""
    got = result.answer.id if result.answer else None
    return got == question.expect or (got is not None and got in question.also)


def _figures(results: list[tuple[EvalQuestion, SearchResult]]) -> dict[str, Any]:
    in_scope = [(q, r) for q, r in results if q.expect is not None]
    out_of_scope = [r for q, r in results if q.expect is None]
    confident = [(q, r) for q, r in results if r.confident]
    return {
        "questions": len(results),
        "direct": _share(r.confident and answered_right(q, r) for q, r in in_scope),
        "confidently_wrong": _share(r.confident and not answered_right(q, r) for q, r in in_scope),
        "top1": _share(answered_right(q, r) for q, r in in_scope),
        "top3": _share(bool({q.expect, *q.also} & set(_top_ids(r, 3))) for q, r in in_scope),
        "out_of_scope_refused": _share(r.answer is None for r in out_of_scope),
        # The others get "did you mean" choices with "ask staff"; these get a plain answer.
        "out_of_scope_answered_confidently": _share(r.confident for r in out_of_scope),
        # Told what the centre does not handle (and who does), or greeted back.
        "out_of_scope_redirected": _share(r.outside is not None for r in out_of_scope),
        "out_of_scope_small_talk": _share(r.small_talk is not None for r in out_of_scope),
        # Told who handles it before "did you mean" choices (a word of the centre's kept them).
        "out_of_scope_told_with_choices": _share(r.named_outside is not None
                                                 for r in out_of_scope),
        "in_scope_answered": _share(r.answer is not None for _, r in in_scope),
        "confident_right": _share(answered_right(q, r) for q, r in confident),
        "confident_share": _share(r.confident for _, r in in_scope),
    }


def _share(flags: Iterable[bool]) -> float:
    values = list(flags)
    return round(sum(values) / len(values), 4) if values else 0.0
