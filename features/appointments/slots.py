"""The consultation slots of a region's day: the visiting hours of 000 p.9 (Monday to
Thursday 09:00-18:00, Friday 09:00-16:45, no days off of the production calendar), an hour
shorter before a public holiday (Labour Code art. 95); a transferred working Saturday keeps
Monday's hours. Pure arithmetic: no storage."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kernel.calendar import WorkingCalendar

OPENS = time(9)
FRIDAY = 4
CLOSES_MON_THU, CLOSES_FRIDAY = time(18), time(16, 45)


def closing_time(day: date, calendar: WorkingCalendar) -> time | None:
    """When visiting hours end that day; None on a day off."""
    if not calendar.is_working(day):
        return None
    closes = CLOSES_FRIDAY if day.weekday() == FRIDAY else CLOSES_MON_THU
    if calendar.is_shortened(day):
        closes = (datetime.combine(day, closes) - timedelta(hours=1)).time()
    return closes


def day_slots(
    day: date, calendar: WorkingCalendar, zone: ZoneInfo, minutes: int
) -> list[datetime]:
    """Every slot that starts and ends within the day's visiting hours, as aware datetimes."""
    closes = closing_time(day, calendar)
    if closes is None:
        return []
    start, end = datetime.combine(day, OPENS, zone), datetime.combine(day, closes, zone)
    length = timedelta(minutes=minutes)
    slots = []
    while start + length <= end:
        slots.append(start)
        start += length
    return slots


def within_hours(
    moment: datetime, minutes: int, calendar: WorkingCalendar, zone: ZoneInfo
) -> bool:
    """A visit of `minutes` from `moment` falls within that day's visiting hours."""
    local = moment.astimezone(zone)
    closes = closing_time(local.date(), calendar)
    if closes is None:
        return False
    end = local + timedelta(minutes=minutes)
    return local.time() >= OPENS and end.date() == local.date() and end.time() <= closes
