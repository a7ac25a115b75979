"""Deadline arithmetic in working days (WD) and calendar days (CD).

The regulations' conventions: the day of the event itself is not counted, and an event on a
non-working day counts as if it happened on the next working day (001 ¶2.10.2, ¶3.4.6).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from enum import StrEnum

from kernel.calendar import WorkingCalendar


class Unit(StrEnum):
    WORKING_DAYS = "wd"
    CALENDAR_DAYS = "cd"


_AMOUNT = re.compile(r"^\s*(\d{1,4})\s*(wd|cd)\s*$", re.IGNORECASE)


def parse_amount(text: str) -> tuple[int, Unit]:
    """'15wd' -> (15, WD); '2cd' -> (2, CD)."""
    match = _AMOUNT.match(text)
    if match is None:
        raise ValueError(f"expected a number of days such as 15wd or 2cd, not {text!r}")
    return int(match.group(1)), Unit(match.group(2).lower())


def add(start: date, amount: int, unit: Unit, calendar: WorkingCalendar) -> date:
    """The last day of a term of `amount` days that starts with an event on `start`."""
    if amount < 0:
        raise ValueError("a term cannot be negative")
    day = calendar.next_working(start)
    if unit is Unit.CALENDAR_DAYS:
        return day + timedelta(days=amount)
    counted = 0
    while counted < amount:
        day += timedelta(days=1)
        counted += calendar.is_working(day)
    return day


def step(day: date, count: int, unit: Unit, calendar: WorkingCalendar) -> date:
    """Move `count` days of `unit` back (count > 0) or forward (count < 0) from `day`: where
    reminders "1 working day before the deadline" fall."""
    if unit is Unit.CALENDAR_DAYS:
        return day - timedelta(days=count)
    direction = -1 if count > 0 else 1
    for _ in range(abs(count)):
        day += timedelta(days=direction)
        while not calendar.is_working(day):
            day += timedelta(days=direction)
    return day
