"""Ranking free-text questions against knowledge-base entries.

Each entry gets a score in [0, 1] that mixes two views of the same terms:

- coverage: a BM25F score over the entry's title, sample questions and text (both languages,
  the other language weighted down), divided by the score of an entry holding every term of
  the question in its title and a sample question;
- phrasing similarity: the best idf-weighted Dice overlap between the question and a single
  title or sample question, which rewards paraphrases of a whole phrasing and keeps a vague
  one-word question from looking like a perfect match.

Terms are folded syllables (no diacritics); in titles and sample questions also folded
syllable pairs (compound words such as "hội chợ") and accented syllables, which give a
question typed with diacritics a small bonus for the right accents. Words of the question that
the content never uses count against the score, which is what turns away out-of-scope
questions; before that, a plain unknown word is split ("hotro") or corrected by one edit
("khuyen cng") when the result is known and goes with a neighbouring word.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from handlers.kb.analysis import Clauses, Spellings, Token, Vocabulary, clauses
from handlers.kb.model import LANGUAGES, Entry

# Ranking parameters, tuned on tests/data/qa_eval.yaml with benchmarks/qa_eval.py --misses.
FIELD_WEIGHTS = {"title": 1.0, "questions": 1.0, "text": 0.5}
OTHER_LANGUAGE = 0.6  # weight of the other language's fields and phrasings
K1 = 1.0  # BM25 term-frequency saturation
B = 0.5  # BM25 length normalisation
EXACT_WEIGHT = 0.3  # an accented syllable typed as in the content, relative to its folded form
PAIR_WEIGHT = 0.5  # a pair of adjacent syllables, relative to a single one
NUMBER_WEIGHT = 0.5  # numbers are often the asker's own figures, not names of things
UNKNOWN_WEIGHT = 1.0  # a word absent from the content, relative to a word of one entry
UNKNOWN_PAIR_WEIGHT = 0.0  # two known words side by side that the content never puts together
CORRECTED_WEIGHT = 0.8  # a word reached by a split or a one-letter correction
PHRASING_SHARE = 0.5  # share of the phrasing similarity in the final score
FUZZY_ALONE_LENGTH = 6  # correct a word without a neighbour to confirm it from this length
# Terms held by more than this share of the entries (hỗ trợ, khuyến công) only add to the
# scores of entries found through rarer terms of the question: same ranking, far less work.
COMMON_SHARE = 0.2

# Decision thresholds on the final score, chosen on the evaluation set: below REFUSE_BELOW
# are nearly all out-of-scope questions and few in-scope ones; from CONFIDENT_FROM with a lead
# of CONFIDENT_MARGIN over the runner-up, nearly all answers are right.
REFUSE_BELOW = 0.3
CONFIDENT_FROM = 0.5
CONFIDENT_MARGIN = 0.1
ALTERNATIVE_FROM = 0.2  # runners-up offered as "did you mean" choices

@dataclass(frozen=True)
class SearchResult:
    answer: Entry | None  # None when nothing in the knowledge base fits
    confident: bool  # False: plausible but weak, ask "did you mean" with the alternatives
    score: float  # of the best entry, in [0, 1]
    alternatives: list[tuple[Entry, float]]  # the next best entries with their scores


class _Phrasing:
    """A title or sample question of an entry, with its folded terms."""

    __slots__ = ("entry", "lang", "terms", "weight")

    def __init__(self, entry: int, lang: str, terms: frozenset[str], weight: float) -> None:
        self.entry, self.lang, self.terms, self.weight = entry, lang, terms, weight


class SearchIndex:
    """An immutable index of entries; build a new one when the entries change."""

    def __init__(self, entries: Sequence[Entry], vocabulary: Vocabulary) -> None:
        self.entries = tuple(entries)
        self._vocabulary = vocabulary
        tokenized = [
            [(lang, field, [clauses(text) for text in texts]) for lang, field, texts in _fields(e)]
            for e in self.entries
        ]
        self._spellings = _spellings(tokenized)
        # Per entry, the term counts and length of each (field, language).
        fields: list[list[tuple[str, str, Counter[str], int]]] = []
        phrasing_terms: list[tuple[int, str, set[str]]] = []
        for number, entry_fields in enumerate(tokenized):
            counted = []
            for lang, field, texts in entry_fields:
                counter: Counter[str] = Counter()
                length = 0
                for text in texts:
                    runs = vocabulary.analyze(text, lang, self._typed_spellings(text, lang))
                    length += sum(len(run) for run in runs)
                    if field == "text":
                        counter.update(token.folded for run in runs for token in run)
                        continue
                    terms = _terms(runs)
                    counter.update(terms)
                    if terms:
                        phrasing_terms.append((number, lang, {t for t in terms if t[0] != "="}))
                if length:
                    counted.append((lang, field, counter, length))
            fields.append(counted)

        document_frequency: Counter[str] = Counter()
        for counted in fields:
            document_frequency.update(set().union(*(counter for _, _, counter, _ in counted)))
        count = len(self.entries)
        self._document_frequency = document_frequency
        self._idf = {
            term: math.log(1 + (count - df + 0.5) / (df + 0.5))
            for term, df in document_frequency.items()
        }
        self._unknown_idf = UNKNOWN_WEIGHT * math.log(1 + (count - 0.5) / 1.5)
        self._common = COMMON_SHARE * count
        # Per entry, each term's saturated weight for a Vietnamese and for an English question.
        self._entry_terms = _saturations(fields)
        self._entries_with: dict[str, list[tuple[int, tuple[float, float]]]] = defaultdict(list)
        for number, held in enumerate(self._entry_terms):
            for term, saturation in held.items():
                self._entries_with[term].append((number, saturation))
        self._phrasings = [
            _Phrasing(entry, lang, frozenset(terms),
                      sum(_term_weight(t) * self._idf[t] for t in terms))
            for entry, lang, terms in phrasing_terms
        ]
        self._phrasings_with: dict[str, list[int]] = defaultdict(list)
        for number, phrasing in enumerate(self._phrasings):
            for term in phrasing.terms:
                self._phrasings_with[term].append(number)
        self._words = {t for t in self._idf if " " not in t and t[0] != "="}
        self._one_letter_less: dict[str, set[str]] = defaultdict(set)
        for word in self._words:
            for variant in _deletions(word):
                self._one_letter_less[variant].add(word)

    def search(self, text: str, lang: str = "vi", limit: int = 3) -> SearchResult:
        """The entry that best answers `text`, how sure that is, and up to `limit` runners-up."""
        lang = self._vocabulary.language_of(text, "en" if lang.startswith("en") else "vi")
        spellings = self._spellings if lang == "vi" else None
        analysed = self._vocabulary.analyze(text, lang, spellings)
        scores = self._scores([self._corrected(run) for run in analysed], lang)
        ranked = heapq.nlargest(limit + 1, scores.items(), key=lambda item: (item[1], -item[0]))
        if not ranked or ranked[0][1] < REFUSE_BELOW:
            return SearchResult(None, False, round(ranked[0][1], 4) if ranked else 0.0, [])
        best, score = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        alternatives = [
            (self.entries[number], round(s, 4))
            for number, s in ranked[1 : limit + 1]
            if s >= ALTERNATIVE_FROM
        ]
        confident = score >= CONFIDENT_FROM and score - runner_up >= CONFIDENT_MARGIN
        return SearchResult(self.entries[best], confident, round(score, 4), alternatives)

    def _typed_spellings(self, text: Clauses, lang: str) -> Spellings | None:
        """The spellings to read content with: those of the content for Vietnamese typed
        without diacritics (sample questions typed the way users type), else None."""
        if lang == "vi" and all(token.plain for clause in text for token in clause):
            return self._spellings
        return None

    def _scores(self, runs: list[list[tuple[Token, float]]], lang: str) -> dict[int, float]:
        """The final score of every entry that shares a term with the question."""
        information: dict[str, float] = {}  # weight x idf of each known term of the question
        kept: dict[str, float] = {}  # share of it kept after a correction
        unknown = 0.0
        for run in runs:
            for token, share in run:
                if token.folded not in self._idf:
                    if not token.folded.isdigit():  # the asker's own figure, not a topic
                        unknown += self._unknown_idf
                    continue
                information[token.folded] = _term_weight(token.folded) * self._idf[token.folded]
                kept[token.folded] = share
                if not token.plain and "=" + token.exact in self._idf:
                    information["=" + token.exact] = EXACT_WEIGHT * self._idf["=" + token.exact]
                    kept["=" + token.exact] = share
            for (left, left_share), (right, right_share) in itertools.pairwise(run):
                pair = f"{left.folded} {right.folded}"
                if pair in self._idf:
                    information[pair] = PAIR_WEIGHT * self._idf[pair]
                    kept[pair] = min(left_share, right_share)
                elif left.folded in self._idf and right.folded in self._idf:
                    unknown += UNKNOWN_PAIR_WEIGHT * PAIR_WEIGHT * self._unknown_idf
        if not information:
            return {}
        gains = {term: value * kept[term] for term, value in information.items()}
        selective = [t for t in gains if self._document_frequency[t] <= self._common] or [*gains]
        common = [t for t in gains if t not in selective]
        slot = LANGUAGES.index(lang)

        coverage: dict[int, float] = defaultdict(float)
        for term in selective:
            gain = gains[term]
            for number, saturation in self._entries_with[term]:
                coverage[number] += gain * saturation[slot]
        for number in coverage if common else ():
            held = self._entry_terms[number]
            coverage[number] += sum(gains[t] * held[t][slot] for t in common if t in held)

        overlap: dict[int, float] = defaultdict(float)
        for term in selective:
            gain = gains[term]
            for number in self._phrasings_with.get(term, ()):  # holds no accented terms
                overlap[number] += gain
        common_folded = [t for t in common if t[0] != "="]
        for number in overlap if common_folded else ():
            terms = self._phrasings[number].terms
            overlap[number] += sum(gains[t] for t in common_folded if t in terms)

        folded_total = unknown + sum(v for t, v in information.items() if t[0] != "=")
        similarity: dict[int, float] = {}
        for number, shared in overlap.items():
            phrasing = self._phrasings[number]
            dice = 2 * shared / (folded_total + phrasing.weight)
            if phrasing.lang != lang:
                dice *= OTHER_LANGUAGE
            if dice > similarity.get(phrasing.entry, 0.0):
                similarity[phrasing.entry] = dice

        # A term held once in both the title and a sample question counts as fully covered.
        full = FIELD_WEIGHTS["title"] + FIELD_WEIGHTS["questions"]
        coverage_share = 1 - PHRASING_SHARE
        per_coverage = coverage_share * (full + K1) / (full * (unknown + sum(information.values())))
        return {
            number: PHRASING_SHARE * similarity.get(number, 0.0)
            + min(coverage_share, value * per_coverage)
            for number, value in coverage.items()
        }

    def _corrected(self, run: list[Token]) -> list[tuple[Token, float]]:
        """The run with unknown words split or corrected, each with the share of weight kept."""
        result: list[tuple[Token, float]] = []
        for i, token in enumerate(run):
            word = token.folded
            # Accented words come from a keyboard method, which makes few spelling slips.
            if word in self._idf or not token.plain or word.isdigit() or len(word) < 3:
                result.append((token, 1.0))
                continue
            split = self._split(word)
            if split:
                result.extend((Token(part, part), CORRECTED_WEIGHT) for part in split)
                continue
            neighbours = [t.folded for t in run[max(0, i - 1) : i] + run[i + 1 : i + 2]]
            fixed = self._fix(word, neighbours)
            result.append((Token(fixed, fixed), CORRECTED_WEIGHT) if fixed else (token, 1.0))
        return result

    def _split(self, word: str) -> tuple[str, str] | None:
        """Two words that make up `word` and are known to go together ("hotro")."""
        for cut in range(2, len(word) - 1):
            left, right = word[:cut], word[cut:]
            if f"{left} {right}" in self._idf:
                return left, right
        return None

    def _fix(self, word: str, neighbours: list[str]) -> str | None:
        """The known word one edit away from `word`, confirmed by a neighbour or its length."""
        candidates = set(self._one_letter_less.get(word, ()))
        for variant in _deletions(word):
            if variant in self._words:
                candidates.add(variant)
            candidates |= self._one_letter_less.get(variant, set())
        candidates = {c for c in candidates if len(c) >= 3}  # two letters are too easily hit
        confirmed = [
            c for c in candidates
            if any(f"{n} {c}" in self._idf or f"{c} {n}" in self._idf for n in neighbours)
        ]
        if not confirmed and len(word) >= FUZZY_ALONE_LENGTH:
            confirmed = list(candidates)
        return max(confirmed, key=lambda c: (self._document_frequency[c], c), default=None)


def _fields(entry: Entry) -> Iterator[tuple[str, str, Sequence[str]]]:
    """Language, field name and texts of each searchable field of an entry."""
    for lang in LANGUAGES:
        yield lang, "title", [entry.title.get(lang)]
        yield lang, "questions", entry.questions.get(lang)
        yield lang, "text", [entry.text.get(lang)]


def _spellings(tokenized: list[list[tuple[str, str, list[Clauses]]]]) -> dict[str, frozenset[str]]:
    """The words the content writes with each plain spelling ("co": có, cơ).

    Texts written without any diacritics (sample questions typed the way users type) say
    nothing about which words exist, so they are left out.
    """
    spellings: dict[str, set[str]] = defaultdict(set)
    for entry_fields in tokenized:
        for _, _, texts in entry_fields:
            for text in texts:
                found = [token for clause in text for token in clause]
                if not all(token.plain for token in found):
                    for token in found:
                        spellings[token.folded].add(token.exact)
    return {folded: frozenset(exact) for folded, exact in spellings.items()}


def _saturations(
    fields: list[list[tuple[str, str, Counter[str], int]]],
) -> list[dict[str, tuple[float, float]]]:
    """Per entry, each term's saturated BM25F weight for a Vietnamese and an English question."""
    lengths: dict[tuple[str, str], list[int]] = defaultdict(list)
    for counted in fields:
        for lang, field, _, length in counted:
            lengths[field, lang].append(length)
    average = {key: sum(values) / len(values) for key, values in lengths.items()}
    result = []
    for counted in fields:
        by_language: dict[str, dict[str, float]] = {lang: {} for lang in LANGUAGES}
        for lang, field, counter, length in counted:
            norm = FIELD_WEIGHTS[field] / (1 - B + B * length / average[field, lang])
            frequencies = by_language[lang]
            for term, frequency in counter.items():
                frequencies[term] = frequencies.get(term, 0.0) + frequency * norm
        vi, en = by_language["vi"], by_language["en"]
        held = {}
        for term in vi.keys() | en.keys():
            in_vi, in_en = vi.get(term, 0.0), en.get(term, 0.0)
            for_vi, for_en = in_vi + OTHER_LANGUAGE * in_en, in_en + OTHER_LANGUAGE * in_vi
            held[term] = (for_vi / (for_vi + K1), for_en / (for_en + K1))
        result.append(held)
    return result


def _terms(runs: list[list[Token]]) -> list[str]:
    """Terms of a title or sample question: folded words, accented words ("=hội"), pairs."""
    terms = []
    for run in runs:
        previous = None
        for exact, folded in run:
            terms.append(folded)
            if exact != folded:
                terms.append("=" + exact)
            if previous:
                terms.append(f"{previous} {folded}")
            previous = folded
    return terms


def _term_weight(term: str) -> float:
    if term[0] == "=":
        return EXACT_WEIGHT
    if " " in term:
        return PAIR_WEIGHT
    return NUMBER_WEIGHT if term.isdigit() else 1.0


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}

