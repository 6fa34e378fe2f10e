"""Ranking free-text questions against knowledge-base entries.

Each entry gets a score in [0, 1] that mixes two views of the same terms:

- coverage: a BM25F score over the entry's title, sample questions and text (both languages,
  the other language weighted down), divided by the score of an entry holding every term of
  the question in its title and a sample question;
- phrasing similarity: the best idf-weighted Dice overlap between the question and a single
  title or sample question, which rewards paraphrases of a whole phrasing and keeps a vague
  one-word question from looking like a perfect match.

The best few are then re-scored by "topic clarity": a question the knowledge base covers
pulls entries of one topic to the top, one it does not cover scatters over topics.

Terms are folded syllables (no diacritics) and synonym groups (see analysis.py); in titles and
sample questions also folded syllable pairs (compound words such as "hội chợ") and accented
syllables, which give a question typed with diacritics a small bonus for the right accents.
Words of the question that the content never uses count against the score, which is what
turns away out-of-scope questions; before that, a plain unknown word is split ("hotro") or
corrected by one edit ("khuyen cng") when the result is known and goes with a neighbouring
word.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import gc
import heapq
import itertools
import math
import re
import weakref
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from handlers.kb.analysis import (
    EXACT,
    MARK,
    FieldTerms,
    Token,
    Vocabulary,
    Words,
    clauses,
    folded_word,
    is_plain,
    phrasing_terms,
    question_parts,
    telex_spellings,
    text_words,
    words_of,
)
from handlers.kb.classifier import QuestionClassifier
from handlers.kb.model import LANGUAGES, Entry

# Ranking parameters. Set by coarse grid searches on tests/data/qa_eval.yaml (203 questions)
# with benchmarks/qa_eval.py; the figures move by a question or two across wide ranges of
# each, so round middle values were kept rather than the last decimal that scored best.
# "asked": questions as people typed them (Entry.asked), weighed like sample questions: 0.5
# and 1.5 gave fewer direct answers, leaving one evaluation set out at a time (see below).
FIELD_WEIGHTS = {"title": 1.0, "questions": 1.0, "asked": 1.0, "text": 0.5}
OTHER_LANGUAGE = 0.6  # weight of the other language's fields and phrasings
K1 = 0.8  # BM25 term-frequency saturation
B = 0.5  # BM25 length normalisation
EXACT_WEIGHT = 0.3  # an accented syllable typed as in the content, relative to its folded form
PAIR_WEIGHT = 0.5  # a pair of adjacent syllables, relative to a single one
NUMBER_WEIGHT = 0.5  # numbers are often the asker's own figures, not names of things (years are)
UNKNOWN_WEIGHT = 1.0  # a word absent from the content, relative to a word of one entry
CORRECTED_WEIGHT = 0.8  # a word reached by a split or a one-letter correction
ACCENT_MISMATCH = 0.5  # share kept by an accented word the content only has with other accents
# The question's weight counted against a phrasing is at most PHRASING_CAP times the
# phrasing's: a long message that holds a whole sample question is not marked down for its
# other words (1.0-1.5 all raised direct answers on four of the five sets; 2.0 and more did not).
PHRASING_CAP = 1.25
CAPPED_FROM = 10  # words: in a shorter question every word counts against a phrasing (14: same)
PHRASING_SHARE = 0.3  # share of the phrasing similarity in the final score
TOPIC_POOL = 5  # best entries whose topics are weighed
TOPIC_SHARE = 0.5  # share of an entry's score that depends on its topic's weight in the pool
CLAUSE_SHARE = 0.65  # share of its score a single clause of a longer question keeps
# ... when it asks what something is, beside a clause that tells ("khuyến công là gì vậy ad, em
# mới mở xưởng": the telling clause outscored it). Leaving each set out: +1 right, no more wrong
# (any asking clause at 0.8: -7 right).
ASKING_CLAUSE_SHARE = 0.8
# In a message of several clauses some of which ask and some of which tell the asker's story,
# the weight of a word that only comes in the story, relative to one of a question clause.
# 0.35 before the asked questions, whose stories tell the search which story words matter;
# with them, leaving one set out at a time (758 questions): 0.35 direct 0.741, wrong 0.030,
# top-1 0.883; 0.6 0.744, 0.026, 0.892; 0.75 0.736, 0.026, 0.900.
STORY_WEIGHT = 0.6
LONG_MESSAGE = 25  # words (and clause marks): a shorter one tells no story
# Entries with the best coverage whose sample questions are compared: one in twenty, and at
# least 20. Checked at both ends: at 1,000 entries 50 gave the same results as comparing every
# entry (2,000 test questions); with the real 92 entries 20 gives the same results as 50 on
# the three evaluation sets.
MIN_CANDIDATES = 20
CANDIDATES_SHARE = 20

# Decision thresholds on the final score, read off the evaluation sets at the parameters above.
# REFUSE_BELOW: the lowest value that turns away 90% of the main set's out-of-scope questions;
# raising it turns away in-scope ones, which score as low as the out-of-scope ones near it.
# CONFIDENT_FROM with a lead of CONFIDENT_MARGIN over the runner-up: on the three sets 96.5-99%
# of such answers are right, and they are 75-83% of the in-scope questions; the others get
# "did you mean" choices (a lead of 0.15 made it 97.5-100% right but only 66-76% answered).
REFUSE_BELOW = 0.295
# A story of STORY_WORDS words or more scores lower (most of its words are the asker's own):
# below REFUSE_BELOW it still gets "did you mean" choices, down to the runners-up's floor. On
# the older sets the right entry came among the choices for 94% of long messages instead of
# 87% (the fifth blind set's dev half: 76% instead of 68%); nothing else changed, out-of-scope
# questions included.
LONG_REFUSE_BELOW = 0.2
# With the asked questions (6 Dec 2026) right answers score higher, and so do some off-topic
# questions that share a few words with a short asked one: chosen leaving one set out at a
# time (each measured with the asked questions of all the others), 0.5 with a lead of 0.03
# answered 77.6% directly, 1.9% wrongly, and none of 258 off-topic questions; the earlier
# thresholds (0.4 with 0.05, or 0.45 with 0.03) 79.6%, 2.7% wrongly, and 6 off-topic ones;
# 0.48 still 2 off-topic ones.
CONFIDENT_FROM = 0.5
CONFIDENT_MARGIN = 0.03
# Scoring below AGREEMENT_NEEDED_BELOW, an answer is given outright only when the classifier
# (classifier.py) picks the same entry; then a question of AGREED_WORDS words or more is also
# answered from CONFIDENT_AGREED with any lead (a shorter one is too vague: "hỗ trợ bao
# nhiêu"). A score of 0.8 is a question close to a phrasing of the entry, which the classifier
# may miss for want of English phrasings. Leaving one set out at a time (758 questions, each
# set's asked and outside questions left out of its own run): direct answers 0.745 -> 0.790,
# confidently wrong 0.026 -> 0.021, off-topic answered 0 of 205. Agreement needed at any
# score: 0.780 and 0.020; below 0.6: 0.802 and 0.024; from 0.4: 0.793, 0.026 and 3
# off-topic answers. A lead of 0.03 as well cost 2 points of direct answers; 3 to 6 words
# cost none. See docs/benchmarks.md.
AGREEMENT_NEEDED_BELOW = 0.8
CONFIDENT_AGREED = 0.45
AGREED_WORDS = 6
# A message of LONG_CONFIDENT_WORDS words or more scoring from LONG_CONFIDENT_FROM is also
# answered when the classifier picks the same entry with a lead of SURE_LEAD (log-likelihood
# over the next class). First chosen leaving one set out at a time: 40 gave 13 more right
# answers of 758 (direct 0.790 -> 0.807) and no more wrong or off-topic ones; 30 gave 16 more
# and 2 wrong, 20 22 more and 4 wrong. Swept again with the never-learnt sets grown to 1,302
# questions (qa_blind8 to qa_blind14, 6 Dec 2026), against 40: 20 gave 9 right and 3 wrong
# more of 758 left out and 11 right and none wrong more of 1,302 never learnt (15: 31 and 5;
# 10: 41 and 9), and no off-topic answer anywhere.
SURE_LEAD = 20.0
# A message shorter than LONG_CONFIDENT_WORDS that no other rule answers is answered when the
# classifier picks its best entry, or the runner-up it puts first, with a lead of
# SHORT_SURE_LEAD. Chosen leaving one set out at a time (2,856 questions, 7 Dec 2026): 15 gave
# 28 more right answers and 1 more wrong one (12: 38 and 2, and an off-topic question
# answered; 20: 16 and 1); checked afterwards on qa_blind20, written that day (1 more right),
# and on qa_blind21, 150 short questions written to check it (3 more right, none wrong).
SHORT_SURE_LEAD = 15.0
# A message of LONG_CONFIDENT_WORDS words or more carries words no entry uses, so its scores
# run lower: it is also answered from LONG_CONFIDENT_FROM with a wider lead. (A lead of 0.10
# made two or three more right answers on the sets and one more wrong one.)
LONG_CONFIDENT_WORDS = 20
LONG_CONFIDENT_FROM = 0.3
LONG_CONFIDENT_MARGIN = 0.15
# A story of STORY_WORDS words or more is answered outright only with a clear lead (else "did
# you mean"): on the development sets a lead of 0.15 halved the confidently wrong answers
# (blind2-test 0.032 → 0.016, blind 0.012 → 0) for 1–2 points of direct answers.
STORY_WORDS = 25
STORY_MARGIN = 0.15
# A message that tells a story is not also read one clause at a time (a story clause alone
# drew most of the confidently wrong answers to long messages: pooled over the six older
# sets 0.018 → 0.010, long chatty 0.092 → 0.023, direct answers unchanged); and when its
# asking part alone scores below GENERIC_ASK_BELOW ("được hỗ trợ bao nhiêu?"), the story says
# what it is about and counts in full.
GENERIC_ASK_BELOW = 0.5
ALTERNATIVE_FROM = 0.2  # runners-up offered as "did you mean" choices
# A "did you mean" puts first the runner-up, when it scores within REORDER_GAP of the best and
# the classifier picks it with a lead of REORDER_LEAD over its next class. Leaving one set out
# at a time (758 questions), the first choice was right for 0.895 of them, now 0.912; on the
# sets never learnt (327) 0.896, now 0.899. Any gap: 0.908 and 0.899; a gap of 0.1: 0.910,
# 0.2: 0.909; among the best three: 0.913 and 0.896; a lead of 10 or more, less. Direct answers
# did not change; since 7 Dec 2026 a short message's pick is answered outright when the
# classifier is sure of it (SHORT_SURE_LEAD).
REORDER_WITHIN = 2
REORDER_GAP = 0.15
REORDER_LEAD = 5.0
# The rules above look at one thing at a time. An answer they leave unsure is still given
# outright when a logistic model of what they look at (ConfidenceFeatures) puts the odds of it
# being right at CALIBRATED_FROM or more. Its weights were fitted by
# benchmarks/qa_confidence.py on the unsure answers of every labelled set, each set answered
# by a knowledge base that did not learn it, off-topic questions weighing OFF_TOPIC_WEIGHT
# times. Fitted on all but one set at a time and measured on that one (860 unsure answers of
# 5,074 questions, 7 Dec 2026): from 0.8, 69 more right answers, 14 more wrong and no off-topic
# one; from 0.85, 44 and 8; from 0.7, 148 and 39. See docs/benchmarks.md.
CALIBRATION = {"bias": -2.178, "score": 3.592, "lead": 1.721, "agreed_by": 0.393,
               "disputed_by": -0.313, "classifier_outside": -2.851, "same_topic": -0.312,
               "long": 1.158}
CALIBRATED_FROM = 0.8

# What a question asks for, by its question words (folded): an entry whose title and sample
# questions ask for the same is preferred ("mô hình trình diễn hỗ trợ tối đa bao nhiêu" wants
# the amount, not the definition). Among the best entries, one whose phrasings ask for it less
# often than the best of them loses up to TYPE_WEIGHT of its score.
QUESTION_TYPES = {
    "amount": ("bao nhieu", "bn", "may phan tram", "bao nhieu phan tram", "toi da", "muc ho tro",
               "bao nhieu tien", "how much", "how many", "what percentage", "maximum", "percent"),
    "time": ("khi nao", "bao gio", "bao lau", "luc nao", "thoi han", "han chot", "han nop",
             "when", "how long", "deadline"),
    "place": ("o dau", "cho nao", "dia chi", "where", "address"),
    "definition": ("la gi", "la cai gi", "la j", "la cai j", "nghia la", "what is", "what are",
                   "what does", "meaning", "means", "de lam gi", "la chinh sach gi",
                   "la chuong trinh gi", "muc dich", "y nghia", "what for"),  # the purpose too
    "who": ("ai duoc", "doi tuong nao", "ai phe duyet", "ai duyet", "co quan nao", "who"),
    "how": ("the nao", "nhu the nao", "lam sao", "ra sao", "thu tuc", "cac buoc", "how do",
            "how to", "how can", "steps", "procedure"),
    # "mô hình trình diễn cần điều kiện gì" wants the conditions, not the definition. On the
    # evaluation sets 15 questions of 978 ask it, and none changed answer.
    "condition": ("dieu kien", "tieu chi", "requirements", "conditions", "criteria"),
    "documents": ("ho so gi", "ho so gom", "ho so can", "can ho so", "giay to gi", "giay to nao",
                  "can giay to", "ho so nhung gi", "documents", "paperwork", "what papers"),
    # "khuyến công hỗ trợ những gì" wants the list of what it supports: with its stop words
    # dropped, "khuyến công hỗ trợ" is all the ranking sees.
    "kinds": ("nhung gi", "nhung j", "nhung mang", "mang nao", "nhung linh vuc", "linh vuc nao",
              "nhung noi dung", "noi dung nao", "nhung hinh thuc", "hinh thuc nao",
              "nhung loai", "loai nao", "cac loai", "what kinds", "what types", "which kinds",
              "which types", "what sort"),
}
TYPE_WEIGHT = 0.1
# An entry most of whose phrasings ask what something is ("Bình chọn sản phẩm CNNT tiêu biểu
# là gì?") holds the whole name of its subject, so it outscored the entry a question asked for
# ("bình chọn sản phẩm công nghiệp nông thôn tiêu biểu chia làm mấy nhóm"). When a question of
# GENERIC_FROM_WORDS words or more asks nothing of the kind, such an entry loses
# GENERIC_WEIGHT of its score. On the left-out sets: +1 right; on the never-learnt ones: +1
# right, -2 wrong, top-1 +6 (0.15: top-1 -3 and -1 left out; 0.2: -6 and -1).
GENERIC_WEIGHT = 0.1
GENERIC_SHARE = 0.5
GENERIC_FROM_WORDS = 6


@dataclass(frozen=True)
class SearchResult:
    answer: Entry | None  # None when nothing in the knowledge base fits
    confident: bool  # False: plausible but weak, ask "did you mean" with the alternatives
    score: float  # of the best entry, in [0, 1]
    alternatives: list[tuple[Entry, float]]  # the next best entries with their scores
    small_talk: str | None = None  # "alo", "cảm ơn"...: its kind (see scope.py), no answer
    outside: str | None = None  # a question the centre does not handle: its area, no answer
    # Another office's area a question not confidently answered names beside the centre's
    # words (see Scope.named): told before the "did you mean" choices.
    named_outside: str | None = None
    lang: str = ""  # the language the question is written in, when it was searched
    # What the confidence rules looked at when they left the answer unsure (whether or not
    # the calibrated model then gave it outright).
    features: ConfidenceFeatures | None = None


@dataclass(frozen=True)
class ConfidenceFeatures:
    """What the confidence rules look at, for an answer they leave unsure."""

    score: float  # of the best entry
    lead: float  # over the runner-up
    agreed_by: float  # the classifier's lead (per 10), when it picks the same entry; else 0
    disputed_by: float  # its lead (per 10) when it picks another entry; else 0
    classifier_outside: bool  # it picks the class of off-topic questions, or knows no word
    same_topic: bool  # the best entry and the runner-up are of one topic
    long: bool  # LONG_CONFIDENT_WORDS words or more

    def odds(self) -> float:
        """The model's probability that the answer is right."""
        logit = CALIBRATION["bias"] + sum(CALIBRATION[name] * float(getattr(self, name))
                                          for name in CONFIDENCE_FEATURES)
        return 1.0 / (1.0 + math.exp(-logit))


CONFIDENCE_FEATURES = tuple(ConfidenceFeatures.__dataclass_fields__)
CLASSIFIER_LEAD_CAP = 60.0  # a lead beyond it says no more


class _Phrasing:
    """A title or sample question of an entry, with its folded terms."""

    __slots__ = ("entry", "lang", "terms", "weight")

    def __init__(self, entry: int, lang: str, terms: frozenset[str], weight: float) -> None:
        self.entry, self.lang, self.terms, self.weight = entry, lang, terms, weight


class SearchIndex:
    """An immutable index of entries; build a new one when the entries change."""

    def __init__(self, entries: Sequence[Entry], vocabulary: Vocabulary,
                 outside: Sequence[str] = (), small_talk: Sequence[str] = ()) -> None:
        # The build makes millions of small objects and no cycles: collecting garbage
        # meanwhile would only walk them again and again.
        with _garbage_collection_paused():
            self.entries = tuple(entries)
            self._vocabulary = vocabulary
            self._count(*self._analyse())  # what _analyse gives is freed before collections
            self._words = {t for t in self._entries_with if " " not in t and t[0] != EXACT}
            self._one_letter_less: dict[str, set[str]] = defaultdict(set)
            for word in self._words:
                if "_" in word:  # a synonym group, never typed
                    continue
                for variant in _deletions(word):
                    self._one_letter_less[variant].add(word)
            self._classifier = QuestionClassifier(
                [(entry.title.vi, entry.title.en, *entry.questions.vi, *entry.questions.en,
                  *entry.asked.vi, *entry.asked.en) for entry in self.entries], outside,
                small_talk, [(*entry.heard.vi, *entry.heard.en) for entry in self.entries])

    def _analyse(self) -> tuple[list[tuple[int, str, str]], list[list[FieldTerms]]]:
        """Entry number, language and name of every field, and the terms of its texts."""
        fields: list[tuple[int, str, str]] = []
        # Texts written with diacritics or in English, analysed a batch at a time: by
        # language and kind of field, with the index of each field in `fields` and the key
        # under which the last build with this vocabulary may have kept its terms.
        content: dict[tuple[str, bool], tuple[list[int], list[list[Words]], list[tuple]]] = (
            defaultdict(lambda: ([], [], [])))
        # Vietnamese typed without diacritics is read like a question someone typed, once the
        # spellings of the content are known.
        typed: list[tuple[int, Words]] = []
        accented: Words = []
        for number, entry in enumerate(self.entries):
            for lang, name, texts in _fields(entry):
                field = len(fields)
                fields.append((number, lang, name))
                written: list[str] = []
                batch_words: list[Words] = []
                for text in texts:
                    words = text_words[text]
                    if text.isascii() or is_plain(words):
                        if lang == "vi":
                            typed.append((field, words))
                            continue
                    elif name != "asked":  # how the content spells words, not how people do
                        accented += words
                        accented.append(MARK)
                    written.append(text)
                    batch_words.append(words)
                batch_fields, batch, keys = content[lang, name != "text"]
                batch_fields.append(field)
                batch.append(batch_words)
                keys.append(tuple(written))
        analysed: list[list[FieldTerms]] = [[] for _ in fields]
        kept = _last_build.get(self._vocabulary, {})
        now: dict[tuple, FieldTerms] = {}
        for (lang, phrasing), (batch_fields, batch, keys) in content.items():
            missing = [i for i, key in enumerate(keys) if (lang, phrasing, key) not in kept]
            terms = iter(self._vocabulary.content_terms([batch[i] for i in missing], lang,
                                                        phrasing))
            missing_set = set(missing)
            for i, (field, key) in enumerate(zip(batch_fields, keys, strict=True)):
                field_terms = next(terms) if i in missing_set else kept[lang, phrasing, key]
                now[lang, phrasing, key] = field_terms
                analysed[field].append(field_terms)
        _last_build[self._vocabulary] = now
        self._spellings = _spellings(accented, self._vocabulary)
        for field, words in typed:
            _, lang, name = fields[field]
            runs = self._vocabulary.analyze(words, lang, self._spellings)
            length = sum(map(len, runs))
            if name == "text":
                terms = [token.folded for run in runs for token in run]
                analysed[field].append(FieldTerms(terms, [], length, []))
            else:
                found, accents = phrasing_terms(runs)
                analysed[field].append(
                    FieldTerms(found, accents, length, [frozenset(found)] if found else []))
        return fields, analysed

    def _count(self, fields: list[tuple[int, str, str]], analysed: list[list[FieldTerms]]) -> None:
        """Term counts of each field, BM25 length norms, and the entries holding each term."""
        lengths = [sum(terms.length for terms in field_terms) for field_terms in analysed]
        by_kind: dict[tuple[str, str], list[int]] = defaultdict(list)
        for (_, lang, name), length in zip(fields, lengths, strict=True):
            if length:
                by_kind[lang, name].append(length)
        average = {kind: sum(values) / len(values) for kind, values in by_kind.items()}
        # For each entry, the term counts of its Vietnamese and of its English fields, each
        # with the field's weight and length norm; weighed on first use (see _weights).
        self._counts: list[tuple[list[tuple[Counter[str], float]], ...]] = [
            ([], []) for _ in self.entries]
        self._phrasing_terms: list[list[tuple[str, frozenset[str]]]] = [
            [] for _ in self.entries]
        # Asked questions (see Entry.asked) count only with the words the content uses: their
        # own chatter ("toi nay", "da bong") would otherwise be rare terms that match chatter.
        content_words: set[str] = set().union(*itertools.chain.from_iterable(
            (terms.terms, terms.accents)
            for (_, _, name), field_terms in zip(fields, analysed, strict=True)
            if name != "asked" for terms in field_terms))
        for (number, lang, name), field_terms, length in zip(fields, analysed, lengths,
                                                             strict=True):
            if not length:
                continue
            counts: Counter[str] = Counter()
            for terms in field_terms:
                if name == "asked":
                    counts.update(filter(content_words.__contains__, terms.terms))
                    counts.update(filter(content_words.__contains__, terms.accents))
                    self._phrasing_terms[number] += (
                        (lang, kept) for found in terms.phrasings
                        if (kept := found & content_words))
                    continue
                counts.update(terms.terms)
                counts.update(terms.accents)
                self._phrasing_terms[number] += ((lang, found) for found in terms.phrasings)
            norm = FIELD_WEIGHTS[name] / (1 - B + B * length / average[lang, name])
            self._counts[number][lang == "en"].append((counts, norm))
        # The entries holding each term, in order; appended at C speed.
        # Arrays rather than lists: the garbage collector does not have to walk them.
        entries_with: defaultdict[str, array[int]] = defaultdict(functools.partial(array, "i"))
        for number, by_language in enumerate(self._counts):
            held = set().union(*(counts for fields in by_language for counts, _ in fields))
            collections.deque(map(array.append, map(entries_with.__getitem__, held),
                                  itertools.repeat(number)), maxlen=0)
        self._entries_with: dict[str, array[int]] = dict(entries_with)
        # The single words of the Vietnamese fields and the stems of the English ones: what
        # tells the language of a question typed without diacritics (see language_of).
        self._language_words = tuple(
            set(filter(str.isalpha, set().union(
                *(counts for by_language in self._counts for counts, _ in by_language[slot]))))
            for slot in (0, 1))
        self._saturations: dict[str, tuple[list[float], list[float]]] = {}  # see _weights
        # Computed on first use, in plain dicts: a cache holding a bound method would make a
        # reference cycle, and an old index would then wait for the garbage collector.
        self._information: dict[str, float] = {}  # see _information_of
        self._rare_idf = math.log(1 + (len(self.entries) - 0.5) / 1.5)  # a term of one entry
        self._phrasings: dict[int, list[_Phrasing]] = {}  # see _phrasings_of
        self._postings: dict[int, dict[str, list[int]]] = {}  # see _phrasing_postings
        self._types: dict[int, dict[str, float]] = {}  # see _type_shares

    def _information_of(self, term: str) -> float:
        """What a term of a question tells: its weight times its idf."""
        value = self._information.get(term)
        if value is None:
            held, count = len(self._entries_with[term]), len(self.entries)
            value = _term_weight(term) * math.log(1 + (count - held + 0.5) / (held + 0.5))
            self._information[term] = value
        return value

    def _phrasings_of(self, number: int) -> list[_Phrasing]:
        """The titles and sample questions of entry `number` with their weights."""
        phrasings = self._phrasings.get(number)
        if phrasings is None:
            phrasings = self._phrasings[number] = [
                _Phrasing(number, lang, terms, sum(map(self._information_of, terms)))
                for lang, terms in self._phrasing_terms[number]]
        return phrasings

    def _phrasing_postings(self, number: int) -> dict[str, list[int]]:
        """For each term of entry `number`'s phrasings, which of them (by position) hold it."""
        postings = self._postings.get(number)
        if postings is None:
            postings = self._postings[number] = defaultdict(list)
            for index, (_lang, terms) in enumerate(self._phrasing_terms[number]):
                for term in terms:
                    postings[term].append(index)
            postings.default_factory = None  # look-ups of absent terms must not add them
        return postings

    def language_of(self, text: str, lang: str) -> str:
        """The language `text` is written in, `lang` (the chat's) unless its words say so."""
        return self._languages_of(text, lang)[0]

    def _languages_of(self, text: str, lang: str) -> list[str]:
        """The languages `text` may be written in, likelier first (Vocabulary.languages_of)."""
        return self._vocabulary.languages_of(text, "en" if lang.startswith("en") else "vi",
                                             self._language_words)

    def small_talk_odds(self, text: str) -> float:
        """How much likelier `text` is small talk than a question, by its words (see
        QuestionClassifier.small_talk_odds)."""
        return self._classifier.small_talk_odds(words_of(text))

    def untelexed(self, text: str) -> str:
        """`text` with each word typed in Telex with the input method off ("khuyeens coong laf
        gif") spelt as the content spells it ("khuyến công là gì"): question words and the
        centre's own words are then seen as such before any search. A word the content
        already spells so, or that stands for none of its words, is left as typed."""
        def spelt(match: re.Match[str]) -> str:
            word = match.group().lower()
            if word in self._spellings or word in self._entries_with or (
                    self._vocabulary.spells(word)):
                return match.group()
            for spelling in telex_spellings(word):
                if spelling in self._spellings.get(folded_word[spelling], ()):
                    return spelling
            return match.group()

        return _ASCII_WORD.sub(spelt, text)

    def search(self, text: str, lang: str = "vi", limit: int = 3) -> SearchResult:
        """The entry that best answers `text`, how sure that is, and up to `limit` runners-up."""
        likelier, *other = self._languages_of(text, lang)
        result = self._search(text, likelier, limit)
        for reading in other:  # as many words of each: "What is khuyến công?" read both ways
            result = max(result, self._search(text, reading, limit),
                         key=lambda found: (found.confident, found.score))
        return result

    def _search(self, text: str, lang: str, limit: int) -> SearchResult:
        """`search` in the language `lang`."""
        words = words_of(text)
        weighted = _weighted_parts(text, words)
        story = len(weighted) > 1
        if story and _best_score(self._ranked(weighted[:1], lang, limit)) < GENERIC_ASK_BELOW:
            weighted = [weighted[0], (weighted[1][0], 1.0)]  # the story says what about
        ranked = self._ranked(weighted, lang, limit)
        # A question followed by chatter ("..., I keep hearing about it") is also read one
        # clause at a time: a clause may say clearly what the whole blurs; the clause asking
        # what something is keeps more of its score.
        parts = list(clauses(words))
        if not story and len(parts) > 1 and _best_score(ranked) < ASKING_CLAUSE_SHARE:
            asking = [clause for clause, asks in question_parts(text) if asks]
            tells = len(asking) < len(parts)
            for part in parts:
                share = ASKING_CLAUSE_SHARE if tells and part in asking and (
                    "definition" in _question_types(part)) else CLAUSE_SHARE
                if share <= _best_score(ranked):
                    continue  # a score of 1 at this share would not beat it: spare the ranking
                found = self._ranked([(part, 1.0)], lang, limit)
                if _best_score(found) * share > _best_score(ranked):
                    ranked = [(number, s * share) for number, s in found]
        length = len(words) - words.count(MARK)
        refuse_below = LONG_REFUSE_BELOW if length >= STORY_WORDS else REFUSE_BELOW
        if _best_score(ranked) < refuse_below:
            return SearchResult(None, False, round(_best_score(ranked), 4), [], lang=lang)
        best, score = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        confident = score >= CONFIDENT_FROM and score - runner_up >= CONFIDENT_MARGIN
        if not confident and length >= LONG_CONFIDENT_WORDS:
            confident = score >= LONG_CONFIDENT_FROM and score - runner_up >= LONG_CONFIDENT_MARGIN
        if length >= STORY_WORDS:
            confident = confident and score - runner_up >= STORY_MARGIN
        # The classifier is asked only when its opinion decides: whether an answer below
        # AGREEMENT_NEEDED_BELOW stands, whether one is given from CONFIDENT_AGREED, and which
        # "did you mean" choice comes first.
        choice, lead = (best, 0.0) if confident and score >= AGREEMENT_NEEDED_BELOW else (
            self._classifier.choice(words, lang))
        if score < AGREEMENT_NEEDED_BELOW if confident else (
                score >= CONFIDENT_AGREED and length >= AGREED_WORDS):
            confident = choice == best
        elif not confident and length >= LONG_CONFIDENT_WORDS and score >= LONG_CONFIDENT_FROM:
            # A long message scoring low, as its story is made of the asker's own words, is
            # answered when the classifier is sure of the same entry.
            confident = choice == best and lead >= SURE_LEAD
        elif not confident and length < LONG_CONFIDENT_WORDS:
            confident = choice == best and lead >= SHORT_SURE_LEAD
        if not confident and choice != best and lead >= REORDER_LEAD and choice in [
                number for number, s in ranked[1:REORDER_WITHIN] if s >= score - REORDER_GAP]:
            # The runner-up the classifier picks is offered first, and answered outright when
            # the message is short and the classifier sure of it.
            ranked = sorted(ranked, key=lambda item: item[0] != choice)
            best, score = ranked[0]
            confident = length < LONG_CONFIDENT_WORDS and lead >= SHORT_SURE_LEAD
        features = None
        if not confident:
            second, second_score = ranked[1] if len(ranked) > 1 else (best, 0.0)
            capped = min(lead, CLASSIFIER_LEAD_CAP) / 10
            features = ConfidenceFeatures(
                score, score - second_score, capped if choice == best else 0.0,
                capped if choice != best else 0.0, choice is None,
                second != best and self.entries[best].topic == self.entries[second].topic,
                length >= LONG_CONFIDENT_WORDS)
            confident = features.odds() >= CALIBRATED_FROM
        alternatives = [
            (self.entries[number], round(s, 4))
            for number, s in ranked[1 : limit + 1]
            if s >= ALTERNATIVE_FROM
        ]
        return SearchResult(self.entries[best], confident, round(score, 4), alternatives,
                            lang=lang, features=features)

    def _ranked(self, parts: list[tuple[Words, float]], lang: str,
                limit: int) -> list[tuple[int, float]]:
        """The best entries for a question's words, each part with its weight, with their
        scores, best first."""
        runs = [
            (self._corrected(run), weight)
            for words, weight in parts
            for run in self._vocabulary.analyze(words, lang, self._spellings, self._words)
        ]
        length = sum(len(words) - words.count(MARK) for words, _ in parts)
        scores = self._scores(runs, lang, PHRASING_CAP if length >= CAPPED_FROM else math.inf)
        pool = heapq.nlargest(max(limit + 1, TOPIC_POOL), scores.items(),
                              key=lambda item: (item[1], -item[0]))
        # What is asked for is read in the clauses that ask.
        asked = [word for words, weight in parts if weight == 1.0 for word in words]
        return self._by_topic_clarity(self._by_question_type(pool, asked))

    def _by_question_type(self, pool: list[tuple[int, float]],
                          words: Words) -> list[tuple[int, float]]:
        """The best entries, those asking less for what the question asks for demoted, and
        those asking what something is when it asks something else (GENERIC_WEIGHT)."""
        wanted = _question_types(words)
        if "definition" not in wanted and len(words) - words.count(MARK) >= GENERIC_FROM_WORDS:
            pool = [(number, score * (1 - GENERIC_WEIGHT) if self._type_shares(number).get(
                "definition", 0.0) >= GENERIC_SHARE else score) for number, score in pool]
        if not wanted or not pool:
            return pool
        rescored = []
        best = {kind: max(self._type_shares(n).get(kind, 0.0) for n, _ in pool) for kind in wanted}
        for number, score in pool:
            shares = self._type_shares(number)
            for kind, top in best.items():
                if top:
                    score *= 1 - TYPE_WEIGHT * (1 - shares.get(kind, 0.0) / top)
            rescored.append((number, score))
        return rescored

    def _type_shares(self, number: int) -> dict[str, float]:
        """For each kind of question, the share of entry `number`'s phrasings asking it."""
        shares = self._types.get(number)
        if shares is None:
            entry = self.entries[number]
            phrasings = [entry.title.vi, entry.title.en, *entry.questions.vi, *entry.questions.en]
            counts: Counter[str] = Counter()
            for text in phrasings:
                counts.update(_question_types(words_of(text)))
            shares = self._types[number] = {
                kind: count / len(phrasings) for kind, count in counts.items()}
        return shares

    def _by_topic_clarity(self, pool: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """The best entries re-scored by how much of the best scores their topic gathers.

        A question about something the knowledge base covers pulls entries of one topic to
        the top; one about something else scatters over topics (a cheap "query clarity").
        """
        top = pool[:TOPIC_POOL]
        total = sum(score for _, score in top) or 1.0
        mass: dict[str, float] = defaultdict(float)
        for number, score in top:
            mass[self.entries[number].topic] += score / total
        rescored = [
            (number, score * (1 - TOPIC_SHARE + TOPIC_SHARE * mass[self.entries[number].topic]))
            for number, score in pool
        ]
        return sorted(rescored, key=lambda item: (-item[1], item[0]))

    def _scores(self, runs: list[tuple[list[tuple[Token, float]], float]], lang: str,
                cap: float) -> dict[int, float]:
        """The final score of every entry that shares a term with the question; each run of
        its words comes with its weight (see STORY_WEIGHT); cap: see PHRASING_CAP."""
        information: dict[str, float] = {}  # weight x idf of each known term of the question
        kept: dict[str, float] = {}  # share of it kept after a correction
        unknown = 0.0
        for run, weight in runs:
            for token, share in run:
                if token.folded not in self._entries_with:
                    if not token.folded.isdigit():  # the asker's own figure, not a topic
                        unknown += UNKNOWN_WEIGHT * self._rare_idf * weight
                    continue
                if not token.plain and token.exact not in self._spellings.get(token.folded, ()):
                    share *= ACCENT_MISMATCH  # hôn is not hơn, though hổ trợ may be hỗ trợ
                _keep(information, kept, token.folded,
                      self._information_of(token.folded) * weight, share)
                if not token.plain and EXACT + token.exact in self._entries_with:
                    _keep(information, kept, EXACT + token.exact,
                          self._information_of(EXACT + token.exact) * weight, share)
            for (left, left_share), (right, right_share) in itertools.pairwise(run):
                pair = f"{left.folded} {right.folded}"
                if pair in self._entries_with:
                    _keep(information, kept, pair, self._information_of(pair) * weight,
                          min(left_share, right_share))
        if not information:
            return {}
        gains = {term: value * kept[term] for term, value in information.items()}
        coverage = [0.0] * len(self.entries)
        slot = 0 if lang == "vi" else 1
        for term, gain in gains.items():
            weights = self._weights(term)[slot]
            for number, saturation in zip(self._entries_with[term], weights, strict=True):
                coverage[number] += gain * saturation
        # Sample questions are compared for the entries with the best coverage only: an entry
        # that shares a sample question's words holds them in its own fields too, so the
        # others do not reach the top (at 1,000 entries, 2,000 test questions got the very
        # same results as with every entry compared).
        candidates = heapq.nlargest(
            max(MIN_CANDIDATES, len(self.entries) // CANDIDATES_SHARE),
            (n for n, value in enumerate(coverage) if value), key=coverage.__getitem__
        )
        folded = {t: gain for t, gain in gains.items() if t[0] != EXACT}
        folded_total = unknown + sum(v for t, v in information.items() if t[0] != EXACT)
        # A term held once in both the title and a sample question counts as fully covered.
        full = FIELD_WEIGHTS["title"] + FIELD_WEIGHTS["questions"]
        coverage_share = 1 - PHRASING_SHARE
        per_coverage = coverage_share * (full + K1) / (full * (unknown + sum(information.values())))
        scores = {}
        for number in candidates:
            # The question's gain shared with each phrasing that holds any of its terms (a
            # phrasing holding none scores 0): a few look-ups per term instead of a pass
            # over every phrasing of the entry.
            shared: dict[int, float] = defaultdict(float)
            postings = self._phrasing_postings(number)
            for term in folded.keys() & postings.keys():  # set operations run in C
                gain = folded[term]
                for index in postings[term]:
                    shared[index] += gain
            similarity = 0.0
            phrasings = self._phrasings_of(number)
            for index, value in shared.items():
                phrasing = phrasings[index]
                asked = min(folded_total, cap * phrasing.weight)
                dice = 2 * value / (asked + phrasing.weight)
                if phrasing.lang != lang:
                    dice *= OTHER_LANGUAGE
                similarity = max(similarity, dice)
            scores[number] = PHRASING_SHARE * similarity + min(
                coverage_share, coverage[number] * per_coverage
            )
        return scores

    def _weights(self, term: str) -> tuple[list[float], list[float]]:
        """The saturated BM25F weight of `term` in each entry holding it, for a Vietnamese and
        for an English question: computed on first use, as most terms are never asked about."""
        weights = self._saturations.get(term)
        if weights is None:
            in_vi, in_en = [], []
            for number in self._entries_with[term]:
                vi, en = self._counts[number]
                in_vi.append(sum([counts.get(term, 0) * norm for counts, norm in vi]))
                in_en.append(sum([counts.get(term, 0) * norm for counts, norm in en]))
            for_vi = [vi + OTHER_LANGUAGE * en for vi, en in zip(in_vi, in_en, strict=True)]
            for_en = [en + OTHER_LANGUAGE * vi for vi, en in zip(in_vi, in_en, strict=True)]
            weights = self._saturations[term] = (
                [f / (f + K1) for f in for_vi], [f / (f + K1) for f in for_en])
        return weights

    def _corrected(self, run: list[Token]) -> list[tuple[Token, float]]:
        """The run with unknown words split or corrected, each with the share of weight kept."""
        result: list[tuple[Token, float]] = []
        telex = self._telex_words(run)
        for i, token in enumerate(run):
            word = token.folded
            # Accented words come from a keyboard method, which makes few spelling slips.
            if word in self._entries_with or not token.plain or word.isdigit() or len(word) < 3:
                result.append((token, 1.0))
                continue
            if i in telex:
                result.append((Token(telex[i], telex[i]), CORRECTED_WEIGHT))
                continue
            single = _undoubled(word)  # "khuyeen", "coong": a key held down
            if single != word and single in self._entries_with:
                result.append((Token(single, single), CORRECTED_WEIGHT))
                continue
            split = self._split(word)
            if split:
                result.extend((Token(part, part), CORRECTED_WEIGHT) for part in split)
                continue
            neighbours = [t.folded for t in run[max(0, i - 1) : i] + run[i + 1 : i + 2]]
            fixed = self._fix(word, neighbours)
            result.append((Token(fixed, fixed), CORRECTED_WEIGHT) if fixed else (token, 1.0))
        return result

    def _telex_words(self, run: list[Token]) -> dict[int, str]:
        """Words typed in Telex with the input method off ("hoox trowj may mocs"), by position:
        the known syllable each stands for, when it goes with a neighbouring word (decoded
        too) as the content writes them."""
        decoded = [_telex(t.folded) if t.plain and t.folded not in self._entries_with else None
                   for t in run]
        plain = [d or t.folded for d, t in zip(decoded, run, strict=True)]
        return {
            i: word for i, word in enumerate(decoded)
            if word is not None and word in self._entries_with and any(
                f"{plain[j]} {word}" in self._entries_with if j < i
                else f"{word} {plain[j]}" in self._entries_with
                for j in (i - 1, i + 1) if 0 <= j < len(run))
        }

    def _split(self, word: str) -> tuple[str, str] | None:
        """Two words that make up `word` and are known to go together ("hotro")."""
        for cut in range(2, len(word) - 1):
            left, right = word[:cut], word[cut:]
            if f"{left} {right}" in self._entries_with:
                return left, right
        return None

    def _fix(self, word: str, neighbours: list[str]) -> str | None:
        """The known word one edit away from `word` that goes with a neighbouring word."""
        candidates = set(self._one_letter_less.get(word, ()))
        for variant in _deletions(word):
            if variant in self._words:
                candidates.add(variant)
            candidates |= self._one_letter_less.get(variant, set())
        candidates = {c for c in candidates if len(c) >= 3}  # two letters are too easily hit
        confirmed = [
            c for c in candidates
            if any(f"{n} {c}" in self._entries_with or f"{c} {n}" in self._entries_with
                   for n in neighbours)
        ]
        return max(confirmed, key=lambda c: (len(self._entries_with[c]), c), default=None)


@contextlib.contextmanager
def _garbage_collection_paused() -> Iterator[None]:
    # For the whole process: while a rebuild runs in a worker thread, the event loop's cyclic
    # garbage waits for it too (rebuilds run one at a time, so the pauses never nest).
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# The terms of each field's texts at the last build with a vocabulary (by key: language,
# phrasing or not, its texts): a rebuild after an edit or a staff answer analyses only what
# changed.
_last_build: weakref.WeakKeyDictionary[Vocabulary, dict[tuple, FieldTerms]] = (
    weakref.WeakKeyDictionary())


def _fields(entry: Entry) -> Iterator[tuple[str, str, Sequence[str]]]:
    """Language, field name and texts of each searchable field of an entry."""
    for lang in LANGUAGES:
        yield lang, "title", [entry.title.get(lang)]
        yield lang, "questions", entry.questions.get(lang)
        yield lang, "asked", entry.asked.get(lang)
        yield lang, "text", [entry.text.get(lang)]


def _spellings(accented: Words, vocabulary: Vocabulary) -> dict[str, frozenset[str]]:
    """The words and synonym phrases texts written with diacritics spell with each plain
    spelling ("co": có, cơ; "cong nhan": công nhân, công nhận)."""
    spellings: dict[str, set[str]] = defaultdict(set)
    for word in set(accented) - {MARK}:
        spellings[folded_word[word]].add(word)
    for folded, exact in vocabulary.phrases(accented):
        spellings[folded].add(exact)
    return {folded: frozenset(exact) for folded, exact in spellings.items()}


_TYPE_PHRASES = {tuple(phrase.split()): kind
                 for kind, phrases in QUESTION_TYPES.items() for phrase in phrases}
_TYPE_LONGEST = max(map(len, _TYPE_PHRASES))


def _question_types(words: Words) -> set[str]:
    """The kinds of answer a question's words ask for (see QUESTION_TYPES)."""
    folded = [folded_word[word] for word in words]
    found = set()
    for size in range(1, _TYPE_LONGEST + 1):
        for start in range(len(folded) - size + 1):
            kind = _TYPE_PHRASES.get(tuple(folded[start : start + size]))
            if kind:
                found.add(kind)
    return found


def _keep(information: dict[str, float], kept: dict[str, float], term: str, value: float,
          share: float) -> None:
    """Count a term of the question at its highest weight (asked rather than told)."""
    if value >= information.get(term, 0.0):
        information[term], kept[term] = value, share


def _weighted_parts(text: str, words: Words) -> list[tuple[Words, float]]:
    """The question's words in parts with their weights: the clauses that ask at full weight
    and the others at STORY_WEIGHT, when it has both; else all its words at full weight."""
    parts = question_parts(text)
    asking = [clause for clause, asks in parts if asks]
    if not asking or len(asking) == len(parts) or len(words) < LONG_MESSAGE:
        return [(words, 1.0)]
    telling = [clause for clause, asks in parts if not asks]
    return [(_joined(asking), 1.0), (_joined(telling), STORY_WEIGHT)]


def _joined(clauses: list[Words]) -> Words:
    return [word for clause in clauses for word in (*clause, MARK)]


def _best_score(ranked: list[tuple[int, float]]) -> float:
    return ranked[0][1] if ranked else 0.0


def _term_weight(term: str) -> float:
    if term[0] == EXACT:
        return EXACT_WEIGHT
    if " " in term:
        return PAIR_WEIGHT
    if term.isdigit():
        return 1.0 if _YEAR.fullmatch(term) else NUMBER_WEIGHT
    return 1.0


# A year names the results, plans and rules of that year ("năm 2019 kc hp làm bn đề án"), so it
# counts as a word, not as the asker's own figure. Left out: +2 right; never learnt: +2 right,
# -1 wrong, top-1 +3 (at 1.5: the same but one more right answer on each).
_YEAR = re.compile(r"(19|20)\d\d")


# A word typed with no diacritics, maybe in Telex with the input method off (see
# analysis.telex_spellings).
_ASCII_WORD = re.compile(r"\b[A-Za-z]{2,}\b")


def _telex(word: str) -> str | None:
    """The folded syllable `word` stands for if typed in Telex ("trowj" → "tro"), or None."""
    spellings = telex_spellings(word) if len(word) >= 3 else []
    return folded_word[spellings[0]] if spellings else None


def _undoubled(word: str) -> str:
    """The word with each letter typed twice or more in a row typed once."""
    return "".join(letter for letter, _ in itertools.groupby(word))


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}

