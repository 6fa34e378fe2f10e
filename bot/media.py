"""Photos and files for channels that take them only by URL (Zalo): stored in the database
(every worker can serve them) and served from our own server under an unguessable link that
expires."""

from __future__ import annotations

import logging
import re
import secrets
from datetime import timedelta
from urllib.parse import quote

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import Clock, utc_now
from handlers.types import Attachment, Document
from storage.uow import UnitOfWork

logger = logging.getLogger(__name__)

LINK_LIFETIME = timedelta(hours=24)
ROUTE = "/media/{token}/{name}"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")
_LINK_IN_TEXT = re.compile(r"/media/[^/\s\"]+/[^\s\"]*")


class HideMediaLinks(logging.Filter):
    """Masks media links in the HTTP access log: a link is the key to a file (an export full
    of personal data) while it lasts."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/media/" in message:
            record.msg, record.args = _LINK_IN_TEXT.sub("/media/[hidden]", message), None
        return True


def hide_media_links_in_access_log() -> None:
    access_log = logging.getLogger("aiohttp.access")
    if not any(isinstance(f, HideMediaLinks) for f in access_log.filters):
        access_log.addFilter(HideMediaLinks())


class MediaLinks:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession],
                 public_url: str | None, *, lifetime: timedelta = LINK_LIFETIME,
                 clock: Clock = utc_now) -> None:
        self._session_factory = session_factory
        self._public_url = public_url.rstrip("/") if public_url else None
        self._lifetime = lifetime
        self._clock = clock

    @property
    def available(self) -> bool:
        """Whether links can be made: they need the server's public address (PUBLIC_URL)."""
        return self._public_url is not None

    async def link(self, document: Document) -> str:
        """Store the document and return its public link."""
        if self._public_url is None:
            raise RuntimeError("PUBLIC_URL is not set: no link can be made")
        token = secrets.token_urlsafe(32)
        now = self._clock()
        async with UnitOfWork(self._session_factory) as uow:
            await uow.media.add(token, filename=document.filename,
                                mime_type=document.mime_type, content=document.content,
                                now=now, expires_at=now + self._lifetime)
            await uow.commit()
        return self.url_of(token, document.filename)

    def url_of(self, token: str, filename: str) -> str:
        """The public link of a file already stored (a broadcast's attachment)."""
        if self._public_url is None:
            raise RuntimeError("PUBLIC_URL is not set: no link can be made")
        return f"{self._public_url}{self.path_of(token, filename)}"

    @staticmethod
    def path_of(token: str, filename: str) -> str:
        """The link's path on our own server (the web page, served from it, needs no more)."""
        return f"/media/{token}/{quote(filename)}"

    async def content(self, attachment: Attachment) -> Document | None:
        """An attachment's file from storage, for a channel that must upload it; None once
        it is no longer kept."""
        async with UnitOfWork(self._session_factory) as uow:
            media = await uow.media.get(attachment.media_token, self._clock())
        if media is None:
            return None
        return Document(attachment.filename, media.content, attachment.mime_type)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(ROUTE, self.serve)
        hide_media_links_in_access_log()

    async def serve(self, request: web.Request) -> web.Response:
        """GET /media/{token}/{name}: the file while its link lasts, else 404."""
        token = request.match_info["token"]
        if not _TOKEN.fullmatch(token):
            raise web.HTTPNotFound()
        async with UnitOfWork(self._session_factory) as uow:
            media = await uow.media.get(token, self._clock())
        if media is None:
            raise web.HTTPNotFound()
        disposition = "inline" if media.mime_type.startswith("image/") else "attachment"
        return web.Response(body=media.content, content_type=media.mime_type, headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(media.filename)}",
            "Cache-Control": "private, no-store",
        })
