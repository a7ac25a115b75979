"""End to end: the bot process is killed with SIGKILL at random moments while a citizen
writes, and started again, many times; every message the citizen sent is handled exactly once
(counted by the engine in the same transaction as the turn), on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import random

import pytest

from bench.crash import counted, replies
from tests.e2e.test_e2e_complaints import Citizen
from tests.e2e.test_e2e_operator import onboard
from tests.support.e2e import StartBot
from tests.support.fake_telegram import FakeTelegram, buttons

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
    for _ in range(300):  # replies held by a killed process go out when the hold lapses
        if not (await replies(db_url))[1]:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1)  # a message handled twice would show up now
    turns, waiting = await counted(db_url)
    assert (turns - before, waiting) == (sent, 0)
    _, owed = await replies(db_url)
    assert owed == []  # every reply the bot committed to was sent


async def test_a_reply_cut_off_by_a_kill_after_the_commit_is_sent_after_the_restart(
    telegram: FakeTelegram, start_bot: StartBot
) -> None:
    """The conversation moved on and the process died before the question left: the restart
    sends the question that was due, and the citizen answers it (not the one after)."""
    env = {"BOT__HOLD_SECONDS": "2"}
    bot = await start_bot(**env)
    citizen = Citizen(telegram)
    await onboard(telegram)
    citizen.seen = len(telegram.sent())
    assert "Шаг 1. Что вы обжалуете?" in (await citizen.says("/complaint"))["text"]
    telegram.hang_sends = True
    telegram.user_presses("Отказали в приёме документов")
    for _ in range(200):  # committed, and the question on its way
        if telegram.hung:
            break
        await asyncio.sleep(0.05)
    assert "На кого вы жалуетесь?" in telegram.hung[0]["text"]
    bot.kill()
    await bot.wait()
    telegram.hang_sends = False
    await start_bot(**env)
    asked = await citizen.receives()
    assert "На кого вы жалуетесь?" in asked["text"]
    assert "Центр занятости или его работник" in buttons(asked)
    answered = await citizen.presses("Центр занятости или его работник")
    assert "Жалобу рассмотрит: <b>директор центра занятости</b>" in answered["text"]
