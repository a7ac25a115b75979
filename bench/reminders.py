"""Reminder delivery and start-up scheduling.

    .venv/bin/python -m bench.reminders deliver [--count 10000] [--url ...]
    .venv/bin/python -m bench.reminders schedule [--count 100000] [--moments N] [--url ...]

`deliver` puts `count` reminders due now (one per citizen) in a fresh database and lets the
runner send them through the real sender (aiogram, the pacer) to the local fake Bot API, which
answers 429 like Telegram when more than 30 messages arrive within a second. It prints the
sustained rate, the busiest 1-second window at the server and the number of 429 answers.

`schedule` stores `count` pending reminders due over the next 30 days, at `moments` distinct
times (default: all different, the worst case), and times the runner's start-up (one
APScheduler job per distinct moment) and the memory it takes. Without --url both use a fresh
SQLite file. They print figures and assert nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.build import renderer as build_renderer
from bot.notifier import TelegramNotifier
from bot.sender import Pacer, Sender, pace
from kernel.regions import Regions
from reminders.planning import QuietHours
from reminders.ports import Delivery
from reminders.runner import ReminderRunner
from storage.database import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.models import Citizen, Reminder
from tests.support.fake_telegram import FakeTelegram
from tests.support.wiring import RULES

REGIONS = Regions.of({"63": "Europe/Samara"}, "63")
NO_QUIET_HOURS = QuietHours(day_time(0), day_time(0))  # the benchmark runs at any hour
TELEGRAM_LIMIT = 30  # messages a second before the fake answers 429, as Telegram does
CHUNK = 5000


async def _store(
    sessions: async_sessionmaker[AsyncSession], count: int, due: Sequence[datetime]
) -> None:
    async with sessions() as session:
        for start in range(0, count, CHUNK):
            ids = range(start, min(start + CHUNK, count))
            await session.execute(
                insert(Citizen),
                [{"channel": "bench", "external_id": str(i), "chat_id": 10**6 + i} for i in ids],
            )
        await session.commit()
        for start in range(0, count, CHUNK):
            ids = range(start, min(start + CHUNK, count))
            await session.execute(
                insert(Reminder),
                [
                    {
                        "citizen_id": i + 1,
                        "rule": "interview_result",
                        "key": f"interview:{i}",
                        "audience": "citizen",
                        "before": 0,
                        "deadline_on": due[i].date(),
                        "due_at": due[i],
                        "expires_at": due[i] + timedelta(hours=8),
                        "status": "pending",
                        "attempts": 0,
                        "context": {},
                    }
                    for i in ids
                ],
            )
        await session.commit()


def _busiest_second(times: list[float]) -> int:
    times = sorted(times)
    busiest, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0:
            first += 1
        busiest = max(busiest, last - first + 1)
    return busiest


async def deliver(url: str, count: int, rate: float) -> None:
    await upgrade(url)
    db = create_engine(url)
    sessions = create_session_factory(db)
    now = datetime.now(UTC)
    await _store(sessions, count, [now] * count)
    telegram, base, stop_telegram = _telegram_in_its_own_thread()
    bot = Bot(
        telegram.token,
        session=AiohttpSession(api=TelegramAPIServer.from_base(base)),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    runner = ReminderRunner(
        sessions,
        TelegramNotifier(Sender(pace(bot, Pacer(global_rate=rate))), build_renderer()),
        REGIONS,
        NO_QUIET_HOURS,
        rules=RULES,
    )
    started = time.monotonic()
    handled = await runner.deliver_due()
    elapsed = time.monotonic() - started
    arrivals = [r.at for r in telegram.requests if r.method == "sendMessage"]
    delivered = len({r.params["chat_id"] for r in telegram.requests if r.method == "sendMessage"})
    span = arrivals[-1] - arrivals[0]
    print(f"reminders due            {count}")
    print(f"handled                  {handled}; delivered to {delivered} chats")
    print(f"wall time                {elapsed:.1f} s")
    print(f"sustained rate           {(len(arrivals) - 1) / span:.2f} messages/s")
    print(f"busiest 1-second window  {_busiest_second(arrivals)} messages")
    print(f"429 answers              {telegram.too_many}")
    await bot.session.close()
    stop_telegram()
    await db.dispose()


def _telegram_in_its_own_thread() -> tuple[FakeTelegram, str, Callable[[], None]]:
    """The fake Bot API on its own event loop, as Telegram is remote: on the bot's loop its
    arrival times would bunch up whenever the bot's loop is busy."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def create() -> tuple[FakeTelegram, str]:
        fake = FakeTelegram(rate_limit=TELEGRAM_LIMIT)
        return fake, await fake.start()

    telegram, base = asyncio.run_coroutine_threadsafe(create(), loop).result()

    def stop() -> None:
        asyncio.run_coroutine_threadsafe(telegram.stop(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()

    return telegram, base, stop


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def schedule(url: str, count: int, moments: int) -> None:
    await upgrade(url)
    db = create_engine(url)
    sessions = create_session_factory(db)
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    spacing = timedelta(days=30) / moments  # over the next 30 days
    due = [tomorrow + spacing * (i % moments) for i in range(count)]
    await _store(sessions, count, due)
    runner = ReminderRunner(sessions, _Silent(), REGIONS, NO_QUIET_HOURS, rules=RULES)
    before = _rss_mib()
    started = time.monotonic()
    scheduled = await runner.start()
    elapsed = time.monotonic() - started
    after = _rss_mib()
    print(f"pending reminders        {count}, due at {moments} distinct moments")
    print(f"scheduled at start-up    {scheduled} jobs in {elapsed:.2f} s")
    print(f"memory                   +{after - before:.0f} MiB RSS ({after:.0f} MiB in all)")
    await runner.stop()
    await db.dispose()


class _Silent:
    async def notify(self, chat_id: int, template: str, context: Mapping[str, Any]) -> Delivery:
        raise AssertionError("nothing is due in this benchmark")

    async def say(self, chat_id: int, said: Mapping[str, Any]) -> Delivery:
        raise AssertionError("nothing is due in this benchmark")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.reminders")
    parser.add_argument("what", choices=("deliver", "schedule"))
    parser.add_argument("--count", type=int)
    parser.add_argument("--rate", type=float, default=24.2, help="the sender's messages/s")
    parser.add_argument("--moments", type=int, help="distinct due times (default: --count)")
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.url or f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
        if args.what == "deliver":
            asyncio.run(deliver(url, args.count or 10_000, args.rate))
        else:
            count = args.count or 100_000
            asyncio.run(schedule(url, count, args.moments or count))


if __name__ == "__main__":
    main()
