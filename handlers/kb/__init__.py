"""The knowledge base: content files about khuyến công, validated, and searched by meaning of
the words people type (with or without diacritics, with typos and abbreviations)."""

from handlers.kb.index import SearchResult
from handlers.kb.knowledge_base import KnowledgeBase
from handlers.kb.loader import (
    KnowledgeError,
    Problem,
    check_knowledge,
    load_knowledge,
    run_check,
)
from handlers.kb.model import Entry, Knowledge, Localized, Status, Topic

__all__ = [
    "Entry",
    "Knowledge",
    "KnowledgeBase",
    "KnowledgeError",
    "Localized",
    "Problem",
    "SearchResult",
    "Status",
    "Topic",
    "check_knowledge",
    "load_knowledge",
    "run_check",
]
