"""What a moment of idleness costs on this machine: the same piece of work (four round trips
to PostgreSQL and about a millisecond of Python), done back to back, with the process asleep
for a pause between pieces, and with it spinning through the same pause instead of sleeping.
The CPU time of the work alone is compared (a spun pause's own CPU is taken out).

    .venv/bin/python -m bench.idle_wake [--url postgresql://postgres@127.0.0.1:5432/test]
        [--pieces 500] [--pause 0.01]

Why: the bot's CPU per update with citizens writing independently is higher than in lockstep
runs (bench/README.md). When the work is the same, what differs is whether the process slept
between updates. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
from collections.abc import Awaitable, Callable

import asyncpg

PYTHON_WORK = 20_000  # loop steps: about a millisecond of pure Python here


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def spin(seconds: float) -> float:
    """Busy for `seconds`; returns the CPU time that took."""
    began, until = cpu_seconds(), time.perf_counter() + seconds
    while time.perf_counter() < until:
        pass
    return cpu_seconds() - began


async def measure(
    work: Callable[[], Awaitable[None]], pieces: int, pause: float, how: str
) -> float:
    """CPU microseconds a piece of work took, the pauses' own CPU left out."""
    paused = 0.0
    began = cpu_seconds()
    for _ in range(pieces):
        await work()
        if how == "sleep":
            await asyncio.sleep(pause)
        elif how == "spin":
            paused += spin(pause)
    return (cpu_seconds() - began - paused) / pieces * 1e6


async def run(url: str, pieces: int, pause: float) -> None:
    connection = await asyncpg.connect(url)

    async def work() -> None:
        for _ in range(4):
            await connection.fetchval("SELECT 1")
        total = 0
        for step in range(PYTHON_WORK):
            total += step

    try:
        await measure(work, 100, 0, "none")  # warm up
        for round_ in (1, 2, 3):
            figures = [
                f"{label} {await measure(work, pieces, pause, how):.0f} µs"
                for how, label in (("none", "back to back"), ("sleep", "asleep"), ("spin", "spun"))
            ]
            print(f"round {round_}, CPU a piece: " + ", ".join(figures))
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--pieces", type=int, default=500)
    parser.add_argument("--pause", type=float, default=0.01, help="seconds between pieces")
    args = parser.parse_args()
    asyncio.run(run(args.url, args.pieces, args.pause))


if __name__ == "__main__":
    main()
