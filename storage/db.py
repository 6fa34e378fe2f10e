"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from storage.sqlite_driver import one_call_sqlite

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///khuyencong.db"
WRITE_LOCK = "write_lock"


def create_engine(url: str, *, read_only: bool = False, **kwargs: Any) -> AsyncEngine:
    """Create an async engine; SQLite gets WAL, foreign keys and immediate transactions.

    `read_only` (SQLite): deferred transactions that refuse writes, so a long read such as an
    export does not hold the write lock and hold up the bot."""
    # Statement parameters are users' names, tax codes and phones: keep them out of error
    # messages and logs.
    kwargs.setdefault("hide_parameters", True)
    if make_url(url).get_driver_name() == "aiosqlite":
        kwargs.setdefault("module", one_call_sqlite())
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine, read_only=read_only)
    return engine


def _tune_sqlite(engine: AsyncEngine, *, read_only: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (below); pysqlite's implicit BEGIN is deferred.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front: two writers queue on busy_timeout instead
        # of failing with "database is locked" when a reader later tries to write.
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker:
    info = {}
    if engine.dialect.name == "sqlite":
        # SQLite has one writer at a time. Queueing our transactions on a fair asyncio lock
        # beats SQLite's busy handler, which sleeps and retries (long, unfair waits).
        info[WRITE_LOCK] = asyncio.Lock()
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True, info=info)


# What a failing or unreachable database raises: SQLAlchemy's wrapped errors, and what drivers
# raise unwrapped while connecting (refused or unroutable: OSError; connect timeout; asyncpg's
# own errors, e.g. "the database system is starting up").
DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    SQLAlchemyError, OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError,
)
