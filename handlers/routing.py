"""Routing of an incoming message to the handler of a command, button or flow step."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from handlers.context import Context
from handlers.types import Incoming, Reply

if TYPE_CHECKING:
    from handlers.attachments import FilePolicy

Handler = Callable[[Incoming, Context], Awaitable[list[Reply]]]
Resume = Callable[[Context], Awaitable[list[Reply]]]


@dataclass(frozen=True)
class Command:
    name: str
    aliases: tuple[str, ...]
    description: str  # English msgid, translated where it is shown
    handler: Handler
    staff_only: bool = False
    admin_only: bool = False
    keeps_flow: bool = False  # /help must not throw away a half-filled form

    def allowed(self, ctx: Context) -> bool:
        if self.admin_only:
            return ctx.is_admin
        return ctx.is_staff or not self.staff_only


@dataclass(frozen=True)
class ButtonRoute:
    """The handler of a payload prefix and who may press its buttons, and when."""

    handler: Handler
    staff_only: bool = False
    # Payloads that only show something (or carry their own one-time check) are accepted from
    # any earlier message; all others change state and are accepted only when they were
    # offered in the user's current step. True: every payload of the prefix; a set: those.
    always_valid: bool | frozenset[str] = False

    def accepts_anytime(self, payload: str) -> bool:
        if isinstance(self.always_valid, bool):
            return self.always_valid
        return payload in self.always_valid


@dataclass(frozen=True)
class FlowRoute:
    handler: Handler
    staff_only: bool = False
    # Where the flow takes photos and documents; others get "I can only read text".
    files: FilePolicy | None = None
    # A form's current question asked again (in the chat's language of the moment), after a
    # question answered in passing or a change of language; a flow without one is left as is.
    resume: Resume | None = None


class Router:
    """Tables of handlers; capability modules each fill one and the app merges them."""

    def __init__(self) -> None:
        self.commands: dict[str, Command] = {}
        self.payloads: dict[str, ButtonRoute] = {}
        self.flows: dict[str, FlowRoute] = {}
        self.fallback: Handler | None = None

    def command(self, name: str, *aliases: str, description: str, staff: bool = False,
                admin: bool = False, keeps_flow: bool = False) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            cmd = Command(name, aliases, description, handler, staff, admin, keeps_flow)
            for key in (name, *aliases):
                if key in self.commands:
                    raise ValueError(f"command /{key} registered twice")
                self.commands[key] = cmd
            return handler

        return register

    def payload(self, prefix: str, *, staff: bool = False,
                always_valid: bool | frozenset[str] = False) -> Callable[[Handler], Handler]:
        """Buttons whose payload is `prefix` or starts with `prefix:`.

        `staff`: pressed by staff only, checked by the dispatcher when applied.
        `always_valid`: see ButtonRoute; by default a button must be in the current step.
        """

        def register(handler: Handler) -> Handler:
            if prefix in self.payloads:
                raise ValueError(f"payload {prefix!r} registered twice")
            self.payloads[prefix] = ButtonRoute(handler, staff, always_valid)
            return handler

        return register

    def flow(self, name: str, *, staff: bool = False,
             files: FilePolicy | None = None) -> Callable[[Handler], Handler]:
        """The handler of every step of a flow; it reads ctx.conversation.step.

        `staff`: each step re-checks the rights when applied (they may have been revoked).
        `files`: the steps that take a photo or document, which the dispatcher downloads
        before the step runs (its handler gets `msg.file` with the content or a problem).
        """

        def register(handler: Handler) -> Handler:
            self.flows[name] = FlowRoute(handler, staff, files)
            return handler

        return register

    def resume(self, name: str) -> Callable[[Resume], Resume]:
        """What asks the current question of flow `name` again (see FlowRoute.resume)."""

        def register(resume: Resume) -> Resume:
            self.flows[name] = dataclasses.replace(self.flows[name], resume=resume)
            return resume

        return register

    def free_text(self, handler: Handler) -> Handler:
        """The handler of text that is no command, button or answer to a form."""
        self.fallback = handler
        return handler

    def include(self, other: Router) -> None:
        for key, cmd in other.commands.items():
            if key in self.commands:
                raise ValueError(f"command /{key} registered twice")
            self.commands[key] = cmd
        self.payloads.update(other.payloads)
        self.flows.update(other.flows)
        self.fallback = other.fallback or self.fallback

    def visible_commands(self, *, staff: bool, admin: bool = False) -> list[Command]:
        """Distinct commands a user of this rank may see, in registration order."""
        seen: list[Command] = []
        for cmd in self.commands.values():
            if cmd in seen or (cmd.staff_only and not staff) or (cmd.admin_only and not admin):
                continue
            seen.append(cmd)
        return seen

    def find_button(self, payload: str) -> ButtonRoute | None:
        prefix = payload.split(":", 1)[0]
        return self.payloads.get(prefix)
