"""Registrants and waitlist of a fair as CSV or Excel (being written: see the fairs issue)."""

from __future__ import annotations

from typing import Any, BinaryIO

EXPORT_FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                  "csv": "text/csv"}


async def export_registrations(uow: Any, fair: Any, fmt: str, out: BinaryIO, *,
                               translator: Any = None, communes: Any = None) -> int:
    raise NotImplementedError
