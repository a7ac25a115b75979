"""The reliability figures side by side, in one run on one PostgreSQL server: messages lost
to SIGKILL (bench/crash.py), a staff action reaching Telegram (the desk's reply to a citizen,
bench/desk.py), and updates per second of one and of two bot processes (bench/processes.py).
Each part gets a fresh database of its own.

    .venv/bin/python -m bench.reliability --database postgresql+asyncpg://postgres@127.0.0.1/test
        [--kills 20] [--conversations 20] [--citizens 150]

Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from bench import crash, desk, processes


async def run(url: str, kills: int, conversations: int, citizens: int) -> None:
    print("== SIGKILL at random moments (bench/crash.py)")
    fresh = await processes.fresh_database(url)
    try:
        await crash.run(kills, 3, fresh, Path(tempfile.mkdtemp(prefix="crash-bench-")))
    finally:
        await processes.drop_database(url, fresh)
    print("== staff action -> Telegram: the desk's reply (bench/desk.py)")
    fresh = await processes.fresh_database(url)
    try:
        await desk.run(conversations, 3, fresh)
    finally:
        await processes.drop_database(url, fresh)
    print("== updates per second (bench/processes.py)")
    for count in (1, 2):
        await processes.run(count, citizens, 4, url, "redis://127.0.0.1:6379/0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", required=True, help="a PostgreSQL URL")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--citizens", type=int, default=150)
    args = parser.parse_args()
    asyncio.run(run(args.database, args.kills, args.conversations, args.citizens))


if __name__ == "__main__":
    main()
