"""Staff answers stored in the database, searched as knowledge-base entries."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime

from handlers.i18n import LOCAL_TZ
from handlers.kb.knowledge_base import KnowledgeBase
from handlers.kb.model import Entry, Localized
from storage.uow import UnitOfWork

STAFF_TOPIC = "hoi-dap-can-bo"
CENTRE = "Trung tâm Khuyến công và Tư vấn phát triển công nghiệp Hải Phòng"


def staff_entry(answer_id: int, question: str, answer: str, added_at: datetime) -> Entry:
    """An entry for an answered question; it is in the language staff wrote it in."""
    same = Localized(question, question)
    # The day in Vietnam (an answer added at 2 a.m. there is dated the day before in UTC).
    local = (added_at if added_at.tzinfo else added_at.replace(tzinfo=UTC)).astimezone(LOCAL_TZ)
    return Entry(id=f"staff-{answer_id}", topic=STAFF_TOPIC, title=same,
                 text=Localized(answer, answer), questions=Localized((question,), (question,)),
                 source=f"{CENTRE} ({local:%d/%m/%Y})", reviewed=local.date())


class StaffAnswerSync:
    """Keeps the knowledge base's run-time entries in step with the staff_answers table.

    Answers added on this worker show at once (`invalidate`); those added on another worker
    within `interval` seconds, so that a question costs no extra query most of the time.
    """

    def __init__(self, kb: KnowledgeBase, *, interval: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._kb = kb
        self._interval = interval
        self._clock = clock
        self._version: tuple[int, int] | None = None
        self._checked_at = -math.inf

    def invalidate(self) -> None:
        self._checked_at = -math.inf

    async def sync(self, uow: UnitOfWork) -> None:
        if self._clock() - self._checked_at < self._interval:
            return
        self._checked_at = self._clock()
        version = await uow.staff_answers.version()  # one cheap query when nothing changed
        if version == self._version:
            return
        answers = await uow.staff_answers.all()
        await self._kb.set_extra_entries_in_background(
            [staff_entry(a.id, a.question, a.answer, a.added_at) for a in answers])
        self._version = version
