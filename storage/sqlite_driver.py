"""aiosqlite with the statements run on the event loop's thread.

aiosqlite runs each sqlite3 call in its own thread and hands every call over through a queue;
SQLAlchemy's adapter makes four such calls per statement (open a cursor, execute, fetch the
rows, close the cursor). Each hand-off wakes the thread, takes the GIL back and forth and, worse,
suspends the transaction: on SQLite one transaction writes at a time (the session factory's
write lock), and a suspended writer waits for every other ready task of the event loop before
it goes on, so the lock was held about 6 ms per update for 1.5 ms of work (issue 7's benchmark).

Here a statement runs at once on the calling thread (cursor, execute, fetch, close) and never
waits: inside a transaction that holds the write lock (BEGIN IMMEDIATE), and for reads in WAL
mode, SQLite does not wait on other connections. What may wait goes through aiosqlite's thread:
BEGIN (another connection, another process say, may hold the write lock), COMMIT (it syncs the
file to disk) and PRAGMAs. (Trying BEGIN at once first, with no busy timeout, saved little on
the webhook benchmark and cost a broadcast 5% of its rate: not kept.)
Server-side (streamed) cursors are left to SQLAlchemy's adapter.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)

_Outcome = tuple[Any, list[Any] | None, int, int | None]


def _execute(connection: sqlite3.Connection, operation: str, parameters: Any,
             many: bool) -> _Outcome:
    """Run in aiosqlite's thread: the statement, its rows and what the cursor tells of it."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class _OneCallCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor whose statements each cost one call into the database thread."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No aiosqlite cursor is opened here: each statement opens and closes its own.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None
        self._soft_closed_memoized = {}
        self._rows = collections.deque()
        self._description = None
        self._rowcount = -1
        self._lastrowid = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:  # rows are fetched whole: nothing to size
        pass

    async def _async_soft_close(self) -> None:
        return None  # the statement's cursor is closed already

    def close(self) -> None:
        self._rows.clear()

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._run(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> None:
        await self._run(operation, seq_of_parameters, many=True)

    async def _run(self, operation: Any, parameters: Any, *, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection
        async with self._adapt_connection._execute_mutex:
            if _may_wait(operation):
                outcome = await connection._execute(
                    _execute, connection._conn, operation, parameters, many)
            else:
                outcome = _execute(connection._conn, operation, parameters, many)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows or ())


def _may_wait(operation: str) -> bool:
    """Statements that may wait for another connection (see the module's docstring)."""
    return operation.lstrip()[:6].upper().startswith(("BEGIN", "PRAGMA"))


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _OneCallCursor

    # Outside a transaction both are no-ops in SQLite; skipping them saves a thread hand-off
    # each time the pool resets a connection that was committed already.
    def rollback(self) -> None:
        if self._connection._conn.in_transaction:
            super().rollback()

    def commit(self) -> None:
        if self._connection._conn.in_transaction:
            super().commit()


class OneCallSQLite(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module to give `create_async_engine(..., module=...)` for sqlite+aiosqlite."""

    def connect(self, *args: Any, **kwargs: Any) -> _Connection:
        # Statements run on the event loop's thread, BEGIN and COMMIT on aiosqlite's, one at
        # a time (the cursor's mutex, then the awaited commit).
        kwargs["check_same_thread"] = False
        adapted = super().connect(*args, **kwargs)
        return _Connection(self, adapted._connection)


def one_call_sqlite() -> OneCallSQLite:
    return OneCallSQLite(aiosqlite, sqlite3)
