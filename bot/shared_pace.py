"""The sending pace shared by several bot processes on one token, through Redis.

Telegram's limits are per bot, not per process: two processes pacing themselves at 25
messages/s would together send 50. Each send reserves its moment with one atomic Lua script
on Redis's own clock: a slot on the bot's global grid (1/rate apart, shared by all processes)
no earlier than the chat's own pace allows (a burst, then one per second; a group one per
three seconds), the same rules as `bot.sender.Pacer`. The caller sleeps until its moment. A
429 holds the chat for every process. When Redis cannot be reached, each process falls back
to its own pacer (logged), so a Redis outage slows nothing down, at the price of the shared
limit.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.sender import Pacer

log = logging.getLogger(__name__)

# KEYS: the bot's taken global slots (a sorted set), the chat's theoretical arrival time.
# ARGV: global rate (sends/s), chat interval (s), chat burst. Returns the wait in seconds
# and the moment reserved (Redis's clock).
RESERVE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local rate, interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[2]) or '0')
local ready = math.max(now, tat - (burst - 1) * interval)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', math.floor(now * rate) - 1)
local slot = math.ceil(ready * rate)
while redis.call('ZSCORE', KEYS[1], slot) do slot = slot + 1 end
redis.call('ZADD', KEYS[1], slot, slot)
redis.call('PEXPIRE', KEYS[1], 600000)
local start = slot / rate
redis.call('SET', KEYS[2], string.format('%.6f', math.max(tat, start) + interval),
           'PX', math.ceil((burst * interval + 600) * 1000))
return {string.format('%.6f', start - now), string.format('%.6f', start)}
"""

# KEYS: the chat's theoretical arrival time. ARGV: seconds to hold, chat interval, burst.
HOLD = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local seconds, interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('SET', KEYS[1], string.format('%.6f', now + seconds + (burst - 1) * interval),
           'PX', math.ceil((seconds + burst * interval + 600) * 1000))
return 1
"""

# KEYS: the bot's actual sends of the last window (a sorted set by time). ARGV: the most sends
# a window may hold, its length (s), a unique member. Returns 0 when the send is recorded, or
# how long to wait before asking again: planned moments are only a plan, and a process whose
# event loop stalled would otherwise release its late sends together.
WINDOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return string.format('%.6f', tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 2000))
return '0'
"""

FALLBACK_NOTICE_SECONDS = 60.0  # how often a Redis outage is logged


class SharedPacer(Pacer):
    """`Pacer`'s rules, kept in Redis for every process of one bot (the planned slots and the
    window of actual sends alike); its own (local) pacing when Redis is away."""

    def __init__(
        self,
        redis: Redis,
        bot_id: int,
        global_rate: float = 24.2,
        chat_rate: float = 1.0,
        window_limit: int = 25,
    ) -> None:
        super().__init__(global_rate=global_rate, chat_rate=chat_rate, window_limit=window_limit)
        self._redis = redis
        self._prefix = f"telegram-pace:{bot_id}"
        self._reserve = redis.register_script(RESERVE)
        self._hold_script = redis.register_script(HOLD)
        self._window_script = redis.register_script(WINDOW)
        self._noticed = -FALLBACK_NOTICE_SECONDS

    def _chat_pace(self, chat_id: int) -> tuple[float, float]:
        return 1 / self._rate(chat_id), self._chat_burst

    async def reserve(self, chat_id: int) -> tuple[float, float]:
        """A moment to send to `chat_id`: (seconds to wait, the moment on Redis's clock)."""
        interval, burst = self._chat_pace(chat_id)
        delay, start = await self._reserve(
            keys=[f"{self._prefix}:slots", f"{self._prefix}:chat:{chat_id}"],
            args=[self._global_rate, interval, burst],
        )
        return float(delay), float(start)

    async def _wait_for_slot(self, chat_id: int) -> None:
        try:
            delay, _ = await self.reserve(chat_id)
        except (RedisError, OSError):
            self._notice()
            await super()._wait_for_slot(chat_id)
            return
        if delay > 0:
            await asyncio.sleep(delay)
        await self._within_shared_window()

    async def _within_shared_window(self) -> None:
        member = uuid.uuid4().hex
        while True:
            try:
                wait = float(
                    await self._window_script(
                        keys=[f"{self._prefix}:sent"],
                        args=[self._window_limit, self._window_seconds, member],
                    )
                )
            except (RedisError, OSError):
                self._notice()
                await self._within_window()
                return
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    async def hold(self, chat_id: int, seconds: float) -> None:
        await super().hold(chat_id, seconds)
        interval, burst = self._chat_pace(chat_id)
        try:
            await self._hold_script(
                keys=[f"{self._prefix}:chat:{chat_id}"], args=[seconds, interval, burst]
            )
        except (RedisError, OSError):
            self._notice()

    async def close(self) -> None:
        await self._redis.aclose()

    def _notice(self) -> None:
        now = time.monotonic()
        if now - self._noticed >= FALLBACK_NOTICE_SECONDS:
            self._noticed = now
            log.warning("Redis is unreachable: this process paces its sends alone", exc_info=True)
