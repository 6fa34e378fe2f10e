"""Read-only things every handler may use, built once by the application."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.communes import CommuneDirectory


@dataclass(frozen=True)
class Services:
    communes: CommuneDirectory
    admin_ids: frozenset[str] = frozenset()
