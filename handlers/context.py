"""What a handler knows about the message it is handling."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from handlers.i18n import Translator, translator_for

if TYPE_CHECKING:
    from handlers.routing import Router
    from handlers.services import Services
    from storage.models import User
    from storage.uow import UnitOfWork


@dataclass
class Conversation:
    """The user's place in a multi-step flow; saved by the dispatcher after each message.

    Flows and steps are names (strings), never positions, because they are stored.
    """

    flow: str | None = None
    step: str | None = None
    draft: dict[str, Any] = field(default_factory=dict)
    user_deleted: bool = False

    def start(self, flow: str, step: str, draft: dict[str, Any] | None = None) -> None:
        self.flow, self.step, self.draft = flow, step, dict(draft or {})

    def goto(self, step: str) -> None:
        self.step = step

    def finish(self) -> None:
        self.flow, self.step, self.draft = None, None, {}


@dataclass(frozen=True)
class JobContext:
    """What a scheduled job's handler gets: one transaction, the time it runs at, and the
    catalogs to write to each person in their language."""

    uow: UnitOfWork
    now: datetime
    payload: dict[str, Any]
    translators: dict[str, Translator]
    services: Services

    def i18n_for(self, user: User) -> Translator:
        return translator_for(self.translators, user.locale)


JobHandler = Callable[[JobContext], Awaitable[None]]


@dataclass(frozen=True)
class Context:
    user: User
    uow: UnitOfWork
    now: datetime
    i18n: Translator
    translators: dict[str, Translator]
    conversation: Conversation
    services: Services
    router: Router
    is_admin: bool = False

    @property
    def is_staff(self) -> bool:
        return self.is_admin or self.user.role == "staff"

    @property
    def actor(self) -> str:
        """How the audit log names whoever sent this message."""
        return f"{self.user.channel}:{self.user.channel_user_id}"

    def _(self, message: str) -> str:
        return self.i18n.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.i18n.ngettext(singular, plural, n)
