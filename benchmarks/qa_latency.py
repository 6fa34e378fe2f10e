"""Index build time and search latency at 1,000 entries; prints one JSON object.

    .venv/bin/python benchmarks/qa_latency.py [--entries 1000] [--queries 2000] [--seed 7]

The real knowledge base is padded with generated entries made by recombining its own
sentences, sample questions and words (seeded, so every run builds the same entries); the
queries are the evaluation questions, the sample questions and variants of them typed without
diacritics, with a slip of the finger or with a word left out.

As timeit does, each measure is the best of --repeat runs (the build, and each query), so
that other processes on the machine disturb the figures less.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runs from a checkout without the editable install too

from benchmarks.machine import machine_speed  # noqa: E402
from handlers.kb import Entry, Knowledge, KnowledgeBase, Localized, load_knowledge  # noqa: E402
from handlers.kb.analysis import Vocabulary  # noqa: E402
from handlers.kb.evaluation import load_eval_set  # noqa: E402
from handlers.text import fold  # noqa: E402

LANGUAGES = ("vi", "en")


def split_sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def padded(knowledge: Knowledge, size: int, rng: random.Random) -> Knowledge:
    """The knowledge with generated entries added until it holds `size` entries."""
    real = knowledge.entries
    sentences = {lang: [s for e in real for s in split_sentences(e.text.get(lang))]
                 for lang in LANGUAGES}
    words = {lang: sorted({w for s in sentences[lang] for w in s.split()}) for lang in LANGUAGES}

    def mutate(text: str, lang: str, share: float) -> str:
        return " ".join(rng.choice(words[lang]) if rng.random() < share else w
                        for w in text.split())

    generated = []
    for number in range(size - len(real)):
        base = rng.choice(real)
        title = {lang: mutate(base.title.get(lang), lang, 0.4) for lang in LANGUAGES}
        # As many sentences as the real entry it is modelled on, so that generated entries
        # are as long as real ones.
        text = {lang: " ".join(mutate(s, lang, 0.2) for s in rng.sample(
            sentences[lang], k=len(split_sentences(base.text.get(lang))))) for lang in LANGUAGES}
        questions = {lang: tuple(mutate(q, lang, 0.4) for q in base.questions.get(lang))
                     for lang in LANGUAGES}
        asked = {lang: tuple(mutate(q, lang, 0.4) for q in base.asked.get(lang))
                 for lang in LANGUAGES}
        generated.append(Entry(
            id=f"generated-{number:04d}", topic=base.topic, title=Localized(**title),
            text=Localized(**text), questions=Localized(**questions), source="generated",
            asked=Localized(**asked),
        ))
    return replace(knowledge, entries=real + tuple(generated))  # outside questions kept


def edited(knowledge: Knowledge, number: int) -> Knowledge:
    """The knowledge with one more sentence in the text of its first entry."""
    first, *others = knowledge.entries
    text = Localized(vi=f"{first.text.vi} Sửa lần {number}.", en=f"{first.text.en} Edit {number}.")
    return replace(knowledge, entries=(replace(first, text=text), *others))


def queries(knowledge: Knowledge, eval_file: Path, count: int, rng: random.Random) -> list:
    """About `count` (question, language) pairs: real ones first, then variants of them."""
    real = [(q.text, q.lang) for q in load_eval_set(eval_file)] if eval_file.exists() else []
    real += [(q, lang) for e in knowledge.entries for lang in LANGUAGES
             for q in e.questions.get(lang)]
    real += [(e.title.get(lang), lang) for e in knowledge.entries for lang in LANGUAGES]

    def slip(text: str) -> str:
        if len(text) < 4:
            return text
        i = rng.randrange(1, len(text) - 2)
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]

    def drop_word(text: str) -> str:
        words = text.split()
        if len(words) > 2:
            del words[rng.randrange(len(words))]
        return " ".join(words)

    result = list(real)
    while len(result) < count:
        text, lang = rng.choice(real)
        result.append((rng.choice([fold, slip, drop_word])(text), lang))
    return result[:count]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--kb", type=Path, default=ROOT / "handlers" / "kb" / "data")
    parser.add_argument("--eval", type=Path, default=ROOT / "tests" / "data" / "qa_eval.yaml")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    real = load_knowledge(args.kb)
    knowledge = padded(real, args.entries, rng)

    speed = machine_speed()
    # The first build reads the synonym table and fills the word caches, as at start-up; the
    # others follow an edit of one entry's text, as a reload after an edit does, and reuse what
    # the build before them analysed of the others.
    started = time.perf_counter()
    vocabulary = Vocabulary.from_file()
    builds = []
    for edit in range(args.repeat):
        kb = KnowledgeBase(knowledge, vocabulary=vocabulary)
        builds.append(time.perf_counter() - started)
        knowledge = edited(knowledge, edit)
        started = time.perf_counter()

    asked = queries(real, args.eval, args.queries, rng)
    timings = [float("inf")] * len(asked)
    passes = []  # the timings of each pass, one sample per question
    for _ in range(args.repeat):
        passes.append([])
        for number, (text, lang) in enumerate(asked):
            started = time.perf_counter()
            kb.search(text, lang)
            passes[-1].append((time.perf_counter() - started) * 1000)
            timings[number] = min(timings[number], passes[-1][-1])
    print(json.dumps({
        "loop_s": round(speed, 3),
        "entries": len(knowledge.entries),
        "build_s": round(min(builds[1:] or builds), 3),  # a rebuild, as after an edit
        "first_build_s": round(builds[0], 3),  # at start-up
        "median_ms": round(statistics.median(timings), 3),
        "p99_ms": round(statistics.quantiles(timings, n=100)[98], 3),
        # One sample per question: the first pass computes term weights on first use; the
        # second shows what one sample costs without them (pauses of the machine included).
        "first_pass_p99_ms": round(statistics.quantiles(passes[0], n=100)[98], 3),
        "second_pass_p99_ms": round(statistics.quantiles(passes[-1 if len(passes) < 2 else 1],
                                                         n=100)[98], 3),
        "queries": len(timings),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
