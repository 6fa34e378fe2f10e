"""Describing an error for the log without the values it carries."""

from __future__ import annotations

import traceback


def anonymous_traceback(error: BaseException) -> str:
    """The exception types and stack of an error and its causes, without their messages
    (which may quote what a user typed or a failing statement's values)."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        stack = "".join(traceback.format_tb(current.__traceback__))
        parts.append(f"{type(current).__module__}.{type(current).__qualname__}\n{stack}")
        current = current.__cause__ or current.__context__
    return "\ncaused by ".join(parts).rstrip()
