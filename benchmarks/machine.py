"""The shared machine's speed, reported beside every benchmark's figures."""

from __future__ import annotations

import time


def machine_speed() -> float:
    """Seconds for a fixed pure-Python loop (best of 3): this shared machine's speed moves by
    half from one minute to the next, so figures are read against it."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for number in range(1_000_000):
            total += number
        best = min(best, time.perf_counter() - started)
    return round(best, 4)
