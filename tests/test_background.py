"""The background loops: a failing one backs off and does not fill the log."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.background import MAX_BACKOFF, BackgroundLoop
from bot.outbox_sender import OutboxSender


class _DatabaseDown(BackgroundLoop):
    async def tick(self) -> bool:
        raise ConnectionRefusedError("connection refused")


async def test_a_failing_loop_waits_longer_each_time_and_logs_less_and_less(
        monkeypatch, caplog) -> None:
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 9:
            raise asyncio.CancelledError

    monkeypatch.setattr("bot.background.asyncio.sleep", sleep)
    caplog.set_level(logging.INFO, logger="bot.background")
    with pytest.raises(asyncio.CancelledError):
        await _DatabaseDown("outbox-telegram", 2.0)._run()
    assert pauses == [2.0, 4.0, 8.0, 16.0, 32.0, MAX_BACKOFF, MAX_BACKOFF, MAX_BACKOFF,
                      MAX_BACKOFF]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 4  # the 1st in full, then the 2nd, 4th and 8th in one line
    assert 'File "' in errors[0] and "still failing (8 times in a row)" in errors[-1]


async def test_a_loop_that_works_again_goes_back_to_its_interval(monkeypatch) -> None:
    pauses: list[float] = []
    outcomes = iter([ConnectionRefusedError(), ConnectionRefusedError(), False, False])

    class Flaky(BackgroundLoop):
        async def tick(self) -> bool:
            outcome = next(outcomes)
            if isinstance(outcome, Exception):
                raise outcome
            return outcome

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 4:
            raise asyncio.CancelledError

    monkeypatch.setattr("bot.background.asyncio.sleep", sleep)
    with pytest.raises(asyncio.CancelledError):
        await Flaky("scheduler", 1.0)._run()
    assert pauses == [1.0, 2.0, 1.0, 1.0]


class _Channel:
    name = "telegram"

    async def deliver(self, channel_user_id, replies):  # never called here
        raise AssertionError


def test_the_outbox_pace_does_not_shorten_its_idle_interval() -> None:
    """30 messages a second once spaced every send 1/30 s apart and polled the database 30
    times a second when there was nothing to send."""
    sender = OutboxSender(None, _Channel(), interval=2.0, per_second=30.0)  # type: ignore[arg-type]
    assert sender._interval == 2.0 and sender._spacing == pytest.approx(1 / 30)


async def test_a_channel_whose_platform_fails_at_start_is_started_again(
        tg, sqlite_url, locales_dir, caplog) -> None:
    """Telegram refusing setWebhook (a 429, a 502) at start made the process exit, the web
    chat with it; now the channel is started again until it can be."""
    from bot.app import build_core, start_with_retries
    from bot.channels.telegram import TelegramChannel
    from tests.conftest import make_settings

    core = build_core(make_settings(sqlite_url, locales_dir, telegram_token=tg.token,
                                    telegram_api_base_url=tg.url,
                                    telegram_webhook_url="http://127.0.0.1:9/webhooks/telegram"))
    channel = TelegramChannel.from_settings(core.settings, core)
    tg.fail_next("setWebhook", error_code=502, times=2)
    try:
        await asyncio.wait_for(start_with_retries(channel, first=0.01), timeout=30)
        assert len(tg.calls("setWebhook")) == 3  # two refused, the third taken
        assert channel.application.running
        errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 2 and all("telegram channel could not start" in e for e in errors)
        assert tg.token not in caplog.text
    finally:
        await channel.stop()
        await core.close()
