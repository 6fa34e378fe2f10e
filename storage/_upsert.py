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


async def upsert(session: AsyncSession, model: Any, key: str, **values: Any) -> None:
    """Insert a row, or update every given column of the row with the same `key`: one
    statement, without loading the row or going through the ORM's flush."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**values)
    changed = {name: statement.excluded[name] for name in values if name != key}
    await session.execute(statement.on_conflict_do_update(index_elements=[key], set_=changed))
