"""Photos and documents staff send to the bot (a broadcast's attachment): which are accepted,
how big, and fetching them only where a flow asks for one.

The type is read from the file's first bytes, not from its name or the type the client
claimed: a photo (JPEG, PNG, WebP) or a PDF, Word or Excel document. Limits: 10 MB for a
photo (what Telegram accepts as a photo upload, so it can go out on every channel) and 20 MB
for a document (the most a Telegram bot may download).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from handlers.i18n import N_, Translator
from handlers.types import FileKind, FileProblem, FileTooLarge, IncomingFile

logger = logging.getLogger(__name__)

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024

JPEG, PNG, WEBP = "image/jpeg", "image/png", "image/webp"
PDF = "application/pdf"
DOC, XLS = "application/msword", "application/vnd.ms-excel"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", WEBP: ".webp", PDF: ".pdf", DOC: ".doc", XLS: ".xls",
              DOCX: ".docx", XLSX: ".xlsx"}
IMAGES = frozenset({JPEG, PNG, WEBP})
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97-2003 and Excel 97-2003 files

PROBLEMS = {
    FileProblem.TOO_BIG: N_("That file is too big ({size}). A photo can be up to 10 MB and a "
                            "document up to 20 MB. Please send a smaller one, or tap Skip."),
    FileProblem.WRONG_TYPE: N_("That kind of file cannot be attached. Please send a photo "
                               "(JPG, PNG or WebP) or a PDF, Word or Excel document, or tap "
                               "Skip."),
    FileProblem.UNAVAILABLE: N_("I could not download that file. Please send it again, or tap "
                                "Skip."),
}


def max_bytes(kind: FileKind) -> int:
    return MAX_PHOTO_BYTES if kind is FileKind.PHOTO else MAX_DOCUMENT_BYTES


def sniff(content: bytes, filename: str = "") -> str | None:
    """The file's type from its first bytes (an Office file's flavour from its name or
    contents), or None when it is none of the accepted ones."""
    name = filename.lower()
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return WEBP
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(_OLE):
        return XLS if name.endswith(".xls") else DOC if name.endswith(".doc") else None
    if content.startswith(b"PK\x03\x04"):  # Office Open XML is a zip of named parts
        if b"word/" in content:
            return DOCX
        if b"xl/" in content:
            return XLSX
    return None


def size_text(size: int, i18n: Translator) -> str:
    """1,5 MB, 800 KB."""
    if size >= 1024 * 1024:
        return f"{i18n.number(round(size / 1024 / 1024, 1))} MB"
    return f"{i18n.number(max(1, round(size / 1024)))} KB"


def problem_text(file: IncomingFile, i18n: Translator) -> str:
    problem = file.problem or FileProblem.UNAVAILABLE
    return i18n.gettext(PROBLEMS[problem]).format(
        size=size_text(file.size, i18n) if file.size else "?")


@dataclass(frozen=True)
class FilePolicy:
    """A flow that takes a photo or document at some steps: `wanted(step, draft)` says
    whether the user's current step does (only then is the file downloaded)."""

    wanted: Callable[[str | None, dict[str, Any]], bool]

    async def fetch(self, file: IncomingFile) -> IncomingFile:
        """The file with its content, its real type and size, or with the problem that
        stopped it (too big, not an accepted type, not downloadable)."""
        limit = max_bytes(file.kind)
        if file.size is not None and file.size > limit:
            return replace(file, problem=FileProblem.TOO_BIG)
        if file.fetch is None:
            return replace(file, problem=FileProblem.UNAVAILABLE)
        try:
            content = await file.fetch(limit)
        except FileTooLarge:
            return replace(file, problem=FileProblem.TOO_BIG, size=file.size or limit + 1)
        except Exception as error:  # any platform or network error: ask again
            logger.info("a file could not be downloaded: %s", type(error).__name__)
            return replace(file, problem=FileProblem.UNAVAILABLE)
        if len(content) > limit:
            return replace(file, problem=FileProblem.TOO_BIG, size=len(content))
        mime_type = sniff(content, file.filename)
        if mime_type is None or (file.kind is FileKind.PHOTO and mime_type not in IMAGES):
            return replace(file, problem=FileProblem.WRONG_TYPE, size=len(content))
        return replace(file, content=content, size=len(content), mime_type=mime_type,
                       filename=_named(file, mime_type))


def _named(file: IncomingFile, mime_type: str) -> str:
    """A file name with the extension of its real type (a photo has no name of its own)."""
    extension = EXTENSIONS[mime_type]
    stem = file.filename.rsplit("/", 1)[-1].strip() or "photo"
    if "." in stem:
        stem = stem.rsplit(".", 1)[0] or "file"
    return f"{stem[:150]}{extension}"
