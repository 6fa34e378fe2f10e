"""Turning questions and content into search tokens: synonyms, abbreviations, stop words."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import yaml

from handlers.text import fold, normalize_input, words

VOCABULARY_FILE = Path(__file__).with_name("synonyms.yaml")

# For each plain spelling, the words the content writes that way ("co": có, cơ).
Spellings = Mapping[str, frozenset[str]]

# The words of handlers.text.words, and the punctuation that ends a clause: word pairs are
# only formed inside a clause.
_PIECE = re.compile(r"([^\W_]+)|[.,;:!?()\[\]{}\"“”…]|\s[-–—]\s")


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
    result: Clauses = [[]]
    for line in text.splitlines():
        for piece in _PIECE.finditer(normalize_input(line).lower()):
            word = piece.group(1)
            if word:
                result[-1].append(token(word))
            elif result[-1]:
                result.append([])
        if result[-1]:
            result.append([])
    return result[:-1] if not result[-1] else result


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
    folded: tuple[str, ...]
    exact: tuple[str, ...]
    canonical: tuple[Token, ...] | None  # None when this form is the canonical one


class Vocabulary:
    """Synonym groups and stop words (see synonyms.yaml)."""

    def __init__(
        self,
        groups: Iterable[Sequence[str]],
        stop_words: Mapping[str, Iterable[str]],
        final_particles: Mapping[str, Iterable[str]],
    ) -> None:
        self._forms: dict[str, list[_Form]] = {}  # by first folded word, longest first
        for group in groups:
            canonical = tuple(token(word) for word in words(group[0]))
            for form in group:
                exact = tuple(words(form))
                folded = tuple(token(word).folded for word in exact)
                same = folded == tuple(t.folded for t in canonical)
                self._forms.setdefault(folded[0], []).append(
                    _Form(folded, exact, None if same else canonical)
                )
        for forms in self._forms.values():
            forms.sort(key=lambda form: -len(form.folded))
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
        return cls(data["synonyms"], data["stop_words"], data["final_particles"])

    def analyze(
        self, text: str | Clauses, lang: str, spellings: Spellings | None
    ) -> list[list[Token]]:
        """The content tokens of `text`, in runs of adjacent words of a clause.

        Synonyms are replaced by their canonical form and stop words dropped. Give `spellings`
        for text typed by people, who often leave out diacritics: a word typed without them
        then stands for an accented synonym or stop word only when the content spells no other
        word that way ("co" is not the stop word có while the content also has cơ), and at the
        end of a clause plain spellings of final particles are taken for them ("la gi vay":
        vậy, not vay). Give None for text written with diacritics, where words are what they
        are.
        """
        stop_words_by_spelling = self._stop_words_by_spelling.get(lang, {})
        particles = self._final_particles.get(lang, frozenset()) if spellings is not None else ()
        forms = self._forms
        runs: list[list[Token]] = []
        for clause in clauses(text) if isinstance(text, str) else text:
            replaced: list[Token] = []
            i = 0
            while i < len(clause):
                if clause[i].folded in forms:
                    length, replacement = self._synonym_at(clause, i, spellings)
                    replaced.extend(replacement)
                    i += length
                else:
                    replaced.append(clause[i])
                    i += 1
            end = len(replaced)
            while end and replaced[end - 1].plain and replaced[end - 1].folded in particles:
                end -= 1
            run: list[Token] = []
            for position, word in enumerate(replaced):
                stop_words = stop_words_by_spelling.get(word.folded)
                if position >= end or (stop_words and _is_one_of(word, stop_words, spellings)):
                    if run:
                        runs.append(run)
                        run = []
                else:
                    run.append(stem(word) if lang == "en" else word)
            if run:
                runs.append(run)
        return runs

    def _synonym_at(
        self, clause: list[Token], i: int, spellings: Spellings | None
    ) -> tuple[int, Sequence[Token]]:
        """The longest synonym form starting at `i`: its length and its replacement."""
        first = clause[i]
        for form in self._forms.get(first.folded, ()):
            length = len(form.folded)
            if length > 1:
                if tuple(t.folded for t in clause[i : i + length]) != form.folded:
                    continue
            elif not _is_one_of(first, form.exact, spellings):
                continue
            return length, form.canonical or clause[i : i + length]
        return 1, (first,)


def _is_one_of(word: Token, words: Iterable[str], spellings: Spellings | None) -> bool:
    """Whether `word` is one of `words` (all spelled like it without diacritics).

    With `spellings`, a word typed without diacritics is taken for one of them unless the
    content also spells another word that way.
    """
    if spellings is None or not word.plain:
        return word.exact in words
    return spellings.get(word.folded, frozenset()).issubset(words)
