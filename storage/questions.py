"""Questions kept for staff, and the answers staff add to the knowledge base."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Question, StaffAnswer, User


class QuestionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, *, user_id: int, text: str, lang: str, status: str,
                  best_entry_id: str | None, score: float, now: datetime) -> Question:
        question = Question(user_id=user_id, text=text, lang=lang, status=status,
                            best_entry_id=best_entry_id, score=score, asked_at=now)
        self._session.add(question)
        await self._session.flush()
        return question

    async def get_for_update(self, question_id: int) -> Question | None:
        """Lock the question so two staff members cannot answer it at once."""
        query = select(Question).where(Question.id == question_id).with_for_update()
        return (await self._session.execute(query)).scalar_one_or_none()

    async def waiting(self, limit: int = 10) -> list[tuple[Question, User]]:
        """Forwarded questions first, then those the bot could not answer; oldest first."""
        query = (
            select(Question, User)
            .join(User, User.id == Question.user_id)
            .where(Question.status.in_(("forwarded", "unanswered")))
            .order_by(Question.status == "unanswered", Question.asked_at)
            .limit(limit)
        )
        return [(q, u) for q, u in (await self._session.execute(query)).all()]

    async def count_waiting(self) -> int:
        query = select(func.count()).select_from(Question).where(
            Question.status.in_(("forwarded", "unanswered")))
        return (await self._session.execute(query)).scalar_one()


class StaffAnswerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, *, question: str, answer: str, lang: str, added_by: str,
                  now: datetime) -> StaffAnswer:
        staff_answer = StaffAnswer(question=question, answer=answer, lang=lang,
                                   added_by=added_by, added_at=now)
        self._session.add(staff_answer)
        await self._session.flush()
        return staff_answer

    async def remove(self, answer_id: int) -> bool:
        """Delete one; False when there is none with that id."""
        staff_answer = await self._session.get(StaffAnswer, answer_id)
        if staff_answer is None:
            return False
        await self._session.delete(staff_answer)
        await self._session.flush()
        return True

    async def all(self) -> list[StaffAnswer]:
        return list((await self._session.execute(
            select(StaffAnswer).order_by(StaffAnswer.id))).scalars())

    async def version(self) -> tuple[int, int]:
        """Count and highest id: cheap to compare, changes whenever an answer is added."""
        row = (await self._session.execute(
            select(func.count(StaffAnswer.id), func.coalesce(func.max(StaffAnswer.id), 0))
        )).one()
        return int(row[0]), int(row[1])
