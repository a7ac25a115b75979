"""Vacancy commands.

python -m app vacancies import FEED.json|DIR [--partial]   import the «Работа в России» feed
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from tqdm import tqdm

from features.vacancies.importer import ImportReport, import_feed
from kernel.cli import CONFIG_ERROR, settings_or_report
from kernel.settings import Settings
from storage.database import create_engine, create_session_factory
from storage.migrate import upgrade

MAX_LISTED_REJECTS = 50


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app vacancies")
    sub = parser.add_subparsers(dest="command", required=True)
    importing = sub.add_parser("import", help="import a feed file or a directory of them")
    importing.add_argument("source", type=Path)
    importing.add_argument(
        "--partial",
        action="store_true",
        help="a part of the feed: do not close the vacancies it does not mention",
    )
    args = parser.parse_args(argv)
    if not args.source.exists():
        parser.error(f"{args.source} does not exist")
    settings = settings_or_report()
    if settings is None:
        return CONFIG_ERROR
    report = asyncio.run(_import(settings, args.source, full=not args.partial))
    _print_report(report)
    return 0


async def _import(settings: Settings, source: Path, *, full: bool) -> ImportReport:
    await upgrade(settings.database.url)
    engine = create_engine(settings.database.url)
    try:
        with tqdm(desc="vacancies", unit=" rec", file=sys.stderr, mininterval=0.5) as bar:
            return await import_feed(
                create_session_factory(engine), source, full=full, progress=bar.update
            )
    finally:
        await engine.dispose()


def _print_report(report: ImportReport) -> None:
    counts = report.counts()
    print(", ".join(f"{name}: {count}" for name, count in counts.items()))
    for bad in report.rejected[:MAX_LISTED_REJECTS]:
        print(f"rejected {bad.vacancy_id or '(no id)'}: {bad.reason}")
    if len(report.rejected) > MAX_LISTED_REJECTS:
        print(f"... and {len(report.rejected) - MAX_LISTED_REJECTS} more rejected")
