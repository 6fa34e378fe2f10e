"""Sending broadcasts: one sender per channel that pushes, and one progress monitor per worker.

A sender claims due recipient rows in short transactions (`FOR UPDATE SKIP LOCKED`, under a
lease), sends them through the channel's `deliver()` paced by `ChannelPace`, and records each
outcome a fraction of a second later: sent, later (flood control: the whole channel waits
`retry_after`; a network or server error: backoff), blocked, not allowed, or failed with its
error. A worker killed mid-way leaves its claimed rows to whoever claims after the lease, so
only the messages in flight at the kill (sent, not yet recorded) may go twice.

Workers sending on one channel share its rate through one row of the database holding the
channel's next free send slot: a sender reserves a tenth of a second's slots at a time, when it
has something to send, and sends in them; flood control pushes the row past `retry_after`, so
every sender holds back from its next reservation. A slot one worker does not use (it is
busy, starting, or dead: at most its last reservation) is another's.

A broadcast's photo or document is made ready once per broadcast and channel before its first
send (`Channel.prepare_attachment`: Zalo OA uploads it); the reference the channel got is kept
on the broadcast, so other workers, and this one after a restart, send by it too.

The monitor updates each running broadcast's progress message in place where the staff
member's channel can edit, marks it done once every recipient ended, and queues the final
report through the outbox (so it reaches staff on any channel).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol, cast

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.background import BackgroundLoop
from bot.channels.base import AttachmentNotReady
from bot.delivery import Clock, DeliveryOutcome, Outcome, utc_now
from handlers.broadcasts.messages import progress_text, recipient_reply, report_text
from handlers.error_report import anonymous_traceback
from handlers.i18n import Translator, translator_for
from handlers.types import Attachment
from storage.broadcasts import Claimed
from storage.models import RecipientStatus
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.channels.base import Channel, EditableChannel

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
FIRST_BACKOFF = timedelta(seconds=5)
MAX_BACKOFF = timedelta(minutes=10)
MAX_CHATS_REMEMBERED = 100_000
UPLOAD_RETRY_SECONDS = 30  # after an attachment's upload failed for a network reason
CATCH_UP_SECONDS = 1 / 30  # see ChannelPace._next_slot
# A sender reserves a tenth of a second of the channel's sending time at a time, and the
# next as soon as it holds less than LEAD ahead (a reply from a busy database comes late):
# fine enough that workers sharing a channel alternate quickly, each sending at the whole
# rate only briefly; a dead worker wastes what it held.
WINDOW = 0.1
LEAD = 0.15


class SlotSource(Protocol):
    """Where the senders of a channel reserve its sending time."""

    async def take(self, seconds: float) -> float:
        """Reserve the channel's next `seconds` for the caller; returns in how many seconds
        they start (0: now)."""

    async def hold(self, seconds: float) -> None:
        """Flood control: nobody's reservation starts within `seconds` from now."""


class LocalSlots:
    """A channel's sending time in this process only (a pace on its own, in tests)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._next = -math.inf

    async def take(self, seconds: float) -> float:
        now = self._clock()
        start = max(self._next, now)
        self._next = start + seconds
        return start - now

    async def hold(self, seconds: float) -> None:
        self._next = max(self._next, self._clock() + seconds)


class SharedSlots:
    """A channel's sending time in the database, shared by every worker sending on it.

    Its times are on the database's clock, so workers on several hosts need no agreed
    clock: each worker relates the database's clock to its own from its last requests (each
    read the database's clock between sending and the reply: the two clocks differ by
    something within every such bracket, and the brackets together narrow it to about the
    quickest round trip), not from one reply, which a busy event loop may read late: a
    reservation counted from a late reading would overlap the next worker's."""

    SAMPLES = 16

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], channel: str, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._session_factory = session_factory
        self._channel = channel
        self._clock = clock
        # (least, most): the database's clock minus ours, as one request bracketed it.
        self._brackets: deque[tuple[float, float]] = deque(maxlen=self.SAMPLES)

    async def take(self, seconds: float) -> float:
        if not self._brackets:  # a first request also connects: slow, so a wide bracket
            await self._bracket()
        async with UnitOfWork(self._session_factory) as uow:
            sent = self._clock()
            now, start = await uow.broadcasts.take_slots(self._channel, seconds)
            self._brackets.append((now - self._clock(), now - sent))
            await uow.commit()
        return start - self._offset() - self._clock()

    async def hold(self, seconds: float) -> None:
        async with UnitOfWork(self._session_factory) as uow:
            await uow.broadcasts.hold_slots(self._channel, seconds)
            await uow.commit()

    async def _bracket(self) -> None:
        for _ in range(2):
            async with UnitOfWork(self._session_factory) as uow:
                sent = self._clock()
                now = await uow.broadcasts.database_time()
                self._brackets.append((now - self._clock(), now - sent))

    def _offset(self) -> float:
        least = max(low for low, _high in self._brackets)
        most = min(high for _low, high in self._brackets)
        if least > most:  # a clock was adjusted meanwhile: the narrowest bracket alone
            least, most = min(self._brackets, key=lambda b: b[1] - b[0])
        return (least + most) / 2


class ChannelPace:
    """At most `per_second` messages a second on a channel (spaced evenly), whatever the
    number of workers sending on it, and one every 1/`per_chat` seconds to one chat; `hold()`
    holds the whole channel (flood control).

    The channel's slots come from `slots` (the senders put the database's there), a
    tenth of a second's worth at a time, asked for when a send is waiting for one and again
    when the last ones run low, so sending goes on without waiting for the database."""

    def __init__(self, per_second: float, per_chat: float, *, slots: SlotSource | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.per_second = per_second
        # Where the slots come from: a sender puts the database's here unless given some.
        self.slots = slots
        self._interval = 1 / per_second
        self._batch = max(1, round(per_second * WINDOW))
        self._chat_interval = 1 / per_chat
        self.clock = clock
        self._sleep = sleep
        self._free: deque[float] = deque()  # reserved slots, on this process's clock
        self._reserved_until = -math.inf
        self._taking: asyncio.Task | None = None
        self._paused_until = -math.inf
        self._chats: OrderedDict[str, float] = OrderedDict()

    async def hold(self, seconds: float) -> None:
        """Flood control: nothing more on the channel for `seconds`, from this worker at once,
        from the others from their next reservation."""
        until = self.clock() + seconds
        longer = until - self._paused_until
        self._paused_until = max(self._paused_until, until)
        self._free.clear()
        if longer <= CATCH_UP_SECONDS:  # the same flood, told again by a send in flight
            return
        try:
            await self._source().hold(seconds)
        except Exception as error:  # this worker holds back anyway
            logger.error("broadcast pace not shared: %s", anonymous_traceback(error))

    async def wait(self, chat: str) -> None:
        """Wait for a slot to send to `chat`."""
        while True:
            now = self.clock()
            if now < self._paused_until:
                await self._sleep(self._paused_until - now)
                continue
            slot = await self._next_slot()
            now = self.clock()
            ready = self._chats.get(chat, -math.inf)
            if ready > max(slot, now):  # the chat's turn comes later: the slot is another's
                self._free.appendleft(slot)
                await self._sleep(ready - now)
                continue
            self._chats[chat] = max(slot, now) + self._chat_interval
            self._chats.move_to_end(chat)
            while len(self._chats) > MAX_CHATS_REMEMBERED:
                self._chats.popitem(last=False)
            if slot > now:
                await self._sleep(slot - now)
            now = self.clock()
            # Woken too late (a busy loop) the slot is gone: sends that all woke late must
            # not leave together beyond a catch-up's worth.
            if now >= self._paused_until and now - slot <= CATCH_UP_SECONDS:
                return

    async def close(self) -> None:
        if self._taking is not None:
            self._taking.cancel()
            await asyncio.gather(self._taking, return_exceptions=True)

    async def _next_slot(self) -> float:
        while True:
            now = self.clock()
            # A send that comes late (the loop was busy) may use the slots of the last
            # thirtieth of a second, so the pace holds on a loaded machine; older ones are
            # gone, so only that much can go out together: a worker may have the whole
            # channel's rate, and a burst the platform refuses costs a second of it.
            while self._free and self._free[0] < now - CATCH_UP_SECONDS:
                self._free.popleft()
            if self._free:
                if self._reserved_until - now < LEAD:
                    self._take_more()
                return self._free.popleft()
            await asyncio.shield(self._take_more())

    def _source(self) -> SlotSource:
        if self.slots is None:
            self.slots = LocalSlots(self.clock)
        return self.slots

    def _take_more(self) -> asyncio.Task:
        if self._taking is None or self._taking.done():
            self._taking = asyncio.create_task(self._take(), name="bcast-pace")
        return self._taking

    async def _take(self) -> None:
        try:
            starts_in = await self._source().take(self._batch * self._interval)
        except Exception as error:  # the database may be down: ask again in a while
            logger.error("broadcast pace: no slots: %s", anonymous_traceback(error))
            await self._sleep(1.0)
            return
        start = max(self.clock() + starts_in, self._reserved_until)
        self._free.extend(start + k * self._interval for k in range(self._batch))
        self._reserved_until = start + self._batch * self._interval


@dataclass
class _Result:
    item: Claimed
    outcome: DeliveryOutcome


class BroadcastSender:
    """Sends the broadcasts' recipients of one channel."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], channel: Channel,
                 translators: Mapping[str, Translator], pace: ChannelPace, *,
                 clock: Clock = utc_now, lease: timedelta = timedelta(seconds=60),
                 idle: float = 1.0,
                 settle_every: float = 0.1, batch: int | None = None) -> None:
        self._session_factory = session_factory
        self._channel = channel
        self._translators = translators
        self.pace = pace
        if pace.slots is None:
            pace.slots = SharedSlots(session_factory, channel.name, clock=pace.clock)
        self._clock = clock
        self._lease = lease
        self._idle = idle
        self._settle_every = settle_every
        # Enough in flight to keep the pace while the platform takes up to 200 ms to answer
        # (a loaded machine's loopback too); more would only grow the HTTP connection pool,
        # which costs CPU.
        self._concurrency = min(64, max(8, math.ceil(pace.per_second / 5)))
        self._fixed_batch = batch
        # Claimed rows with the time (monotonic) after which they are given back unsent, so
        # a row is never sent once its lease may have passed to another sender.
        self._queue: asyncio.Queue[tuple[Claimed, float]] = asyncio.Queue()
        self._results: list[_Result] = []
        self._given_back: list[Claimed] = []
        # Each broadcast's text and attachment (made ready for this channel once it is in
        # `_prepared`), read when its first row is claimed.
        self._contents: dict[int, tuple[str, Attachment | None]] = {}
        self._prepared: set[int] = set()
        self._prepare_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task] = []
        self.sent = 0  # this process's count, for benchmarks and logs

    @property
    def channel(self) -> Channel:
        return self._channel

    def start(self) -> None:
        name = self._channel.name
        self._tasks = [asyncio.create_task(self._claim_loop(), name=f"bcast-claim-{name}"),
                       asyncio.create_task(self._settle_loop(), name=f"bcast-settle-{name}")]
        self._tasks += [asyncio.create_task(self._send_loop(), name=f"bcast-send-{name}")
                        for _ in range(self._concurrency)]

    async def stop(self) -> None:
        """Stop sending; what is claimed and not sent is given back at once."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self.pace.close()
        unsent = []
        while not self._queue.empty():
            unsent.append(self._queue.get_nowait()[0])
        try:
            await self._settle_now()
            async with UnitOfWork(self._session_factory) as uow:
                await uow.broadcasts.settle([_given_back(item, self._clock())
                                             for item in unsent])
                await uow.commit()
        except Exception as error:  # the leases run out: nothing is lost
            logger.warning("broadcast sender could not give back its rows: %s",
                           anonymous_traceback(error))

    # --- claiming ---------------------------------------------------------------------

    async def _claim_loop(self) -> None:
        while True:
            try:
                claimed = await self.claim_once()
            except Exception as error:  # the database may be down: try again
                logger.error("broadcast claim failed: %s", anonymous_traceback(error))
                claimed = 0
            if not claimed:
                await asyncio.sleep(self._idle)

    async def claim_once(self) -> int:
        """Claim a batch when the queue runs low; returns how many were claimed (0 also
        when the queue is full enough)."""
        # Half a second's sends at the channel's rate (all of it may come to this worker):
        # rows wait little between their claim and their send, far less than the lease.
        batch = self._fixed_batch or max(5, math.ceil(self.pace.per_second / 2))
        if self._queue.qsize() >= batch:
            await asyncio.sleep(0.02)
            return -1
        now = self._clock()
        async with UnitOfWork(self._session_factory) as uow:
            claimed = await uow.broadcasts.claim(self._channel.name, now, self._lease, batch)
            missing = {c.broadcast_id for c in claimed} - set(self._contents)
            for broadcast_id in missing:
                broadcast = await uow.broadcasts.get(broadcast_id)
                self._contents[broadcast_id] = (
                    (broadcast.text, Attachment.from_json(broadcast.attachment)) if broadcast
                    else ("", None))
            await uow.commit()
        give_back_at = time.monotonic() + self._lease.total_seconds() / 2
        for item in claimed:
            self._queue.put_nowait((item, give_back_at))
        return len(claimed)

    # --- sending ----------------------------------------------------------------------

    async def _send_loop(self) -> None:
        while True:
            item, give_back_at = await self._queue.get()
            await self.pace.wait(item.channel_user_id)
            if time.monotonic() > give_back_at:  # held too long (flood control)
                self._given_back.append(item)
                continue
            try:
                outcome = await self._send(item)
            except Exception as error:  # an adapter bug must not lose the row
                outcome = DeliveryOutcome(Outcome.FAILED, transient=True,
                                          error=type(error).__name__)
                logger.error("broadcast send failed: %s", anonymous_traceback(error))
            if outcome.kind is Outcome.RETRY_AFTER:
                await self.pace.hold(outcome.retry_after)
            self._results.append(_Result(item, outcome))

    async def send_one(self) -> None:
        """Send one claimed recipient and record how it went (tests step through this)."""
        item, _give_back_at = self._queue.get_nowait()
        await self.pace.wait(item.channel_user_id)
        outcome = await self._send(item)
        if outcome.kind is Outcome.RETRY_AFTER:
            await self.pace.hold(outcome.retry_after)
        self._results.append(_Result(item, outcome))
        await self._settle_now()

    async def _send(self, item: Claimed) -> DeliveryOutcome:
        i18n = translator_for(self._translators, item.locale)
        text, _attachment = self._contents.get(item.broadcast_id, ("", None))
        try:
            attachment = await self._ready_attachment(item.broadcast_id)
        except AttachmentNotReady as error:  # a 429, a network error… as for a send
            if error.outcome.kind is Outcome.FAILED and error.outcome.transient:
                # The upload failed, not the recipient: the channel waits and tries again
                # without counting it against each recipient in turn.
                return DeliveryOutcome(Outcome.RETRY_AFTER, retry_after=UPLOAD_RETRY_SECONDS,
                                       error=error.outcome.error)
            return error.outcome
        reply = recipient_reply(text, i18n, first=item.needs_notice, attachment=attachment)
        outcomes = await self._channel.deliver(item.channel_user_id, [reply], paced=True)
        return outcomes[-1] if outcomes else DeliveryOutcome(Outcome.FAILED,
                                                             error="nothing sent")

    async def _ready_attachment(self, broadcast_id: int) -> Attachment | None:
        """The broadcast's attachment as this channel sends it, made ready once (the other
        sends wait for it) and its reference kept on the broadcast."""
        _text, attachment = self._contents.get(broadcast_id, ("", None))
        if attachment is None or broadcast_id in self._prepared:
            return attachment
        async with self._prepare_lock:
            text, attachment = self._contents[broadcast_id]
            if attachment is None or broadcast_id in self._prepared:
                return attachment
            name = self._channel.name
            ready = await self._channel.prepare_attachment(attachment)
            ref = ready.refs.get(name)
            if ref is not None and ref != attachment.refs.get(name):
                async with UnitOfWork(self._session_factory) as uow:
                    await uow.broadcasts.set_attachment_ref(broadcast_id, name, ref)
                    await uow.commit()
            self._contents[broadcast_id] = (text, ready)
            self._prepared.add(broadcast_id)
            return ready

    # --- recording outcomes -----------------------------------------------------------

    async def _settle_loop(self) -> None:
        while True:
            await asyncio.sleep(self._settle_every)
            try:
                await self._settle_now()
            except Exception as error:  # kept for the next round
                logger.error("broadcast outcomes not recorded: %s",
                             anonymous_traceback(error))

    async def _settle_now(self) -> None:
        results, self._results = self._results, []
        given_back, self._given_back = self._given_back, []
        if not results and not given_back:
            return
        now = self._clock()
        updates: list[tuple[Claimed, str, dict]] = [_given_back(item, now)
                                                    for item in given_back]
        noticed: list[int] = []
        blocked: list[str] = []
        for result in results:
            item, outcome = result.item, result.outcome
            updates.append(self._row_update(item, outcome, now))
            if outcome.kind is Outcome.SENT:
                if item.needs_notice:
                    noticed.append(item.user_id)
            elif outcome.kind is Outcome.BLOCKED:
                blocked.append(item.channel_user_id)
        try:
            async with UnitOfWork(self._session_factory) as uow:
                await uow.broadcasts.settle(updates)
                await uow.broadcasts.mark_notice_given(noticed, now)
                for channel_user_id in blocked:
                    await uow.users.set_blocked(self._channel.name, channel_user_id, now)
                await uow.commit()
        except BaseException:  # cancelled too: stop() records them
            self._results = results + self._results
            self._given_back = given_back + self._given_back
            raise
        self.sent += sum(1 for r in results if r.outcome.kind is Outcome.SENT)

    def _row_update(self, item: Claimed, outcome: DeliveryOutcome, now: datetime
                    ) -> tuple[Claimed, str, dict]:
        error = outcome.error[:64] if outcome.error else None
        if outcome.kind is Outcome.SENT:
            return item, RecipientStatus.SENT, {"sent_at": now, "last_error": None}
        if outcome.kind is Outcome.RETRY_AFTER:  # flood control is not the row's fault
            return item, RecipientStatus.QUEUED, {
                "next_attempt_at": now + timedelta(seconds=outcome.retry_after),
                "attempts": item.attempts - 1, "last_error": error}
        if outcome.kind is Outcome.BLOCKED:
            return item, RecipientStatus.BLOCKED, {"last_error": error}
        if outcome.kind is Outcome.NOT_ALLOWED:
            return item, RecipientStatus.NOT_ALLOWED, {"last_error": error}
        if outcome.transient and item.attempts < MAX_ATTEMPTS:
            backoff = min(FIRST_BACKOFF * 2 ** (item.attempts - 1), MAX_BACKOFF)
            logger.info("broadcast recipient #%s: %s, tried again in %s", item.id, error,
                        backoff)
            return item, RecipientStatus.QUEUED, {"next_attempt_at": now + backoff,
                                                     "last_error": error}
        return item, RecipientStatus.FAILED, {"last_error": error or outcome.kind}


def _given_back(item: Claimed, now: datetime) -> tuple[Claimed, str, dict]:
    """A claimed row put back unsent, due at once, its attempt not counted."""
    return item, RecipientStatus.QUEUED, {"attempts": item.attempts - 1, "next_attempt_at": now}


class BroadcastMonitor(BackgroundLoop):
    """Progress messages, completion and final reports of running broadcasts."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession],
                 channels: Mapping[str, Channel], translators: Mapping[str, Translator], *,
                 clock: Clock = utc_now, interval: float = 3.0) -> None:
        super().__init__("broadcast-monitor", interval)
        self._session_factory = session_factory
        self._channels = channels
        self._translators = translators
        self._clock = clock

    async def tick(self) -> bool:
        await self.check()
        return False

    async def check(self) -> int:
        """Report on every running broadcast this worker has the turn for; returns how many
        finished."""
        async with UnitOfWork(self._session_factory) as uow:
            running = [b.id for b in await uow.broadcasts.sending()]
        finished = 0
        for broadcast_id in running:
            finished += await self._report(broadcast_id)
        return finished

    async def _report(self, broadcast_id: int) -> bool:
        now = self._clock()
        async with UnitOfWork(self._session_factory) as uow:
            repo = uow.broadcasts
            if not await repo.take_progress_turn(broadcast_id, now,
                                                 timedelta(seconds=self._interval * 2)):
                return False
            done = await repo.finish_if_done(broadcast_id, now)
            broadcast = await repo.get(broadcast_id)
            assert broadcast is not None
            staff = await uow.users.get(broadcast.staff_user_id) if (
                broadcast.staff_user_id) else None
            i18n = translator_for(self._translators, staff.locale if staff else None)
            counts = await repo.counts(broadcast_id)
            window = timedelta(seconds=30)
            recent = await repo.sent_since(broadcast_id, now - window)
            left = counts.get(RecipientStatus.QUEUED, 0) + counts.get(RecipientStatus.SENDING, 0)
            eta = left / (recent / window.total_seconds()) if recent else None
            text = progress_text(broadcast, counts, i18n, eta_seconds=eta,
                                 listing=not broadcast.listed)
            if done:
                errors = await repo.errors(broadcast_id)
                await uow.audit.record(actor="system", action="broadcast.finish",
                                       target=f"broadcast:{broadcast_id}", now=now,
                                       details={"counts": counts})
                if staff is not None:
                    await uow.outbox.add(staff.id, report_text(broadcast, counts, errors, i18n),
                                         now)
                logger.info("broadcast #%s finished: %s", broadcast_id, counts)
            # Done, its audit entry and its report in one commit (none without the others);
            # the turn is held while talking to the platform.
            await uow.commit()
            message_id = broadcast.progress_message_id
            if staff is None or text == broadcast.progress_text:
                return done
            channel = self._channels.get(staff.channel)
            if channel is None or not channel.capabilities.edit:
                return done
            editable = cast("EditableChannel", channel)
            if message_id is None:
                message_id = await editable.send_editable(staff.channel_user_id, text)
            elif not await editable.edit(staff.channel_user_id, message_id, text):
                return done
            broadcast.progress_message_id, broadcast.progress_text = message_id, text
            await uow.commit()
        return done
