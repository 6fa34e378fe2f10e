"""python-telegram-bot's network layer on aiohttp instead of httpx.

PTB lets an application replace how the Bot API is called (``BaseRequest``); everything above
``do_request`` (JSON decoding, 429 → RetryAfter, 403 → Forbidden, the rate limiter) stays PTB's.
The bot already runs on aiohttp, and its client costs about half of httpx's CPU per call
(the webhook benchmark, docs/benchmarks.md), which matters when every update sends a reply.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL


class _Route(NamedTuple):
    """How calls to one host go: through which proxy (if any), with which headers."""

    proxy: URL | None
    proxy_headers: dict[str, str] | None
    headers: dict[str, str]


# PTB's defaults for HTTPXRequest, so that swapping the client changes no behaviour.
DEFAULT_POOL_SIZE = 256
DEFAULT_TIMEOUT = 5.0
DEFAULT_POOL_TIMEOUT = 1.0
DEFAULT_MEDIA_WRITE_TIMEOUT = 20.0


class AiohttpRequest(BaseRequest):
    """One ``aiohttp.ClientSession`` per instance, opened by ``initialize`` (PTB calls it).

    PTB's four timeouts map onto aiohttp's as follows: ``connect_timeout`` bounds opening a
    connection, ``pool_timeout`` plus that bounds getting one from the pool, ``read_timeout``
    bounds each wait for response data. aiohttp has no write timeout, so the whole request is
    bounded by the sum of the four (the media write timeout for uploads), which is never shorter
    than what httpx would allow.
    """

    __slots__ = ("_media_write_timeout", "_pool_size", "_routes", "_session", "_timeouts")

    def __init__(
        self,
        *,
        connection_pool_size: int = DEFAULT_POOL_SIZE,
        read_timeout: float | None = DEFAULT_TIMEOUT,
        write_timeout: float | None = DEFAULT_TIMEOUT,
        connect_timeout: float | None = DEFAULT_TIMEOUT,
        pool_timeout: float | None = DEFAULT_POOL_TIMEOUT,
        media_write_timeout: float | None = DEFAULT_MEDIA_WRITE_TIMEOUT,
    ) -> None:
        self._pool_size = connection_pool_size
        self._timeouts = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._routes: dict[tuple[str, str], _Route] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts[0]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # No trust_env: on every call it would read the environment and ~/.netrc again,
            # in two trips to a thread (about a fifth of the bot's CPU per update in the
            # webhook benchmark). The proxy settings are read once per host (`_route`).
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size))

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | None = BaseRequest.DEFAULT_NONE,  # type: ignore[assignment]
        write_timeout: float | None = BaseRequest.DEFAULT_NONE,  # type: ignore[assignment]
        connect_timeout: float | None = BaseRequest.DEFAULT_NONE,  # type: ignore[assignment]
        pool_timeout: float | None = BaseRequest.DEFAULT_NONE,  # type: ignore[assignment]
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        default_read, default_write, default_connect, default_pool = self._timeouts
        if write_timeout is BaseRequest.DEFAULT_NONE:
            write_timeout = self._media_write_timeout if files else default_write
        read_timeout = default_read if read_timeout is BaseRequest.DEFAULT_NONE else read_timeout
        connect_timeout = (default_connect if connect_timeout is BaseRequest.DEFAULT_NONE
                           else connect_timeout)
        pool_timeout = default_pool if pool_timeout is BaseRequest.DEFAULT_NONE else pool_timeout
        timeout = aiohttp.ClientTimeout(
            total=_sum(read_timeout, write_timeout, connect_timeout, pool_timeout),
            connect=_sum(pool_timeout, connect_timeout),
            sock_connect=connect_timeout,
            sock_read=read_timeout,
        )
        route = self._route(url)
        try:
            async with self._session.request(
                method, url, data=_body(request_data, files),
                headers=route.headers, timeout=timeout,
                allow_redirects=False,  # as httpx: the Bot API never redirects
                proxy=route.proxy, proxy_headers=route.proxy_headers,
            ) as response:
                return response.status, await response.read()
        # The URL holds the bot token and aiohttp quotes it in some errors ("Connection
        # timeout to host <url>", an invalid URL): none of them is chained or quoted as is.
        except aiohttp.ConnectionTimeoutError:
            raise TimedOut("Pool timeout or connect timeout: the request was not sent") from None
        except TimeoutError:  # includes aiohttp's read and total timeouts
            raise TimedOut from None
        except aiohttp.ClientError as error:
            described = str(error).replace(url, "<Bot API URL>")
            raise NetworkError(f"aiohttp.{type(error).__name__}: {described}") from None

    def _route(self, url: str) -> _Route:
        """The proxy the environment names for the URL's scheme and host (HTTP_PROXY,
        HTTPS_PROXY, NO_PROXY, a proxy's login in ~/.netrc: as httpx and aiohttp's trust_env
        read them), or none, and the headers to send; worked out on the first call for that
        host, since a process does not change its environment."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        route = self._routes.get(key)
        if route is None:
            headers = {"User-Agent": self.USER_AGENT}
            try:
                proxy, login = get_env_proxy_for_url(URL.build(scheme=key[0], host=key[1]))
            except (LookupError, ValueError):  # none set, NO_PROXY exempts it, or no host
                proxy, login = None, None
            proxy_headers = None
            if login is not None:
                # To an https host the proxy is asked to connect (its login goes with that);
                # to an http one the request itself goes to the proxy and carries it.
                if key[0] == "https":
                    proxy_headers = {"Proxy-Authorization": login.encode()}
                else:
                    headers["Proxy-Authorization"] = login.encode()
            route = self._routes[key] = _Route(proxy, proxy_headers, headers)
        return route


def _body(request_data: RequestData | None, files: dict | None) -> dict | aiohttp.FormData | None:
    """Form-encoded parameters, or multipart when a file is uploaded (as the Bot API takes)."""
    if request_data is None:
        return None
    if not files:
        return request_data.json_parameters or None
    # Raw UTF-8 file names, as httpx sends them: aiohttp's default percent-encodes them and
    # Telegram would show "K%E1%BA%BF%20ho%E1%BA%A1ch.pdf" for "Kế hoạch.pdf".
    form = aiohttp.FormData(request_data.json_parameters, quote_fields=False)
    for name, (filename, content, mime_type) in files.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form


def _sum(*timeouts: float | None) -> float | None:
    """The sum of the timeouts, or no limit when one of them is unlimited."""
    return None if any(value is None for value in timeouts) else sum(timeouts)  # type: ignore[arg-type]
