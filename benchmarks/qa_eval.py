"""Search quality of the real knowledge base on the evaluation set; prints one JSON object.

    .venv/bin/python benchmarks/qa_eval.py [--misses]

top1: share of in-scope questions answered with the expected entry; top3: the expected entry
is the answer or one of the next two; out_of_scope_refused: share of out-of-scope questions
left without an answer. --misses lists the questions gone wrong on stderr, for tuning.
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="print wrong answers to stderr")
    parser.add_argument("--kb", type=Path, default=ROOT / "handlers" / "kb" / "data")
    parser.add_argument("--eval", type=Path, default=ROOT / "tests" / "data" / "qa_eval.yaml")
    args = parser.parse_args(argv)
    figures, misses = evaluate(KnowledgeBase.from_directory(args.kb), load_eval_set(args.eval))
    if args.misses:
        for miss in misses:
            print(miss.describe(), file=sys.stderr)
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
