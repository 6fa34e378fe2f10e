"""A broadcast at the platform's limit, with faults: the real Telegram adapter (PTB) against the
fake Bot API enforcing a rate, 2% of users who blocked the bot, bursts of 429, and one worker
killed with SIGKILL and restarted midway.

Run from the project root (after `make setup`)::

    .venv/bin/python benchmarks/broadcast.py                     # SQLite file, one worker
    TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test_bcast \\
        .venv/bin/python benchmarks/broadcast.py --workers 2     # PostgreSQL, two workers

What it does:

1. A fresh, migrated database: with TEST_DATABASE_URL (PostgreSQL on a loopback host), a
   database ``bench_broadcast_<its database>`` created on that server for the run and dropped
   after it (the database of the URL itself is only used to connect); without it, a temporary
   SQLite file.
2. The fake Bot API (tests/fakes/telegram_server.py) in this process, enforcing ``--limit``
   (300) messages a second overall (a token bucket allowing a tenth of a second's burst) and
   1 a second per chat, answering real 429 "retry after 1" beyond that; 2% of the chats
   answer 403 "bot was blocked by the user".
3. ``--recipients`` (6000) Telegram users and a broadcast to all of them, its recipient rows
   listed by the scheduler's job, in batches, as the bot does.
4. ``--workers`` worker processes (this file with ``--worker``), each the bot's real
   TelegramChannel (PTB Application with its AIORateLimiter) and BroadcastSender, with the
   channel's rate set to the limit (for all workers together) and a 10-second lease.
5. Faults while they send: three 1-second bursts in which every message gets a 429, and
   at 40% one worker killed with SIGKILL and started again at once.
6. When every recipient has ended: the figures, from the fake's own log and the database.

Prints one JSON object: ``recipients``, ``limit_per_s``, ``achieved_per_s`` (messages the
fake accepted per second of time in which sending was allowed: the run's span without the
time the injected bursts' 429s told the bot to wait (the union of each one's retry_after)
and, with one worker, without the gap between the kill and the restarted worker's first
message), ``wall_per_s`` (the same over the whole span), ``sent``, ``blocked``, ``failed``,
``lost`` (chats not blocked that got nothing, or rows not ended), ``duplicates`` (messages
beyond one per chat), ``in_flight_at_kill`` (rows the killed worker held), ``429_received``,
``seconds``, ``flood_forbidden_s``, ``kill_gap_s``, ``rows_by_error``, ``backend``,
``machine_loop_s``. Exits with 1 when a target is missed: achieved < 0.95 of the limit,
lost > 0, or duplicates > in_flight_at_kill.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from benchmarks.machine import machine_speed
from benchmarks.scratch_db import scratch_database
from storage.db import create_engine, create_session_factory
from storage.models import RecipientStatus

BENCH_DATABASE = "bench_broadcast"
TOKEN = "424242:BENCH-TOKEN"
FIRST_CHAT = 10_000_000
LEASE_SECONDS = 10.0
FLOOD_AT = (0.15, 0.55, 0.8)  # of the recipients sent
FLOOD_SECONDS = 1.0  # as long as the retry_after it answers
KILL_AT = 0.4


def settings_for(database_url: str, api_url: str, limit: float):
    from bot.settings import Settings

    return Settings(database_url=database_url, telegram_token=TOKEN,
                    telegram_api_base_url=api_url, web_cookie_secret="bench",
                    telegram_messages_per_second=limit, broadcast_lease_seconds=LEASE_SECONDS)


# --- a worker process ----------------------------------------------------------------------

async def worker(database_url: str, api_url: str, limit: float) -> None:
    """Send broadcasts on Telegram until terminated (or killed)."""
    from bot.app import build_broadcasting, build_core
    from bot.channels.telegram import TelegramChannel

    core = build_core(settings_for(database_url, api_url, limit))
    channel = TelegramChannel.from_settings(core.settings, core)
    await channel.application.initialize()
    senders, _monitor = build_broadcasting(core, [channel])
    for sender in senders:
        sender.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    for sender in senders:
        await sender.stop()
    await channel.application.shutdown()
    await core.close()


def start_worker(database_url: str, api_url: str, limit: float, name: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, __file__, "--worker", name, "--database-url", database_url,
         "--api-url", api_url, "--limit", str(limit)],
        env={**os.environ, "PYTHONUNBUFFERED": "1"})


# --- the run -------------------------------------------------------------------------------

async def prepare(database_url: str, api_url: str, limit: float, recipients: int) -> int:
    """The users and a broadcast to all of them, its recipients listed by the job."""
    from bot.app import build_core
    from handlers.broadcasts.jobs import LIST_JOB, list_job_key
    from storage.broadcasts import Audience
    from storage.models import User
    from storage.uow import UnitOfWork

    core = build_core(settings_for(database_url, api_url, limit))
    now = datetime.now(UTC)
    async with UnitOfWork(core.session_factory) as uow:
        await uow._session.execute(User.__table__.insert(), [
            {"channel": "telegram", "channel_user_id": str(FIRST_CHAT + n), "locale": "vi",
             "role": "user", "created_at": now} for n in range(recipients)])
        broadcast = await uow.broadcasts.add(
            text="Trung tâm Khuyến công mời các cơ sở đăng ký Hội chợ OCOP 2027.",
            audience=Audience(), created_by="bench", staff_user_id=None, now=now,
            scheduled_at=now)
        await uow.jobs.schedule(LIST_JOB, now, now, payload={"broadcast": broadcast.id},
                                key=list_job_key(broadcast.id, 0))
        await uow.commit()
    while await core.scheduler.run_due():
        pass
    await core.close()
    return broadcast.id


async def statuses(factory: Any) -> Counter:
    from storage.models import BroadcastRecipient

    async with factory() as session:
        rows = await session.execute(text(
            f"SELECT status, count(*) FROM {BroadcastRecipient.__tablename__} GROUP BY status"))
        return Counter(dict(rows.all()))


async def run(database_url: str, recipients: int, limit: float, workers: int, *,
              faults: bool = True) -> dict:
    from tests.fakes.telegram_server import FakeTelegram

    tg = FakeTelegram(token=TOKEN)
    accepted: list[tuple[float, int]] = []
    send_message = tg._send_message

    async def counted(params: dict[str, Any]) -> dict[str, Any]:
        result = await send_message(params)
        accepted.append((time.monotonic(), int(params["chat_id"])))
        return result

    tg._send_message = counted
    tg._handlers["sendmessage"] = ("sendMessage", counted)
    await tg.start()
    blocked = {FIRST_CHAT + n for n in range(0, recipients, 50)}  # 2%
    for chat in blocked:
        tg.block(chat)
    tg.enforce_rate(limit, 1.0)
    await prepare(database_url, tg.url, limit, recipients)
    engine = create_engine(database_url, read_only=True)  # SQLite: no write lock taken
    factory = create_session_factory(engine)

    procs = [start_worker(database_url, tg.url, limit, f"w{i}") for i in range(workers)]
    started = time.monotonic()
    floods = list(FLOOD_AT) if faults else []
    killed = not faults or bool(os.environ.get("BENCH_NO_KILL"))
    in_flight = 0
    kill_gap = 0.0
    killed_at = None
    deliverable = recipients - len(blocked)
    try:
        while True:
            await asyncio.sleep(0.25)
            done = len(accepted) / deliverable
            if floods and done >= floods[0]:
                floods.pop(0)
                tg.flood(FLOOD_SECONDS)
            if not killed and done >= KILL_AT:
                procs[0].send_signal(signal.SIGKILL)
                procs[0].wait()
                killed, killed_at = True, time.monotonic()
                in_flight = (await statuses(factory))[RecipientStatus.SENDING]
                procs[0] = start_worker(database_url, tg.url, limit, "w0-restarted")
            counts = await statuses(factory)
            if not counts[RecipientStatus.QUEUED] and not counts[RecipientStatus.SENDING]:
                break
            if time.monotonic() - started > 30 + 5 * recipients / limit:
                raise SystemExit(f"not finished in time: {dict(counts)}")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    counts = await statuses(factory)
    async with factory() as session:
        errors = dict((await session.execute(text(
            "SELECT coalesce(last_error, '-') || ' / attempts ' || attempts, count(*) "
            "FROM broadcast_recipients GROUP BY 1"))).all())
    await engine.dispose()
    await tg.close()

    per_chat = Counter(chat for _at, chat in accepted)
    span = accepted[-1][0] - accepted[0][0] if len(accepted) > 1 else 0.0
    if killed_at is not None and workers == 1:
        # Nobody sends from the kill to the restarted worker's first message (requests in
        # flight at the kill are answered within a fraction of a second; a new process
        # takes more than one to start).
        kill_gap = min(t for t, _chat in accepted if t > killed_at + 0.3) - killed_at
    forbidden = _union(tg.flood_windows)
    active = max(span - forbidden - kill_gap, 1e-9)
    lost = sum(1 for n in range(recipients) if FIRST_CHAT + n not in blocked
               and per_chat[FIRST_CHAT + n] == 0)
    lost += counts[RecipientStatus.QUEUED] + counts[RecipientStatus.SENDING]
    return {
        "recipients": recipients, "limit_per_s": limit, "workers": workers,
        "achieved_per_s": round(len(accepted) / active, 1),
        "wall_per_s": round(len(accepted) / span, 1) if span else 0.0,
        "sent": counts[RecipientStatus.SENT], "blocked": counts[RecipientStatus.BLOCKED],
        "failed": counts[RecipientStatus.FAILED], "lost": lost,
        "duplicates": sum(n - 1 for n in per_chat.values() if n > 1),
        "in_flight_at_kill": in_flight, "429_received": tg.flood_replies,
        "seconds": round(span, 2), "flood_forbidden_s": round(forbidden, 2),
        "kill_gap_s": round(kill_gap, 2),
        "rows_by_error": errors,
    }


def _union(windows: list[tuple[float, float]]) -> float:
    """Seconds covered by the union of (from, until) windows."""
    total, end = 0.0, float("-inf")
    for start, until in sorted(windows):
        if until > end:
            total += until - max(start, end)
            end = until
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=6000)
    parser.add_argument("--limit", type=float, default=300.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-faults", action="store_true",
                        help="no 429 bursts and no kill: the pace alone")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if args.worker:
        logging.getLogger("bot.broadcast_sender").setLevel(
            logging.INFO if os.environ.get("BENCH_VERBOSE") else logging.ERROR)
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            cProfile.runctx("asyncio.run(worker(args.database_url, args.api_url, args.limit))",
                            globals(), locals(),
                            os.environ["BENCH_PROFILE"] + f".{args.worker}")
            return 0
        asyncio.run(worker(args.database_url, args.api_url, args.limit))
        return 0
    speed = machine_speed()
    server_url = os.environ.get("TEST_DATABASE_URL")
    with scratch_database(server_url, BENCH_DATABASE) as database_url:
        result = asyncio.run(run(database_url, args.recipients, args.limit, args.workers,
                                 faults=not args.no_faults))
    result["backend"] = "postgresql" if server_url else "sqlite"
    result["machine_loop_s"] = speed
    print(json.dumps(result))
    missed = (result["achieved_per_s"] < 0.95 * args.limit or result["lost"]
              or result["duplicates"] > result["in_flight_at_kill"])
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
