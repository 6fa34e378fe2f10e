"""Read-only things every handler may use, built once by the application."""

from __future__ import annotations

from dataclasses import dataclass, field

from handlers.communes import CommuneDirectory
from handlers.former_districts import FormerDistrictDirectory
from handlers.forms.model import FormCache
from handlers.kb.knowledge_base import KnowledgeBase
from handlers.kb.staff_answers import StaffAnswerSync


@dataclass(frozen=True)
class Services:
    communes: CommuneDirectory
    former_districts: FormerDistrictDirectory
    kb: KnowledgeBase
    staff_answers: StaffAnswerSync
    admin_ids: frozenset[str] = frozenset()
    forms: FormCache = field(default_factory=FormCache)
    # The channels broadcasts go to: those configured that push messages.
    broadcast_channels: tuple[str, ...] = ()
