"""Storage guarantees, on SQLite and (with TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import build_core
from handlers.types import Incoming
from storage.uow import UnitOfWork
from tests.conftest import make_settings

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def text(user: str, body: str, update_id: str | None = None) -> Incoming:
    return Incoming(channel="telegram", user_id=user, text=body, update_id=update_id)


async def test_migrations_give_a_working_schema(db_core) -> None:
    async with UnitOfWork(db_core.session_factory) as uow:
        user = await uow.users.get_for_update("telegram", "42", locale="vi",
                                              display_name="An", now=NOW)
        await uow.profiles.save(user.id, now=NOW, name="Cơ sở Mây tre", tax_code="0100109106")
        await uow.commit()
    async with UnitOfWork(db_core.session_factory) as uow:
        user = await uow.users.find("telegram", "42")
        profile = await uow.profiles.get(user.id)
        assert profile.name == "Cơ sở Mây tre"
        assert profile.updated_at == NOW  # timezone-aware UTC on both backends


async def test_duplicate_update_is_applied_once(db_core) -> None:
    first = await db_core.dispatcher.handle(text("7", "/start", update_id="1001"))
    # Delivered again before its replies were marked sent: the same replies, not applied again.
    again = await db_core.dispatcher.handle(text("7", "/start", update_id="1001"))
    assert first and again == [replace(r, document=None) for r in first]
    async with UnitOfWork(db_core.session_factory) as uow:
        await uow.inbound.mark_sent("telegram", ["1001"], NOW)
        await uow.commit()
    assert await db_core.dispatcher.handle(text("7", "/start", update_id="1001")) == []
    assert await db_core.dispatcher.handle(text("7", "/start", update_id="1002"))


async def test_duplicate_delivered_to_two_workers_at_once_is_applied_once(
    database_url: str, locales_dir: Path
) -> None:
    workers = [build_core(make_settings(database_url, locales_dir)) for _ in range(2)]
    try:
        results = await asyncio.gather(*(
            w.dispatcher.handle(text("8", "lịch nghỉ tết của trung tâm", update_id="2001"))
            for w in workers
        ))
        async with UnitOfWork(workers[0].session_factory) as uow:
            waiting = await uow.questions.count_waiting()
    finally:
        for w in workers:
            await w.close()
    # Applied once (one question kept for staff); the twin gets nothing on PostgreSQL (it
    # raced the first transaction) or the same unsent replies on SQLite (it came after it).
    assert waiting == 1
    assert results[0] or results[1]
    assert all(r in ([], results[0] or results[1]) for r in results)


async def test_a_failed_handler_leaves_the_update_unclaimed(db_core, monkeypatch) -> None:
    async def broken(msg, ctx):
        raise RuntimeError("boom")

    commands = db_core.dispatcher.router.commands
    monkeypatch.setitem(commands, "menu", replace(commands["menu"], handler=broken))
    replies = await db_core.dispatcher.handle(text("9", "/menu", update_id="3001"))
    assert "Xin lỗi, hệ thống vừa gặp lỗi" in replies[0].text
    monkeypatch.undo()
    # Redelivered after the failure: applied this time.
    assert await db_core.dispatcher.handle(text("9", "/menu", update_id="3001"))


async def test_user_row_lock_serialises_two_transactions(db_core) -> None:
    order: list[str] = []
    first_locked = asyncio.Event()

    async def first() -> None:
        async with UnitOfWork(db_core.session_factory) as uow:
            await uow.users.get_for_update("zalo", "u1", locale="vi", display_name=None,
                                           now=NOW)
            first_locked.set()
            await asyncio.sleep(0.2)
            order.append("first commits")
            await uow.commit()

    async def second() -> None:
        await first_locked.wait()
        async with UnitOfWork(db_core.session_factory) as uow:
            await uow.users.get_for_update("zalo", "u1", locale="vi", display_name=None,
                                           now=NOW)
            order.append("second holds the lock")
            await uow.commit()

    await asyncio.gather(first(), second())
    assert order == ["first commits", "second holds the lock"]


async def test_two_quick_messages_from_one_user_apply_in_order(db_core) -> None:
    dispatcher = db_core.dispatcher
    await dispatcher.handle(text("10", "/hoso"))
    await dispatcher.handle(Incoming(channel="telegram", user_id="10", payload="profile:consent"))
    await asyncio.gather(
        dispatcher.handle(text("10", "Công ty Toàn Phát")),
        dispatcher.handle(text("10", "0100109106")),
    )
    async with UnitOfWork(db_core.session_factory) as uow:
        user = await uow.users.find("telegram", "10")
        state = await uow.conversations.get(user.id)
    progress = state.draft["progress"]
    assert progress["q"] == "phone"
    assert progress["a"] == {"name": "Công ty Toàn Phát", "tax_code": "0100109106"}


async def test_processed_update_ledger_can_be_pruned(db_core) -> None:
    async with UnitOfWork(db_core.session_factory) as uow:
        assert await uow.inbound.record("telegram", "1", NOW - timedelta(days=5))
        assert await uow.inbound.record("telegram", "2", NOW)
        assert await uow.inbound.forget_older_than(NOW - timedelta(days=3)) == 1
        assert not await uow.inbound.record("telegram", "2", NOW)
        await uow.commit()


async def test_web_cookie_secret_is_shared_by_workers(database_url: str, locales_dir) -> None:
    settings = make_settings(database_url, locales_dir)
    settings = settings.__class__(**{**settings.__dict__, "web_cookie_secret": None})
    a, b = build_core(settings), build_core(settings)
    try:
        assert await a.web_cookie_secret() == await b.web_cookie_secret()
    finally:
        await a.close()
        await b.close()


def _count_thread_calls(driver_connection: Any) -> list[Any]:
    """The functions an aiosqlite connection runs in its thread from now on."""
    calls: list[Any] = []
    real = driver_connection._execute

    async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(fn)
        return await real(fn, *args, **kwargs)

    driver_connection._execute = counted
    return calls


async def test_sqlite_statements_run_at_once_and_only_commit_goes_to_the_database_thread(
        sqlite_url: str) -> None:
    """Inside a transaction the bot's SQLite engine runs statements without a thread hand-off
    (a suspended writer holds SQLite's one write lock while other tasks run), with the right
    rows, row count and last row id; BEGIN, which may wait, and COMMIT, which syncs to disk,
    go to aiosqlite's thread."""
    from sqlalchemy import text

    from storage.db import create_engine
    from storage.sqlite_driver import _OneCallCursor

    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            calls = _count_thread_calls(raw.driver_connection)
            async with connection.begin():
                await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
                inserted = await connection.execute(text("INSERT INTO t (v) VALUES ('a'), ('b')"))
                assert inserted.rowcount == 2 and inserted.lastrowid == 2
                assert (await connection.execute(text("SELECT v FROM t ORDER BY id"))).all() == [
                    ("a",), ("b",)]
                assert len(calls) == 1  # BEGIN IMMEDIATE, which may wait for another process
            assert len(calls) == 2  # and the commit
            await connection.rollback()  # nothing open: no hand-off for nothing
            assert len(calls) == 2
            assert isinstance(raw.dbapi_connection.cursor(), _OneCallCursor)
    finally:
        await engine.dispose()


async def test_a_sqlite_writer_waiting_for_another_connection_does_not_block_the_loop(
        sqlite_url: str) -> None:
    """When another connection (here another engine, as another process would) holds the
    write lock, BEGIN waits in aiosqlite's thread: the event loop goes on meanwhile."""
    from sqlalchemy import text

    from storage.db import create_engine

    first, second = create_engine(sqlite_url), create_engine(sqlite_url)
    try:
        async with first.begin() as connection:
            await connection.execute(text("CREATE TABLE t (v TEXT)"))
        holder = await first.connect()
        await holder.begin()
        await holder.execute(text("INSERT INTO t VALUES ('first')"))

        async def write_second() -> None:
            async with second.begin() as connection:
                await connection.execute(text("INSERT INTO t VALUES ('second')"))

        waiting = asyncio.create_task(write_second())
        ticks = 0
        while ticks < 20:  # the loop runs while the second writer waits
            await asyncio.sleep(0.005)
            ticks += 1
        assert not waiting.done()
        await holder.commit()
        await holder.close()
        await asyncio.wait_for(waiting, 10)
        async with second.connect() as connection:
            assert (await connection.execute(text("SELECT v FROM t ORDER BY rowid"))).scalars(
                ).all() == ["first", "second"]
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_refused_message_waits_for_the_next_reply_only_while_it_is_kept(
        db_core) -> None:
    """Messages a platform refused to push come with the next reply for 30 days; an older one
    is no longer looked for with every message."""
    from storage.models import DeliveryStatus, OutboxMessage

    async with UnitOfWork(db_core.session_factory) as uow:
        user = await uow.users.get_for_update("zalo_oa", "u9", locale="vi", display_name=None,
                                              now=NOW)
        uow._session.add(OutboxMessage(user_id=user.id, text="cũ", created_at=NOW,
                                       status=DeliveryStatus.NOT_ALLOWED))
        await uow.commit()
    for later, waiting in ((timedelta(days=29), True), (timedelta(days=31), False)):
        async with UnitOfWork(db_core.session_factory) as uow:
            locked = await uow.users.lock_with_state("zalo_oa", "u9", locale="vi",
                                                     display_name=None, now=NOW + later)
            assert locked.has_queued_messages is waiting
            assert bool(await uow.outbox.take_for_user(locked.user.id, NOW + later)) is waiting
