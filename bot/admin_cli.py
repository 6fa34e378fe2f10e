"""What the operator's commands share (`surveys …`, `fairs …`, `export …`): how the audit log
names them, one unit of work per command, a table on the terminal, an export written aside."""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from storage.db import create_engine, create_session_factory
from storage.uow import UnitOfWork


def cli_actor() -> str:
    """How the audit log names the operator at the terminal."""
    return f"cli:{os.environ.get('USER') or 'operator'}"[:96]


async def with_uow(database_url: str, run: Callable[[UnitOfWork], Awaitable[Any]]) -> Any:
    """Run `run` in one unit of work on its own engine (it commits what it keeps)."""
    engine = create_engine(database_url)
    try:
        async with UnitOfWork(create_session_factory(engine)) as uow:
            return await run(uow)
    finally:
        await engine.dispose()


def print_table(rows: Sequence[Sequence[str]], *, numbers_from: int) -> None:
    """Rows (the first is the header) in aligned columns; columns from `numbers_from` on are
    right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [cell.rjust(w) if i >= numbers_from else cell.ljust(w)
                 for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        print("  ".join(cells).rstrip())


async def export_to(database_url: str, output: str,
                    write: Callable[[UnitOfWork, BinaryIO], Awaitable[int]]) -> int:
    """Run an export into `output` (a file, or - for standard output); returns its rows.

    It reads on a read-only engine, so a long export never holds up the bot's writes, and a
    file is written aside and renamed: no half-written export is ever left behind.
    """
    if output != "-":
        check_output_file(Path(output))
    reader = create_engine(database_url, read_only=True)
    try:
        async with UnitOfWork(create_session_factory(reader)) as uow:
            if output == "-":
                return await write(uow, sys.stdout.buffer)
            target = Path(output)
            partial = target.with_name(target.name + ".part")
            try:
                with partial.open("wb") as out:
                    rows = await write(uow, out)
                partial.replace(target)
            finally:
                partial.unlink(missing_ok=True)
            return rows
    finally:
        await reader.dispose()


def check_output_file(target: Path) -> None:
    """Exit with a plain message, not a traceback, when `target` cannot be written as a file
    (a folder given for -o, or a folder that does not exist)."""
    if target.is_dir():
        raise SystemExit(f"{target} is a folder: give a file name, e.g. "
                         f"{target / ('export' + (target.suffix or '.xlsx'))}")
    if not target.parent.is_dir():
        raise SystemExit(f"{target.parent} does not exist: create the folder first, or "
                         f"choose another")


async def record_export(database_url: str, action: str, target: str,
                        details: dict[str, Any]) -> None:
    """Audit-log an export done at the terminal."""

    async def run(uow: UnitOfWork) -> None:
        await uow.audit.record(actor="cli", action=action, target=target,
                               now=datetime.now(UTC), details=details)
        await uow.commit()

    await with_uow(database_url, run)


async def list_staff_answers(database_url: str) -> int:
    """The answers staff added to the knowledge base from the chat, oldest first."""

    async def run(uow: UnitOfWork) -> int:
        answers = await uow.staff_answers.all()
        if not answers:
            print("no answer added by staff")
            return 0
        for answer in answers:
            print(f"#{answer.id} {answer.added_at:%Y-%m-%d} {answer.added_by} ({answer.lang})\n"
                  f"  Q: {answer.question}\n  A: {answer.answer}")
        return 0

    return await with_uow(database_url, run)


async def remove_staff_answer(database_url: str, answer_id: int) -> int:
    """Remove one (a wrong answer, or one that should not be everyone's); audit-logged. The
    bot stops giving it within seconds (each worker compares the table's count and highest id
    every few seconds, see StaffAnswerSync)."""

    async def run(uow: UnitOfWork) -> int:
        if not await uow.staff_answers.remove(answer_id):
            print(f"no staff answer #{answer_id} (see `khuyencong kb answers`)",
                  file=sys.stderr)
            return 1
        await uow.audit.record(actor=cli_actor(), action="kb.remove_staff_answer",
                               target=f"staff_answer:{answer_id}", now=datetime.now(UTC))
        await uow.commit()
        print(f"removed staff answer #{answer_id}")
        return 0

    return await with_uow(database_url, run)
