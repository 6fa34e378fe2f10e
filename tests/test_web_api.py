"""The web chat's JSON API and the health check, over real HTTP."""

from __future__ import annotations

import json

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
    # The page needs no database; the visitor's cookie comes with their first message.
    assert "kc_visitor" not in response.cookies
    assert (await client.get("/static/chat.js")).status == 200
    first = await client.post("/api/messages", json={"text": "/start"})
    assert "kc_visitor" in first.cookies


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


# Nested thousands deep, JSON makes Python's parser recurse past its limit (a 500 until 7 Dec
# 2026, found by an outside probe).
NESTED = b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}"


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", NESTED])
async def test_malformed_requests_are_rejected(client: TestClient, body: bytes) -> None:
    for path in ("/api/messages", "/api/inbox/ack"):
        response = await client.post(path, data=body,
                                     headers={"Content-Type": "application/json"})
        assert response.status == 400, path
        assert "error" in await response.json()


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

    await post(client, text="lịch nghỉ tết của trung tâm")
    await post(client, payload="qa:fwd:1")
    assert (await (await client.get("/api/inbox")).json())["replies"] == []
    staff = ConsoleChat(core.dispatcher, user_id="can-bo", operator=True)
    await staff.say("/cauhoi")
    await staff.say("", payload="qastaff:answer:1")
    await staff.say("Trung tâm nghỉ Tết từ 27 tháng Chạp.")
    replies = (await (await client.get("/api/inbox")).json())["replies"]
    assert "nghỉ Tết từ 27 tháng Chạp" in replies[0]["text"]
    # Not acknowledged yet (the page may have died before showing it): offered again.
    again = (await (await client.get("/api/inbox")).json())["replies"]
    assert [r["id"] for r in again] == [replies[0]["id"]]
    response = await client.post("/api/inbox/ack", json={"ids": [replies[0]["id"]]})
    assert await response.json() == {"acknowledged": 1}
    assert (await (await client.get("/api/inbox")).json())["replies"] == []


async def test_a_visitor_cannot_acknowledge_someone_elses_messages(client: TestClient,
                                                                  core) -> None:
    from bot.channels.console import ConsoleChat

    await post(client, text="lịch nghỉ tết của trung tâm")
    await post(client, payload="qa:fwd:1")
    staff = ConsoleChat(core.dispatcher, user_id="can-bo", operator=True)
    await staff.say("/cauhoi")
    await staff.say("", payload="qastaff:answer:1")
    await staff.say("Trung tâm nghỉ Tết từ 27 tháng Chạp.")
    [queued] = (await (await client.get("/api/inbox")).json())["replies"]
    cookies = client.session.cookie_jar
    saved = {c.key: c.value for c in cookies}
    cookies.clear()
    await post(client, text="/start")  # another visitor
    response = await client.post("/api/inbox/ack", json={"ids": [queued["id"]]})
    assert await response.json() == {"acknowledged": 0}
    cookies.clear()
    cookies.update_cookies(saved)
    assert [r["id"] for r in (await (await client.get("/api/inbox")).json())["replies"]] == [
        queued["id"]]


@pytest.mark.parametrize("body", [{"ids": "1"}, {"ids": [True]}, {"ids": ["1"]},
                                  {"ids": list(range(101))}, {},
                                  {"ids": [2**63]}, {"ids": [-1]}])  # no database holds 2**63
async def test_malformed_acknowledgements_are_rejected(client: TestClient, body: dict) -> None:
    response = await client.post("/api/inbox/ack", json=body)
    assert response.status == 400
    assert "ids" in (await response.json())["error"]


@pytest.mark.parametrize("body", [{"text": 5}, {"text": ["/start"]}, {"payload": {"a": 1}},
                                  {"payload": 7}, {"text": "/start", "id": 12},
                                  {"text": "/start", "id": "x" * 65}])
async def test_fields_of_the_wrong_type_are_rejected_clearly(client: TestClient,
                                                             body: dict) -> None:
    response = await client.post("/api/messages", json=body)
    assert response.status == 400
    error = (await response.json())["error"]
    assert any(name in error for name in ("text", "payload", "id"))


async def test_retry_ids_are_hashed_before_they_reach_the_ledger(client: TestClient,
                                                                core) -> None:
    from sqlalchemy import text

    await post(client, text="/start", id="retry-1")
    visitor_cookie = next(c for c in client.session.cookie_jar if c.key == "kc_visitor")
    async with core.engine.connect() as connection:
        [update_id] = (await connection.execute(
            text("SELECT update_id FROM processed_updates"))).scalars().all()
        [visitor] = (await connection.execute(
            text("SELECT channel_user_id FROM users"))).scalars().all()
    assert len(update_id) == 40 and int(update_id, 16) >= 0
    assert visitor not in update_id and "retry-1" not in update_id
    assert visitor_cookie.value  # the same visitor, retrying, is recognised (see above)


async def test_nul_bytes_and_lone_surrogates_never_reach_the_database(db_core,
                                                                     aiohttp_client) -> None:
    from sqlalchemy import text

    client = await aiohttp_client(build_web_app(db_core, cookie_secret="test-secret"))
    await post(client, text="/hoso")
    await post(client, payload="profile:consent")
    # Raw JSON: escapes that json.dumps on our side would refuse to produce for us.
    body = rb'{"text": "C\u00f4ng ty\u0000 A\ud800", "id": "x\udfff"}'
    response = await client.post("/api/messages", data=body,
                                 headers={"Content-Type": "application/json"})
    assert response.status == 200
    assert "2/5" in (await response.json())["replies"][-1]["text"]
    response = await client.post("/api/messages", data=rb'{"payload": "lang\u0000"}',
                                 headers={"Content-Type": "application/json"})
    assert response.status == 200
    async with db_core.engine.connect() as connection:
        [draft] = (await connection.execute(
            text("SELECT draft FROM conversation_states"))).scalars().all()
    draft = json.loads(draft) if isinstance(draft, str) else draft  # SQLite: JSON text
    assert draft["progress"]["a"]["name"] == "Công ty A"


async def test_deleting_ones_data_tells_the_page_to_forget_and_drops_the_cookie(
        client: TestClient) -> None:
    await post(client, text="/start")
    old = next(c.value for c in client.session.cookie_jar if c.key == "kc_visitor")
    await post(client, text="/xoadulieu")
    response = await client.post("/api/messages", json={"payload": "privacy:delete"})
    data = await response.json()
    assert [r["forget"] for r in data["replies"]] == [True]
    assert response.cookies["kc_visitor"]["max-age"] == "0"
    assert "kc_visitor" not in {c.key for c in client.session.cookie_jar}
    await post(client, text="/start")
    new = next(c.value for c in client.session.cookie_jar if c.key == "kc_visitor")
    assert new != old


async def test_subscribing_on_the_web_says_announcements_go_to_telegram_and_zalo(
        client: TestClient) -> None:
    """"You will receive the centre's announcements" was said to web visitors, who never do."""
    data = await post(client, text="/dangky")
    said = " ".join(reply["text"] for reply in data["replies"])
    assert "Telegram và Zalo" in said and "sẽ nhận thông báo" not in said
