"""What every fake platform server shares: an aiohttp server on a free port of 127.0.0.1, a
client session to call the bot's webhooks, a log of the API calls the bot made, failures
injected into the next calls of a method, and waiting until the bot has done something.

A fake subclasses `LoopbackFake`, adds its routes in `add_routes()`, records each call with
`record()`, asks `take_failure()` whether to fail it, and calls `notify()` when something a
test may wait for has changed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, NamedTuple, Self

from aiohttp import ClientSession, ClientTimeout, web


class ApiCall(NamedTuple):
    """One request the bot made: the API method's name and its decoded parameters."""

    method: str
    params: dict[str, Any]


class LoopbackFake:
    """Base of the fake platform servers (Telegram, Zalo Bot, Zalo OA)."""

    client_max_size = 1024 * 1024

    def __init__(self) -> None:
        self.url = ""
        self.requests: list[ApiCall] = []  # every call, in order
        self._failures: dict[str, list[list[Any]]] = {}  # method -> [[failure, times left]]
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None

    def add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Listens on a free port of 127.0.0.1 and sets `url`."""
        app = web.Application(client_max_size=self.client_max_size)
        self.add_routes(app)
        # handler_cancellation: a long poll whose client hung up stops waiting.
        self._runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=1, handler_cancellation=True
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        self._session = ClientSession(timeout=ClientTimeout(total=10))

    async def close(self) -> None:
        """Wakes whatever waits (long polls end) and stops the server."""
        self._closing = True
        self.notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def session(self) -> ClientSession:
        """The fake's own HTTP client, for calling the bot's webhook."""
        assert self._session is not None, f"{type(self).__name__} is not started"
        return self._session

    # ------------------------------------------------------------------ call log

    def record(self, method: str, params: dict[str, Any]) -> None:
        self.requests.append(ApiCall(method, params))

    def calls(self, method: str) -> list[dict[str, Any]]:
        """The parameters of every call of `method`, in order."""
        return [call.params for call in self.requests if call.method.lower() == method.lower()]

    # ------------------------------------------------------------------ failures

    def inject_failure(self, method: str, failure: Any, times: int = 1) -> None:
        """The next `times` calls of `method` fail with `failure` (the subclass's own kind)."""
        self._failures.setdefault(method, []).append([failure, times])

    def take_failure(self, method: str) -> Any | None:
        """The failure injected for this call of `method`, if any (and count it)."""
        queue = self._failures.get(method)
        if not queue:
            return None
        entry = queue[0]
        entry[1] -= 1
        if entry[1] <= 0:
            queue.pop(0)
        return entry[0]

    # ------------------------------------------------------------------ waiting

    def notify(self) -> None:
        """Wakes everything waiting for a change (long polls and `wait_until`)."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for_change(self, timeout: float) -> None:
        changed = self._changed
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await changed.wait()

    def describe_calls(self) -> str:
        return str([call.method for call in self.requests])

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5,
        describe: Callable[[], str] | None = None,
    ) -> None:
        """Waits until `predicate()` holds, re-checking it whenever the fake notes a change
        (and every 50 ms). Raises TimeoutError with `describe()` and the calls made."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed = self._changed
            if predicate():
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                what = describe() if describe else f"condition not met within {timeout}s"
                raise TimeoutError(f"{what}; calls: {self.describe_calls()}")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(remaining, 0.05)):
                    await changed.wait()

    async def wait_for_calls(self, method: str, count: int = 1,
                             timeout: float = 5) -> list[dict[str, Any]]:
        """Waits until the bot has called `method` at least `count` times."""
        await self.wait_until(lambda: len(self.calls(method)) >= count, timeout,
                              lambda: f"expected {count} {method} call(s) within {timeout}s")
        return self.calls(method)
