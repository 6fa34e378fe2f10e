"""Downloading a photo or file a user sent where the platform gives a link to it (Zalo): with a
size cap and a time limit, so a huge or endless answer cannot tie the bot up."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from aiohttp import ClientResponseError, ClientSession, ClientTimeout

from handlers.types import FileTooLarge

DOWNLOAD_TIMEOUT = 60  # seconds for the whole download
CHUNK = 64 * 1024


async def download(session: ClientSession, url: str, limit: int, *,
                   timeout: float = DOWNLOAD_TIMEOUT) -> bytes:
    """The file at `url` (http or https only), at most `limit` bytes (FileTooLarge beyond);
    an answer other than 200 raises ClientResponseError. Errors never quote the URL's
    query, where a platform may put a key."""
    if not url.startswith(("https://", "http://")):
        raise ValueError("not an http(s) link")
    async with session.get(url, timeout=ClientTimeout(total=timeout)) as response:
        if response.status != 200:
            raise ClientResponseError(response.request_info, (), status=response.status)
        if response.content_length is not None and response.content_length > limit:
            raise FileTooLarge
        content = bytearray()
        async for chunk in response.content.iter_chunked(CHUNK):
            content += chunk
            if len(content) > limit:
                raise FileTooLarge
        return bytes(content)


def downloader(session: ClientSession | None,
               url: str) -> Callable[[int], Awaitable[bytes]] | None:
    """A fetcher of `url` up to a size limit, for an incoming file (None before the channel
    has its HTTP session)."""
    return partial(download, session, url) if session is not None else None
