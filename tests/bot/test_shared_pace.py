"""The sending pace shared through Redis (bot/shared_pace.py), on the real Redis this machine
and CI run (127.0.0.1:6379; TEST_REDIS_URL overrides): two pacers stand for two processes of
one bot."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.shared_pace import SharedPacer

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisError, OSError):
        await client.aclose()
        pytest.skip(f"no Redis at {REDIS_URL}")
    yield client
    await client.aclose()


def busiest_second(moments: list[float]) -> int:
    moments = sorted(moments)
    return max(sum(1 for m in moments[i:] if m - start < 1.0) for i, start in enumerate(moments))


async def test_two_processes_together_keep_the_bot_s_global_rate(redis: Redis) -> None:
    bot = int(uuid.uuid4().int % 10**9)  # a bot of its own: no slots left by another run
    first = SharedPacer(Redis.from_url(REDIS_URL), bot, global_rate=20)
    second = SharedPacer(Redis.from_url(REDIS_URL), bot, global_rate=20)
    reserved = await asyncio.gather(
        *(pacer.reserve(1000 + n) for n in range(40) for pacer in (first, second))
    )
    moments = [start for _, start in reserved]
    assert len(set(moments)) == 80  # no slot given twice
    assert busiest_second(moments) <= 20  # 20/s for both together, not 20 each
    assert max(delay for delay, _ in reserved) == pytest.approx(80 / 20, abs=0.5)
    await first.close()
    await second.close()


async def test_a_chat_gets_a_short_burst_then_one_a_second_whoever_sends(redis: Redis) -> None:
    bot = int(uuid.uuid4().int % 10**9)
    first = SharedPacer(Redis.from_url(REDIS_URL), bot, global_rate=1000)
    second = SharedPacer(Redis.from_url(REDIS_URL), bot, global_rate=1000)
    moments = sorted(
        [start for _, start in [await pacer.reserve(42) for pacer in (first, second) * 3]]
    )
    burst, rest = moments[:3], moments[3:]
    assert burst[-1] - burst[0] < 0.1  # three at once (a reply of a few messages)
    gaps = [b - a for a, b in zip([burst[-1], *rest], rest, strict=False)]
    assert all(gap == pytest.approx(1.0, abs=0.01) for gap in gaps)
    # A 429 for the chat holds it for every process, and no other chat.
    await first.hold(43, 5.0)
    delay, _ = await second.reserve(43)
    assert delay == pytest.approx(5.0, abs=0.1)
    other, _ = await second.reserve(44)
    assert other < 0.1
    await first.close()
    await second.close()


async def test_without_redis_a_process_paces_itself() -> None:
    pacer = SharedPacer(Redis.from_url("redis://127.0.0.1:1/0"), 7, global_rate=1000)
    await asyncio.wait_for(pacer.wait(1), 5)  # no error: the local pacer took over
    await pacer.hold(1, 0.01)
    await pacer.close()


async def test_two_processes_never_put_more_than_the_window_into_one_second(
    redis: Redis,
) -> None:
    """However the planned moments bunch up (a stalled event loop), the sends of all
    processes together stay within `window_limit` a second."""
    bot = int(uuid.uuid4().int % 10**9)
    first = SharedPacer(Redis.from_url(REDIS_URL), bot, global_rate=1000)  # no grid to speak of
    second = SharedPacer(Redis.from_url(REDIS_URL), bot, global_rate=1000)
    moments: list[float] = []

    async def send(pacer: SharedPacer, chat: int) -> None:
        await pacer.wait(chat)
        moments.append(time.monotonic())

    await asyncio.gather(*(send(p, 2000 + n) for n in range(30) for p in (first, second)))
    # 25 a second for both together (one more for the jitter of waking up), not 25 each.
    assert busiest_second(moments) <= 26
    assert max(moments) - min(moments) > 1.0  # the rest waited for the next second
    await first.close()
    await second.close()
