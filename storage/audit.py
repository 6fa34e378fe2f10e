"""Audit log of actions on other people's data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, *, actor: str, action: str, now: datetime, target: str | None = None,
                     details: dict[str, Any] | None = None) -> None:
        self._session.add(AuditEntry(at=now, actor=actor, action=action, target=target,
                                     details=details or {}))
        await self._session.flush()

    async def recent(self, limit: int = 20) -> list[AuditEntry]:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        return list((await self._session.execute(query)).scalars())
