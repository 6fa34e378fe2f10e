"""Terminal chat for the operator: interactive, or one JSON action per line (--json)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from aiohttp import web

from bot.channels.base import Capabilities
from bot.channels.rendering import render
from bot.delivery import SENT, DeliveryOutcome
from handlers.dispatcher import Dispatcher
from handlers.text import fold
from handlers.types import Attachment, Choice, Incoming, Reply

CHANNEL = "console"
# A terminal: choices as a numbered list (--json lists them as buttons), text never split.
CAPABILITIES = Capabilities(max_text_length=1_000_000, photos=False, documents=True,
                            push=False)


class ConsoleChat:
    """The operator's terminal; a channel without routes whose messages go to `stdout`."""

    name = CHANNEL
    capabilities = CAPABILITIES

    def __init__(self, dispatcher: Dispatcher, *, user_id: str = "local", operator: bool = False,
                 export_dir: Path = Path("exports")) -> None:
        self._dispatcher = dispatcher
        self._user_id = user_id
        self._operator = operator
        self._export_dir = export_dir
        self._choices: list[Choice] = []  # of the latest reply that had any
        self._sequence = 0
        self._stdout: TextIO = sys.stdout

    def add_routes(self, app: web.Application) -> None:
        """None: the console runs in the operator's terminal, not on the server."""

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def deliver(self, channel_user_id: str, replies: Sequence[Reply], *,
                      paced: bool = False) -> list[DeliveryOutcome]:
        """Print replies in the terminal (there is one user: the operator)."""
        for reply in replies:
            self._stdout.write(self._render(reply) + "\n")
        self._stdout.flush()
        return [SENT for _ in replies]

    async def prepare_attachment(self, attachment: Attachment) -> Attachment:
        return attachment

    async def say(self, text: str = "", *, payload: str | None = None) -> list[Reply]:
        self._sequence += 1
        replies = await self._dispatcher.handle(Incoming(
            channel=CHANNEL, user_id=self._user_id, text=text, payload=payload,
            operator=self._operator,
        ))
        with_choices = [r for r in replies if r.choices]
        if with_choices:
            self._choices = list(with_choices[-1].choices)
        return replies

    async def press(self, label: str) -> list[Reply] | None:
        """Press the choice whose label matches (diacritics and case ignored); None if absent."""
        wanted = fold(label)
        for choice in self._choices:
            if fold(choice.label) == wanted:
                return await self.say(choice.label, payload=choice.payload)
        return None

    async def run_interactive(self, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
        self._stdout = stdout
        await self.deliver(self._user_id, await self.say("/start"))
        stdout.write("> ")
        stdout.flush()
        for line in stdin:
            await self.deliver(self._user_id, await self.say(line.rstrip("\n")))
            stdout.write("> ")
            stdout.flush()

    async def run_json(self, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
        """Each input line is {"text": …} or {"button": "label"}; each bot message one line."""
        for line in stdin:
            if not line.strip():
                continue
            try:
                action = json.loads(line)
                if "button" in action:
                    replies = await self.press(str(action["button"]))
                    if replies is None:
                        _emit(stdout, {"error": f"no button labelled {action['button']!r}"})
                        continue
                else:
                    replies = await self.say(str(action.get("text", "")))
            except (ValueError, AttributeError):
                _emit(stdout, {"error": "each line must be a JSON object with text or button"})
                continue
            for reply in replies:
                _emit(stdout, self._reply_json(reply))

    def _render(self, reply: Reply) -> str:
        lines = [message.text for message in render(reply, self.capabilities)]
        if reply.attachment:  # the file comes first, as on the messaging channels
            lines.insert(0, f"[📎 {reply.attachment.filename}]")
        if reply.document:
            lines.append(f"  [{self._save(reply)}]")
        return "\n".join(lines)

    def _reply_json(self, reply: Reply) -> dict:
        document = None
        if reply.document:
            document = {"filename": reply.document.filename, "path": str(self._save(reply))}
        attachment = None
        if reply.attachment:
            attachment = {"kind": reply.attachment.kind.value,
                          "filename": reply.attachment.filename}
        return {"text": reply.text,
                "buttons": [{"label": c.label, "data": c.payload} for c in reply.choices],
                "document": document, "attachment": attachment}

    def _save(self, reply: Reply) -> Path:
        self._export_dir.mkdir(parents=True, exist_ok=True)
        path = self._export_dir / reply.document.filename
        path.write_bytes(reply.document.content)
        return path.resolve()


def _emit(stdout: TextIO, obj: dict) -> None:
    stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    stdout.flush()
