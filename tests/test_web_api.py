"""The web chat's JSON API and the health check, over real HTTP."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from bot.app import build_core
from bot.server import build_web_app
from tests.conftest import make_settings


@pytest.fixture
async def client(core, aiohttp_client) -> TestClient:
    return await aiohttp_client(build_web_app(core, cookie_secret="test-secret"))


async def post(client: TestClient, **body) -> dict:
    response = await client.post("/api/messages", json=body)
    assert response.status == 200
    return await response.json()


async def test_page_is_served_in_vietnamese_first(client: TestClient) -> None:
    response = await client.get("/")
    html = await response.text()
    assert response.status == 200
    assert "Khuyến công Hải Phòng" in html and "Nhập câu hỏi…" in html
    assert "kc_visitor" in response.cookies
    assert (await client.get("/static/chat.js")).status == 200


async def test_a_visitor_keeps_their_conversation_through_the_cookie(client: TestClient) -> None:
    data = await post(client, text="/start")
    assert data["locale"] == "vi"
    assert data["replies"][0]["text"].startswith("Xin chào")
    buttons = data["replies"][-1]["buttons"]
    assert {"label": "Ngôn ngữ / Language", "data": "lang"} in buttons
    await post(client, payload="lang")
    data = await post(client, payload="lang:en")
    assert data["locale"] == "en"
    assert "My enterprise profile" in [b["label"] for b in data["replies"][-1]["buttons"]]
    # Same cookie jar, same visitor: the language is remembered.
    data = await post(client, text="/menu")
    assert data["replies"][0]["text"] == "What would you like to do?"


async def test_a_forged_cookie_gets_a_new_anonymous_visitor(client: TestClient) -> None:
    await post(client, text="/lang en")
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies({"kc_visitor": "forged-value"})
    data = await post(client, text="/menu")
    assert data["locale"] == "vi"


async def test_a_retried_post_with_the_same_id_is_applied_once(client: TestClient) -> None:
    first = await post(client, text="/lang en", id="abc")
    await post(client, text="/lang vi", id="abd")
    # The page lost the answer and posts again: the same replies, not applied again.
    retry = await post(client, text="/lang en", id="abc")
    assert first["replies"] and retry["replies"] == first["replies"]
    assert retry["locale"] == "vi"


async def test_web_visitors_cannot_claim_staff_rights(client: TestClient) -> None:
    data = await post(client, text="/nhanvien", operator=True)
    assert "Tôi không hiểu lệnh /nhanvien" in data["replies"][0]["text"]


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]"])
async def test_malformed_requests_are_rejected(client: TestClient, body: bytes) -> None:
    response = await client.post("/api/messages", data=body,
                                 headers={"Content-Type": "application/json"})
    assert response.status == 400


async def test_healthz_reports_the_database(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "database": "ok"}


async def test_healthz_fails_when_the_database_is_unreachable(locales_dir,
                                                              aiohttp_client) -> None:
    broken = build_core(make_settings(
        "postgresql+asyncpg://nobody@127.0.0.1:1/none", locales_dir))
    client = await aiohttp_client(build_web_app(broken, cookie_secret="x"))
    response = await client.get("/healthz")
    assert response.status == 503
    assert (await response.json())["database"] == "unreachable"
    await broken.close()


async def test_staff_answer_reaches_a_web_visitor_through_the_inbox(client: TestClient,
                                                                    core) -> None:
    from bot.channels.console import ConsoleChat

    await post(client, text="giá vàng hôm nay")
    await post(client, payload="qa:fwd:1")
    assert (await (await client.get("/api/inbox")).json())["replies"] == []
    staff = ConsoleChat(core.dispatcher, user_id="can-bo", operator=True)
    await staff.say("", payload="qa:answer:1")
    await staff.say("Chúng tôi không theo dõi giá vàng.")
    replies = (await (await client.get("/api/inbox")).json())["replies"]
    assert "không theo dõi giá vàng" in replies[0]["text"]
    assert (await (await client.get("/api/inbox")).json())["replies"] == []
