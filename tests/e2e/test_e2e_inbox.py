"""End to end: the bot process is killed with SIGKILL at random moments while a citizen
writes, and started again, many times; every message the citizen sent is handled exactly once
(counted by the engine in the same transaction as the turn), on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import random

import pytest

from bench.crash import counted
from tests.e2e.test_e2e_operator import onboard
from tests.support.e2e import StartBot
from tests.support.fake_telegram import FakeTelegram

pytestmark = pytest.mark.e2e

KILLS = 8
MESSAGES_PER_ROUND = 3


async def test_sigkill_at_random_moments_loses_no_message(
    telegram: FakeTelegram, start_bot: StartBot, db_url: str
) -> None:
    rng = random.Random(20261129)
    bot = await start_bot()
    await onboard(telegram)
    before, _ = await counted(db_url)
    telegram.send_delay = 0.2  # a slow Telegram keeps each update in hand longer
    sent = 0
    for _ in range(KILLS):
        for _ in range(MESSAGES_PER_ROUND):
            telegram.user_sends(f"у меня вопрос номер {sent}")
            sent += 1
            await asyncio.sleep(rng.uniform(0, 0.3))
        # Somewhere while they are fetched, stored, handled or answered.
        await asyncio.sleep(rng.uniform(0, 0.6))
        bot.kill()
        await bot.wait()
        polls = len(telegram.sent("getUpdates"))
        bot = await start_bot()
        await telegram.wait_for("getUpdates", polls + 1, timeout=60)  # polling again
    for _ in range(900):  # a dead process's hold on an update lapses after 30 s
        turns, waiting = await counted(db_url)
        if turns - before >= sent and waiting == 0:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1)  # a message handled twice would show up now
    turns, waiting = await counted(db_url)
    assert (turns - before, waiting) == (sent, 0)
