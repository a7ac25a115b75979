"""Deadlines and the production calendar, for staff and scripts.

python -m app reminders deadline 2026-12-29 15wd --region 63   the last day of a term (ISO)
python -m app reminders deadline 2026-12-29 complaint_answer  ... or of a deadline rule
python -m app reminders calendar 2026 --region 63             working days per month
python -m app reminders day 2026-06-15 off --region 63 --note "…"  override a day
python -m app reminders rules                                 the deadline rules
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping
from datetime import date

from kernel.calendar import WorkingCalendar
from kernel.cli import CONFIG_ERROR, settings_or_report
from kernel.deadlines import add, parse_amount
from kernel.settings import Settings
from reminders.rules import Rule
from reminders.store import region_calendar, set_calendar_day
from storage.database import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.models import AuditEvent

DAY_STATES = {"off": False, "working": True, "clear": None}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app reminders", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    sub = parser.add_subparsers(dest="command", required=True)
    deadline = sub.add_parser("deadline", help="the last day of a term")
    deadline.add_argument("start", type=date.fromisoformat, help="day of the event, YYYY-MM-DD")
    deadline.add_argument("term", help="15wd, 2cd, or a rule id such as complaint_answer")
    deadline.add_argument("--region")
    calendar = sub.add_parser("calendar", help="working days per month of a year")
    calendar.add_argument("year", type=int)
    calendar.add_argument("--region")
    day = sub.add_parser("day", help="override one day of a region's calendar")
    day.add_argument("day", type=date.fromisoformat)
    day.add_argument("state", choices=sorted(DAY_STATES))
    day.add_argument("--region")
    day.add_argument("--note")
    day.add_argument("--by", default="cli", help="who made the change (for the audit log)")
    sub.add_parser("rules", help="list the deadline rules")
    return parser


def main(argv: list[str] | None, rules: Mapping[str, Rule]) -> int:
    """The commands over `rules`, the installation's deadline rules."""
    args = _parser().parse_args(argv)
    if args.command == "rules":
        for rule in rules.values():
            print(f"{rule.id:26} {rule.amount:>3}{rule.unit:<3} {rule.actor:8} {rule.paragraph}")
        return 0
    settings = settings_or_report()
    if settings is None:
        return CONFIG_ERROR
    region = args.region or settings.default_region
    if region not in settings.regions:
        known = ", ".join(sorted(settings.regions))
        print(f"unknown region {region!r}; this installation serves {known}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_run(args, settings, region, rules))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


async def _run(
    args: argparse.Namespace, settings: Settings, region: str, rules: Mapping[str, Rule]
) -> int:
    await upgrade(settings.database.url)
    engine = create_engine(settings.database.url)
    try:
        async with create_session_factory(engine)() as session:
            if args.command == "day":
                await set_calendar_day(
                    session,
                    region,
                    args.day,
                    DAY_STATES[args.state],
                    changed_by=args.by,
                    note=args.note,
                )
                session.add(
                    AuditEvent(
                        actor=args.by,
                        action="calendar.day",
                        subject=f"region:{region}",
                        details={"day": args.day.isoformat(), "state": args.state},
                        note=args.note,
                    )
                )
                await session.commit()
                print(f"{args.day.isoformat()} in region {region}: {args.state}")
                return 0
            calendar = await region_calendar(session, region)
    finally:
        await engine.dispose()
    if args.command == "deadline":
        print(_deadline(args.start, args.term, calendar, rules).isoformat())
    else:
        _print_year(args.year, calendar)
    return 0


def _deadline(
    start: date, term: str, calendar: WorkingCalendar, rules: Mapping[str, Rule]
) -> date:
    rule = rules.get(term)
    if rule is not None:
        return add(start, rule.amount, rule.unit, calendar)
    amount, unit = parse_amount(term)
    return add(start, amount, unit, calendar)


def _print_year(year: int, calendar: WorkingCalendar) -> None:
    total = 0
    for month in range(1, 13):
        days = calendar.working_days_in(year, month)
        total += days
        print(f"{year}-{month:02d} {days:>3}")
    print(f"total   {total:>3}")
