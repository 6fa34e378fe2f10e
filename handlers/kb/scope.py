"""What a message is before it is a question for the knowledge base: small talk ("alo",
"cảm ơn", 👍), or a question about something the centre does not handle (tax, bank loans,
social insurance...), read from the phrases of scope.yaml."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from handlers.kb.analysis import question_parts
from handlers.text import fold, words

SCOPE_FILE = Path(__file__).with_name("scope.yaml")
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's: ten times quicker
EXACT = "="  # a phrase matched only as written with diacritics
TOGETHER = " + "  # "mã số thuế + hộ kinh doanh": both phrases, anywhere in the message
ABSENT = "!"  # "a + !b": a, and b nowhere in the message
_PART = "\0part:"  # labels of the parts of such a phrase (no phrase's label starts so)
MAX_SMALL_TALK_WORDS = 12
# A message the knowledge base has no answer for, this short and holding a small-talk phrase
# ("hihi ad trả lời nhanh quá"), is small talk too, unless it asks something.
MAX_LOOSE_SMALL_TALK_WORDS = 16
# Kinds of small talk that read as questions themselves ("bot tên gì?", "để em hỏi lại sau").
_ASKING_KINDS = ("identity", "later")
# A message of up to this many words that holds a `closing` phrase of scope.yaml and asks and
# requests nothing ("Thay mặt hợp tác xã, tôi chân thành cảm ơn Trung tâm đã hướng dẫn chúng
# tôi làm hồ sơ") is small talk, even where its words would match an entry; its kind is the
# first of these it holds.
_CLOSING_KINDS = ("thanks", "wishes", "bye", "later", "complaint")
MAX_CLOSING_WORDS = 40
# The kind a message holding several is taken for.
_KINDS = ("bye", "thanks", "wishes", "identity", "complaint", "greeting", "asking", "later", "ok")
# In a message not made only of small talk, short words such as "da", "co", "k" (typed without
# diacritics they are as often "đá", "cỏ", "không"…) say nothing: the "ok" kind is left out.
_LOOSE_KINDS = ("bye", "thanks", "wishes", "greeting", "laugh", "complaint")
# Labels of anchors, of related phrases and of an area's exceptions.
_ANCHOR, _RELATED, _UNLESS = "", "related:", "unless:"
# Smileys typed with letters or digits (":D", ":p", ":3"), which words() would read as words
# ("xd" is also xây dựng, "8)" the end of "(Điều 8)": not smileys here).
_EMOTICONS = re.compile(r"(?<!\w)[:;=][-'^]?[()DdPpOo3|*\[\]/\\]+(?!\w)|\^_*\^|<3")
LONG_MESSAGE = 25  # words: see classify
# Emoji that say the person is unhappy (with the bot or its answer).
_DISPLEASED = ("😡", "😠", "🤬", "👎", "😤", "😒", "🙄", "😞", "😩", "😫")
OTHER = "other"  # the area of what no other office's area names


def without_smileys(text: str) -> str:
    """`text` with its smileys of letters (":D", ":p") taken out."""
    return _EMOTICONS.sub(" ", text)


@dataclass(frozen=True)
class Scope:
    """What a message is: small talk of some kind, a question outside the centre's remit (in
    some area), or neither (None, None): a question for the knowledge base."""

    small_talk: str | None = None  # greeting | asking | thanks | ok | bye | ...
    outside: str | None = None  # tax | bank | social_insurance | ... | other
    # Whether it speaks of the centre's business (an anchor or a `related` phrase): a question
    # the knowledge base cannot answer may then go to staff; otherwise it is not the centre's.
    related: bool = False
    # A long message whose area is only in the story it tells ("em đã vay ngân hàng 2 tỷ xây
    # xưởng mới, vậy chuyển xưởng thì được hỗ trợ gì"), not in what it asks: the search's
    # answer, if any, goes first.
    told: bool = False
    # Another office's area a question names beside a word of the centre's, which keeps it
    # for the search ("khuyến công có giúp giảm thuế khoán không"): told before the search's
    # "did you mean" choices, or instead of "no information" when it has none to offer.
    named: str | None = None


QUESTION = Scope()


class _Phrases:
    """Labelled phrases found as whole words in a text, folded or as written."""

    def __init__(self, labelled: Iterable[tuple[str, Iterable[str]]]) -> None:
        self._folded: dict[tuple[str, ...], set[str]] = {}
        self._exact: dict[tuple[str, ...], set[str]] = {}
        # The spellings with diacritics a folded phrase is also listed with ("hội chợ" for
        # "hoi cho"): typed with other diacritics, it is another phrase ("xã hội cho").
        self._accented: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
        # "a + b + !c": a and b anywhere in the text, c nowhere; each part is found under a
        # label of its own. Per phrase: its label, the parts it needs and those it must not have.
        self._together: list[tuple[str, list[str], set[str]]] = []
        for label, phrases in labelled:
            for phrase in phrases:
                pieces = phrase.split(TOGETHER)
                if len(pieces) == 1:
                    self._add(label, phrase)
                    continue
                parts = [f"{_PART}{len(self._together)}:{i}" for i in range(len(pieces))]
                wanted = [part for part, piece in zip(parts, pieces, strict=True)
                          if not piece.startswith(ABSENT)]
                self._together.append((label, wanted, set(parts) - set(wanted)))
                for part, piece in zip(parts, pieces, strict=True):
                    self._add(part, piece.removeprefix(ABSENT))
        self._longest = max(map(len, [*self._folded, *self._exact]), default=0)

    def _add(self, label: str, phrase: str) -> None:
        if phrase.startswith(EXACT):
            key, table = tuple(words(phrase[1:])), self._exact
        else:
            key, table = tuple(fold(word) for word in words(phrase)), self._folded
            spelled = tuple(words(phrase))
            if key and spelled != key:
                self._accented.setdefault(key, set()).add(spelled)
        if key:
            table.setdefault(key, set()).add(label)

    def found_in(self, exact: list[str], folded: list[str]) -> set[str]:
        """The labels of the phrases found anywhere in the words."""
        found: set[str] = set()
        for size in range(1, self._longest + 1):
            for start in range(len(exact) - size + 1):
                key = tuple(folded[start : start + size])
                labels = self._folded.get(key)
                if labels:
                    typed = tuple(exact[start : start + size])
                    accented = self._accented.get(key)
                    if typed == key or not accented or typed in accented:
                        found.update(labels)
                found.update(self._exact.get(tuple(exact[start : start + size]), ()))
        for label, wanted, unwanted in self._together:
            if found.issuperset(wanted) and found.isdisjoint(unwanted):
                found.add(label)
        return {label for label in found if not label.startswith(_PART)}

    def cover(self, folded: list[str]) -> bool:
        """Whether the folded words are made only of these phrases (longest first)."""
        i = 0
        while i < len(folded):
            for size in range(min(self._longest, len(folded) - i), 0, -1):
                if tuple(folded[i : i + size]) in self._folded:
                    i += size
                    break
            else:
                return False
        return True


def _first_kind(kinds: set[str], order: tuple[str, ...], default: str | None) -> str | None:
    """The first of `order` among the kinds found, else `default`."""
    return next((kind for kind in order if kind in kinds), default)


class ScopeRules:
    """The rules of scope.yaml, applied to what a user typed."""

    def __init__(
        self,
        small_talk: Mapping[str, Iterable[str]],
        filler: Iterable[str],
        anchors: Iterable[str],
        outside: Mapping[str, Iterable[str]],
        unless: Mapping[str, Iterable[str]],
        related: Iterable[str] = (),
        closing: Iterable[str] = (),
        requests: Iterable[str] = (),
        regardless_of_anchors: Iterable[str] = (),
        told_before_any_answer: Iterable[str] = (),
    ) -> None:
        self._small_talk = _Phrases(small_talk.items())
        # The phrases as text, from which a model learns what small talk looks like.
        self.small_talk_phrases = tuple(
            phrase.removeprefix(EXACT) for phrases in (*small_talk.values(), closing)
            for phrase in phrases)
        self._closing = _Phrases([("closing", closing)])
        self._requests = _Phrases([("request", requests)])
        self._chatter = _Phrases([*small_talk.items(), ("", filler)])
        self._areas = list(outside)  # in the order of the file: the first found wins
        # Areas whose questions a word of the centre's does not keep (see scope.yaml).
        self._beyond_anchors = frozenset(regardless_of_anchors)
        self._told_first = frozenset(told_before_any_answer)
        self._signals = _Phrases([*outside.items(), (_ANCHOR, anchors), (_RELATED, related),
                                  *((_UNLESS + area, ps) for area, ps in unless.items())])

    @classmethod
    def from_file(cls, path: Path = SCOPE_FILE) -> ScopeRules:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
        for values in [*data["small_talk"].values(), data["filler"], data["anchors"],
                       *data["outside"].values(), *data["unless"].values(), data["related"],
                       data["closing"], data["requests"]]:
            for value in values:
                if not isinstance(value, str):  # YAML reads yes, no, on, off as booleans
                    raise ValueError(f"{path.name}: {value!r} is not text; put it in quotes")
        for key in ("regardless_of_anchors", "told_before_any_answer"):
            if unknown := set(data.get(key, ())) - set(data["outside"]):
                raise ValueError(f"{path.name}: {key} names no area {unknown}")
        return cls(data["small_talk"], data["filler"], data["anchors"], data["outside"],
                   data["unless"], data["related"], data["closing"], data["requests"],
                   data.get("regardless_of_anchors", ()), data.get("told_before_any_answer", ()))

    def classify(self, text: str) -> Scope:
        exact = words(without_smileys(text))
        folded = [fold(word) for word in exact]
        if not folded:  # only emoji, smileys or punctuation: 👍, ":D", "..."; "?" calls out
            if not text.strip():
                return QUESTION
            if "?" in text:
                return Scope(small_talk="greeting")
            if any(face in text for face in _DISPLEASED):
                return Scope(small_talk="complaint")  # 😡 alone: an apology, not "Vâng ạ"
            return Scope(small_talk="ok")
        if len(folded) <= MAX_SMALL_TALK_WORDS and self._chatter.cover(folded):
            if kinds := self._small_talk.found_in(exact, folded):
                return Scope(small_talk=_first_kind(kinds, _KINDS, "ok"))  # "ok cảm ơn": thanks
        signals = self._signals.found_in(exact, folded)
        anchored = _ANCHOR in signals  # only areas beyond anchors can then be outside
        related = anchored or _RELATED in signals
        found = [area for area in self._areas if area in signals and _UNLESS + area not in signals]
        areas = [area for area in found if not anchored or area in self._beyond_anchors]
        if not areas:
            # Kept by an anchor, another office's area is still named; not "other": asked of
            # the centre, a barcode may yet be its business, for staff to say.
            named = [area for area in found if area != OTHER and not self._told(text, area)]
            return Scope(related=related, named=named[0] if named else None)
        # An area the asking clauses name comes before one only told in the story ("khách đòi
        # hóa đơn ... thủ tục đăng ký doanh nghiệp nộp ở đâu" asks about registering).
        asked = next((area for area in areas if not self._told(text, area)), None)
        return Scope(outside=asked or areas[0], related=related, told=asked is None)

    def tells_first(self, area: str | None) -> bool:
        """Whether `area` is one no entry of the centre's speaks to (told_before_any_answer in
        scope.yaml): beside it, even a confident answer is only offered as a choice."""
        return area in self._told_first

    def loose_small_talk(self, text: str) -> str | None:
        """The kind of small talk in a short message that matched no entry: any small-talk
        phrase in it counts, not only messages made of nothing else; a message that asks
        something counts only for the kinds that are questions ("bạn là ai?"), and only when
        it says nothing of the centre's business ("tí nữa em qua trung tâm được không" asks
        to come by, "tên gì cũng được, cho hỏi hỗ trợ máy" about machines)."""
        exact = words(text)
        if not exact or len(exact) > MAX_LOOSE_SMALL_TALK_WORDS:
            return None
        folded = [fold(word) for word in exact]
        kinds = self._small_talk.found_in(exact, folded)
        asking = _first_kind(kinds, _ASKING_KINDS, None)
        if asking and self._signals.found_in(exact, folded).isdisjoint((_ANCHOR, _RELATED)):
            return asking
        if self.asks(text) or self._requests.found_in(exact, folded):
            return None
        kind = _first_kind(kinds, _LOOSE_KINDS, None)
        return "ok" if kind == "laugh" else kind

    @staticmethod
    def asks(text: str) -> bool:
        """Whether a clause of the message asks something."""
        return any(asks for _clause, asks in question_parts(text))

    def kind_of(self, text: str) -> str:
        """The kind of small talk a message holds a phrase of ("ok" for none)."""
        exact = words(text)
        return _first_kind(self._small_talk.found_in(exact, [fold(word) for word in exact]),
                           _KINDS, "ok")

    def closing_small_talk(self, text: str) -> str | None:
        """The kind of a message that closes a conversation (thanks, wishes, goodbye, "later",
        a complaint) and asks nothing and requests nothing, however its words match."""
        exact = words(text)
        if not exact or len(exact) > MAX_CLOSING_WORDS:
            return None
        folded = [fold(word) for word in exact]
        if not self._closing.found_in(exact, folded) or self._requests.found_in(
                exact, folded) or self.asks(text):
            return None
        return _first_kind(self._small_talk.found_in(exact, folded), _CLOSING_KINDS, "thanks")

    def _told(self, text: str, area: str) -> bool:
        """Whether the phrases of `area` come only in the story of a long message, not in the
        clauses that ask."""
        parts = question_parts(text)
        if sum(map(len, (clause for clause, _ in parts))) < LONG_MESSAGE or not (
                0 < sum(asks for _, asks in parts) < len(parts)):
            return False
        asking = [word for clause, asks in parts if asks for word in (*clause, "|")]
        return area not in self._signals.found_in(asking, [fold(word) for word in asking])
