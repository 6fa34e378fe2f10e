"""HTTP hardening shared by every route: proxies we trust, same-origin JSON posts, headers."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.settings import IPNetwork
from handlers.error_report import anonymous_traceback

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# No inline script or style anywhere: the page loads its JavaScript and CSS from /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Referrer-Policy": "no-referrer",
    # aiohttp would announce "Python/3.x aiohttp/3.x"; versions only help an attacker.
    "Server": "khuyencong",
}


class AnonymousServerErrors(logging.Filter):
    """aiohttp's server logs a request it could not handle with the client's address and a
    traceback whose messages quote the raw bytes received (a cookie, a query string with a
    phone number): only the error's types and stack are kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.msg = "error handling a request: %s"
            record.args = (anonymous_traceback(record.exc_info[1]),)
            record.exc_info, record.exc_text = None, None
        return True


def anonymise_server_errors() -> None:
    server_log = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, AnonymousServerErrors) for f in server_log.filters):
        server_log.addFilter(AnonymousServerErrors())


async def add_security_headers(_request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: runs for every response, static files and errors included."""
    response.headers.update(SECURITY_HEADERS)


def _is_trusted(address: str | None, trusted: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:  # a Unix socket, or no peer at all
        return False
    return any(ip in network for network in trusted)


def client_network(address: str | None) -> str:
    """The network a client address is counted by in rate limits: an IPv4 address itself, an
    IPv6 address by its /64, as one subscriber or host gets a whole /64 and could otherwise
    take a new address for each request."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or ""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:203.0.113.1 is that IPv4 address
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def forwarded_middleware(trusted: tuple[IPNetwork, ...]):
    """Believe X-Forwarded-Proto/-For only from a trusted proxy, by cloning the request."""

    @web.middleware
    async def forwarded(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not trusted or not _is_trusted(request.remote, trusted):
            return await handler(request)
        changes: dict[str, str] = {}
        proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        if proto in ("http", "https"):
            changes["scheme"] = proto
        # The client is the right-most address that is not one of our proxies: anything to
        # its left was written by the client itself and proves nothing.
        hops = [hop.strip() for hop in
                ",".join(request.headers.getall("X-Forwarded-For", [])).split(",")]
        for hop in reversed([hop for hop in hops if hop]):
            if not _is_trusted(hop, trusted):
                try:
                    changes["remote"] = str(ipaddress.ip_address(hop))
                except ValueError:
                    pass
                break
        return await handler(request.clone(**changes) if changes else request)

    return forwarded


@web.middleware
async def same_origin_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    """POSTs to /api/ must be JSON from our own page: 403 cross-origin, 415 not JSON."""
    if request.method == "POST" and request.path.startswith("/api/"):
        if not _same_origin(request):
            return web.json_response({"error": "cross-origin request refused"}, status=403)
        if request.content_type != "application/json":
            return web.json_response({"error": "Content-Type must be application/json"},
                                     status=415)
    return await handler(request)


def _same_origin(request: web.Request) -> bool:
    """An Origin must be ours; without one, only a same-origin fetch or a non-browser."""
    origin = request.headers.get("Origin")
    if origin is not None:
        ours = f"{request.scheme}://{request.host}"
        if origin.lower() == ours.lower():
            return True
        if origin.lower().split("://", 1)[-1] == request.host.lower():
            scheme = origin.split("://", 1)[0].lower()  # only that: the header is anyone's text
            logger.warning("refused a %s origin on an %s request: behind an HTTPS proxy, "
                           "set TRUSTED_PROXIES",
                           scheme if scheme in ("http", "https") else "non-http", request.scheme)
        return False
    # Browsers send Origin on cross-origin POSTs; a browser that sent only Sec-Fetch-Site
    # tells us where the request came from. No header at all is curl or a script, which
    # has no visitor's cookie to abuse (and the rate limits still apply).
    fetch_site = request.headers.get("Sec-Fetch-Site")
    return fetch_site is None or fetch_site == "same-origin"
