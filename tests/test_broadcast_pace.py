"""The broadcast pace in virtual time: senders sharing a channel's slots never exceed its rate,
flood control told to one holds the others, and the share of a sender that stops goes to the
others. The clock moves only from one sleeper to the next, so nothing here depends on the
machine's speed; the database's slot row has its own tests in test_broadcasts.py."""

from __future__ import annotations

import asyncio
import heapq
import itertools

import pytest

from bot.broadcast_sender import (
    CATCH_UP_SECONDS,
    LEAD,
    WINDOW,
    ChannelPace,
    LocalSlots,
    SharedSlots,
)


class VirtualTime:
    """A clock and a sleep for the paces: `run_until` lets every task run, then moves the
    clock to the earliest sleeper and wakes it, and so on."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(seconds, 0.0), next(self._order), future))
        await future

    async def run_until(self, end: float) -> None:
        while True:
            for _ in range(50):  # everything that can run without the clock moving runs
                await asyncio.sleep(0)
            if not self._sleepers or self._sleepers[0][0] > end:
                self.now = max(self.now, end)
                return
            at, _order, future = heapq.heappop(self._sleepers)
            self.now = max(self.now, at)
            if not future.done():
                future.set_result(None)


def pace(time: VirtualTime, slots: LocalSlots, per_second: float = 100,
         per_chat: float = 1) -> ChannelPace:
    return ChannelPace(per_second, per_chat, slots=slots, clock=time.clock, sleep=time.sleep)


def senders(time: VirtualTime, pace: ChannelPace, chats: list[str], sent: list[float],
            concurrency: int = 10) -> list[asyncio.Task]:
    """Tasks sending to `chats` through `pace` as a BroadcastSender does; each send's time is
    appended to `sent`."""
    queue = list(reversed(chats))

    async def send_loop() -> None:
        while queue:
            chat = queue.pop()
            await pace.wait(chat)
            sent.append(time.now)

    return [asyncio.create_task(send_loop()) for _ in range(concurrency)]


def most_in_a_second(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + 1 - 1e-9)
               for i, start in enumerate(times))


async def finish(*groups: list[asyncio.Task]) -> None:
    for task in itertools.chain(*groups):
        task.cancel()
    await asyncio.gather(*itertools.chain(*groups), return_exceptions=True)


async def test_two_paces_sharing_a_channel_keep_its_rate_together_and_use_all_of_it() -> None:
    time = VirtualTime()
    slots = LocalSlots(time.clock)  # one row for both, as in the database
    first_sent: list[float] = []
    second_sent: list[float] = []
    first = senders(time, pace(time, slots), [f"a{i}" for i in range(300)], first_sent)
    second = senders(time, pace(time, slots), [f"b{i}" for i in range(300)], second_sent)
    await time.run_until(10)
    assert len(first_sent) == len(second_sent) == 300
    everything = first_sent + second_sent
    assert most_in_a_second(everything) == 100  # the rate, never more
    assert max(everything) < 6.0 + WINDOW  # and all of it: 600 at 100 a second
    # Neither waits for the other's turn long: they alternate every tenth of a second.
    assert max(b - a for a, b in itertools.pairwise(sorted(first_sent))) <= 2 * WINDOW + 1e-9
    await finish(first, second)


async def test_flood_control_told_to_one_pace_holds_the_other_from_its_next_reservation(
        ) -> None:
    time = VirtualTime()
    slots = LocalSlots(time.clock)
    first, second = pace(time, slots), pace(time, slots)
    first_sent: list[float] = []
    second_sent: list[float] = []
    tasks = (senders(time, first, [f"a{i}" for i in range(300)], first_sent)
             + senders(time, second, [f"b{i}" for i in range(300)], second_sent))
    await time.run_until(1.0)
    await first.hold(2.0)  # a 429 "retry after 2" to the first
    await time.run_until(3.5)
    assert not [t for t in first_sent if 1.0 < t < 3.0]  # at once
    # The second sends what it had reserved already, then nothing until the hold is over.
    assert not [t for t in second_sent if 1.0 + WINDOW + LEAD < t < 3.0]
    assert [t for t in first_sent + second_sent if 3.0 <= t < 3.5]
    await finish(tasks)


async def test_a_pace_that_stops_leaves_its_share_to_the_other_within_a_reservation() -> None:
    time = VirtualTime()
    slots = LocalSlots(time.clock)
    first_sent: list[float] = []
    second_sent: list[float] = []
    first = senders(time, pace(time, slots), [f"a{i}" for i in range(300)], first_sent)
    second = senders(time, pace(time, slots), [f"b{i}" for i in range(600)], second_sent)
    await time.run_until(2.0)
    assert 40 <= len([t for t in second_sent if 1.0 <= t < 2.0]) <= 60  # half each
    await finish(first)  # killed: what it had reserved is lost, nothing more
    await time.run_until(4.0)
    after = [t for t in second_sent if 2.0 + WINDOW + LEAD <= t < 3.0 + WINDOW + LEAD]
    assert len(after) == 100  # the whole rate
    await finish(second)


async def test_a_pace_with_nothing_to_send_reserves_nothing() -> None:
    time = VirtualTime()
    slots = LocalSlots(time.clock)
    idle = pace(time, slots)
    sent: list[float] = []
    busy = senders(time, pace(time, slots), [f"c{i}" for i in range(200)], sent)
    await time.run_until(3.0)
    assert len(sent) == 200 and max(sent) < 2.0  # all of the rate
    assert idle._reserved_until == float("-inf")
    await finish(busy)


async def test_one_chat_gets_one_message_a_second_and_its_slots_go_to_other_chats() -> None:
    time = VirtualTime()
    one = pace(time, LocalSlots(time.clock), per_second=10, per_chat=1)
    sent: list[tuple[str, float]] = []

    async def send(chat: str) -> None:
        await one.wait(chat)
        sent.append((chat, time.now))

    tasks = [asyncio.create_task(send(chat)) for chat in ["x", "x", "x", *"abcdefgh"]]
    await time.run_until(5.0)
    to_x = [at for chat, at in sent if chat == "x"]
    assert len(to_x) == 3
    assert all(b - a >= 1.0 - 1e-9 for a, b in itertools.pairwise(to_x))
    others = [at for chat, at in sent if chat != "x"]
    assert len(others) == 8 and max(others) < 1.0  # not held up behind "x"
    await finish(tasks)


async def test_sends_woken_late_leave_together_at_most_a_catch_up_s_worth() -> None:
    time = VirtualTime()
    busy = pace(time, LocalSlots(time.clock), per_second=100)
    sent: list[float] = []
    tasks = senders(time, busy, [f"d{i}" for i in range(300)], sent, concurrency=30)
    await time.run_until(1.0)
    stalled = [task for task in tasks if not task.done()]
    time.now = 1.5  # the event loop was busy for half a second: every sleeper wakes late
    await time.run_until(1.5)
    together = [t for t in sent if t == 1.5]
    assert len(together) <= 100 * CATCH_UP_SECONDS + 1
    assert stalled  # they were there to send
    await time.run_until(3.0)
    assert most_in_a_second(sent) <= 100 + 100 * CATCH_UP_SECONDS + 1
    await finish(tasks)



def test_a_worker_relates_the_database_s_clock_to_its_own_from_several_round_trips() -> None:
    slots = SharedSlots(None, "telegram")  # type: ignore[arg-type]  # no database needed
    # Each request read the database's clock between sending and the reply: the difference
    # of the clocks was 100.000-100.010 by one, 99.995-100.004 by another, 99.990-100.050
    # by a slow one; all hold only for 100.000-100.004.
    slots._brackets.extend([(100.000, 100.010), (99.995, 100.004), (99.990, 100.050)])
    assert slots._offset() == pytest.approx(100.002)
    # A clock adjusted meanwhile (brackets that no longer meet): the narrowest one.
    slots._brackets.append((100.200, 100.202))
    assert slots._offset() == pytest.approx(100.201)
