"""Web chat hardening over real HTTP: same-origin JSON posts, rate limits, headers, proxies."""

from __future__ import annotations

import logging
import re

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import text

from bot.app import build_core
from bot.rate_limit import SlidingWindowLimiter
from bot.server import build_web_app
from bot.settings import Settings, parse_networks
from tests.conftest import make_settings


@pytest.fixture
async def make_client(sqlite_url, locales_dir, knowledge_base, aiohttp_client):
    """A web client over an app built with the given settings."""
    cores = []

    async def make(**overrides: object) -> TestClient:
        core = build_core(make_settings(sqlite_url, locales_dir, **overrides), kb=knowledge_base)
        cores.append(core)
        return await aiohttp_client(build_web_app(core, cookie_secret="test-secret"))

    yield make
    for core in cores:
        await core.close()


async def rows(sqlite_url: str, table: str) -> int:
    from storage.db import create_engine

    engine = create_engine(sqlite_url)
    async with engine.connect() as connection:
        number = (await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
    await engine.dispose()
    return number


# --- same-origin JSON posts -------------------------------------------------------------

async def test_cross_origin_plain_text_posts_create_no_visitor_and_no_question(
        make_client, sqlite_url) -> None:
    """The incident: cookie-less cross-origin text/plain posts, each a new user and question."""
    client = await make_client()
    for _ in range(30):
        response = await client.post(
            "/api/messages", data='{"text": "giá vàng hôm nay"}',
            headers={"Content-Type": "text/plain", "Origin": "https://evil.example",
                     "Sec-Fetch-Site": "cross-site"})
        assert response.status == 403
        assert "error" in await response.json()
        assert "Set-Cookie" not in response.headers
    assert await rows(sqlite_url, "users") == 0
    assert await rows(sqlite_url, "questions") == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
async def test_posts_that_are_not_json_are_refused(make_client, sqlite_url,
                                                   content_type: str) -> None:
    client = await make_client()
    response = await client.post("/api/messages", data='{"text": "/start"}',
                                 headers={"Content-Type": content_type})
    assert response.status == 415
    assert "application/json" in (await response.json())["error"]
    assert await rows(sqlite_url, "users") == 0


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},  # a sibling sub-domain is not us either
])
async def test_cross_origin_json_posts_are_refused(make_client, sqlite_url,
                                                   headers: dict) -> None:
    client = await make_client()
    for path, body in (("/api/messages", {"text": "/start"}), ("/api/inbox/ack", {"ids": [1]})):
        response = await client.post(path, json=body, headers=headers)
        assert response.status == 403, path
    assert await rows(sqlite_url, "users") == 0


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "same-origin"},
    {},  # no browser headers at all: curl, a script, an old client
])
async def test_same_origin_posts_are_accepted(make_client, headers: dict) -> None:
    client = await make_client()
    origin = {"Origin": str(client.make_url("")).rstrip("/")}
    for extra in (origin, {}):
        response = await client.post("/api/messages", json={"text": "/start"},
                                     headers={**headers, **extra})
        assert response.status == 200


async def test_an_https_origin_needs_the_proxy_to_be_trusted(make_client, caplog) -> None:
    """Behind a TLS proxy the page's origin is https://…, the request itself plain http."""
    host = "chat.example.vn"
    headers = {"Origin": f"https://{host}", "Host": host, "X-Forwarded-Proto": "https"}
    untrusted = await make_client()
    response = await untrusted.post("/api/messages", json={"text": "/start"}, headers=headers)
    assert response.status == 403
    # What is logged of the refused Origin is its scheme only: the header is anyone's text.
    forged = {**headers, "Origin": f"https 2026-12-07 ERROR bot.app FAKE ://{host}"}
    with caplog.at_level(logging.WARNING):
        assert (await untrusted.post("/api/messages", json={"text": "/start"},
                                     headers=forged)).status == 403
    assert "refused a non-http origin" in caplog.text and "FAKE" not in caplog.text
    trusted = await make_client(trusted_proxies=parse_networks("127.0.0.1"))
    response = await trusted.post("/api/messages", json={"text": "/start"}, headers=headers)
    assert response.status == 200
    assert "Secure" in response.headers["Set-Cookie"]


async def test_the_cookie_is_secure_only_when_a_trusted_proxy_says_https(make_client) -> None:
    for proxies, secure in (("", False), ("10.0.0.0/8", False), ("127.0.0.1, ::1", True)):
        client = await make_client(trusted_proxies=parse_networks(proxies))
        response = await client.post("/api/messages", json={"text": "/start"},
                                     headers={"X-Forwarded-Proto": "https"})
        assert ("Secure" in response.headers["Set-Cookie"]) is secure, proxies
        assert "HttpOnly" in response.headers["Set-Cookie"]


# --- rate limits ------------------------------------------------------------------------

async def test_a_visitor_writing_too_fast_is_asked_to_wait_in_their_language(
        make_client) -> None:
    client = await make_client(web_messages_per_minute=4)
    await client.post("/api/messages", json={"text": "/lang en"})
    for _ in range(3):
        assert (await client.post("/api/messages", json={"text": "hello"})).status == 200
    response = await client.post("/api/messages", json={"text": "hello"})
    assert response.status == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    body = await response.json()
    assert body["error"] and "wait a minute" in body["message"]
    # Another visitor is not held back by the first one.
    client.session.cookie_jar.clear()
    assert (await client.post("/api/messages", json={"text": "/start"})).status == 200


async def test_taps_on_buttons_have_a_wider_limit_than_typed_messages(make_client) -> None:
    """A phone user ticking several of 13 choices was told to wait a minute."""
    client = await make_client(web_messages_per_minute=2)
    for _ in range(6):
        response = await client.post("/api/messages", json={"payload": "menu"})
        assert response.status == 200
    assert (await client.post("/api/messages", json={"payload": "menu"})).status == 429
    for _ in range(2):  # typed messages count apart
        assert (await client.post("/api/messages", json={"text": "xin chào"})).status == 200
    assert (await client.post("/api/messages", json={"text": "xin chào"})).status == 429


async def test_the_inbox_answers_a_page_not_a_flood(make_client) -> None:
    """The page polls every 15 seconds; an outside probe sent 1,500 requests a second, each
    acknowledgement a database write."""
    from bot.channels.webchat import INBOX_REQUESTS_PER_MINUTE

    client = await make_client()
    assert (await client.post("/api/messages", json={"text": "/start"})).status == 200
    for i in range(INBOX_REQUESTS_PER_MINUTE):
        request = client.get("/api/inbox") if i % 2 else client.post("/api/inbox/ack",
                                                                    json={"ids": [1]})
        assert (await request).status == 200
    for request in (client.get("/api/inbox"), client.post("/api/inbox/ack", json={"ids": [1]})):
        response = await request
        assert response.status == 429 and int(response.headers["Retry-After"]) >= 1
    # Another visitor is not held back by the first one.
    client.session.cookie_jar.clear()
    assert (await client.post("/api/messages", json={"text": "/start"})).status == 200
    assert (await client.get("/api/inbox")).status == 200


async def test_the_wait_message_is_vietnamese_by_default(make_client) -> None:
    client = await make_client(web_messages_per_minute=1)
    assert (await client.post("/api/messages", json={"text": "/start"})).status == 200
    response = await client.post("/api/messages", json={"text": "/start"})
    assert response.status == 429
    assert "Vui lòng" in (await response.json())["message"]


async def test_new_visitors_are_limited_per_client_address(make_client, sqlite_url) -> None:
    client = await make_client(web_new_visitors_per_minute=3)
    for _ in range(3):
        client.session.cookie_jar.clear()
        assert (await client.post("/api/messages", json={"text": "/start"})).status == 200
    client.session.cookie_jar.clear()
    response = await client.post("/api/messages", json={"text": "/start"})
    assert response.status == 429 and "Retry-After" in response.headers
    assert "Set-Cookie" not in response.headers
    assert await rows(sqlite_url, "users") == 3


async def test_forwarded_for_names_the_client_only_behind_a_trusted_proxy(make_client) -> None:
    async def new_visitors_from(client: TestClient, addresses: list[str]) -> list[int]:
        statuses = []
        for address in addresses:
            client.session.cookie_jar.clear()
            response = await client.post("/api/messages", json={"text": "/start"},
                                         headers={"X-Forwarded-For": f"6.6.6.6, {address}"})
            statuses.append(response.status)
        return statuses

    addresses = ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
    untrusted = await make_client(web_new_visitors_per_minute=1)
    assert await new_visitors_from(untrusted, addresses) == [200, 429, 429]
    trusted = await make_client(web_new_visitors_per_minute=1,
                                trusted_proxies=parse_networks("127.0.0.0/8"))
    assert await new_visitors_from(trusted, addresses) == [200, 200, 200]
    # The left-most entry is whatever the client wrote; the proxy's own entry counts.
    assert await new_visitors_from(trusted, ["203.0.113.1"]) == [429]
    # An IPv6 client counts by its /64, of which it may use any of 2^64 addresses.
    assert await new_visitors_from(trusted, ["2001:db8:1:2::1", "2001:db8:1:2::2",
                                             "2001:db8:1:2:ffff::9", "2001:db8:1:3::1"]) == [
        200, 429, 429, 200]


def test_the_limiter_keeps_a_bounded_memory() -> None:
    now = [0.0]
    limiter = SlidingWindowLimiter(2, 60.0, max_keys=100, clock=lambda: now[0])
    assert [limiter.hit("a"), limiter.hit("a")] == [0.0, 0.0]
    assert limiter.hit("a") == pytest.approx(60.0)
    now[0] = 30.0
    assert limiter.hit("a") == pytest.approx(30.0)
    for i in range(1000):
        limiter.hit(f"spray-{i}")
    assert len(limiter) <= 100
    now[0] = 200.0  # everything idle for longer than the window is forgotten
    limiter.hit("b")
    assert len(limiter) == 1
    assert SlidingWindowLimiter(0).hit("x") == 0.0  # 0 disables


def test_settings_read_limits_and_trusted_proxies() -> None:
    settings = Settings.from_env({"WEB_MESSAGES_PER_MINUTE": "5",
                                  "TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/24"})
    assert settings.web_messages_per_minute == 5
    assert settings.web_new_visitors_per_minute == 10
    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.1/32", "192.168.0.0/24"]
    with pytest.raises(ValueError):
        parse_networks("not-an-address")


def test_a_web_visitor_cannot_be_made_an_admin() -> None:
    """A web visitor is a cookie anyone may copy: ADMIN_IDS naming one is refused at start."""
    assert Settings.from_env({"ADMIN_IDS": "telegram:1, zalo_oa:2"}).admin_ids == {
        "telegram:1", "zalo_oa:2"}
    with pytest.raises(ValueError, match="web chat"):
        Settings.from_env({"ADMIN_IDS": "telegram:1,web:e5a81e1e892cae54a6c8a6ac"})


# --- headers ----------------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [
    ("GET", "/"), ("GET", "/static/chat.js"), ("GET", "/static/chat.css"),
    ("GET", "/favicon.ico"), ("GET", "/api/inbox"), ("GET", "/healthz"),
    ("GET", "/no-such-page"), ("POST", "/api/messages"),
])
async def test_every_response_carries_the_security_headers(make_client, method: str,
                                                           path: str) -> None:
    client = await make_client()
    response = await client.request(method, path, data=b"x",
                                    headers={"Content-Type": "text/plain"})
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert not re.search(r"python|aiohttp|\d", headers.get("Server", ""), re.I)


async def test_the_page_has_no_inline_script_or_style(make_client) -> None:
    client = await make_client()
    html = await (await client.get("/")).text()
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S)
    assert scripts and all(body.strip() == "" for body in scripts)
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", html))
    assert not re.search(r"\son\w+=|\sstyle=|<style", html, re.I)
    # The interface strings travel in a data attribute, HTML-escaped.
    assert 'data-ui="{&quot;vi&quot;' in html
    favicon = await client.get("/favicon.ico")
    assert favicon.status == 200 and favicon.content_type == "image/svg+xml"
