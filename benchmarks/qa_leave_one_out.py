"""Search quality on questions it has not learnt: each blind set left out in turn; prints JSON.

    .venv/bin/python benchmarks/qa_leave_one_out.py

Every labelled set is learnt (scripts/build_asked_questions.py): the older ones as asked
questions, which the ranking and the classifier learn from, so their own figures (qa_eval.py)
measure recall; the later ones as heard questions, which only the classifier learns from; the
out-of-scope questions of both as outside questions. Here each blind set is answered by a
knowledge base that learnt every other set as shipped and nothing of this one (neither half of
a split set): "left_out" are the sets of asked.yaml, "heard" those of heard.yaml (until 7 Dec
2026 never learnt, and answered by the knowledge base as shipped), "blind" those learnt by
nothing, answered by the knowledge base as shipped.
"pooled" weighs each set by its questions.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import build_asked_questions as built  # noqa: E402

from handlers.kb import KnowledgeBase  # noqa: E402
from handlers.kb.evaluation import EvalQuestion, evaluate, load_eval_set  # noqa: E402
from handlers.kb.loader import ASKED_FILE, HEARD_FILE, OUTSIDE_FILE  # noqa: E402

LEFT_OUT = ("qa_blind2_test", "qa_blind3", "qa_blind4", "qa_blind5:dev", "qa_blind6",
            "qa_blind7:dev")
HEARD = ("qa_blind5:test", "qa_blind7:test", "qa_blind8", "qa_blind9", "qa_blind10",
         "qa_blind11", "qa_blind12", "qa_blind13", "qa_blind14", "qa_blind15", "qa_blind16",
         "qa_blind17", "qa_blind18", "qa_blind19", "qa_blind22")
BLIND = ("qa_blind20", "qa_blind21", "qa_blind23", "qa_blind24", "qa_blind25",
         "qa_blind26", "qa_blind27", "qa_blind28", "qa_blind29", "qa_blind30", "qa_blind31",
         "qa_blind32")
POOLED = ("direct", "confidently_wrong", "top1", "top3")


def questions(name: str) -> list[EvalQuestion]:
    stem, _, half = name.partition(":")
    found = load_eval_set(built.DATA / f"{stem}.yaml")
    return found[half == "test"::2] if half else found


def without(name: str, directory: Path) -> KnowledgeBase:
    """The shipped knowledge base with the asked, heard and outside questions of every set but
    `name` (the whole of it, for a split set)."""
    stem = name.partition(":")[0]
    sources, heard = ({source: half for source, half in learnt.items() if source != stem}
                      for learnt in (built.SOURCES, built.HEARD_SOURCES))
    for path in built.KB_DATA.glob("*.yaml"):
        shutil.copy(path, directory / path.name)
    (directory / ASKED_FILE).write_text(built.render(built.asked_questions(sources)),
                                        encoding="utf-8")
    (directory / HEARD_FILE).write_text(
        built.render(built.asked_questions(heard), "heard"), encoding="utf-8")
    (directory / OUTSIDE_FILE).write_text(
        built.render_outside(built.outside_questions(sources, heard)), encoding="utf-8")
    return KnowledgeBase.from_directory(directory)


def pooled(figures: dict[str, dict], sets: list[list[EvalQuestion]]) -> dict[str, float]:
    in_scope = [sum(q.expect is not None and not q.no_entry for q in s) for s in sets]
    off_topic = [sum(q.expect is None and not q.no_entry for q in s) for s in sets]
    result = {key: round(sum(f[key] * n for f, n in zip(figures.values(), in_scope,
                                                         strict=True)) / sum(in_scope), 4)
              for key in POOLED}
    result["in_scope"] = sum(in_scope)
    result["off_topic_answered"] = round(sum(
        f["out_of_scope_answered_confidently"] * n
        for f, n in zip(figures.values(), off_topic, strict=True)))
    result["off_topic"] = sum(off_topic)
    return result


def main() -> int:
    report: dict[str, dict] = {}
    for group, names in (("left_out", LEFT_OUT), ("heard", HEARD), ("blind", BLIND)):
        figures, sets = {}, []
        for name in names:
            with tempfile.TemporaryDirectory() as directory:
                kb = without(name, Path(directory))
                asked = questions(name)
                figures[name] = {key: value for key, value in evaluate(kb, asked)[0].items()
                                 if key not in ("by_lang", "by_group")}
                sets.append(asked)
        report[group] = {"pooled": pooled(figures, sets), "sets": figures}
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
