"""Turning questions and content into search tokens: synonyms, abbreviations, stop words."""

from __future__ import annotations

import functools
import itertools
import operator
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Collection, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import snowballstemmer
import yaml

from handlers.text import fold, strip_invisible, words

VOCABULARY_FILE = Path(__file__).with_name("synonyms.yaml")
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's: ten times quicker

# For each plain spelling, the words the content writes that way ("co": có, cơ).
Spellings = Mapping[str, frozenset[str]]

# The words of a text are those of handlers.text.words, in order, with a MARK where a clause ends
# (a line break, punctuation, a dash between spaces): word pairs are only formed inside a clause.
Words = list[str]
MARK = "|"  # never a word: all characters but letters and digits separate words
EXACT = "="  # begins the term of a word as written with diacritics ("=hội")
_CLAUSE_ENDS = "\n.,;:!?()[]{}\""
_DASH = "\x02"  # a dash while a text is split: one between spaces ends a clause
# Characters other than letters and digits, as str.split is to see them: ASCII clause ends as
# MARK, ASCII dashes as _DASH, the other ASCII characters as spaces; common Unicode punctuation
# first as ASCII. The regular expression splits texts with other characters.
_UNICODE_PUNCTUATION = {"“": '"', "”": '"', "…": ".", "–": "-", "—": "-", "‘": "'", "’": "'",
                        "°": " ", "×": " ", "•": " ", "\xa0": " ", "\u2009": " ", "\u202f": " "}
_ASCII_PUNCTUATION = bytes.maketrans(
    bytes(range(128)),
    bytes(ord(MARK) if chr(c) in _CLAUSE_ENDS else ord(_DASH) if chr(c) == "-"
          else c if chr(c).isalnum() else ord(" ") for c in range(128)),
)
_PIECE = re.compile(r"[^\W_]+|[\n.,;:!?()\[\]{}\"“”…]|(?<=\s)[-–—](?=\s)")
# A name joined by "&" ("F&G", "R&D") is one word: split, its letters alone say nothing.
_AMPERSAND_NAME = re.compile(r"\b([^\W_]{1,3})&([^\W_]{1,3})\b")


class Token(NamedTuple):
    exact: str  # lower case, as typed
    folded: str  # without diacritics

    @property
    def plain(self) -> bool:
        """Written without diacritics, so it may stand for an accented word."""
        return self.exact == self.folded


class ComputedOnce(dict[Any, Any]):
    """What `compute` gives for each key, computed on first use: the same words come back all
    the time. Emptied when it reaches `limit`, so that odd words typed by users do not pile
    up."""

    def __init__(self, compute: Callable[[Any], Any], limit: int = 100_000) -> None:
        super().__init__()
        self._compute, self._limit = compute, limit

    def __missing__(self, key: Any) -> Any:
        if len(self) >= self._limit:
            self.clear()
        value = self[key] = self._compute(key)
        return value


folded_word = ComputedOnce(fold)
_tokens = ComputedOnce(lambda word: Token(word, folded_word[word]))


def words_of(text: str) -> Words:
    """The lower-case words of `text`, with a MARK at the end of each clause; "%" is read as
    the words "phần trăm" ("hỗ trợ mấy %" asks for a share)."""
    text = strip_invisible(text).lower()
    if "&" in text:
        text = _AMPERSAND_NAME.sub(r"\1\2", text)
    if "%" in text:
        text = text.replace("%", " phần trăm ")
    # str.split does at C speed what the regular expression does.
    split = text
    if not text.isascii():
        for character, ascii_character in _UNICODE_PUNCTUATION.items():
            if character in split:
                split = split.replace(character, ascii_character)
    split = split.encode().translate(_ASCII_PUNCTUATION).decode()
    if _DASH in split:
        split = split.replace(f" {_DASH} ", f" {MARK} ").replace(_DASH, " ")
    if split.replace(" ", "").replace(MARK, "").isalnum():
        return split.replace(MARK, f" {MARK} ").split()
    return [word if word.isalnum() else MARK for word in _PIECE.findall(text)]


# The words of each text of the content, for the index and the classifier alike: a rebuild
# after an edit or a staff answer splits only the texts that changed.
text_words = ComputedOnce(words_of, limit=500_000)


def clauses(words: Words) -> Iterator[list[str]]:
    """The words of each clause."""
    for is_mark, clause in itertools.groupby(words, MARK.__eq__):
        if not is_mark:
            yield list(clause)


# What marks a clause of a message as a question: question words anywhere in it, and
# "không", "chưa"... at its end ("... dc ko ạ"), or a question mark after it. The other clauses
# of a long message tell the asker's story (trade, village, machine, amounts). Cues are written
# with their diacritics: a word typed with diacritics must be the cue as written ("hội chợ" asks
# nothing, "hỏi" does), a word typed without them may be any word that folds the same way.
_CUES = (
    "bao nhiêu", "bn", "bnhieu", "khi nào", "bao giờ", "bao lâu", "ở đâu", "chỗ nào", "thế nào",
    "ntn", "làm sao", "ra sao", "tại sao", "vì sao", "gì", "j", "nào", "ai", "có phải", "hay là",
    "hỏi", "liệu", "được không", "dc ko", "được ko", "dc không", "what", "how", "when", "where",
    "who", "which", "why", "is there", "are there", "can i", "do i", "does", "should i",
    "thì sao", "thế còn", "what about", "how about",
)
QUESTION_CUES = {tuple(folded_word[word] for word in cue.split()): tuple(cue.split())
                 for cue in _CUES}
_FINAL_CUES = frozenset(("khong", "ko", "k", "kg", "khg", "hok", "hong", "chua", "ha"))
_TRAILING = frozenset(("a", "ad", "nhi", "vay", "z", "v", "em", "ban", "anh", "chi", "nha", "nhe",
                       "thoi", "nua", "ne"))
_CUE_LONGEST = max(map(len, QUESTION_CUES))
_PARTS = re.compile(r"([^.,;:!?\n]+)([.,;:!?\n]*)")


def question_parts(text: str) -> list[tuple[Words, bool]]:
    """The words of each clause of `text` (split at punctuation), and whether it asks."""
    parts = []
    for match in _PARTS.finditer(text):
        clause = words_of(match.group(1))
        typed = [word for word in clause if word != MARK]
        folded = [folded_word[word] for word in typed]
        if not folded:
            continue
        asks = "?" in match.group(2) or any(
            _is_cue(typed[start : start + size], folded[start : start + size])
            for size in range(1, _CUE_LONGEST + 1) for start in range(len(folded) - size + 1))
        if not asks:  # "... được không ạ", "... chưa ad", "... hả"
            end = len(folded)
            while end > 1 and folded[end - 1] in _TRAILING:
                end -= 1
            asks = folded[end - 1] in _FINAL_CUES
        parts.append((clause, asks))
    return parts


def _is_cue(typed: Words, folded: Words) -> bool:
    cue = QUESTION_CUES.get(tuple(folded))
    return cue is not None and all(word.lower() in (folded_word[word], written)
                                   for word, written in zip(typed, cue, strict=True))


def is_plain(words: Words) -> bool:
    """Whether words are written without any diacritics."""
    return all(folded_word[word] == word for word in words)


# The term of a word written with diacritics as written ("=hội"); "" for a plain word.
_accents = ComputedOnce(lambda word: "" if folded_word[word] == word else EXACT + word)


_english = snowballstemmer.stemmer("english")
# The content is written in British English; Porter 2 stems "program" and "programme",
# "recognized" and "recognised" apart, so an American spelling is made British first.
_AMERICAN_IZE = re.compile(r"^(\w{3,})iz(e|ed|es|er|ers|ing|ation|ations)$")
_AMERICAN = {"program": "programme", "programs": "programmes", "license": "licence",
             "licenses": "licences", "labor": "labour", "color": "colour", "colors": "colours",
             "favor": "favour", "neighbor": "neighbour", "neighbors": "neighbours",
             "honor": "honour", "catalog": "catalogue", "analyze": "analyse",
             "analyzed": "analysed", "center": "centre", "centers": "centres"}


def british(word: str) -> str:
    """An English word in the British spelling of the content ("organized": "organised")."""
    return _AMERICAN.get(word) or _AMERICAN_IZE.sub(r"\1is\2", word)


def _stem(word: str) -> Token:
    """The Snowball (Porter 2) stem of an English word, so that "steps", "stepped" and "step"
    meet, and "efficient" and "efficiency", in British spelling; Vietnamese syllables are left
    alone."""
    if folded_word[word] != word or len(word) < 4 or not word.isalpha():
        return _tokens[word]
    stemmed = _english.stemWord(british(word))
    return Token(stemmed, stemmed)


_stems = ComputedOnce(_stem)


def stem(word: Token) -> Token:
    """The English stem of a word typed without diacritics (see _stem)."""
    return _stems[word.exact] if word.plain else word


# Telex, the usual Vietnamese keyboard method: with it off, "hỗ trợ" comes out as "hoox trowj".
# Marks are typed after the letter they go on, the tone at the end of the syllable.
_TELEX_TONES = {"s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323"}
_TELEX_MARKS = (("dd", "đ"), ("uwow", "ươ"), ("uow", "ươ"), ("aa", "â"), ("aw", "ă"), ("ee", "ê"),
                ("oo", "ô"), ("ow", "ơ"), ("uw", "ư"), ("w", "ư"))
_VOWELS = frozenset("aăâeêioôơuưy")


def telex_spellings(word: str) -> list[str]:
    """What a lower-case word typed in Telex with the input method off may stand for ("trowj":
    trợ), with its tone on each vowel in turn (which one is right depends on the syllable);
    [] when it holds nothing typed so."""
    if len(word) < 2 or not word.isascii() or not word.isalpha():
        return []
    tone = _TELEX_TONES.get(word[-1])
    base = word[:-1] if tone else word
    for typed, letter in _TELEX_MARKS:
        base = base.replace(typed, letter)
    vowels = [i for i, letter in enumerate(base) if letter in _VOWELS]
    if base == word or not vowels:
        return []
    if not tone:
        return [base]
    return [unicodedata.normalize("NFC", base[: i + 1] + tone + base[i + 1 :]) for i in vowels]


@dataclass(frozen=True, eq=False, slots=True)
class _Form:
    """A way of writing a synonym group (hashed by identity: two groups may share one)."""

    folded: list[str]
    key: str  # folded words joined by spaces
    exact: str  # words joined by spaces
    words: list[str]  # exact words
    concept: Token  # the single token that stands for its group
    stop_in: frozenset[str]  # languages in which it means a stop word ("ko": không)


class FieldTerms(NamedTuple):
    """The terms of the texts of a field of an entry, as the index counts them."""

    terms: list[str]  # folded words and synonym concepts, and for phrasings word pairs
    accents: list[str]  # for phrasings, the words written with diacritics ("=hội")
    length: int  # words and concepts
    phrasings: list[frozenset[str]]  # for phrasings, the terms of each text


class _FormIndex:
    """Synonym forms by their first two words (one for a form of one word), folded or as
    written, to find them in texts."""

    def __init__(self, forms: Iterable[_Form], folded: bool) -> None:
        self._phrases: dict[tuple[str, str], list[tuple[list[str], _Form]]] = defaultdict(list)
        self._single_words: dict[str, _Form] = {}
        for form in forms:  # the longest first
            words = form.folded if folded else form.words
            if len(words) > 1:
                self._phrases[words[0], words[1]].append((words, form))
            else:
                self._single_words.setdefault(words[0], form)
        self._first_words = frozenset(first for first, _ in self._phrases)
        self._second_words = frozenset(second for _, second in self._phrases)

    def find(self, words: Words) -> dict[int, list[_Form]]:
        """The forms that start at each place of `words` where any does, the longest first."""
        # Word by word only in C: Python looks at the places where a form may start.
        single = self._single_words
        found = {i: [single[words[i]]] for i in itertools.compress(
            itertools.count(), map(single.__contains__, words))} if single else {}
        may_start = itertools.compress(itertools.count(), map(
            operator.and_,
            map(self._first_words.__contains__, words),
            map(self._second_words.__contains__, itertools.islice(words, 1, None)),
        ))
        for i in may_start:
            forms = [form for form_words, form in self._phrases.get((words[i], words[i + 1]), ())
                     if words[i : i + len(form_words)] == form_words]
            if forms:
                found[i] = forms + found.get(i, [])
        return found


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
                spelling: frozenset(w for w in ws if folded_word[w] == spelling)
                for spelling in {folded_word[w] for w in ws}
            }
            for lang, ws in self.stop_words.items()
        }
        self._final_particles = {
            lang: frozenset(folded_word[word] for word in words(" ".join(ws)))
            for lang, ws in final_particles.items()
        }
        self._forms: dict[str, list[_Form]] = {}  # by first folded word, longest first
        for group in groups:
            canonical = words(group[0])
            concept = "_".join(folded_word[word] for word in canonical)
            stop_in = frozenset(lang for lang, ws in self.stop_words.items()
                                if all(word in ws for word in canonical))
            for form in group:
                exact = words(form)
                folded = [folded_word[word] for word in exact]
                self._forms.setdefault(folded[0], []).append(_Form(
                    folded, " ".join(folded), " ".join(exact), exact, Token(concept, concept),
                    stop_in,
                ))
        for forms in self._forms.values():
            forms.sort(key=lambda form: -len(form.folded))
        # Forms of several words, folded, and all forms as written: content written with
        # diacritics is matched as written.
        all_forms = list(itertools.chain.from_iterable(self._forms.values()))
        self._phrases = _FormIndex((form for form in all_forms if len(form.words) > 1), True)
        self._forms_as_written = _FormIndex(all_forms, folded=False)
        # The term each word of content written with diacritics counts for; "" for none.
        self._content_terms = {
            lang: ComputedOnce(functools.partial(self._content_term, lang=lang))
            for lang in self.stop_words
        }

    def spells(self, word: str) -> bool:
        """Whether a folded word begins a synonym ("max", "kc") or spells a stop word ("ko")."""
        return word in self._forms or any(
            word in spellings for spellings in self._stop_words_by_spelling.values())

    def language_of(self, text: str, lang: str,
                    content: tuple[Collection[str], Collection[str]] = ((), ())) -> str:
        """The language a question is written in: `lang` unless its words say otherwise.

        A word counts for a language when it is one of its stop words or, given `content`
        (the folded Vietnamese words and the English stems the knowledge base uses), one of
        its words, and not also the other's: typed without diacritics "so", "the", "long" are
        số, thế, lòng as much as English words, and say nothing. A tie keeps `lang`.
        """
        return self.languages_of(text, lang, content)[0]

    def languages_of(self, text: str, lang: str,
                     content: tuple[Collection[str], Collection[str]] = ((), ())) -> list[str]:
        """The languages a question may be written in, likelier first (see language_of): both
        when it has as many words of one as of the other ("What is khuyến công?")."""
        found = [_tokens[word] for word in words(text)]
        vi_stops, en_stops = self._stop_words_by_spelling.get("vi", ()), self.stop_words.get(
            "en", ())
        vi_words, en_stems = content
        vi = en = 0
        for token in found:
            # A word with diacritics is Vietnamese ("a ward (phường)" is still English).
            in_vi = not token.plain or token.folded in vi_stops or token.folded in vi_words
            in_en = token.plain and (
                token.exact in en_stops or _stems[token.exact].folded in en_stems)
            vi += in_vi and not in_en
            en += in_en and not in_vi
        if en > vi:
            return ["en"]
        if vi > en:
            return ["vi"]
        return [lang, "vi" if lang == "en" else "en"] if vi else [lang]

    @classmethod
    def from_file(cls, path: Path = VOCABULARY_FILE) -> Vocabulary:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
        lists = [*data["synonyms"], *data["stop_words"].values(), *data["final_particles"].values()]
        for value in (value for values in lists for value in values):
            if not isinstance(value, str):  # YAML reads yes, no, on, off as true or false
                raise ValueError(f"{path.name}: {value!r} is not text; put it in quotes")
        return cls(data["synonyms"], data["stop_words"], data["final_particles"])

    def analyze(
        self,
        text: str | Words,
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
        for clause_words in clauses(words_of(text) if isinstance(text, str) else text):
            clause = [_tokens[word] for word in clause_words]
            folded = [word.folded for word in clause]
            kept: list[Token | None] = []  # None: a word left out, which breaks a run
            done = 0
            for i in itertools.compress(range(len(folded)), map(forms.__contains__, folded)):
                form = self._form_at(clause, folded, i, spellings) if i >= done else None
                if form is None:
                    continue
                kept += clause[done:i]
                done = i + len(form.folded)
                if lang in form.stop_in:
                    kept.append(None)
                else:
                    runs.append([form.concept])
                    kept += (w if known is None or _knows(known, w) else None
                             for w in clause[i:done])
            kept += clause[done:]
            end = len(kept)
            while end and (word := kept[end - 1]) and word.plain and word.folded in particles:
                end -= 1
            run: list[Token] = []
            for word in kept[:end]:
                if word is None or (
                    (same := stop_words.get(word.folded)) and _is_one_of(word, same, stop_spellings)
                ):
                    if run:
                        runs.append(run)
                        run = []
                else:
                    run.append(_stems[word.exact] if english else word)
            if run:
                runs.append(run)
        return runs

    def content_terms(
        self, fields: Sequence[Sequence[Words]], lang: str, phrasing: bool
    ) -> list[FieldTerms]:
        """The terms of each field's texts, written with diacritics or in English, as
        analyze(text, lang, None) and phrasing_terms give them; quicker, as all fields are
        analysed at once and word by word only in C."""
        words: Words = []
        spans: list[list[tuple[int, int]]] = []  # of each text of each field in `words`
        for texts in fields:
            spans.append([])
            for text in texts:
                spans[-1].append((len(words), len(words) + len(text)))
                words += text
                words.append(MARK)
        sequence = list(map(self._content_terms[lang].__getitem__, words))  # "": a stop word
        concepts = [""] * len(words)  # the concept of a synonym form where the form starts
        for i, form in self._content_forms(words):
            if lang in form.stop_in:  # a synonym of a stop word ("ko") is one
                sequence[i : i + len(form.words)] = [""] * len(form.words)
            else:
                concepts[i] = form.concept.folded
        if phrasing:  # pairs of adjacent terms ("hoi cho"), and accented words ("=hội")
            following = sequence[1:]
            pairs = list(map("{} {}".format, sequence, following))
            paired = list(map(all, zip(sequence, following, strict=False)))  # not a stop word
            accents = list(map(_accents.__getitem__, words))
        result = []
        for field_spans in spans:
            start, end = (field_spans[0][0], field_spans[-1][1]) if field_spans else (0, 0)
            terms = [*filter(None, sequence[start:end]), *filter(None, concepts[start:end])]
            length = len(terms)
            if not phrasing:
                result.append(FieldTerms(terms, [], length, []))
                continue
            terms += itertools.compress(pairs[start:end], paired[start:end])
            found = filter(None, itertools.compress(accents[start:end], sequence[start:end]))
            phrasings = [frozenset(itertools.chain(
                filter(None, sequence[a:b]), filter(None, concepts[a:b]),
                itertools.compress(pairs[a:b], paired[a:b]),
            )) for a, b in field_spans]
            result.append(FieldTerms(terms, list(found), length, [p for p in phrasings if p]))
        return result

    def phrases(self, words: Words) -> Iterator[tuple[str, str]]:
        """Folded and exact spelling of each synonym form of several words in a text."""
        folded = list(map(folded_word.__getitem__, words))
        for i, forms in self._phrases.find(folded).items():
            for form in forms:
                yield form.key, " ".join(words[i : i + len(form.words)])

    def _content_forms(self, words: Words) -> list[tuple[int, _Form]]:
        """The synonym forms in content written with diacritics or in English, where words are
        what they are, from left to right: at each place the longest."""
        chosen: list[tuple[int, _Form]] = []
        end = 0
        found = self._forms_as_written.find(words)
        for i in sorted(found):
            if i >= end:
                form = found[i][0]
                chosen.append((i, form))
                end = i + len(form.words)
        return chosen

    def _content_term(self, word: str, lang: str) -> str:
        if word == MARK or word in self.stop_words[lang]:
            return ""
        return _stems[word].folded if lang == "en" else folded_word[word]

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
                word = Token(exact, form.key)
            else:
                continue
            if _is_one_of(word, (form.exact,), spellings):
                return form
        return None


def phrasing_terms(runs: list[list[Token]]) -> tuple[list[str], list[str]]:
    """The terms of a title or sample question: folded words and pairs of adjacent words
    ("hoi cho"); and the words written with diacritics ("=hội")."""
    terms, accents = [], []
    for run in runs:
        previous = None
        for exact, folded in run:
            terms.append(folded)
            if exact != folded:
                accents.append(EXACT + exact)
            if previous:
                terms.append(f"{previous} {folded}")
            previous = folded
    return terms, accents


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
