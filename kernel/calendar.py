"""The Russian production calendar (производственный календарь) of one region.

Federal holidays, transferred days off and working Saturdays come from the `holidays` library,
which follows the government's decrees on transferred days. What a region adds (a local holiday,
a decree published after the library's release) is an administrator's override in the database,
passed in here as `overrides`: day -> working or not.
"""

from __future__ import annotations

import calendar as stdlib_calendar
from collections.abc import Mapping
from datetime import date, timedelta
from functools import lru_cache

import holidays

SATURDAY = 5


@lru_cache(maxsize=32)
def _federal(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(days off that are not weekends or are holidays, working weekend days) of one year."""
    russia = holidays.country_holidays("RU", years=year)
    return frozenset(russia), frozenset(russia.weekend_workdays)


@lru_cache(maxsize=32)
def _public_holidays(year: int) -> frozenset[date]:
    """The public holidays proper: not the transferred days off, not the observed ones."""
    russia = holidays.country_holidays("RU", years=year)
    return frozenset(
        day
        for day, name in russia.items()
        if not name.startswith("Day off") and "observed" not in name
    )


class WorkingCalendar:
    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self._overrides = dict(overrides or {})

    def is_working(self, day: date) -> bool:
        if day in self._overrides:
            return self._overrides[day]
        days_off, working_weekends = _federal(day.year)
        if day in working_weekends:
            return True
        return day.weekday() < SATURDAY and day not in days_off

    def is_shortened(self, day: date) -> bool:
        """A working day right before a public holiday is an hour shorter (Labour Code art.
        95); a transferred day off or an observed holiday does not shorten the day before."""
        if not self.is_working(day):
            return False
        following = day + timedelta(days=1)
        return following not in self._overrides and following in _public_holidays(following.year)

    def next_working(self, day: date) -> date:
        """The day itself when it is a working day, else the first working day after it."""
        while not self.is_working(day):
            day += timedelta(days=1)
        return day

    def working_days_in(self, year: int, month: int) -> int:
        last = stdlib_calendar.monthrange(year, month)[1]
        return sum(self.is_working(date(year, month, d)) for d in range(1, last + 1))
