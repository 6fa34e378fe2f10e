#!/usr/bin/env python3
"""Build handlers/kb/data/asked.yaml: the labelled questions of the evaluation sets, each under
the entry that answers it, which the search then matches like the entries' sample questions.

The sets were written by people who had never seen the knowledge base, from the programme's
fact sheet only, the way owners type on a phone (no diacritics, abbreviations, stories), and
labelled afterwards from the entries' content. Only in-scope questions with an answering entry
are taken: out-of-scope ones and those no entry answers yet stay out.

The second halves of qa_blind5 and qa_blind7 (their odd positions, `qa_eval.py --half test`)
are never taken, so that those measurements stay blind; every other set becomes what the
search learns from, and its figures then measure recall of what was learnt, not quality on
new questions.

    python scripts/build_asked_questions.py            # write the file
    python scripts/build_asked_questions.py --check    # fail if the file is not up to date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handlers.kb.evaluation import load_eval_set  # noqa: E402
from handlers.kb.loader import ASKED_FILE  # noqa: E402

DATA = ROOT / "tests" / "data"
TARGET = ROOT / "handlers" / "kb" / "data" / ASKED_FILE
# Every set, and the half of each that is taken (None: all of it).
SOURCES = {
    "qa_eval": None, "qa_holdout": None, "qa_blind": None, "qa_blind2_dev": None,
    "qa_blind2_test": None, "qa_blind3": None, "qa_blind4": None,
    "qa_blind5": "dev",  # its test half stays blind
    "qa_blind6": None,
    "qa_blind7": "dev",  # its test half stays blind
}
HEADER = """\
# Questions as enterprises type them, each under the entry that answers it: matched like the
# entries' sample questions, never shown to users. Built by scripts/build_asked_questions.py
# from the labelled evaluation sets in tests/data/ (all but the test halves of qa_blind5 and
# qa_blind7); edit those sets and rebuild rather than editing this file.
"""


def asked_questions() -> dict[str, dict[str, list[str]]]:
    """For each entry id, its questions by language, in the order of the sets."""
    asked: dict[str, dict[str, list[str]]] = {}
    for name, half in SOURCES.items():
        questions = load_eval_set(DATA / f"{name}.yaml")
        if half is not None:
            questions = questions[half == "test"::2]
        for question in questions:
            if question.expect is None or question.no_entry:
                continue
            texts = asked.setdefault(question.expect, {"vi": [], "en": []})[question.lang]
            if question.text not in texts:
                texts.append(question.text)
    return asked


def render(asked: dict[str, dict[str, list[str]]]) -> str:
    items = [{"id": entry_id, "questions": {lang: texts for lang, texts in by_lang.items()
                                            if texts}}
             for entry_id, by_lang in sorted(asked.items())]
    body = yaml.safe_dump({"asked": items}, allow_unicode=True, sort_keys=False, width=100)
    return HEADER + body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    args = parser.parse_args(argv)
    text = render(asked_questions())
    if args.check:
        if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run {Path(__file__).name}",
                  file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    count = sum(len(texts) for by_lang in asked_questions().values() for texts in by_lang.values())
    print(f"wrote {TARGET.relative_to(ROOT)}: {count} questions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
