"""The knowledge base the bot holds: content files, reloaded when staff edit them, plus
staff-approved questions and answers added at run time."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from handlers.kb.analysis import Vocabulary
from handlers.kb.index import (
    CONFIDENT_AGREED,
    CONFIDENT_FROM,
    LONG_CONFIDENT_WORDS,
    SearchIndex,
    SearchResult,
)
from handlers.kb.loader import KnowledgeError, load_knowledge
from handlers.kb.model import Entry, Knowledge, Topic
from handlers.kb.scope import OTHER, ScopeRules, without_smileys
from handlers.text import words

logger = logging.getLogger(__name__)

_Signature = tuple[tuple[str, int, int], ...]

# A question in an area the centre does not handle (tax, bank loans...) is still answered when
# it matches an entry this well: a staff answer added for just that question, say.
OUTSIDE_OVERRULED = 0.85
SMALL_TALK_SENTENCE = 3  # words from which small talk is answered in the language typed
# Log-odds per word from which a message the search cannot answer is small talk (see
# QuestionClassifier.small_talk_odds): on the never-learnt sets, no in-scope question of the
# 280 not answered outright reaches 0.5 (docs/benchmarks.md).
SMALL_TALK_ODDS = 0.5
# ... and from which one that asks something is: at 0.5 a question about a
# film took the small-talk reply instead of "not what I can help with".
SMALL_TALK_ODDS_ASKING = 1.0


@dataclass(frozen=True)
class _Content:
    """Everything built from one version of the entries, swapped as a whole."""

    knowledge: Knowledge
    extra: tuple[Entry, ...]
    index: SearchIndex
    by_id: dict[str, Entry]


class KnowledgeBase:
    """Search and browse the knowledge base.

    Entries added at run time (staff-approved answers stored in the database) are set with
    `set_extra_entries`; they are searched like the content files, which win on a clash of ids.
    """

    def __init__(
        self,
        knowledge: Knowledge,
        extra_entries: Iterable[Entry] = (),
        *,
        directory: Path | None = None,
        vocabulary: Vocabulary | None = None,
        scope: ScopeRules | None = None,
        check_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._directory = directory
        self._vocabulary = vocabulary or Vocabulary.from_file()
        self._scope = scope or ScopeRules.from_file()
        self._check_interval = check_interval
        self._clock = clock
        self._checked_at = clock()
        self._signature: _Signature = _signature(directory) if directory else ()
        self._rejected: _Signature | None = None
        self._rebuilding = asyncio.Lock()  # rebuilds in worker threads, one at a time
        self._content = self._build(knowledge, tuple(extra_entries))

    @classmethod
    def from_directory(
        cls,
        path: str | Path,
        extra_entries: Iterable[Entry] = (),
        *,
        vocabulary: Vocabulary | None = None,
        check_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> KnowledgeBase:
        """Load the content files of `path`; raises KnowledgeError when they have problems."""
        directory = Path(path)
        signature = _signature(directory)  # before reading: an edit meanwhile is seen next time
        kb = cls(load_knowledge(directory), extra_entries, directory=directory,
                 vocabulary=vocabulary, check_interval=check_interval, clock=clock)
        kb._signature = signature
        return kb

    def search(self, text: str, lang: str = "vi", limit: int = 3) -> SearchResult:
        """The best answer to `text` with up to `limit` alternatives (see SearchResult);
        none for small talk and for questions the centre does not handle."""
        if lang == "vi":
            text = self._content.index.untelexed(text)
        scope = self._scope.classify(text)
        text = without_smileys(text)  # read by the scope, no words of a question
        if kind := scope.small_talk or self._scope.closing_small_talk(text):
            # A sentence in English ("who are you") in a Vietnamese chat is answered in
            # English, as questions are; "hi", "thanks", "ok", which Vietnamese chats use
            # too, keep the chat's language.
            typed_in = self._content.index.language_of(text, lang) if len(
                words(text)) >= SMALL_TALK_SENTENCE else lang
            return SearchResult(None, False, 0.0, [], small_talk=kind, lang=typed_in)
        result = self._content.index.search(text, lang, limit)
        # An area named only in the story of a long message gives way to any answer.
        overruled = (result.answer is not None and scope.told) or (
            result.confident and result.score >= OUTSIDE_OVERRULED)
        if scope.outside and not overruled:
            return SearchResult(None, False, result.score, [], outside=scope.outside,
                                lang=result.lang)
        # Small talk among other words ("cảm ơn ad đã giải thích kỹ"): unless an entry is a
        # confident answer, it is small talk, not a "did you mean"; an answer given from the
        # lower score the classifier's agreement allows is not enough against its words.
        if (not result.confident or result.score < CONFIDENT_FROM) and (
                kind := self._scope.loose_small_talk(text)):
            return SearchResult(None, False, result.score, [], small_talk=kind,
                                lang=result.lang)
        odds = 0.0 if result.confident else self._content.index.small_talk_odds(text)
        if odds > SMALL_TALK_ODDS and (odds > SMALL_TALK_ODDS_ASKING or not self._scope.asks(text)):
            # Nothing answered, and its words are those of small talk rather than of any
            # question ("dạ vâng e nắm đc rồi ạ"), though no phrase of scope.yaml holds it.
            return SearchResult(None, False, result.score, [],
                                small_talk=self._scope.kind_of(text), lang=result.lang)
        if result.answer is None and (scope.named or not scope.related):
            # Nothing to answer with and nothing of the centre's business in it, or another
            # office's business named beside its words ("khuyến công có cấp giấy phép xây
            # dựng nhà xưởng không"): staff could not answer it either, so it is not offered
            # to them.
            return SearchResult(None, False, result.score, [],
                                outside=scope.named or OTHER, lang=result.lang)
        if scope.named and (self._scope.tells_first(scope.named) or not (
                result.confident and self._on_its_score(result, text))):
            # The choices stay (a tax word may come with a question on the centre's support);
            # who handles the other office's business is said first.
            return dataclasses.replace(result, confident=False, named_outside=scope.named)
        return result

    @staticmethod
    def _on_its_score(result: SearchResult, text: str) -> bool:
        """Whether a confident answer stands on its score, not on the classifier's word alone:
        a short question scoring under CONFIDENT_AGREED is answered only when the classifier
        is sure of it (or by the calibrated odds), and the classifier may be sure of words
        that are another office's business ("trung tâm khuyến công có làm hộ thủ tục vay vốn
        ngân hàng không", qa_blind29)."""
        return result.score >= CONFIDENT_AGREED or len(words(text)) >= LONG_CONFIDENT_WORDS

    def get(self, entry_id: str) -> Entry | None:
        return self._content.by_id.get(entry_id)

    def topics(self) -> list[Topic]:
        return list(self._content.knowledge.topics)

    def entries(self) -> list[Entry]:
        return list(self._content.index.entries)

    def entries_in(self, topic_id: str) -> list[Entry]:
        return [entry for entry in self._content.index.entries if entry.topic == topic_id]

    def set_extra_entries(self, entries: Iterable[Entry]) -> None:
        """Replace the entries added at run time and rebuild the index."""
        self._content = self._build(self._content.knowledge, tuple(entries))

    async def set_extra_entries_in_background(self, entries: Iterable[Entry]) -> None:
        """set_extra_entries, indexing in a worker thread so that other messages are handled
        meanwhile; the new index replaces the old one at once when it is ready, and the old
        one is freed in that thread too."""
        extra = tuple(entries)
        async with self._rebuilding:  # one at a time, each from the content the last one left
            await asyncio.to_thread(self.set_extra_entries, extra)

    def reload_if_changed(self) -> bool:
        """Reload the content files if they changed; checks at most once per `check_interval`.

        When the changed files have problems, the current content stays and the problems are
        logged once; returns whether new content was loaded.
        """
        return self._check_due() and self._reload()

    async def reload_in_background_if_changed(self) -> bool:
        """reload_if_changed, reading and indexing in a worker thread (see above)."""
        if not self._check_due():
            return False
        async with self._rebuilding:
            return await asyncio.to_thread(self._reload)

    def _check_due(self) -> bool:
        now = self._clock()
        if self._directory is None or now - self._checked_at < self._check_interval:
            return False
        self._checked_at = now
        return True

    def _reload(self) -> bool:
        assert self._directory is not None
        signature = _signature(self._directory)
        if signature in (self._signature, self._rejected):
            return False
        try:
            knowledge = load_knowledge(self._directory)
        except KnowledgeError as error:
            self._rejected = signature
            logger.warning(
                "Knowledge base %s has %d problem(s); keeping the previous content:\n%s",
                self._directory, len(error.problems), "\n".join(map(str, error.problems)),
            )
            return False
        self._signature, self._rejected = signature, None
        self._content = self._build(knowledge, self._content.extra)
        logger.info("Knowledge base %s reloaded: %d entries", self._directory,
                    len(knowledge.entries))
        return True

    def _build(self, knowledge: Knowledge, extra: tuple[Entry, ...]) -> _Content:
        ids = {entry.id for entry in knowledge.entries}
        clashes = [entry.id for entry in extra if entry.id in ids]
        if clashes:
            logger.warning("Ignoring run-time entries whose ids are in the content files: %s",
                           ", ".join(clashes))
        entries = knowledge.entries + tuple(entry for entry in extra if entry.id not in ids)
        return _Content(
            knowledge=knowledge,
            extra=extra,
            index=SearchIndex(entries, self._vocabulary, knowledge.outside,
                              self._scope.small_talk_phrases),
            by_id={entry.id: entry for entry in entries},
        )


def _signature(directory: Path) -> _Signature:
    """Name, modification time and size of every content file: cheap to compare."""
    files = []
    for path in directory.glob("*.yaml"):
        try:
            stat = path.stat()
        except OSError:  # removed while we looked
            continue
        files.append((path.name, stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(files))
