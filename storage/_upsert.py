"""INSERT … ON CONFLICT for the two supported backends, with statements built once.

These run for nearly every message; building a statement (and its cache key) costs more than
executing it, so each shape is built once and executed with its values as parameters.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert


async def insert_ignoring_conflict(session: AsyncSession, model: Any, **values: Any) -> bool:
    """Insert a row unless one with the same key exists; True when inserted."""
    statement = _insert_ignoring(session.get_bind().dialect.name, model.__table__)
    result = await session.execute(statement, values)
    return result.rowcount == 1


async def upsert(session: AsyncSession, model: Any, key: str, **values: Any) -> None:
    """Insert a row, or update every given column of the row with the same `key`: one
    statement, without loading the row or going through the ORM's flush."""
    statement = _upsert(session.get_bind().dialect.name, model.__table__, key,
                        tuple(sorted(values)))
    await session.execute(statement, values)


def insert_for(dialect: str, table: Any) -> Insert:
    """The dialect's INSERT, which has ON CONFLICT."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


@cache
def _insert_ignoring(dialect: str, table: Any) -> Insert:
    return insert_for(dialect, table).on_conflict_do_nothing()


@cache
def _upsert(dialect: str, table: Any, key: str, columns: tuple[str, ...]) -> Insert:
    statement = insert_for(dialect, table)
    changed = {name: statement.excluded[name] for name in columns if name != key}
    return statement.on_conflict_do_update(index_elements=[key], set_=changed)
