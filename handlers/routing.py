"""Routing of an incoming message to the handler of a command, button or flow step."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from handlers.context import Context
from handlers.types import Incoming, Reply

Handler = Callable[[Incoming, Context], Awaitable[list[Reply]]]


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


class Router:
    """Tables of handlers; capability modules each fill one and the app merges them."""

    def __init__(self) -> None:
        self.commands: dict[str, Command] = {}
        self.payloads: dict[str, Handler] = {}
        self.flows: dict[str, Handler] = {}
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

    def payload(self, prefix: str) -> Callable[[Handler], Handler]:
        """Buttons whose payload is `prefix` or starts with `prefix:`."""

        def register(handler: Handler) -> Handler:
            self.payloads[prefix] = handler
            return handler

        return register

    def flow(self, name: str) -> Callable[[Handler], Handler]:
        """The handler of every step of a flow; it reads ctx.conversation.step."""

        def register(handler: Handler) -> Handler:
            self.flows[name] = handler
            return handler

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

    def find_payload_handler(self, payload: str) -> Handler | None:
        prefix = payload.split(":", 1)[0]
        return self.payloads.get(prefix)
