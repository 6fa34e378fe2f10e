"""Webhook throughput: the bot against a bare python-telegram-bot echo bot, same harness.

Run from the project root::

    .venv/bin/python benchmarks/updates.py                       # SQLite (+ PostgreSQL, see below)
    TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/updates.py --backend postgresql

What it does, per backend:

1. Prepares a fresh, migrated database: a temporary SQLite file, or -- for PostgreSQL -- the
   scratch database named by TEST_DATABASE_URL, whose ``public`` schema is DROPPED and
   recreated first (never point it at a database you care about; loopback hosts only). The
   catalogs in locales/*/LC_MESSAGES/messages.po are compiled into a temporary directory.
2. Starts a FakeTelegram (tests/fakes/telegram_server.py) on 127.0.0.1 in this process.
3. Baseline phase: starts, in a child process, a bare PTB echo ``Application``
   (``ApplicationBuilder().updater(None)``, one ``MessageHandler`` replying with the same
   text) behind a minimal aiohttp route ``POST /webhooks/telegram`` that calls
   ``await app.process_update(Update.de_json(...))``.
4. Bot phase: starts, in a child process, the bot as production builds it --
   ``bot.app.build_core(Settings(...))``, a ``TelegramChannel``, ``bot.server.build_web_app``
   on a ``web.TCPSite`` on 127.0.0.1, then ``channel.start()`` (which sets the webhook and the
   command menus on the fake) and the ``OutboxSender``, in the order ``bot.app.serve`` uses.
5. In each phase this process POSTs the updates itself with ``aiohttp.ClientSession``
   (a semaphore of ``--concurrency`` workers, default 32) straight to the child's webhook URL,
   with the ``X-Telegram-Bot-Api-Secret-Token`` header. The update dicts have the shape
   ``FakeTelegram.user_sends`` produces (private chat, ``bot_command`` entity for commands).
   The fake's own webhook delivery is sequential by design and is not used.

The children run in their own processes so that the harness (load generator + fake Bot API,
which is a fair amount of Python work too) does not share an event loop with the server under
test; on a 2-core machine each gets a core. ``harness_cpu_s`` and ``*_cpu_s`` in the output tell
whether a side was saturated (CPU seconds, all threads of the process, close to ``seconds``).

Workload: ``--users`` (200) users, ``--updates`` (2,000) updates in total, user k sending
updates k, k+users, k+2*users, ... Each user starts with "/start"; the rest is a seeded mix of
"/menu", "/help", "/lang en", "/lang vi" and free-text questions in Vietnamese. One user's
updates are posted one after the other (so each update's replies can be told apart; the bot
serialises one user's updates anyway); different users' updates are concurrent. Before measuring,
each distinct text is sent once by a fresh user (calibration: how many sendMessage calls it
causes) and ``--warmup`` (200) updates from other users warm both servers up; neither counts.

Measures:

- latency of an update: from the start of its POST to the HTTP response. Both servers answer
  only once the update is applied and its replies were sent, so this includes the replies.
- ``per_s``: updates / wall time from the first POST to the last response.
- ``lost``: updates that got a non-2xx answer (or none), or for which the fake saw fewer
  sendMessage calls to that chat, between the POST start and its response, than the
  calibration expects for that text (the baseline expects exactly one reply per update).
- ``rejected_sends``: sendMessage calls the fake refused (should be 0).

Bot API client: the bot calls the Bot API through its own PTB ``BaseRequest`` on aiohttp
(bot/channels/telegram_http.py); the baseline keeps PTB's default (httpx), as a bare PTB bot
has it. ``--baseline-on-aiohttp`` gives the baseline the bot's client instead.

Rate limiting: production's ``TelegramChannel.from_settings`` installs
``AIORateLimiter(max_retries=3)``, whose default overall limit is 30 messages/s -- it would
make this benchmark measure the limiter. By default the bot channel is therefore built here by
``build_channel()`` below: the application ``from_settings`` builds
(``bot.channels.telegram.application_builder``) without ``.rate_limiter(...)``, passed to
``TelegramChannel(...)`` as ``from_settings`` does; the
baseline is built without a limiter too. ``--rate-limiter`` uses ``from_settings`` unchanged
and gives the baseline the same limiter (expect ~30 messages/s for both; use fewer updates).

Logging: children log at WARNING to a file in the temporary directory. ``--log-info``
configures them as ``khuyencong run`` does (INFO, which includes aiohttp's access log and
httpx's per-request lines), still to that file.

Output: ONE JSON object per backend, one per line, on stdout (so exactly one object with
``--backend sqlite`` or ``--backend postgresql``). ``--backend auto`` (the default) runs
SQLite, then PostgreSQL when TEST_DATABASE_URL is set. Keys: updates, per_s, p50_ms, p99_ms,
baseline_per_s, lost, backend, then ratio (per_s / baseline_per_s), target_met
(ratio >= 0.6 and lost == 0), cpu_ratio (baseline CPU ms per update / bot CPU ms per update:
both servers are one event loop each, so when CPU-bound this predicts the throughput ratio
and is far less sensitive to other load on the machine than wall-clock figures), the
detailed "bot" and "baseline" figures, load_avg_1m_before and the git commit. Progress goes
to stderr. The exit status is 0 when every backend met the target, 1 otherwise.

``--profile PREFIX`` runs cProfile in each child during the measured run only (event-loop
thread; aiosqlite's worker threads are not seen) and writes PREFIX.bot.pstats and
PREFIX.baseline.pstats (read them with ``python -m pstats``).

Everything is bounded: per-request timeout (``--request-timeout``), per-phase deadline
(``--phase-timeout``; updates still unanswered then count as lost), child start/stop timeouts.
Nothing listens or connects outside 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import hmac
import itertools
import json
import logging
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SCRIPT = Path(__file__).resolve()
PROJECT_ROOT = SCRIPT.parent.parent
if str(PROJECT_ROOT) not in sys.path:  # `python benchmarks/updates.py` from anywhere
    sys.path.insert(0, str(PROJECT_ROOT))

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector, web  # noqa: E402

from benchmarks.machine import machine_speed  # noqa: E402

SECRET = "bench-s3cret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/webhooks/telegram"
TARGET_RATIO = 0.6  # issue 7: at least 0.6x a bare PTB echo bot

COMMANDS = ["/menu", "/help", "/lang en", "/lang vi"]
QUESTIONS = [
    "Cho tôi hỏi về chương trình hỗ trợ khuyến công năm nay?",
    "Doanh nghiệp nhỏ có được hỗ trợ mua máy móc thiết bị không ạ?",
    "Thủ tục đăng ký đề án khuyến công địa phương như thế nào?",
    "Hạn nộp hồ sơ đề nghị hỗ trợ là khi nào?",
    "Cơ sở công nghiệp nông thôn ở Thủy Nguyên có được hỗ trợ không?",
    "Mức hỗ trợ tối đa cho một đề án là bao nhiêu tiền?",
    "toi muon hoi ve ho tro xay dung mo hinh trinh dien ky thuat",
    "Làm sao để tham gia hội chợ triển lãm hàng công nghiệp nông thôn tiêu biểu?",
    "Xin số điện thoại của Trung tâm Khuyến công Hải Phòng",
    "Có hỗ trợ đào tạo nghề cho lao động ở xưởng may không ạ?",
    "Sản phẩm công nghiệp nông thôn tiêu biểu cấp thành phố cần điều kiện gì?",
    "Hợp tác xã có được vay vốn ưu đãi để đổi mới công nghệ không?",
]
# Weights of the mix after each user's first "/start".
MIX = [("/start", 8), ("/menu", 14), ("/help", 10), ("/lang en", 7), ("/lang vi", 7),
       ("question", 54)]
FIRST_NAMES = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hùng", "Lan", "Minh", "Ngọc",
               "Phương", "Quân", "Thảo", "Trang", "Tuấn", "Vy"]

log = logging.getLogger("benchmark")
# A child's stdout carries READY/ACK lines only; it moves everything else printed to stderr.
_protocol = sys.stdout


def _say(line: str) -> None:
    print(line, file=_protocol, flush=True)


# ---------------------------------------------------------------------------- children


def build_channel(settings: Any, core: Any, *, rate_limiter: bool) -> Any:
    """The bot's TelegramChannel; without AIORateLimiter unless `rate_limiter`.

    With the limiter this is exactly ``TelegramChannel.from_settings``; without it, the same
    ``application_builder`` (token, Bot API client and base URLs, no updater in webhook mode)
    without the ``.rate_limiter(...)`` call that ``from_settings`` adds.
    """
    from bot.channels.telegram import TelegramChannel, application_builder

    if rate_limiter:
        return TelegramChannel.from_settings(settings, core)
    application = application_builder(settings).build()
    return TelegramChannel(application, core, webhook_url=settings.telegram_webhook_url,
                           webhook_secret=settings.telegram_webhook_secret)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _control_loop(profile_path: str | None) -> None:
    """Reads commands from stdin until EOF: profile-start, profile-stop."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    profiler = cProfile.Profile() if profile_path else None
    while line := (await reader.readline()).decode().strip():
        if profiler and line == "profile-start":
            profiler.enable()
        elif profiler and line == "profile-stop":
            profiler.disable()
            profiler.dump_stats(profile_path)
        _say(f"ACK {line}")


async def serve_bot(args: argparse.Namespace) -> None:
    from bot.app import build_core
    from bot.outbox_sender import OutboxSender
    from bot.server import build_web_app
    from bot.settings import Settings

    port = _free_port()
    url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    settings = Settings(
        database_url=args.database_url, telegram_token=args.token,
        telegram_api_base_url=args.api_url, telegram_webhook_url=url,
        telegram_webhook_secret=SECRET, locales_dir=Path(args.locales),
        web_cookie_secret="benchmark-cookie-secret",
    )
    core = build_core(settings)
    channel = build_channel(settings, core, rate_limiter=args.rate_limiter)
    app = build_web_app(core, cookie_secret=await core.web_cookie_secret(), channels=[channel])
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await channel.start()
    # As bot.app.serve does once Telegram is up: the background outbox delivery.
    outbox = OutboxSender(core.session_factory, channel)
    outbox.start()
    _say(f"READY {url}")
    try:
        await _control_loop(args.profile)
    finally:
        await outbox.stop()
        await channel.stop()
        await runner.cleanup()
        await core.close()


async def serve_baseline(args: argparse.Namespace) -> None:
    """A bare PTB echo bot fed by a minimal aiohttp webhook route."""
    from telegram import Update
    from telegram.ext import AIORateLimiter, ApplicationBuilder, ContextTypes, MessageHandler
    from telegram.ext import filters as tg_filters

    base = args.api_url.rstrip("/")
    builder = (ApplicationBuilder().token(args.token).base_url(f"{base}/bot")
               .base_file_url(f"{base}/file/bot").updater(None))
    if args.rate_limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    if args.baseline_on_aiohttp:
        from bot.channels.telegram_http import AiohttpRequest

        builder = builder.request(AiohttpRequest())
    application = builder.build()

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        await message.reply_text(message.text, do_quote=False)

    application.add_handler(MessageHandler(tg_filters.TEXT, echo))

    async def webhook(request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), SECRET):
            return web.Response(status=403, text="forbidden")
        await application.process_update(Update.de_json(await request.json(), application.bot))
        return web.Response(text="ok")

    port = _free_port()
    web_app = web.Application()
    web_app.router.add_post(WEBHOOK_PATH, webhook)
    runner = web.AppRunner(web_app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await application.initialize()
    await application.start()
    _say(f"READY http://127.0.0.1:{port}{WEBHOOK_PATH}")
    try:
        await _control_loop(args.profile)
    finally:
        await application.stop()
        await application.shutdown()
        await runner.cleanup()


def child_main(args: argparse.Namespace) -> None:
    sys.stdout = sys.stderr  # stray print()s go to the child's log, not into the protocol
    if args.log_info:  # as `khuyencong run` configures it
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    else:
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(serve_bot(args) if args.serve == "bot" else serve_baseline(args))


# ---------------------------------------------------------------------------- harness


@dataclass
class Child:
    process: asyncio.subprocess.Process
    url: str
    log_path: Path

    async def command(self, line: str, timeout: float = 30) -> None:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(f"{line}\n".encode())
        await self.process.stdin.drain()
        async with asyncio.timeout(timeout):
            while True:
                answer = (await self.process.stdout.readline()).decode().strip()
                if not answer:
                    raise RuntimeError(f"child exited; see {self.log_path}")
                if answer == f"ACK {line}":
                    return

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the child so far (Linux /proc), or None."""
        try:
            stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        except OSError:
            return None
        fields = stat[stat.rfind(")") + 2:].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def stop(self, timeout: float = 20) -> None:
        process = self.process
        if process.returncode is None:
            with contextlib.suppress(ConnectionError, RuntimeError):
                if process.stdin:
                    process.stdin.close()
            try:
                async with asyncio.timeout(timeout):
                    await process.wait()
            except TimeoutError:
                log.warning("child %s did not stop; killing it", process.pid)
                process.kill()  # our own child, by its pid
                await process.wait()


async def start_child(kind: str, tg_url: str, token: str, args: argparse.Namespace,
                      database_url: str | None, locales: Path, workdir: Path) -> Child:
    log_path = workdir / f"{kind}.log"
    command = [sys.executable, str(SCRIPT), "--serve", kind,
               "--api-url", tg_url, "--token", token, "--locales", str(locales)]
    if database_url:
        command += ["--database-url", database_url]
    if args.rate_limiter:
        command.append("--rate-limiter")
    if args.baseline_on_aiohttp:
        command.append("--baseline-on-aiohttp")
    if args.log_info:
        command.append("--log-info")
    if args.profile:
        command += ["--profile", f"{args.profile}.{kind}.pstats"]
    with log_path.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=stderr, cwd=PROJECT_ROOT)
    child = Child(process, "", log_path)
    line = ""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(60):
            while not line.startswith("READY "):
                raw = await process.stdout.readline()
                if not raw:
                    break  # the child exited
                line = raw.decode(errors="replace").strip()
    if not line.startswith("READY "):
        await child.stop(timeout=5)
        tail = log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{kind} server did not start:\n{tail}")
    child.url = line.split(" ", 1)[1]
    host = urlsplit(child.url).hostname
    if host != "127.0.0.1":
        await child.stop(timeout=5)
        raise RuntimeError(f"refusing non-loopback webhook URL {child.url}")
    return child


class ReplyCounter:
    """sendMessage calls the fake received, per chat, read incrementally from its log."""

    def __init__(self, tg: Any) -> None:
        self._tg = tg
        self._cursor = 0
        self.per_chat: Counter[int] = Counter()

    def refresh(self) -> None:
        requests = self._tg.requests
        for call in itertools.islice(requests, self._cursor, None):
            if call.method == "sendMessage":
                self.per_chat[call.params.get("chat_id")] += 1
        self._cursor = len(requests)

    def count(self, chat_id: int) -> int:
        self.refresh()
        return self.per_chat[chat_id]


@dataclass
class Outcome:
    status: int = 0  # 0: no HTTP answer
    latency: float = 0.0
    replies: int = 0


@dataclass
class Poster:
    """Builds Telegram-shaped updates and POSTs them to one webhook URL."""

    session: ClientSession
    url: str
    counter: ReplyCounter
    update_ids: itertools.count
    message_ids: defaultdict[int, itertools.count] = field(
        default_factory=lambda: defaultdict(lambda: itertools.count(1)))
    user_locks: defaultdict[int, asyncio.Lock] = field(
        default_factory=lambda: defaultdict(asyncio.Lock))

    def update(self, user_id: int, text: str) -> dict[str, Any]:
        """The Update `FakeTelegram.user_sends(user_id, text)` would produce."""
        first_name = FIRST_NAMES[user_id % len(FIRST_NAMES)]
        message: dict[str, Any] = {
            "message_id": next(self.message_ids[user_id]),
            "from": {"id": user_id, "is_bot": False, "first_name": first_name,
                     "language_code": "vi"},
            "chat": {"id": user_id, "type": "private", "first_name": first_name},
            "date": int(time.time()),
            "text": text,
        }
        command = text.split(maxsplit=1)[0] if text.strip() else ""
        if command.startswith("/") and len(command) > 1:
            # len() is the UTF-16 length here: commands are ASCII.
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return {"update_id": next(self.update_ids), "message": message}

    async def send(self, user_id: int, text: str) -> Outcome:
        """POST one update once the user's previous one is answered; count its replies."""
        body = json.dumps(self.update(user_id, text)).encode()
        headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
        outcome = Outcome()
        async with self.user_locks[user_id]:
            before = self.counter.count(user_id)
            started = time.perf_counter()
            try:
                async with self.session.post(self.url, data=body, headers=headers) as response:
                    await response.read()
                    outcome.status = response.status
            except (TimeoutError, ClientError) as error:
                log.debug("POST failed: %r", error)
            outcome.latency = time.perf_counter() - started
            outcome.replies = self.counter.count(user_id) - before
        return outcome


def plan_updates(users: int, total: int, first_user: int, seed: int) -> list[tuple[int, str]]:
    """(user_id, text) in posting order: round-robin over users, /start first for each."""
    rng = random.Random(seed)
    kinds, weights = zip(*MIX, strict=True)
    plan = []
    for index in range(total):
        user_id = first_user + index % users
        if index < users:
            text = "/start"
        else:
            kind = rng.choices(kinds, weights)[0]
            text = rng.choice(QUESTIONS) if kind == "question" else kind
        plan.append((user_id, text))
    return plan


def kind_of(text: str) -> str:
    return text if text.startswith("/") else "question"


async def run_many(poster: Poster, plan: list[tuple[int, str]], concurrency: int,
                   deadline: float) -> tuple[list[Outcome | None], float]:
    """POST the plan with `concurrency` workers; returns outcomes (None: not answered in time)
    and the wall time from the first POST to the last response."""
    outcomes: list[Outcome | None] = [None] * len(plan)
    indexes = iter(range(len(plan)))

    async def worker() -> None:
        for index in indexes:
            outcomes[index] = await poster.send(*plan[index])

    started = time.perf_counter()
    tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
    try:
        async with asyncio.timeout(deadline):
            await asyncio.gather(*tasks)
    except TimeoutError:
        log.warning("phase deadline of %ss reached; unanswered updates count as lost", deadline)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return outcomes, time.perf_counter() - started


def percentile(sorted_values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), -(-len(sorted_values) * pct // 100)))
    return sorted_values[int(rank) - 1]


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)


async def run_phase(kind: str, args: argparse.Namespace, database_url: str | None,
                    locales: Path, workdir: Path) -> dict[str, Any]:
    """One server (bot or baseline): start it, calibrate, warm up, measure, stop it."""
    from tests.fakes.telegram_server import FakeTelegram

    timeout = ClientTimeout(total=args.request_timeout)
    async with FakeTelegram() as tg, ClientSession(
            timeout=timeout, connector=TCPConnector(limit=args.concurrency)) as session:
        child = await start_child(kind, tg.url, tg.token, args, database_url, locales, workdir)
        try:
            counter = ReplyCounter(tg)
            poster = Poster(session, child.url, counter, itertools.count(1))

            # Calibration: each distinct text once, from a fresh user, one after the other.
            expected: dict[str, int] = {}
            texts = ["/start", *COMMANDS, *QUESTIONS]
            for number, text in enumerate(texts):
                outcome = await poster.send(9_000_000 + number, text)
                if not 200 <= outcome.status < 300 or outcome.replies < 1:
                    raise RuntimeError(f"{kind}: calibration of {text!r} failed: {outcome}; "
                                       f"see {child.log_path}")
                expected[text] = 1 if kind == "baseline" else outcome.replies

            warmup = plan_updates(min(args.users, 50), args.warmup, 8_000_000, args.seed + 1)
            await run_many(poster, warmup, args.concurrency, args.phase_timeout)

            plan = plan_updates(args.users, args.updates, 1_000_000, args.seed)
            cpu_before, harness_before = child.cpu_seconds(), time.process_time()
            if args.profile:
                await child.command("profile-start")
            outcomes, wall = await run_many(poster, plan, args.concurrency, args.phase_timeout)
            if args.profile:
                await child.command("profile-stop", timeout=60)
            cpu_after, harness_after = child.cpu_seconds(), time.process_time()

            counter.refresh()
            sent = len(tg.calls("sendMessage"))
            stored = sum(len(tg.messages_to(chat)) for chat in counter.per_chat)
        finally:
            await child.stop()

    latencies = sorted(o.latency for o in outcomes if o is not None and 200 <= o.status < 300)
    non_2xx = sum(1 for o in outcomes if o is None or not 200 <= o.status < 300)
    short = sum(1 for o, (_user, text) in zip(outcomes, plan, strict=True)
                if o is not None and 200 <= o.status < 300 and o.replies < expected[text])
    replies = sum(o.replies for o in outcomes if o is not None)
    cpu = None if cpu_before is None or cpu_after is None else round(cpu_after - cpu_before, 2)
    return {
        "per_s": round(len(plan) / wall, 1),
        "p50_ms": ms(percentile(latencies, 50)),
        "p90_ms": ms(percentile(latencies, 90)),
        "p99_ms": ms(percentile(latencies, 99)),
        "max_ms": ms(latencies[-1] if latencies else None),
        "lost": non_2xx + short,
        "non_2xx": non_2xx,
        "short_replies": short,
        "replies": replies,
        "expected_replies": sum(expected[text] for _user, text in plan),
        "rejected_sends": sent - stored,
        "seconds": round(wall, 2),
        "cpu_s": cpu,
        "cpu_ms_per_update": None if cpu is None else round(cpu * 1000 / len(plan), 2),
        "harness_cpu_s": round(harness_after - harness_before, 2),
        "expected_replies_per_kind": _per_kind(expected) if kind == "bot" else None,
    }


def _per_kind(expected: dict[str, int]) -> dict[str, int | list[int]]:
    """Calibrated replies per text, summed up by kind (a list when texts of a kind differ)."""
    kinds: defaultdict[str, set[int]] = defaultdict(set)
    for text, count in expected.items():
        kinds[kind_of(text)].add(count)
    return {kind: min(counts) if len(counts) == 1 else sorted(counts)
            for kind, counts in kinds.items()}


def compile_catalogs(out: Path) -> Path:
    """locales/*/LC_MESSAGES/messages.po compiled afresh (as tests/conftest.py does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in (PROJECT_ROOT / "locales").glob("*/LC_MESSAGES/messages.po"):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        target = out / po_path.parent.parent.name / "LC_MESSAGES" / "messages.mo"
        target.parent.mkdir(parents=True)
        with target.open("wb") as mo_file:
            write_mo(mo_file, catalog)
    return out


def prepare_database(backend: str, workdir: Path) -> str:
    """A fresh, migrated database; PostgreSQL: the scratch TEST_DATABASE_URL, reset."""
    from sqlalchemy import text

    from storage.db import create_engine
    from storage.migrate import upgrade

    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    else:
        url = os.environ.get("TEST_DATABASE_URL", "")
        host = urlsplit(url.replace("+asyncpg", "")).hostname
        if not url.startswith("postgresql") or host not in {"127.0.0.1", "localhost", "::1"}:
            raise SystemExit("TEST_DATABASE_URL must be a postgresql URL on a loopback host")

        async def reset() -> None:
            engine = create_engine(url)
            async with engine.begin() as connection:
                await connection.execute(text("DROP SCHEMA public CASCADE"))
                await connection.execute(text("CREATE SCHEMA public"))
            await engine.dispose()

        asyncio.run(reset())
    upgrade(url)
    return url


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    load_before = round(os.getloadavg()[0], 2)
    speed_before = machine_speed()
    with tempfile.TemporaryDirectory(prefix="bench-updates-") as tmp:
        workdir = Path(tmp)
        locales = compile_catalogs(workdir / "locales")
        database_url = prepare_database(backend, workdir)
        try:
            log.info("[%s] baseline: bare PTB echo bot", backend)
            baseline = asyncio.run(run_phase("baseline", args, None, locales, workdir))
            log.info("[%s] baseline: %s", backend, baseline)
            log.info("[%s] bot", backend)
            bot = asyncio.run(run_phase("bot", args, database_url, locales, workdir))
            log.info("[%s] bot: %s", backend, bot)
        except Exception:
            for child_log in sorted(workdir.glob("*.log")):  # gone with the temporary dir
                tail = child_log.read_text(errors="replace")[-3000:]
                log.error("--- end of %s ---\n%s", child_log.name, tail)
            raise
    ratio = bot["per_s"] / baseline["per_s"] if baseline["per_s"] else 0.0
    cpu_ratio = None
    if bot["cpu_ms_per_update"] and baseline["cpu_ms_per_update"]:
        cpu_ratio = round(baseline["cpu_ms_per_update"] / bot["cpu_ms_per_update"], 3)
    return {
        "updates": args.updates,
        "per_s": bot["per_s"],
        "p50_ms": bot["p50_ms"],
        "p99_ms": bot["p99_ms"],
        "baseline_per_s": baseline["per_s"],
        "lost": bot["lost"],
        "backend": backend,
        "ratio": round(ratio, 3),
        "target_met": ratio >= TARGET_RATIO and bot["lost"] == 0,
        # Both servers are single-threaded event loops; when CPU-bound, throughput is
        # 1 / CPU per update, and this ratio is less sensitive to other load on the machine.
        "cpu_ratio": cpu_ratio,
        "users": args.users,
        "concurrency": args.concurrency,
        "rate_limiter": args.rate_limiter,
        "baseline_client": "aiohttp" if args.baseline_on_aiohttp else "httpx",
        "bot": {k: v for k, v in bot.items() if v is not None},
        "baseline": {k: v for k, v in baseline.items() if v is not None},
        "python": platform.python_version(),
        "load_avg_1m_before": load_before,
        # This shared machine's speed moves by half from one minute to the next: a fixed
        # loop's seconds before and after the run tell in which state the figures were taken.
        "machine_loop_s": [speed_before, machine_speed()],
        "commit": _commit(),
    }


def _commit() -> str | None:
    """The project's HEAD, with "+dirty" when the work tree has changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT,
                              capture_output=True, text=True, timeout=10, check=True)
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10,
                                check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+dirty" if status.stdout.strip() else "")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--backend", choices=("auto", "sqlite", "postgresql"), default="auto",
                        help="auto: sqlite, plus postgresql when TEST_DATABASE_URL is set")
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured updates first")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--request-timeout", type=float, default=30.0)
    parser.add_argument("--phase-timeout", type=float, default=90.0,
                        help="deadline of each measured (and warm-up) run, seconds")
    parser.add_argument("--rate-limiter", action="store_true",
                        help="keep AIORateLimiter (production from_settings) in both servers")
    parser.add_argument("--baseline-on-aiohttp", action="store_true",
                        help="give the echo baseline the bot's Bot API client "
                             "(bot/channels/telegram_http.py) instead of PTB's default httpx")
    parser.add_argument("--log-info", action="store_true",
                        help="children log at INFO like `khuyencong run` (to a temp file)")
    parser.add_argument("--profile", metavar="PREFIX",
                        help="cProfile both children during the measured run; pstats dumps "
                             "to PREFIX.bot.pstats and PREFIX.baseline.pstats")
    parser.add_argument("-v", "--verbose", action="store_true")
    # Internal: how the harness starts its children.
    parser.add_argument("--serve", choices=("bot", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--locales", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.users < 1 or args.updates < args.users or args.concurrency < 1:
        parser.error("need users >= 1, updates >= users and concurrency >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve:
        child_main(args)
        return 0
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        stream=sys.stderr, format="%(asctime)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if args.profile:
        args.profile = os.path.abspath(args.profile)
    if args.backend == "auto":
        backends = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
    else:
        backends = [args.backend]
    if "postgresql" in backends and not os.environ.get("TEST_DATABASE_URL"):
        raise SystemExit("--backend postgresql needs TEST_DATABASE_URL")
    sys.stdout = sys.stderr  # stdout carries the JSON lines only
    try:
        results = [run_backend(backend, args) for backend in backends]
    finally:
        sys.stdout = _protocol
    for result in results:
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0 if all(result["target_met"] for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
