"""A migrated database of a benchmark's own: a new database on TEST_DATABASE_URL's PostgreSQL
server (created, then dropped; never the tests' database), or a temporary SQLite file."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import make_url, text

from storage.db import create_engine
from storage.migrate import upgrade

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@contextmanager
def scratch_database(server_url: str | None, name: str) -> Iterator[str]:
    """The URL of a migrated, empty database, gone when the block ends. On PostgreSQL it is
    named after `name` and the URL's database, so sessions with their own test databases on
    one server do not drop each other's."""
    if not server_url:
        with tempfile.TemporaryDirectory() as workdir:
            url = f"sqlite+aiosqlite:///{Path(workdir) / 'bench.db'}"
            upgrade(url)
            yield url
        return
    server = make_url(server_url)
    if not server.drivername.startswith("postgresql") or server.host not in LOOPBACK:
        raise SystemExit("TEST_DATABASE_URL must be a postgresql URL on a loopback host")
    name = f"{name}_{server.database}"
    drop = f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    asyncio.run(_admin(server_url, drop))
    asyncio.run(_admin(server_url, f"CREATE DATABASE {name}"))
    try:
        url = server.set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        yield url
    finally:
        asyncio.run(_admin(server_url, drop))


async def _admin(url: str, statement: str) -> None:
    """Run a statement outside a transaction (CREATE/DROP DATABASE) on the server of `url`."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()
