"""End to end on PostgreSQL: two bot processes in webhook mode behind one address (as behind a
proxy) share the database; one citizen's burst, split between them, is handled one at a time
and in the order it was sent, and each update once; and the two together keep the bot's
sending rate, shared through Redis."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import select

from storage import wakeups
from storage.database import create_engine, create_session_factory
from storage.models import InboxUpdate
from tests.bot.test_shared_pace import REDIS_URL, busiest_second
from tests.e2e.test_e2e_telegram import _wait_listening
from tests.support.e2e import StartBot
from tests.support.fake_telegram import FakeTelegram
from tests.support.rasa import free_port

pytestmark = pytest.mark.e2e

SECRET = "two-processes-secret"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
BURST = 8
RATE = 4  # messages/s for the bot: low, so that two processes at it each would show
CITIZENS = 24  # each new citizen's /start is answered with one message


async def start_two(start_bot: StartBot, **env: str) -> list[str]:
    """Two webhook processes; their URLs once both listen."""
    ports = [free_port(), free_port()]
    for port in ports:
        await start_bot(
            BOT__MODE="webhook",
            BOT__WEBHOOK__URL="https://bot.example.test/tg",
            BOT__WEBHOOK__SECRET=SECRET,
            BOT__WEBHOOK__PORT=str(port),
            BOT__WEBHOOK__PATH="/tg",
            **env,
        )
    urls = [f"http://127.0.0.1:{port}/tg" for port in ports]
    async with aiohttp.ClientSession() as http:
        for url in urls:
            await _wait_listening(http, url)
    return urls


def update(update_id: int, text: str, citizen: dict[str, object]) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_764_400_000 + update_id,
            "chat": {"id": citizen["id"], "type": "private"},
            "from": citizen,
            "text": text,
        },
    }


async def test_one_citizen_s_burst_split_between_two_processes_is_handled_in_order(
    telegram: FakeTelegram, start_bot: StartBot, db_url: str
) -> None:
    if not wakeups.is_postgres(db_url):
        pytest.skip("several processes share PostgreSQL")
    urls = await start_two(start_bot)
    async with aiohttp.ClientSession() as http:
        for n in range(BURST):  # alternately to each process, as a proxy would
            body = update(100 + n, f"сообщение {n}", telegram.citizen)
            async with http.post(urls[n % 2], json=body, headers=HEADERS) as response:
                assert response.status == 200
        # Telegram re-sends one to the other process: stored once.
        body = update(100, "сообщение 0", telegram.citizen)
        async with http.post(urls[1], json=body, headers=HEADERS) as response:
            assert response.status == 200

    engine = create_engine(db_url)
    try:
        for _ in range(300):
            async with create_session_factory(engine)() as session:
                rows = list(await session.scalars(select(InboxUpdate).order_by(InboxUpdate.id)))
            if len(rows) == BURST and all(row.handled_at is not None for row in rows):
                break
            await asyncio.sleep(0.1)
    finally:
        await engine.dispose()
    assert [row.update_id for row in rows] == [100 + n for n in range(BURST)]
    assert all(row.outcome == "handled" for row in rows)
    handled = [row.handled_at for row in rows if row.handled_at is not None]
    assert handled == sorted(handled)  # in the order sent, though two processes took them


async def test_two_processes_together_keep_the_bot_s_sending_rate(
    telegram: FakeTelegram, start_bot: StartBot, db_url: str
) -> None:
    if not wakeups.is_postgres(db_url):
        pytest.skip("several processes share PostgreSQL")
    redis = Redis.from_url(REDIS_URL)
    try:
        await redis.ping()
    except (RedisError, OSError):
        pytest.skip(f"no Redis at {REDIS_URL}")
    finally:
        await redis.aclose()
    urls = await start_two(start_bot, BOT__MESSAGES_PER_SECOND=str(RATE), REDIS__URL=REDIS_URL)
    async with aiohttp.ClientSession() as http:
        for n in range(CITIZENS):  # many citizens at once, alternately to each process
            citizen = {"id": 880_000 + n, "is_bot": False, "first_name": f"Житель {n}"}
            body = update(200 + n, "/start", citizen)
            async with http.post(urls[n % 2], json=body, headers=HEADERS) as response:
                assert response.status == 200
    await telegram.wait_for("sendMessage", CITIZENS, timeout=60)
    moments = [r.at for r in telegram.requests if r.method == "sendMessage"]
    # RATE for both together (one more for the jitter of the way to the fake); each at RATE
    # by itself would put about 2 * RATE into a second.
    assert busiest_second(moments) <= RATE + 1
