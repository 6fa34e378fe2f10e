"""Photos and files served under expiring links (for channels that take them only by URL)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MediaFile


class MediaRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, token: str, *, filename: str, mime_type: str, content: bytes,
                  now: datetime, expires_at: datetime) -> None:
        """Store a file under `token`, dropping the files whose links have expired."""
        await self.forget_expired(now)
        self._session.add(MediaFile(token=token, filename=filename[:200],
                                    mime_type=mime_type[:100], content=content,
                                    created_at=now, expires_at=expires_at))
        await self._session.flush()

    async def get(self, token: str, now: datetime) -> MediaFile | None:
        """The file behind a link that has not expired."""
        query = select(MediaFile).where(MediaFile.token == token, MediaFile.expires_at > now)
        return (await self._session.execute(query)).scalar_one_or_none()

    async def exists(self, token: str, now: datetime) -> bool:
        """Whether the file is still kept (without reading its content)."""
        query = select(MediaFile.token).where(MediaFile.token == token,
                                              MediaFile.expires_at > now)
        return (await self._session.execute(query)).first() is not None

    async def keep_until(self, token: str, until: datetime, now: datetime) -> bool:
        """Keep a file at least until `until` (never less than it was to be kept); False
        when it is no longer there."""
        result = await self._session.execute(
            update(MediaFile).where(MediaFile.token == token, MediaFile.expires_at > now,
                                    MediaFile.expires_at < until)
            .values(expires_at=until))
        return result.rowcount == 1 or await self.exists(token, now)

    async def forget(self, token: str) -> None:
        await self._session.execute(delete(MediaFile).where(MediaFile.token == token))

    async def forget_expired(self, now: datetime) -> int:
        """Delete the files whose links have expired (exports may hold personal data)."""
        result = await self._session.execute(delete(MediaFile).where(MediaFile.expires_at <= now))
        return result.rowcount
