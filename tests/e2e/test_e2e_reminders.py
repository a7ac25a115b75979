"""End to end: reminders sent by the real bot process through the fake Bot API, across a
restart and with two processes on one database."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Citizen, Reminder
from tests.support.e2e import CITIZEN_ID, StartBot
from tests.support.fake_telegram import FakeTelegram
from tests.support.reminders import add_citizen, add_reminder, alerts, statuses

pytestmark = pytest.mark.e2e

# The bot checks the table every second; quiet hours are off so the time of day the tests run
# at does not matter (tests/reminders/test_reminder_runner.py covers them).
REMINDER_ENV = {
    "REMINDERS__SWEEP_SECONDS": "1",
    "REMINDERS__QUIET_HOURS__START": "00:00",
    "REMINDERS__QUIET_HOURS__END": "00:00",
}


async def _stop(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(process.wait(), 30)


async def test_after_a_restart_a_reminder_is_sent_once_or_expires(
    telegram: FakeTelegram, start_bot: StartBot, sessions: async_sessionmaker[AsyncSession]
) -> None:
    # Due while the bot was stopped: 10 minutes ago (within the 8-hour grace) and 2 days ago.
    now = datetime.now(UTC)
    chats = recent_chat, _stale_chat, blocked_chat = 9001, 9002, 9003
    telegram.blocked_chats.add(blocked_chat)
    citizens = [await add_citizen(sessions, chat) for chat in (*chats, 9004)]
    async with sessions() as session:
        recent = await add_reminder(session, citizens[0], now - timedelta(minutes=10))
        stale = await add_reminder(session, citizens[1], now - timedelta(days=2))
        blocked = await add_reminder(session, citizens[2], now - timedelta(minutes=1))
        later = await add_reminder(session, citizens[3], now + timedelta(days=1))
        await session.commit()

    bot = await start_bot(**REMINDER_ENV)
    sent = await telegram.wait_for("sendMessage", 2)  # one delivered, one refused with 403
    await asyncio.sleep(3)  # a few more sweeps: nothing else may go out
    await _stop(bot)
    bot = await start_bot(**REMINDER_ENV)  # and a second start sends nothing again
    await telegram.wait_for("getUpdates", 2)
    await asyncio.sleep(3)
    await _stop(bot)

    sent = telegram.sent()
    delivered = [m for m in sent if int(m["chat_id"]) == recent_chat]
    assert len(delivered) == 1
    assert "результат переговоров с работодателем" in delivered[0]["text"]
    assert {int(m["chat_id"]) for m in sent} == {recent_chat, blocked_chat}
    assert await statuses(sessions) == {
        recent.id: "sent",
        stale.id: "expired",
        blocked.id: "failed",
        later.id: "pending",
    }
    assert ("reminder_expired", "interview:1") in await alerts(sessions)
    async with sessions() as session:
        unreachable = await session.scalars(
            select(Citizen.chat_id).where(Citizen.unreachable_at.is_not(None))
        )
        assert list(unreachable) == [blocked_chat]


async def test_a_citizen_who_blocked_the_bot_is_marked_unreachable(
    telegram: FakeTelegram, start_bot: StartBot, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await start_bot(**REMINDER_ENV)
    telegram.blocked_chats.add(CITIZEN_ID)
    telegram.user_sends("/start")
    await telegram.wait_for("sendMessage", 1)
    for _ in range(100):
        async with sessions() as session:
            citizen = await session.scalar(select(Citizen).where(Citizen.chat_id == CITIZEN_ID))
        if citizen is not None and citizen.unreachable_at is not None:
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("the citizen was not marked unreachable after a 403")


async def test_two_processes_send_500_reminders_exactly_once(
    telegram: FakeTelegram,
    start_bot: StartBot,
    sessions: async_sessionmaker[AsyncSession],
    db_url: str,
) -> None:
    chats = list(range(20_000, 20_500))
    now = datetime.now(UTC)
    async with sessions() as session:
        for chat in chats:
            citizen = Citizen(channel="telegram", external_id=str(chat), chat_id=chat)
            session.add(citizen)
            await session.flush()
            await add_reminder(session, citizen.id, now, key=f"interview:{chat}")
        await session.commit()
    # Two processes share one bot token, so each takes half of Telegram's pace.
    pace = {**REMINDER_ENV, "BOT__MESSAGES_PER_SECOND": "14"}
    first, second = await start_bot(**pace), await start_bot(**pace)
    await telegram.wait_for("sendMessage", len(chats), timeout=120)
    await asyncio.sleep(3)  # anything sent twice would arrive by now
    await asyncio.gather(_stop(first), _stop(second))

    sent_to = sorted(int(m["chat_id"]) for m in telegram.sent())
    assert sent_to == chats
    assert set((await statuses(sessions)).values()) == {"sent"}
    async with sessions() as session:
        shares = await session.execute(
            select(Reminder.claimed_by, func.count()).group_by(Reminder.claimed_by)
        )
        # Both took part: neither waited on the other's claims nor took all rows at once.
        assert sorted(count > 100 for _, count in shares.all()) == [True, True]
