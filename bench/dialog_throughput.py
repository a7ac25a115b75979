"""How many citizen turns per second the engine handles, each in its own unit of work as in
the bot (load conversation, run the step, commit), and how long rendering takes.

    .venv/bin/python -m bench.dialog_throughput [--citizens 200] [--url postgresql+asyncpg://...]

Without --url it uses a fresh SQLite file. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from app.build import renderer as build_renderer
from dialogs.flow import DialogConfig
from dialogs.types import Incoming
from kernel.regions import Region
from storage.database import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.repositories import SqlDialogStore
from tests.support import wiring

CONFIG = DialogConfig(
    consent_version="bench",
    regions={"63": Region("Самарская область", "Europe/Samara")},
    default_region="63",
)
# (text, button payload) of each turn of one citizen
SCRIPT: list[tuple[str | None, str | None]] = [
    ("/start", None),
    (None, "onboarding:consent:yes"),
    (None, "onboarding:region:63"),
    (None, "menu:my_data"),
    ("что-то непонятное", None),
]


async def run(url: str, citizens: int, concurrency: int) -> None:
    await upgrade(url)
    db = create_engine(url)
    sessions = create_session_factory(db)
    engine = wiring.engine(CONFIG)
    renderer = build_renderer()
    latencies: list[float] = []
    render_times: list[float] = []
    limit = asyncio.Semaphore(concurrency)

    async def citizen(number: int) -> None:
        for text, payload in SCRIPT:
            incoming = Incoming(
                channel="bench",
                external_id=str(number),
                chat_id=number,
                text=text,
                payload=payload,
            )
            async with limit:
                started = time.perf_counter()
                async with sessions() as session:
                    replies = await engine.handle(SqlDialogStore(session), incoming)
                    await session.commit()
                latencies.append(time.perf_counter() - started)
            started = time.perf_counter()
            for reply in replies:
                renderer.reply(reply)
            render_times.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(citizen(n) for n in range(citizens)))
    elapsed = time.perf_counter() - started
    await db.dispose()
    turns = len(latencies)
    latencies.sort()
    print(f"database: {url.partition('://')[0]}, citizens: {citizens}, concurrency: {concurrency}")
    print(f"turns: {turns} in {elapsed:.2f} s = {turns / elapsed:.0f} turns/s")
    print(
        f"turn latency (engine + commit): median {statistics.median(latencies) * 1000:.1f} ms, "
        f"p95 {latencies[int(turns * 0.95)] * 1000:.1f} ms"
    )
    print(f"render per turn: median {statistics.median(render_times) * 1000:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--citizens", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.url or f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
        asyncio.run(run(url, args.citizens, args.concurrency))


if __name__ == "__main__":
    main()
