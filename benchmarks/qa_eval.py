"""Search quality of the real knowledge base on the evaluation sets; prints one JSON object.

    .venv/bin/python benchmarks/qa_eval.py [--misses] [--eval FILE ...]

top1: share of in-scope questions answered with the expected entry; top3: the expected entry
is the answer or one of the next two; out_of_scope_refused: share of out-of-scope questions
left without an answer. The figures at the top are those of the first set (by default the
main one, tests/data/qa_eval.yaml); "sets" has the figures of every set by name.
--misses lists the questions gone wrong on stderr; --half dev|test takes every other question
(qa_blind5 and qa_blind7 are split so: their dev halves are read and learnt from, their test
halves never).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runs from a checkout without the editable install too

from handlers.kb import KnowledgeBase  # noqa: E402
from handlers.kb.evaluation import evaluate, load_eval_set  # noqa: E402

# The main set (tuned on), a held-out set written later without seeing the entries' sample
# questions, and a blind one written by someone else who saw neither those nor the other sets.
# qa_blind2_dev and qa_blind2_test: the halves of a second blind set, written from the fact sheet
# only and labelled afterwards (issue 12); both read and tuned on since. A third blind set,
# qa_blind3, is measured with --eval only. The sets are also learnt from: those up to qa_blind7 (its
# and qa_blind5's first halves) as asked questions, the later ones (qa_blind8 to qa_blind19,
# qa_blind22) as heard questions, which only the classifier learns
# (handlers/kb/data/asked.yaml, heard.yaml); qa_blind20, qa_blind21 and qa_blind23 to
# qa_blind29 by nothing. The figures of a learnt set measure recall;
# benchmarks/qa_leave_one_out.py answers each set with a knowledge base that did not learn it.
# `--eval tests/data/qa_blind20.yaml` measures a set, `--half test` the odd positions of each
# (the second halves of qa_blind5 and qa_blind7).
SETS = ("qa_eval", "qa_holdout", "qa_blind", "qa_blind2_dev", "qa_blind2_test")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="print wrong answers to stderr")
    parser.add_argument("--kb", type=Path, default=ROOT / "handlers" / "kb" / "data")
    parser.add_argument("--eval", type=Path, action="append",
                        help=f"an evaluation set (repeatable); default: {', '.join(SETS)}")
    parser.add_argument("--half", choices=("dev", "test"),
                        help="only the questions at even (dev) or odd (test) positions of each "
                             "set: the dev halves of qa_blind5 and qa_blind7 are learnt from, "
                             "their test halves never")
    args = parser.parse_args(argv)
    kb = KnowledgeBase.from_directory(args.kb)
    results = {}
    for path in args.eval or [ROOT / "tests" / "data" / f"{name}.yaml" for name in SETS]:
        questions = load_eval_set(path)
        if args.half:
            questions = questions[args.half == "test"::2]
        figures, misses = evaluate(kb, questions)
        results[path.stem] = figures
        if args.misses:
            for miss in misses:
                print(f"{path.stem}: {miss.describe()}", file=sys.stderr)
    print(json.dumps({**next(iter(results.values())), "sets": results}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
