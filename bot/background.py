"""One background loop for the workers that poll the database (outbox sender, scheduler,
broadcast monitor): a named task that runs `tick` again and again until stopped."""

from __future__ import annotations

import asyncio
import logging

from handlers.error_report import anonymous_traceback

logger = logging.getLogger(__name__)


class BackgroundLoop:
    """Runs `tick` in a task: at once again when it found a full batch of work, else after
    `interval` seconds. A failing tick (the database may be down) is logged by its error's
    type and stack only, and tried again after `interval`: the loop never dies of it."""

    def __init__(self, name: str, interval: float) -> None:
        self._name = name
        self._interval = interval
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def tick(self) -> bool:
        """One round of work; True when there may be more at once."""
        raise NotImplementedError

    async def _run(self) -> None:
        while True:
            try:
                busy = await self.tick()
            except Exception as error:
                logger.error("%s failed: %s", self._name, anonymous_traceback(error))
                busy = False
            if not busy:
                await asyncio.sleep(self._interval)
