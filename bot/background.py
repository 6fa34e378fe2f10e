"""One background loop for the workers that poll the database (outbox sender, scheduler,
broadcast monitor): a named task that runs `tick` again and again until stopped."""

from __future__ import annotations

import asyncio
import logging

from handlers.error_report import anonymous_traceback

logger = logging.getLogger(__name__)
MAX_BACKOFF = 60.0  # seconds between tries of a loop that keeps failing


class BackgroundLoop:
    """Runs `tick` in a task: at once again when it found a full batch of work, else after
    `interval` seconds. A failing tick (the database may be down) is tried again after an
    interval doubled at each failure in a row, up to MAX_BACKOFF seconds; its error is logged
    by type and stack only, in full the first time and then once for every doubling, so an
    outage does not fill the log. The loop never dies of it."""

    def __init__(self, name: str, interval: float) -> None:
        self._name = name
        self._interval = interval
        self._task: asyncio.Task | None = None
        self.failures = 0  # in a row

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def tick(self) -> bool:
        """One round of work; True when there may be more at once."""
        raise NotImplementedError

    def pause_after_failure(self) -> float:
        return min(self._interval * 2 ** (self.failures - 1), max(self._interval, MAX_BACKOFF))

    async def _run(self) -> None:
        while True:
            try:
                busy = await self.tick()
            except Exception as error:
                self.failures += 1
                if self.failures == 1:
                    logger.error("%s failed: %s", self._name, anonymous_traceback(error))
                elif self.failures & (self.failures - 1) == 0:  # 2, 4, 8...: less and less
                    logger.error("%s still failing (%d times in a row): %s", self._name,
                                 self.failures, type(error).__name__)
                await asyncio.sleep(self.pause_after_failure())
                continue
            if self.failures:
                logger.info("%s works again after %d failures", self._name, self.failures)
                self.failures = 0
            if not busy:
                await asyncio.sleep(self._interval)
