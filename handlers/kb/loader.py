"""Read and validate the knowledge-base content files (topics.yaml and one file per subject)."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from handlers.kb.model import (
    LANGUAGES,
    Citation,
    Entry,
    Knowledge,
    Localized,
    Status,
    Topic,
    citations_of,
)

logger = logging.getLogger(__name__)

TOPICS_FILE = "topics.yaml"
# Questions people asked, each list under the entry that answers it (see _attach_asked).
ASKED_FILE = "asked.yaml"
# Questions people asked that only the classifier learns from, in asked.yaml's form.
HEARD_FILE = "heard.yaml"
# Questions people asked that the centre does not handle (see _read_outside).
OUTSIDE_FILE = "outside.yaml"
ENTRY_FIELDS = frozenset({
    "id", "topic", "status", "title", "text", "questions", "source", "facts", "reviewed", "related",
})
# Ids travel in button payloads ("kb:<id>", "topic:<id>"), which Telegram caps at 64 bytes.
_ID = re.compile(r"(?=.{1,48}$)[a-z0-9]+(-[a-z0-9]+)*")
_LANGUAGE_NAMES = {"vi": "Vietnamese", "en": "English"}

Report = Callable[[str], None]


@dataclass(frozen=True)
class Problem:
    """Something wrong in a content file, said so that staff can fix it."""

    file: str
    entry: str | None
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class KnowledgeError(Exception):
    """The content files have problems; `problems` lists them all."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the knowledge base, first: {problems[0]}")


def check_knowledge(directory: str | Path) -> list[Problem]:
    """Every problem in the content files of `directory` (empty when all is well)."""
    return _read(Path(directory))[1]


def load_knowledge(directory: str | Path) -> Knowledge:
    """The validated content of `directory`; raises KnowledgeError listing every problem."""
    knowledge, problems = _read(Path(directory))
    if problems:
        raise KnowledgeError(problems)
    return knowledge


def run_check(directory: str | Path) -> tuple[int, str]:
    """Exit status (0 when valid, 1 otherwise) and a report, for `khuyencong kb check`."""
    knowledge, problems = _read(Path(directory))
    if problems:
        lines = [str(problem) for problem in problems]
        lines.append(f"{len(problems)} problem(s) found in {directory}")
        return 1, "\n".join(lines)
    counts = f"{len(knowledge.entries)} entries in {len(knowledge.topics)} topics"
    return 0, f"{directory}: {counts}, no problems"


class _DuplicateKeyCheck:
    """Refuses duplicate keys in a mapping instead of keeping the last one silently."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key '{key_node.value}'", key_node.start_mark
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep)


class _StrictLoader(_DuplicateKeyCheck, yaml.SafeLoader):
    """The pure-Python safe loader, whose syntax error messages are the clearer ones."""


# libyaml parses the content files about ten times faster; a file with an error is parsed again
# by _StrictLoader, for its message.
if hasattr(yaml, "CSafeLoader"):
    class _FastStrictLoader(_DuplicateKeyCheck, yaml.CSafeLoader):
        """The safe loader of libyaml, when PyYAML was built with it."""
else:
    _FastStrictLoader = _StrictLoader


def _read(directory: Path) -> tuple[Knowledge, list[Problem]]:
    """Parse the directory, collecting every problem rather than stopping at the first."""
    problems: list[Problem] = []
    if not directory.is_dir():
        return Knowledge((), ()), [Problem(str(directory), None, "directory does not exist")]
    topics = _read_topics(directory / TOPICS_FILE, problems)
    topic_ids = {topic.id for topic in topics}
    entries: list[tuple[Entry, int | None]] = []
    files_by_id: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name in (TOPICS_FILE, ASKED_FILE, HEARD_FILE, OUTSIDE_FILE):
            continue
        for entry, line in _read_entries(path, problems):
            if entry.id in files_by_id:
                problems.append(_problem(entry, f"duplicate id '{entry.id}' (also in "
                                                f"{files_by_id[entry.id]})", line))
                continue
            files_by_id[entry.id] = entry.file
            if entry.topic and topics and entry.topic not in topic_ids:
                problems.append(_problem(entry, f"entry '{entry.id}' has an unknown topic "
                                                f"'{entry.topic}'", line))
            entries.append((entry, line))
    for entry, line in entries:
        for target in entry.related:
            if target == entry.id:
                problems.append(_problem(entry, f"entry '{entry.id}' links to itself", line))
            elif target not in files_by_id:
                problems.append(_problem(entry, f"entry '{entry.id}' links to unknown entry "
                                                f"'{target}'", line))
    if not files_by_id and not problems:
        problems.append(Problem(str(directory), None, "no entries found"))
    found = tuple(entry for entry, _ in entries)
    for name, field in ((ASKED_FILE, "asked"), (HEARD_FILE, "heard")):
        if (directory / name).exists():
            found = _attach_asked(directory / name, found, problems, field)
    outside = _read_outside(directory / OUTSIDE_FILE, problems)
    return Knowledge(tuple(topics), found, outside), problems


def _read_outside(path: Path, problems: list[Problem]) -> tuple[str, ...]:
    """The questions outside.yaml lists: a top-level `outside:` list of questions, as people
    typed them, that the centre does not handle (tax, bank loans, football...). Optional."""
    if not path.exists():
        return ()
    questions = []
    for raw, line in _items(path, "outside", problems):
        if isinstance(raw, str) and raw.strip():
            questions.append(_clean(raw))
        else:
            problems.append(Problem(path.name, None, f"{raw!r} is not a question", line))
    return tuple(questions)


def _attach_asked(path: Path, entries: tuple[Entry, ...], problems: list[Problem],
                  field: str = "asked") -> tuple[Entry, ...]:
    """The entries with the questions asked.yaml (or heard.yaml) lists under their ids, in
    their `field` (those listed under an id no entry has are left out, with a warning).

    asked.yaml holds questions as enterprises type them (with or without diacritics, with
    typos, as stories), each labelled with the entry that answers it: a top-level `asked:` list
    of `{id: <entry id>, questions: {vi: [...], en: [...]}}`. They are matched like sample
    questions but never shown, so they need no editing. heard.yaml has the same form under a
    top-level `heard:`; only the classifier learns from it.
    """
    asked: dict[str, Localized[tuple[str, ...]]] = {}
    known = {entry.id for entry in entries}
    for raw, line in _items(path, field, problems):
        entry_id = raw.get("id") if isinstance(raw, dict) else None
        report = _reporter(problems, path.name, str(entry_id), line)
        if not isinstance(entry_id, str) or not _ID.fullmatch(entry_id):
            report(f"asked questions need the id of an entry, not {entry_id!r}")
        elif entry_id not in known:
            # An entry staff removed or renamed: its asked questions answer nothing now, and
            # must not stop the edit from loading.
            logger.warning("%s: asked questions for an entry that no longer exists: %s",
                           path.name, entry_id)
        elif entry_id in asked:
            report(f"the questions asked for '{entry_id}' are listed twice")
        else:
            asked[entry_id] = _questions(raw.get("questions"), f"entry '{entry_id}'", report)
    return tuple(replace(entry, **{field: asked[entry.id]}) if entry.id in asked else entry
                 for entry in entries)


def _problem(entry: Entry, message: str, line: int | None) -> Problem:
    return Problem(entry.file, entry.id, message, line)


def _parse(path: Path, problems: list[Problem]) -> tuple[Any, yaml.Node | None]:
    """The YAML document of `path` and its node tree (for line numbers), or (None, None)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problems.append(Problem(path.name, None, f"cannot read the file: {error}"))
        return None, None
    try:
        return _compose_and_construct(_FastStrictLoader, text)
    except yaml.YAMLError as fast_error:
        try:
            _compose_and_construct(_StrictLoader, text)
            error = fast_error  # only libyaml objects; keep its word for it
        except yaml.YAMLError as clearer_error:
            error = clearer_error
        problems.append(_yaml_problem(path.name, error))
        return None, None


def _compose_and_construct(loader_class: type, text: str) -> tuple[Any, yaml.Node | None]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    finally:
        loader.dispose()


def _yaml_problem(file: str, error: yaml.YAMLError) -> Problem:
    if not isinstance(error, yaml.MarkedYAMLError) or error.problem_mark is None:
        return Problem(file, None, f"YAML syntax error: {error}")
    reason, mark, context_mark = error.problem or str(error), error.problem_mark, error.context_mark
    if error.context and context_mark and context_mark.line != mark.line:
        reason += f" ({error.context} at line {context_mark.line + 1})"
    return Problem(file, None, f"YAML syntax error: {reason}", mark.line + 1)


def _items(path: Path, key: str, problems: list[Problem]) -> Iterator[tuple[Any, int | None]]:
    """The items of the top-level list `key` with their line numbers."""
    data, node = _parse(path, problems)
    if data is None and node is None:
        return
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        problems.append(Problem(path.name, None, f"the file must have a top-level '{key}:' list"))
        return
    lines: list[int | None] = [None] * len(data[key])
    for key_node, value_node in node.value:
        if key_node.value == key:
            lines = [item.start_mark.line + 1 for item in value_node.value]
    yield from zip(data[key], lines, strict=True)


def _read_topics(path: Path, problems: list[Problem]) -> list[Topic]:
    if not path.exists():
        problems.append(Problem(TOPICS_FILE, None, f"{TOPICS_FILE} is missing"))
        return []
    topics: dict[str, Topic] = {}
    for raw, line in _items(path, "topics", problems):
        topic_id = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(topic_id, str) or not _ID.fullmatch(topic_id):
            problems.append(Problem(path.name, None, f"topic id {topic_id!r} must be lower-case "
                                    "ASCII words joined by hyphens, at most 48 characters",
                                    line))
        elif topic_id in topics:
            problems.append(Problem(path.name, topic_id, f"duplicate topic id '{topic_id}'", line))
        else:
            report = _reporter(problems, path.name, topic_id, line)
            name = _localized_text(raw.get("name"), f"topic '{topic_id}'", "name", report)
            topics[topic_id] = Topic(topic_id, name)
    return list(topics.values())


def _read_entries(path: Path, problems: list[Problem]) -> Iterator[tuple[Entry, int | None]]:
    for number, (raw, line) in enumerate(_items(path, "entries", problems), start=1):
        if not isinstance(raw, dict):
            problems.append(Problem(path.name, None, f"entry number {number} is not a mapping "
                                                     "of fields", line))
            continue
        entry_id = raw.get("id")
        if not isinstance(entry_id, str) or not _ID.fullmatch(entry_id):
            problems.append(Problem(path.name, None, f"entry number {number} has an invalid id "
                                    f"{entry_id!r}: use lower-case ASCII words joined by "
                                    "hyphens, at most 48 characters", line))
            continue
        report = _reporter(problems, path.name, entry_id, line)
        yield _entry(raw, entry_id, path.name, report), line


def _reporter(problems: list[Problem], file: str, entry_id: str, line: int | None) -> Report:
    """A function that records a problem about one entry or topic."""
    return lambda message: problems.append(Problem(file, entry_id, message, line))


def _entry(raw: dict[str, Any], entry_id: str, file: str, report: Report) -> Entry:
    """Build an entry from its YAML mapping, reporting what is missing or malformed."""
    name = f"entry '{entry_id}'"
    for field in sorted(set(raw) - ENTRY_FIELDS, key=str):
        report(f"{name} has an unknown field '{field}'")
    topic = raw.get("topic")
    if not isinstance(topic, str) or not topic.strip():
        report(f"{name} has no topic")
        topic = ""
    status = raw.get("status")
    if status is None:
        report(f"{name} has no status")
    elif status not in set(Status):
        report(f"{name} has an unknown status '{status}' "
               "(expected confirmed, unconfirmed or historical)")
    source = raw.get("source")
    if not isinstance(source, str) or not source.strip():
        report(f"{name} has no source")
        source = ""
    for citation in citations_of(source):
        problem = _citation_problem(citation)
        if problem:
            report(f"{name}: source '{citation.label}' {problem}")
    return Entry(
        id=entry_id,
        topic=topic.strip(),
        title=_localized_text(raw.get("title"), name, "title", report),
        text=_localized_text(raw.get("text"), name, "text", report),
        questions=_questions(raw.get("questions"), name, report),
        status=Status(status) if status in set(Status) else Status.UNCONFIRMED,
        source=_clean(source),
        facts=_ids(raw.get("facts"), name, "facts", report),
        reviewed=_reviewed(raw.get("reviewed"), name, report),
        related=_ids(raw.get("related"), name, "related", report),
        file=file,
    )


# Users see sources; these are notes for the writers, not sources.
_PLACEHOLDERS = re.compile(r"\([A-Z]{2,3}-\d+\)|nguồn của dự án|github\.com", re.IGNORECASE)


def _citation_problem(citation: Citation) -> str | None:
    """What is wrong with a source as users would see it, if anything."""
    if _PLACEHOLDERS.search(citation.label) or _PLACEHOLDERS.search(citation.url):
        return "is an internal note or a personal copy: name the official text instead"
    if "://" in citation.label:
        return "is a bare address: write it as [short name](address)"
    if citation.url and not citation.url.startswith(("https://", "http://")):
        return "has an address that is not a web address"
    return None


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def _localized_text(raw: Any, name: str, field: str, report: Report) -> Localized[str]:
    if raw is not None and not isinstance(raw, dict):
        report(f"{name} has a {field} that is not split into vi and en")
        raw = {}
    raw = raw or {}
    for lang in sorted(set(raw) - set(LANGUAGES), key=str):
        report(f"{name} has a {field} in an unknown language '{lang}'")
    values = {}
    for lang in LANGUAGES:
        value = raw.get(lang)
        if not isinstance(value, str) or not value.strip():
            report(f"{name} has no {_LANGUAGE_NAMES[lang]} {field}")
            value = ""
        values[lang] = _clean(value)
    return Localized(**values)


def _questions(raw: Any, name: str, report: Report) -> Localized[tuple[str, ...]]:
    if raw is None:
        return Localized((), ())
    if not isinstance(raw, dict) or set(raw) - set(LANGUAGES):
        report(f"{name} has questions that are not lists under vi and en")
        return Localized((), ())
    values = {}
    for lang in LANGUAGES:
        phrasings = raw.get(lang) or []
        if not isinstance(phrasings, list) or not all(
            isinstance(q, str) and q.strip() for q in phrasings
        ):
            report(f"{name} has {_LANGUAGE_NAMES[lang]} questions that are not a list of text")
            phrasings = []
        values[lang] = tuple(_clean(q) for q in phrasings)
    return Localized(**values)


def _ids(raw: Any, name: str, field: str, report: Report) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        report(f"{name} has a '{field}' that is not a list of ids")
        return ()
    return tuple(item.strip() for item in raw)


def _reviewed(raw: Any, name: str, report: Report) -> date | None:
    if raw is None:
        report(f"{name} has no reviewed date")
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        report(f"{name} has an invalid reviewed date '{raw}' (expected YYYY-MM-DD)")
        return None
