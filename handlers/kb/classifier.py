"""A second opinion on the ranking: which entry's phrasings a question's words most likely come
from, or none of them.

A multinomial naive Bayes model over the folded words and word pairs of every entry's title,
sample questions, asked and heard questions, with one more class made of questions people
asked that the centre does not handle (outside.yaml). The ranking (index.py) weighs how much
of the question an entry covers; this model weighs which words tell entries apart, so the two
are wrong in different ways: an answer both agree on is right far more often than either
alone (see AGREEMENT_NEEDED_BELOW in index.py).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from handlers.kb.analysis import MARK, Words, folded_word, text_words

# Additive smoothing of the word counts. Leaving one evaluation set out at a time (758
# questions), 0.05 and 0.02 agreed with the right answers most often; 0.1 less often.
SMOOTHING = 0.05
# Of the small-talk odds: 0.5, as measured (docs/benchmarks.md).
SMALL_TALK_SMOOTHING = 0.5

_TOKEN = re.compile(r"\w\w+")  # one-letter words ("a", "ạ" folded) tell nothing apart


def terms_of(words: Words) -> list[str]:
    """The folded words of two letters or more, and each pair of neighbours among them."""
    tokens = _TOKEN.findall(" ".join(folded_word[word] for word in words if word != MARK))
    return tokens + [f"{left} {right}" for left, right in itertools.pairwise(tokens)]


class QuestionClassifier:
    """Built from each entry's phrasings (by entry number), the questions outside the centre's
    remit, and the questions people asked that only it learns (heard, by entry number);
    immutable."""

    def __init__(self, phrasings: Sequence[Iterable[str]], outside: Iterable[str],
                 small_talk: Iterable[str] = (), heard: Sequence[Iterable[str]] = ()) -> None:
        global _last_counts
        classes = [tuple(texts) for texts in (*phrasings, outside)]  # the last: outside
        heard_classes = [tuple(texts) for texts in heard]
        small_talk = tuple(small_talk)
        counted = {texts: _last_counts.get(texts) or _counts_of(texts)
                   for texts in (*classes, *heard_classes, small_talk)}
        # An entry's phrasings and heard questions together.
        joined = {(texts, extra): _last_counts.get((texts, extra))
                  or counted[texts] + counted[extra]
                  for texts, extra in zip(classes, heard_classes, strict=False) if extra}
        # A rebuild after an edit or a staff answer counts only the classes that changed.
        _last_counts = counted | joined
        # English questions and small talk are weighed against the phrasings alone: the heard
        # questions, nearly all Vietnamese, made English answers agree less often (8 fewer of
        # 342 given outright), and their chatter ("tell me", "nói") made small talk look like
        # questions.
        self._phrasings = _NaiveBayes([counted[texts] for texts in classes])
        self._with_heard = _NaiveBayes([
            joined.get((texts, extra), counted[texts])
            for texts, extra in itertools.zip_longest(classes, heard_classes, fillvalue=())
        ], self._phrasings.vocabulary.union(*(counted[extra] for extra in heard_classes))
        ) if joined else self._phrasings
        # Small talk (scope.yaml's phrases) against every question above, for messages the
        # ranking cannot answer: "dạ vâng e nắm đc rồi ạ" is small talk in words no list holds.
        self._small_talk = counted[small_talk]
        # How often each word comes in any question: summed on first use.
        self._in_questions: dict[str, int] = {}
        vocabulary = self._phrasings.vocabulary
        size = len(vocabulary) + len(self._small_talk.keys() - vocabulary)
        self._small_talk_base = math.log(
            (sum(counts.total() for counts in self._phrasings.counts)
             + SMALL_TALK_SMOOTHING * size)
            / (self._small_talk.total() + SMALL_TALK_SMOOTHING * size))

    def choice(self, words: Words, lang: str = "vi") -> tuple[int | None, float]:
        """The entry number whose phrasings the question's words most likely come from (None
        when that is the questions outside the centre's remit, or no word is known), and how
        much likelier it is than the next class: the difference of their log-likelihoods (0
        when no word is known). An English question is not weighed against heard questions."""
        return (self._phrasings if lang == "en" else self._with_heard).choice(words)

    def small_talk_odds(self, words: Words) -> float:
        """How much likelier the message's words come from small talk than from a question,
        per known word (log-odds; 0 when no word is known)."""
        known = [term for term in terms_of(words)
                 if term in self._small_talk or term in self._phrasings.vocabulary]
        if not known:
            return 0.0
        return self._small_talk_base + sum(
            math.log((self._small_talk[term] + SMALL_TALK_SMOOTHING)
                     / (self._in_questions_of(term) + SMALL_TALK_SMOOTHING)) for term in known
        ) / len(known)

    def _in_questions_of(self, term: str) -> int:
        count = self._in_questions.get(term)
        if count is None:
            numbers, _gains = (self._phrasings.postings_of(term)
                               if term in self._phrasings.vocabulary else ((), ()))
            count = self._in_questions[term] = sum(
                self._phrasings.counts[n][term] for n in numbers)
        return count


class _NaiveBayes:
    """A multinomial naive Bayes model over the word counts of each class (the last: outside)."""

    def __init__(self, counts: list[Counter[str]], vocabulary: set[str] | None = None) -> None:
        self.counts = counts
        self.vocabulary = set().union(*counts) if vocabulary is None else vocabulary
        # What each class scores for a word never seen in it; a word seen in it adds its gain.
        self._base = np.array([-math.log(c.total() + SMOOTHING * len(self.vocabulary))
                               for c in counts])
        # For each word asked about, the classes holding it and its gain in each: made on
        # first use, as most words are never asked about.
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def choice(self, words: Words) -> tuple[int | None, float]:
        known = [term for term in terms_of(words) if term in self.vocabulary]
        if not known:
            return None, 0.0
        scores = self._base * len(known)
        for term in known:
            numbers, gains = self.postings_of(term)
            scores[numbers] += gains
        second, best = np.argpartition(scores, -2)[-2:] if len(scores) > 1 else (0, 0)
        lead = float(scores[best] - scores[second])
        best = int(best)
        return (None if best == len(self.counts) - 1 else best), lead

    def postings_of(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        postings = self._postings.get(term)
        if postings is None:
            numbers = [n for n, counts in enumerate(self.counts) if term in counts]
            gains = [math.log((self.counts[n][term] + SMOOTHING) / SMOOTHING) for n in numbers]
            postings = self._postings[term] = (np.array(numbers), np.array(gains))
        return postings


def _counts_of(texts: tuple[str, ...]) -> Counter[str]:
    return Counter(itertools.chain.from_iterable(terms_of(text_words[text]) for text in texts))


# The classes of the last build, by their texts, with their counts.
_last_counts: dict[tuple, Counter[str]] = {}
