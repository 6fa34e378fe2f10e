"""The web chat page in a real headless Chromium (Debian's package), driven by Playwright."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.server import build_web_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Flags for a sandboxed machine without a network: no phoning home, no GPU.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]

if CHROMIUM is None:
    warnings.warn("SKIPPING the web-chat browser test: no chromium on PATH "
                  "(apt-get install chromium)", stacklevel=1)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH")


@pytest.fixture
async def server_url(core) -> AsyncIterator[str]:
    runner = web.AppRunner(build_web_app(core, cookie_secret="browser-test"))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture
async def page(server_url: str, tmp_path):
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": 390, "height": 800},
                                            is_mobile=True, has_touch=True)
        page = await context.new_page()
        await page.goto(server_url)
        yield page
        await page.screenshot(path=str(tmp_path / "webchat.png"))
        await browser.close()


async def test_a_visitor_chats_in_vietnamese_on_a_phone(page) -> None:
    from playwright.async_api import expect

    await expect(page.locator(".bot").first).to_contain_text("Xin chào")
    await expect(page.locator("#send")).to_have_text("Gửi")
    await page.get_by_role("button", name="Hồ sơ doanh nghiệp của tôi").click()
    await expect(page.locator(".bot").last).to_contain_text("Bạn có đồng ý không?")
    await page.get_by_role("button", name="Tôi đồng ý").click()
    await expect(page.locator(".bot").last).to_contain_text("1/5")
    await page.fill("#input", "Công ty TNHH Quang Hải")
    await page.press("#input", "Enter")
    await expect(page.locator(".user").last).to_have_text("Công ty TNHH Quang Hải")
    await expect(page.locator(".bot").last).to_contain_text("2/5")
    # Reloading the page keeps the transcript and the conversation (cookie + database).
    await page.reload()
    await expect(page.locator(".bot").last).to_contain_text("2/5")
    await page.fill("#input", "123")
    await page.press("#input", "Enter")
    await expect(page.locator(".bot").last).to_contain_text("Mã số thuế chưa đúng")


async def test_switching_to_english_changes_the_page_too(page) -> None:
    from playwright.async_api import expect

    await page.get_by_role("button", name="Ngôn ngữ / Language").click()
    await page.get_by_role("button", name="English").click()
    await expect(page.locator(".bot").last).to_contain_text("What would you like to do?")
    await expect(page.locator("#send")).to_have_text("Send")
    await expect(page.locator("#input")).to_have_attribute("placeholder", "Type your question…")
