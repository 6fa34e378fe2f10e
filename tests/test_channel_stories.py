"""The same user stories on every channel: Telegram (buttons), Zalo Bot (numbered lists),
Zalo OA (query buttons where they fit, numbered lists where not) and the web chat, each
through its own fake platform and the bot's own server, all running at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.app import Core
from handlers.kb.knowledge_base import KnowledgeBase
from storage.models import ResponseStatus
from storage.uow import UnitOfWork
from tests.channel_drivers import (
    ChannelUser,
    TelegramUser,
    WebUser,
    ZaloBotUser,
    ZaloOAUser,
)
from tests.conftest import bot_server, free_port, zalo_bot_settings, zalo_oa_settings
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.zalo_bot_server import FakeZaloBot
from tests.fakes.zalo_oa_server import FakeZaloOA
from tests.test_profile import VALID_TAX_CODE
from tests.test_surveys_chat import demand_form, publish, responses

CHANNELS = ["telegram", "zalo_bot", "zalo_oa", "web"]


@dataclass
class Everywhere:
    core: Core
    tg: FakeTelegram
    zbot: FakeZaloBot
    zoa: FakeZaloOA
    url: str

    def user(self, channel: str, user_id: str = "") -> ChannelUser:
        if channel == "telegram":
            return TelegramUser(self.tg, user_id or "555")
        if channel == "zalo_bot":
            return ZaloBotUser(self.zbot, user_id or "7a1b2c3d4e5f60718293")
        if channel == "zalo_oa":
            return ZaloOAUser(self.zoa, user_id or "3512523625412777")
        return WebUser(self.url)


@pytest.fixture
async def everywhere(tg: FakeTelegram, zbot: FakeZaloBot, zoa: FakeZaloOA, sqlite_url: str,
                     locales_dir: Path, knowledge_base: KnowledgeBase
                     ) -> AsyncIterator[Everywhere]:
    """One bot on Telegram (webhook), Zalo Bot (webhook), Zalo OA and the web chat."""
    port = free_port()
    async with bot_server(
        sqlite_url, locales_dir, kb=knowledge_base, port=port,
        telegram_token=tg.token, telegram_api_base_url=tg.url,
        telegram_webhook_url=f"http://127.0.0.1:{port}/webhooks/telegram",
        web_messages_per_minute=1000,
        **zalo_bot_settings(zbot), **zalo_oa_settings(zoa),
    ) as (core, channels, url):
        assert [c.name for c in channels] == ["telegram", "zalo_bot", "zalo_oa"]
        zoa.webhook_url = f"{url}/webhooks/zalo-oa"
        yield Everywhere(core, tg, zbot, zoa, url)


@pytest.fixture(params=CHANNELS)
async def someone(request: pytest.FixtureRequest,
                  everywhere: Everywhere) -> AsyncIterator[ChannelUser]:
    user = everywhere.user(request.param)
    yield user
    if isinstance(user, WebUser):
        await user.close()


async def profile_of(core: Core, user: ChannelUser):
    async with UnitOfWork(core.session_factory) as uow:
        if user.channel == "web":
            from sqlalchemy import select

            from storage.models import User

            found = (await uow._session.execute(
                select(User).where(User.channel == "web"))).scalar_one()
        else:
            found = await uow.users.find(user.channel, user.user_id)
        return await uow.profiles.get(found.id)


async def fill_profile(user: ChannelUser, tax_code: str = VALID_TAX_CODE) -> None:
    await user.say("/hoso")
    assert "1/5" in await user.pick("Tôi đồng ý")
    assert "2/5" in await user.say("Hợp tác xã Mây tre Phú Nghĩa")
    assert "3/5" in await user.say(tax_code)
    await user.pick("Bỏ qua", by="label")  # the phone: a typed question, "1" would be the answer
    await user.pick("Bỏ qua")
    assert "Cảm ơn" in await user.pick("Tiểu thủ công nghiệp, thủ công mỹ nghệ", by="label")


async def test_ask_a_question_and_pick_choices_by_number_and_by_label(
    someone: ChannelUser
) -> None:
    assert "Xin chào" in await someone.say("/start")
    answer = await someone.say("ho tro thue gian hang hoi cho trong nuoc")
    assert "Hỗ trợ thuê gian hàng hội chợ trong nước" in answer
    assert "Nguồn: Nghị định 45/2012/NĐ-CP" in answer
    await someone.say("/lang")
    assert "answer in English" in await someone.pick("English", by="number")
    await someone.say("/lang")
    assert "tiếng Việt" in await someone.pick("Tiếng Việt", by="label")


async def test_fill_the_profile(someone: ChannelUser, everywhere: Everywhere) -> None:
    await fill_profile(someone)
    profile = await profile_of(everywhere.core, someone)
    assert (profile.name, profile.tax_code, profile.sector) == (
        "Hợp tác xã Mây tre Phú Nghĩa", VALID_TAX_CODE, "handicraft")


async def test_answer_a_survey(someone: ChannelUser, everywhere: Everywhere) -> None:
    await publish(everywhere.core, demand_form())
    await fill_profile(someone)
    listing = await someone.say("/khaosat")
    assert "chưa bắt đầu" in listing
    first = await someone.pick(someone.choices()[0][0])
    assert "Câu 1/6" in first
    await someone.pick("Thủ công mỹ nghệ", by="number")
    assert "Cơ sở cần hỗ trợ gì?" in await someone.say("12")
    await someone.pick("Đào tạo nghề")
    assert "✓ Đào tạo nghề" in [label for label, _data in someone.choices()]
    await someone.pick("Xong")
    summary = await someone.pick("Bỏ qua", by="label")
    assert "Vui lòng kiểm tra lại" in summary and "Đào tạo nghề" in summary
    assert "Cảm ơn anh/chị" in await someone.pick("Gửi")
    (response,) = await responses(everywhere.core)
    assert response.status == ResponseStatus.SUBMITTED
    assert response.progress["a"]["needs"] == ["training"]


async def test_the_same_tax_code_on_telegram_and_zalo_is_one_establishment(
    everywhere: Everywhere
) -> None:
    """People, not accounts: whichever app they use, one establishment, one response."""
    await publish(everywhere.core, demand_form())
    on_telegram = everywhere.user("telegram")
    on_zalo = everywhere.user("zalo_bot")
    on_oa = everywhere.user("zalo_oa")
    for user in (on_telegram, on_zalo, on_oa):
        await fill_profile(user)
    profiles = [await profile_of(everywhere.core, u) for u in (on_telegram, on_zalo, on_oa)]
    assert profiles[0].establishment_id is not None
    assert {p.establishment_id for p in profiles} == {profiles[0].establishment_id}

    await on_telegram.say("/khaosat")
    await on_telegram.pick(on_telegram.choices()[0][0])
    await on_telegram.pick("Thủ công mỹ nghệ")
    await on_telegram.say("12")
    await on_telegram.pick("Đào tạo nghề")
    await on_telegram.pick("Xong")
    await on_telegram.pick("Bỏ qua")
    assert "Cảm ơn anh/chị" in await on_telegram.pick("Gửi")
    await on_zalo.say("/khaosat")
    refused = await on_zalo.pick(on_zalo.choices()[0][0], by="number")
    assert "đã trả lời khảo sát này" in refused
    assert [r.status for r in await responses(everywhere.core)] == [ResponseStatus.SUBMITTED]


async def test_register_for_a_fair(someone: ChannelUser, everywhere: Everywhere) -> None:
    from tests.test_fairs_chat import add_fair, registrations

    await add_fair(everywhere.core, booths=5)
    await fill_profile(someone)
    listing = await someone.say("/hoicho")
    assert "Hội chợ Công Thương Hải Phòng 2027" in listing and "Còn 5/5 gian hàng" in listing
    register = next(label for label, _ in someone.choices() if label.startswith("Đăng ký:"))
    assert "Câu 1/3" in await someone.pick(register)
    assert "Câu 2/3" in await someone.say("Phạm Văn Hải")
    assert "Câu 3/3" in await someone.say("0912 345 678")
    summary = await someone.say("Nước mắm cốt Cát Hải")
    assert "Phạm Văn Hải" in summary and "0912345678" in summary
    assert "Đăng ký thành công" in await someone.pick("Gửi")
    (registration,) = await registrations(everywhere.core)
    assert (registration.status, registration.answers["products"]) == (
        "confirmed", "Nước mắm cốt Cát Hải")
    mine = await someone.pick("Đăng ký của tôi")
    assert "đã xác nhận" in mine
