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

    async def offer_choices(self, user_id: int, choices: list[tuple[str, str]],
                            now: datetime) -> None:
        """Make the buttons of a message pushed to the user (a booth offered) the ones a typed
        "có", label or number picks next, unless the user is in a form, whose own buttons and
        typed answers come first. Buttons offered earlier stay valid to press."""
        state = await self.get(user_id)
        if state is not None and state.flow:
            return
        earlier = dict(state.choices or {}) if state is not None else {}
        pressable = {item["payload"] for item in earlier.get("items", [])} | set(
            earlier.get("offered", ()))
        stored: dict[str, Any] = {"items": [{"label": label, "payload": payload}
                                            for label, payload in choices]}
        if pressable - {payload for _label, payload in choices}:
            stored["offered"] = sorted(pressable - {payload for _label, payload in choices})
        await self.save(user_id, flow=None, step=None,
                        draft=dict(state.draft or {}) if state is not None else {},
                        choices=stored, now=now)
