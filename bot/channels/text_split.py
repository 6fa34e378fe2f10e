"""Splitting long replies to fit a channel's message size."""

from __future__ import annotations


def split_text(text: str, limit: int) -> list[str]:
    """Split at paragraph, then line, then word boundaries so each part fits `limit`."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = _best_cut(rest, limit)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def _best_cut(text: str, limit: int) -> int:
    """The strongest boundary (paragraph, line, word) in the second half of the window."""
    for separator in ("\n\n", "\n", " "):
        cut = text.rfind(separator, limit // 2, limit)
        if cut > 0:
            return cut
    space = text.rfind(" ", 0, limit)
    return space if space > 0 else limit
