"""Vacancy import and ranking at volume.

    .venv/bin/python -m bench.ranking [--sizes 100000 1000000] [--queries 200] [--url ...]

For each size: writes a synthetic feed (bench/vacancy_feed.py), imports it with the real
importer into a fresh database (records/s), loads the catalogue as the bot does (seconds),
then ranks a top-10 for random profiles: median and p95 latency, and the process's peak RSS.
Without --url a fresh SQLite file per size. Prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

from bench.vacancy_feed import PROFESSIONS, write_feed
from features.vacancies import catalogue
from features.vacancies.importer import import_feed
from features.vacancies.ranking import Seeker
from storage.database import create_engine, create_session_factory
from storage.migrate import upgrade

QUERY_FORMS = (
    "водитель",
    "водителем",
    "водителя категории C",
    "повар",
    "бухгалтером",
    "продавец",
    "слесаря",
    "инженер программист",
    "медсестра",
    "охранником",
    "оператор",
    "грузчик",
    "учитель",
    "сварщик",
    "курьер",
)
HOMES = ((53.195, 50.100), (53.508, 49.420), (53.155, 48.474), (55.755, 37.617))


def _profile(rng: random.Random) -> Seeker:
    words = rng.choice(QUERY_FORMS) if rng.random() < 0.6 else rng.choice(PROFESSIONS)[0]
    return Seeker(
        profession=words,
        regions=rng.choice((("63",), ("63", "16"), ("77",))),
        home=rng.choice(HOMES),
        desired_salary=rng.choice((None, 40_000, 60_000, 90_000)),
        previous_salary=rng.choice((None, 25_000, 50_000)),
        subsistence_minimum=18_000,
        experience_years=rng.choice((None, 0, 2, 5)),
        schedule=rng.choice((None, "Полный рабочий день", "Сменный график")),
        relocate=rng.random() < 0.1,
        disabled=rng.random() < 0.1,
        commute_km=30,
    )


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _run(size: int, queries: int, url: str | None, scratch: Path) -> None:
    started = time.perf_counter()
    feed = write_feed(scratch / f"feed-{size}.json", size)
    print(
        f"\n{size:,} vacancies: feed written in {time.perf_counter() - started:.1f} s "
        f"({feed.stat().st_size / 2**20:.0f} MiB)"
    )
    url = url or f"sqlite+aiosqlite:///{scratch / f'bench-{size}.db'}"
    await upgrade(url)
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    started = time.perf_counter()
    report = await import_feed(sessions, feed)
    spent = time.perf_counter() - started
    print(f"  import: {report.counts()} in {spent:.1f} s, {report.read / spent:,.0f} records/s")
    started = time.perf_counter()
    async with sessions() as session:
        loaded = await catalogue.load(session)
    print(
        f"  catalogue load (query + index build): {time.perf_counter() - started:.1f} s, "
        f"peak RSS {_peak_rss_mib():.0f} MiB"
    )
    rng = random.Random(7)
    profiles = [_profile(rng) for _ in range(queries)]
    loaded.index.rank(profiles[0])  # warm-up
    timings, found = [], []
    for profile in profiles:
        started = time.perf_counter()
        ranking = loaded.index.rank(profile, limit=10)
        timings.append((time.perf_counter() - started) * 1000)
        found.append(ranking.total)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(
        f"  top-10 for {queries} profiles: median {statistics.median(timings):.1f} ms, "
        f"p95 {p95:.1f} ms, max {timings[-1]:.1f} ms; "
        f"suitable per profile median {statistics.median(found):,.0f}"
    )
    print(f"  peak RSS of the process: {_peak_rss_mib():.0f} MiB")
    await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ranking")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--url", help="a database URL (fresh!) instead of a SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        for size in args.sizes:
            await _run(size, args.queries, args.url, Path(scratch))


if __name__ == "__main__":
    asyncio.run(main())
