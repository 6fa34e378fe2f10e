"""Terminal chat for the operator: interactive, or one JSON action per line (--json)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from handlers.dispatcher import Dispatcher
from handlers.text import fold
from handlers.types import Choice, Incoming, Reply

CHANNEL = "console"


class ConsoleChat:
    def __init__(self, dispatcher: Dispatcher, *, user_id: str = "local", operator: bool = False,
                 export_dir: Path = Path("exports")) -> None:
        self._dispatcher = dispatcher
        self._user_id = user_id
        self._operator = operator
        self._export_dir = export_dir
        self._choices: list[Choice] = []  # of the latest reply that had any
        self._sequence = 0

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
        for reply in await self.say("/start"):
            stdout.write(self._render(reply) + "\n")
        stdout.write("> ")
        stdout.flush()
        for line in stdin:
            for reply in await self.say(line.rstrip("\n")):
                stdout.write(self._render(reply) + "\n")
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
        lines = [reply.text]
        if reply.expects_text:  # a typed number is the answer: the buttons are words to type
            lines += [f"  [{c.label}]" for c in reply.choices]
        else:
            lines += [f"  {i}. {c.label}" for i, c in enumerate(reply.choices, 1)]
        if reply.document:
            lines.append(f"  [{self._save(reply)}]")
        return "\n".join(lines)

    def _reply_json(self, reply: Reply) -> dict:
        document = None
        if reply.document:
            document = {"filename": reply.document.filename, "path": str(self._save(reply))}
        return {"text": reply.text,
                "buttons": [{"label": c.label, "data": c.payload} for c in reply.choices],
                "document": document}

    def _save(self, reply: Reply) -> Path:
        self._export_dir.mkdir(parents=True, exist_ok=True)
        path = self._export_dir / reply.document.filename
        path.write_bytes(reply.document.content)
        return path.resolve()


def _emit(stdout: TextIO, obj: dict) -> None:
    stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    stdout.flush()
