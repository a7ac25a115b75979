"""Messages lost when the bot process is killed: the real bot process against the fake Bot API
(tests/support/fake_telegram.py), killed with SIGKILL at random moments while citizens write,
and started again.

    .venv/bin/python -m bench.crash [--kills 30] [--citizens 3] [--database URL]

With `--database` (a PostgreSQL server) it runs on a fresh database there, dropped after.

Each round, every citizen sends two messages; somewhere between 0 and 0.6 s later the process
is killed (SIGKILL) and started again. At the end every message must have been handled exactly
once: the engine counts turns in the turn's own transaction; and every reply the bot committed
to must have been sent. Prints the messages sent, handled, lost and handled twice, and the
replies committed, never sent and sent twice; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from reminders.store import REPLY
from storage.database import create_engine, create_session_factory
from storage.models import InboxUpdate, Reminder, TurnCount
from tests.support.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[1]


def person(number: int) -> dict[str, Any]:
    return {"id": 900_000 + number, "is_bot": False, "first_name": f"Житель {number}"}


def bot_env(telegram: FakeTelegram, url: str, **extra: str) -> dict[str, str]:
    """The environment of a bot process against `telegram` on the database `url`: no Rasa
    (the local matcher), no staff app, warnings only in its log."""
    return {
        **os.environ,
        "ASSISTANT_CONFIG": str(ROOT / "config.yml"),
        "DATABASE__URL": url,
        "NLU__ENABLED": "false",
        "ADMIN__ENABLED": "false",
        "LOGGING__LEVEL": "WARNING",
        "BOT__TOKEN": telegram.token,
        "BOT__API_SERVER": f"http://127.0.0.1:{telegram.port}",
        **extra,
    }


async def counted(url: str) -> tuple[int, int]:
    """Turns the engine counted, and updates still waiting in the inbox."""
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            turns = await session.scalar(select(func.coalesce(func.sum(TurnCount.messages), 0)))
            waiting = await session.scalar(
                select(func.count())
                .select_from(InboxUpdate)
                .where(InboxUpdate.handled_at.is_(None))
            )
            return int(turns or 0), int(waiting or 0)
    finally:
        await engine.dispose()


async def replies(url: str) -> tuple[int, list[str]]:
    """Replies the bot committed to (reminders/store.py): how many, and the texts of those
    not sent yet."""
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            rows = (
                await session.execute(
                    select(Reminder.status, Reminder.context).where(Reminder.audience == REPLY)
                )
            ).all()
            return len(rows), [
                str(context["text"]) for status, context in rows if status == "pending"
            ]
    finally:
        await engine.dispose()


async def run(kills: int, citizens: int, url: str, folder: Path) -> None:
    telegram = FakeTelegram()
    await telegram.start()
    env = bot_env(telegram, url)

    async def start(number: int) -> asyncio.subprocess.Process:
        polls = len(telegram.sent("getUpdates"))
        log = await asyncio.to_thread((folder / f"bot-{number}.log").open, "wb")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app", "telegram", cwd=ROOT, env=env, stdout=log, stderr=log
        )
        await telegram.wait_for("getUpdates", polls + 1, timeout=60)
        return process

    rng = random.Random(20261129)
    started = time.monotonic()
    bot = await start(0)
    telegram.send_delay = 0.2
    sent = 0
    for kill in range(kills):
        for _ in range(2):
            for n in range(citizens):
                telegram.user_sends(f"вопрос {sent}", person(n))
                sent += 1
            await asyncio.sleep(rng.uniform(0, 0.3))
        await asyncio.sleep(rng.uniform(0, 0.6))
        bot.kill()
        await bot.wait()
        bot = await start(kill + 1)
    turns, waiting = await counted(url)
    for _ in range(900):
        if turns >= sent and waiting == 0:
            break
        await asyncio.sleep(0.1)
        turns, waiting = await counted(url)
    for _ in range(900):  # replies held by a killed process go out when the hold lapses
        if not (await replies(url))[1]:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(2)  # a message handled twice would show up now
    turns, waiting = await counted(url)
    committed, owed = await replies(url)
    delivered = sum(
        1
        for m in telegram.sent()
        if int(m["chat_id"]) in {person(n)["id"] for n in range(citizens)}
    )
    bot.terminate()
    await bot.wait()
    await telegram.stop()
    print(
        f"database: {url.split(':', 1)[0]}; {kills} SIGKILLs in {time.monotonic() - started:.0f} s"
    )
    print(f"messages sent {sent}, handled {min(turns, sent)}, lost {max(sent - turns, 0)}, "
          f"handled twice {max(turns - sent, 0)}, still waiting {waiting}")  # fmt: skip
    print(f"replies committed {committed}, never sent {len(owed)}, "
          f"sent twice (at most) {max(delivered - committed, 0)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--citizens", type=int, default=3)
    parser.add_argument(
        "--database", help="a PostgreSQL server's URL (a fresh database on it); default SQLite"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="crash-bench-"))
    if args.database:
        asyncio.run(_on_a_fresh_database(args.kills, args.citizens, args.database, folder))
    else:
        url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
        asyncio.run(run(args.kills, args.citizens, url, folder))


async def _on_a_fresh_database(kills: int, citizens: int, server: str, folder: Path) -> None:
    """The counts are of the whole database: one with turns of its own would show them as
    messages handled twice."""
    # Here, not at the top: bench.processes imports this module.
    from bench.processes import drop_database, fresh_database  # noqa: PLC0415

    url = await fresh_database(server)
    try:
        await run(kills, citizens, url, folder)
    finally:
        await drop_database(server, url)


if __name__ == "__main__":
    main()
