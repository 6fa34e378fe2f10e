"""INSERT … ON CONFLICT DO NOTHING for the two supported backends."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_ignoring_conflict(session: AsyncSession, model: Any, **values: Any) -> bool:
    """Insert a row unless one with the same key exists; True when inserted."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = await session.execute(insert(model).values(**values).on_conflict_do_nothing())
    return result.rowcount == 1
