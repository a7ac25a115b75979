"""The web desk under load, through the real bot process (the desk served inside it) and the
fake Bot API (tests/support/fake_telegram.py); no Telegram group: operators use the desk only.

    .venv/bin/python -m bench.desk [--conversations 20] [--rounds 3] [--database URL]

N citizens give consent and ask for an operator; one operator logs in to the desk and takes
every conversation. Then, for a few rounds, the operator answers in every conversation at the
same moment (concurrent form posts). Measured: how long the desk takes to accept a reply (the
operator's wait), how long until the fake Bot API receives the reply for the citizen, and how
long the queue page and a conversation page take with N conversations open. Prints the
figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.handover import citizens_ask, percentile, until
from tests.support.desk import csrf_of
from tests.support.fake_telegram import FakeTelegram
from tests.support.rasa import free_port

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench password 2026"


async def timed(call: Any) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    response = await call
    return time.monotonic() - started, response


def summary(name: str, values: list[float]) -> str:
    return (
        f"{name}: {len(values)} samples, p50 {statistics.median(values) * 1000:.0f} ms, "
        f"p95 {percentile(values, 0.95) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"
    )


async def run(conversations: int, rounds: int, database: str | None = None) -> None:
    """On a fresh SQLite file, or on the (empty) database `database`."""
    folder = Path(tempfile.mkdtemp(prefix="desk-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "ASSISTANT_CONFIG": str(ROOT / "config.yml"),
        "DATABASE__URL": database or f"sqlite+aiosqlite:///{folder / 'bench.db'}",
        "NLU__ENABLED": "false",
        "ADMIN__ENABLED": "true",
        "ADMIN__PORT": str(port),
        "ADMIN__PLAIN_HTTP": "true",
        "OPERATORS__SCHEDULE": "always",
        "LOGGING__LEVEL": "WARNING",
    }
    subprocess.run(  # noqa: ASYNC221 - before anything else runs
        [sys.executable, "-m", "app", "admin", "staff", "add", "Ольга", "--role", "operator",
         "--regions", "all", "--password"],
        cwd=ROOT, env=env, check=True, capture_output=True, input=PASSWORD.encode(),
    )  # fmt: skip
    telegram = FakeTelegram()
    await telegram.start()
    env |= {"BOT__TOKEN": telegram.token, "BOT__API_SERVER": f"http://127.0.0.1:{telegram.port}"}
    log = open(folder / "bot.log", "wb")  # noqa: SIM115, ASYNC230
    bot = subprocess.Popen(  # noqa: ASYNC220 - the bot under test, a process of its own
        [sys.executable, "-m", "app", "telegram"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await citizens_ask(telegram, conversations)
        async with httpx.AsyncClient(base_url=base, timeout=60) as desk:
            await until(lambda: _answers(base), "the desk", timeout=60)
            form = await desk.get("/login")
            await desk.post(
                "/login",
                data={"username": "Ольга", "password": PASSWORD, "csrf": csrf_of(form)},
            )
            ids = await queued(desk, conversations)
            queue_times = [(await timed(desk.get("/desk/queue")))[0] for _ in range(20)]
            token = csrf_of(await desk.get("/desk/queue"))
            for handover in ids:
                await desk.post(f"/desk/queue/{handover}/claim", data={"csrf": token})
            page_times = [
                (await timed(desk.get(f"/desk/conversations/{ids[n % len(ids)]}")))[0]
                for n in range(20)
            ]
            accepted: list[float] = []
            delivered: list[float] = []
            for round_number in range(rounds):
                spent, reached = await reply_everywhere(desk, telegram, token, ids, round_number)
                accepted += spent
                delivered += reached
        print(f"conversations held at once: {conversations}, rounds: {rounds}")
        print(summary("queue page with every conversation waiting", queue_times))
        print(summary("conversation page", page_times))
        print(summary("reply accepted by the desk (the operator's wait)", accepted))
        print(summary("reply posted -> the citizen's sendMessage at the Bot API", delivered))
    finally:
        bot.terminate()
        bot.wait(timeout=30)
        await telegram.stop()


async def queued(desk: httpx.AsyncClient, conversations: int) -> list[str]:
    """The conversations waiting in the queue, once all of them are there."""
    deadline = time.monotonic() + 120
    while True:
        page = await desk.get("/desk/queue")
        ids = re.findall(r"/desk/queue/(\d+)/claim", page.text)
        if len(ids) >= conversations or time.monotonic() > deadline:
            return ids
        await asyncio.sleep(0.2)


async def reply_everywhere(
    desk: httpx.AsyncClient, telegram: FakeTelegram, token: str, ids: list[str], round_number: int
) -> tuple[list[float], list[float]]:
    """Replies posted to every conversation at once: the desk's answer times, and the times
    until each reached the fake Bot API."""
    started = time.monotonic()
    texts = {h: f"Ответ {round_number} в разговоре {h}" for h in ids}
    posts = [
        timed(desk.post(f"/desk/conversations/{h}/reply", data={"csrf": token, "text": text}))
        for h, text in texts.items()
    ]
    spent = [seconds for seconds, _ in await asyncio.gather(*posts)]
    wanted = set(texts.values())
    await until(lambda: wanted <= _texts(telegram), "the replies")
    arrived = {
        r.params["text"]: r.at
        for r in telegram.requests
        if r.method == "sendMessage" and r.params.get("text") in wanted
    }
    return spent, [arrived[text] - started for text in wanted]


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/login", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _texts(telegram: FakeTelegram) -> set[str]:
    return {str(r.params.get("text")) for r in telegram.requests if r.method == "sendMessage"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", help="an empty database's URL; default a SQLite file")
    args = parser.parse_args()
    asyncio.run(run(args.conversations, args.rounds, args.database))


if __name__ == "__main__":
    main()
