"""Updates per second through the real bot: one webhook process, then two behind one address
(as behind a proxy), on one PostgreSQL database, against the fake Bot API
(tests/support/fake_telegram.py), with the sending pace shared through Redis.

    .venv/bin/python -m bench.processes --database postgresql+asyncpg://postgres@127.0.0.1/test
        [--citizens 150] [--messages 4] [--redis redis://127.0.0.1:6379/0] [--pace real|lifted]

Each run gets a fresh database of its own (created next to the one given, dropped after).
Every citizen sends `--messages` messages (the first is /start), all offered at once and
spread over the processes in turn. Measured: the updates handled per second (first update
offered to the last one handled, from the inbox) and the replies per second that reached the
Bot API, with the busiest second of sends. `--pace lifted` takes the outgoing pace away (the
fake server does not limit), so the figures are the processes' combined capacity, not
Telegram's limit. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bench.crash import bot_env
from storage.database import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.models import InboxUpdate
from tests.bot.test_shared_pace import busiest_second
from tests.support.fake_telegram import FakeTelegram
from tests.support.rasa import free_port

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-processes-secret"


def update(update_id: int, chat: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": f"Житель {chat}"},
            "text": text,
        },
    }


async def handled(url: str) -> tuple[int, float | None]:
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            row = (
                await session.execute(
                    select(func.count(InboxUpdate.id), func.max(InboxUpdate.handled_at)).where(
                        InboxUpdate.handled_at.is_not(None)
                    )
                )
            ).one()
            return int(row[0]), row[1].timestamp() if row[1] is not None else None
    finally:
        await engine.dispose()


async def fresh_database(url: str) -> str:
    """A new database on the server of `url` (the role needs CREATEDB)."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    async with admin.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.exec_driver_sql(f"CREATE DATABASE {name}")
    await admin.dispose()
    fresh = make_url(url).set(database=name).render_as_string(hide_password=False)
    await upgrade(fresh)
    return fresh


async def drop_database(url: str, fresh: str) -> None:
    admin = create_engine(url)
    async with admin.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        name = make_url(fresh).database
        await connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await admin.dispose()


# The bot's own outgoing pace taken away (as `bench/e2e.py --pace lifted`).
LIFTED_PACE = {"BOT__MESSAGES_PER_SECOND": "100000", "BOT__CHAT_MESSAGES_PER_SECOND": "1000"}


async def run(
    processes: int, citizens: int, messages: int, url: str, redis: str, *, pace: str = "real"
) -> None:
    db = await fresh_database(url)
    telegram = FakeTelegram()
    await telegram.start()
    folder = Path(tempfile.mkdtemp(prefix="processes-bench-"))
    ports = [free_port() for _ in range(processes)]
    started: list[asyncio.subprocess.Process] = []
    try:
        for number, port in enumerate(ports):
            env = bot_env(
                telegram,
                db,
                BOT__MODE="webhook",
                BOT__WEBHOOK__URL="https://bot.example.test/tg",
                BOT__WEBHOOK__SECRET=SECRET,
                BOT__WEBHOOK__PORT=str(port),
                BOT__WEBHOOK__PATH="/tg",
                BOT__FLOOD_MESSAGES="1000",
                REDIS__URL=redis,
                **(LIFTED_PACE if pace == "lifted" else {}),
            )
            log = await asyncio.to_thread((folder / f"bot-{number}.log").open, "wb")
            started.append(
                await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "app", "telegram", cwd=ROOT, env=env,
                    stdout=log, stderr=log,
                )
            )  # fmt: skip
        urls = [f"http://127.0.0.1:{port}/tg" for port in ports]
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with aiohttp.ClientSession() as http:
            for target in urls:
                await _listening(http, target)
            bodies = [
                update(1000 + n * messages + m, 500_000 + n, "/start" if m == 0 else f"вопрос {m}")
                for m in range(messages)
                for n in range(citizens)
            ]
            gate = asyncio.Semaphore(32)

            async def offer(index: int, body: dict[str, Any]) -> None:
                async with gate, http.post(urls[index % processes], json=body, headers=headers):
                    pass

            first = time.time()
            await asyncio.gather(*(offer(i, b) for i, b in enumerate(bodies)))
        total = citizens * messages
        last: float | None = None
        done = 0
        for _ in range(6000):
            done, last = await handled(db)
            if done >= total:
                break
            await asyncio.sleep(0.1)
        await _quiet(telegram)
        sends = [r.at for r in telegram.requests if r.method == "sendMessage"]
        handling = (last or time.time()) - first
        sending = max(sends) - min(sends) if len(sends) > 1 else 0.0
        print(
            f"{processes} process(es), pace {pace}: {done}/{total} updates handled in "
            f"{handling:.1f} s = {done / handling:.1f} updates/s; "
            f"{len(sends)} replies in {sending:.1f} s "
            f"= {len(sends) / max(sending, 1e-9):.1f}/s, busiest second {busiest_second(sends)}"
        )
    finally:
        for process in started:
            process.terminate()
            await process.wait()
        await telegram.stop()
        await drop_database(url, db)


async def _listening(http: aiohttp.ClientSession, url: str) -> None:
    for _ in range(600):
        try:
            async with http.post(url, json={}) as response:
                if response.status in {400, 401}:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


async def _quiet(telegram: FakeTelegram, seconds: float = 3.0) -> None:
    """Until no message has reached the Bot API for `seconds`."""
    while True:
        count = len(telegram.requests)
        await asyncio.sleep(seconds)
        if len(telegram.requests) == count:
            return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", required=True, help="a PostgreSQL URL")
    parser.add_argument("--citizens", type=int, default=150)
    parser.add_argument("--messages", type=int, default=4)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--pace", choices=("real", "lifted"), default="real")
    args = parser.parse_args()
    for processes in (1, 2):
        asyncio.run(
            run(processes, args.citizens, args.messages, args.database, args.redis, pace=args.pace)
        )


if __name__ == "__main__":
    main()
