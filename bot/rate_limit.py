"""In-process sliding-window rate limits, bounded in memory (each worker counts on its own)."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable


class SlidingWindowLimiter:
    """At most `limit` hits per key within `window` seconds; a limit of 0 disables it."""

    def __init__(self, limit: int, window: float = 60.0, *, max_keys: int = 50_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._window = window
        self._max_keys = max_keys
        self._clock = clock
        # Keys in the order of their last hit, so the stale ones are always at the front.
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def hit(self, key: str) -> float:
        """Count one hit; returns 0 when allowed, else the seconds until one would be."""
        if self.limit <= 0:
            return 0.0
        now = self._clock()
        self._expire(now)
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
        else:
            self._hits.move_to_end(key)
        while hits and hits[0] <= now - self._window:
            hits.popleft()
        if len(hits) >= self.limit:
            return hits[0] + self._window - now
        hits.append(now)
        return 0.0

    def __len__(self) -> int:
        return len(self._hits)

    def _expire(self, now: float) -> None:
        while self._hits:
            key, hits = next(iter(self._hits.items()))
            if len(self._hits) < self._max_keys and hits and hits[-1] > now - self._window:
                break
            # Forgetting the least recently seen key under pressure errs towards letting a
            # request through, never towards refusing one it should not.
            del self._hits[key]
