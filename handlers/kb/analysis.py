"""Turning questions and content into search tokens: synonyms, abbreviations, stop words."""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter
from collections.abc import Collection, Container, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import yaml

from handlers.text import fold, strip_invisible, words

VOCABULARY_FILE = Path(__file__).with_name("synonyms.yaml")

# For each plain spelling, the words the content writes that way ("co": có, cơ).
Spellings = Mapping[str, frozenset[str]]

# The words of handlers.text.words, and what ends a clause (line breaks, punctuation): word
# pairs are only formed inside a clause.
_PIECE = re.compile(r"([^\W_]+)|[\n.,;:!?()\[\]{}\"“”…]|\s[-–—]\s")


class Token(NamedTuple):
    exact: str  # lower case, as typed
    folded: str  # without diacritics

    @property
    def plain(self) -> bool:
        """Written without diacritics, so it may stand for an accented word."""
        return self.exact == self.folded


Clauses = list[list[Token]]


@functools.lru_cache(maxsize=100_000)
def token(word: str) -> Token:
    """The token of a lower-case word (cached: the same words come back all the time)."""
    return Token(word, fold(word))


def clauses(text: str) -> Clauses:
    """The words of each clause of `text` as tokens; line ends and punctuation end clauses."""
    result: Clauses = []
    clause: list[Token] = []
    for word in _PIECE.findall(strip_invisible(text).lower()):
        if word:
            clause.append(token(word))
        elif clause:
            result.append(clause)
            clause = []
    if clause:
        result.append(clause)
    return result


@functools.lru_cache(maxsize=100_000)
def stem(word: Token) -> Token:
    """A light English stemmer, so that "steps", "stepped" and "step" meet: plural and -ed,
    -ing endings and a final e go; Vietnamese syllables are left alone."""
    text = word.exact
    if not word.plain or len(text) < 4 or not text.isalpha():
        return word
    if text.endswith(("ies", "ied")):
        text = text[:-3] + "y"
    elif text.endswith("s") and not text.endswith(("ss", "us", "is")):
        text = text[:-1]
    elif text.endswith("ing") and len(text) >= 6:
        text = text[:-3]
    elif text.endswith("ed") and len(text) >= 5:
        text = text[:-2]
    if text.endswith("e") and len(text) >= 4:
        text = text[:-1]
    return Token(text, text)


class _Form(NamedTuple):
    folded: list[str]
    exact: str  # words joined by spaces
    concept: Token  # the single token that stands for its group
    stop_in: frozenset[str]  # languages in which it means a stop word ("ko": không)


class Vocabulary:
    """Synonym groups and stop words (see synonyms.yaml)."""

    def __init__(
        self,
        groups: Iterable[Sequence[str]],
        stop_words: Mapping[str, Iterable[str]],
        final_particles: Mapping[str, Iterable[str]],
    ) -> None:
        self.stop_words = {lang: frozenset(words(" ".join(ws))) for lang, ws in stop_words.items()}
        self._stop_words_by_spelling: dict[str, dict[str, frozenset[str]]] = {
            lang: {
                spelling: frozenset(w for w in ws if token(w).folded == spelling)
                for spelling in {token(w).folded for w in ws}
            }
            for lang, ws in self.stop_words.items()
        }
        self._final_particles = {
            lang: frozenset(token(word).folded for word in words(" ".join(ws)))
            for lang, ws in final_particles.items()
        }
        self._forms: dict[str, list[_Form]] = {}  # by first folded word, longest first
        for group in groups:
            canonical = [token(word) for word in words(group[0])]
            concept = "_".join(word.folded for word in canonical)
            stop_in = frozenset(lang for lang, ws in self.stop_words.items()
                                if all(word.exact in ws for word in canonical))
            for form in group:
                exact = words(form)
                folded = [token(word).folded for word in exact]
                self._forms.setdefault(folded[0], []).append(
                    _Form(folded, " ".join(exact), Token(concept, concept), stop_in)
                )
        for forms in self._forms.values():
            forms.sort(key=lambda form: -len(form.folded))
        self._phrase_starts = {first for first, forms in self._forms.items()
                               if any(len(form.folded) > 1 for form in forms)}

    def language_of(self, text: str, lang: str) -> str:
        """The language a question is written in: `lang` unless its stop words say otherwise."""
        found = [token(word) for word in words(text)]
        vi = sum(t.folded in self._stop_words_by_spelling.get("vi", ()) for t in found)
        en = sum(t.exact in self.stop_words.get("en", ()) for t in found)
        if lang != "en" and en > vi and all(t.plain for t in found):
            return "en"
        if lang == "en" and (vi > en or not all(t.plain for t in found)):
            return "vi"
        return lang

    @classmethod
    def from_file(cls, path: Path = VOCABULARY_FILE) -> Vocabulary:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        lists = [*data["synonyms"], *data["stop_words"].values(), *data["final_particles"].values()]
        for value in (value for values in lists for value in values):
            if not isinstance(value, str):  # YAML reads yes, no, on, off as true or false
                raise ValueError(f"{path.name}: {value!r} is not text; put it in quotes")
        return cls(data["synonyms"], data["stop_words"], data["final_particles"])

    def analyze(
        self,
        text: str | Clauses,
        lang: str,
        spellings: Spellings | None,
        known: Container[str] | None = None,
    ) -> list[list[Token]]:
        """The content tokens of `text`, in runs of adjacent words of a clause.

        Every form of a synonym group adds the group's concept ("cong_nghiep_nong_thon" for
        "CNNT") as a run of its own and keeps its own words when they are `known` (None:
        always); a synonym of a stop word ("ko") stands for that stop word. Stop words are
        dropped.

        Give `spellings` for text typed by people, who often leave out diacritics: a word
        typed without them then stands for an accented synonym or stop word only when the
        content spells no other word that way ("co" is not the stop word có while the content
        also has cơ), and at the end of a clause plain spellings of final particles are taken
        for them ("la gi vay": vậy, not vay). Give None for text written with diacritics,
        where words are what they are.
        """
        stop_words = self._stop_words_by_spelling.get(lang, {})
        # English words are what they are: "the" is not thẻ.
        stop_spellings = spellings if lang == "vi" else None
        particles = self._final_particles.get(lang, ()) if stop_spellings is not None else ()
        forms = self._forms
        english = lang == "en"
        runs: list[list[Token]] = []
        for clause in clauses(text) if isinstance(text, str) else text:
            folded = [word.folded for word in clause]
            words: Sequence[Token | None] = clause
            if not forms.keys().isdisjoint(folded):
                words = kept = []  # None: a word left out, which breaks a run
                i = 0
                while i < len(clause):
                    form = None
                    if folded[i] in forms:
                        form = self._form_at(clause, folded, i, spellings)
                    if form is None:
                        kept.append(clause[i])
                        i += 1
                        continue
                    length = len(form.folded)
                    if lang in form.stop_in:
                        kept.append(None)
                    else:
                        runs.append([form.concept])
                        kept.extend(w if known is None or _knows(known, w) else None
                                    for w in clause[i : i + length])
                    i += length
            end = len(words)
            while end and (word := words[end - 1]) and word.plain and word.folded in particles:
                end -= 1
            run: list[Token] = []
            for word in words[:end]:
                if word is None or (
                    (same := stop_words.get(word.folded)) and _is_one_of(word, same, stop_spellings)
                ):
                    if run:
                        runs.append(run)
                        run = []
                else:
                    run.append(stem(word) if english else word)
            if run:
                runs.append(run)
        return runs

    def word_counts(self, text: Clauses, lang: str) -> Counter[str]:
        """The folded words that analyze(text, lang, None) yields, counted: the same result,
        quicker, for long texts written with diacritics where the order of words is not used."""
        stop_words = self.stop_words.get(lang, frozenset())
        english = lang == "en"
        counts: Counter[str] = Counter()
        for word, number in Counter(itertools.chain.from_iterable(text)).items():
            if word.exact not in stop_words:
                counts[stem(word).folded if english else word.folded] += number
        for clause in text:
            folded = [word.folded for word in clause]
            end_of_form = 0
            for i in [i for i, first in enumerate(folded) if first in self._forms]:
                form = self._form_at(clause, folded, i, None) if i >= end_of_form else None
                if form is None:
                    continue
                span = clause[i : i + len(form.folded)]
                if lang in form.stop_in:
                    counts.subtract(stem(w).folded if english else w.folded
                                    for w in span if w.exact not in stop_words)
                else:
                    counts[form.concept.folded] += 1
                end_of_form = i + len(span)
        return +counts

    def phrases(self, text: Clauses) -> Iterator[tuple[str, str]]:
        """Folded and exact spelling of each synonym form of several words in a text."""
        starts = self._phrase_starts
        for clause in text:
            folded = [word.folded for word in clause]
            for i in [i for i, first in enumerate(folded) if first in starts]:
                for form in self._forms[folded[i]]:
                    length = len(form.folded)
                    if length > 1 and folded[i : i + length] == form.folded:
                        exact = " ".join(t.exact for t in clause[i : i + length])
                        yield " ".join(form.folded), exact

    def _form_at(
        self, clause: list[Token], folded: list[str], i: int, spellings: Spellings | None
    ) -> _Form | None:
        """The longest synonym form starting at `i`, if any."""
        for form in self._forms[folded[i]]:
            length = len(form.folded)
            if length == 1:
                word = clause[i]
            elif folded[i : i + length] == form.folded:
                exact = " ".join(t.exact for t in clause[i : i + length])
                word = Token(exact, " ".join(form.folded))
            else:
                continue
            if _is_one_of(word, (form.exact,), spellings):
                return form
        return None


def _is_one_of(word: Token, words: Collection[str], spellings: Spellings | None) -> bool:
    """Whether `word` is one of `words` (all spelled like it without diacritics).

    With `spellings`, a word typed without diacritics is taken for one of them unless the
    content also spells another word that way.
    """
    if spellings is None or not word.plain:
        return word.exact in words
    return spellings.get(word.folded, frozenset()).issubset(words)


def _knows(known: Container[str], word: Token) -> bool:
    return word.folded in known or stem(word).folded in known
