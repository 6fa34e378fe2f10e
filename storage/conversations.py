"""Conversation state: the flow and step a user is in, with draft answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage._upsert import upsert
from storage.models import ConversationState


class ConversationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, user_id: int) -> ConversationState | None:
        return await self._session.get(ConversationState, user_id)

    async def save(
        self, user_id: int, *, flow: str | None, step: str | None, draft: dict[str, Any],
        choices: dict[str, Any], now: datetime,
    ) -> None:
        # Runs for nearly every message: one upsert costs far less than an ORM flush.
        await upsert(self._session, ConversationState, "user_id", user_id=user_id, flow=flow,
                     step=step, draft=draft, choices=choices, updated_at=now)
