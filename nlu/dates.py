"""Dates and times in free Russian text ("в пятницу в 10", "12.05", "послезавтра"), read in the
citizen's region time zone: "tomorrow" in Samara starts four hours before UTC's."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from dateparser.search import search_dates

_SETTINGS = {
    "PREFER_DATES_FROM": "future",  # "в пятницу" is the coming Friday
    "DATE_ORDER": "DMY",
    "RETURN_AS_TIMEZONE_AWARE": False,
}
# "в 10" is an hour to a person, a bare number to dateparser: make it "в 10:00".
_BARE_HOUR = re.compile(r"\bв\s+(\d{1,2})(?![\d:.])(?!\s*(?:числа|час))")
_CLOCK = re.compile(r"(?<![\d.])([01]?\d|2[0-3])[:.]([0-5]\d)(?![\d.])")
_TIME_ONLY = re.compile(r"(?:в\s+)?\d{1,2}:\d{2}(?:\s+(?:утра|вечера|дня|ночи))?")
# "12.05" and "12.05.2026": numeric dates, day first, that dateparser's search misses.
_NUMERIC_DATE = re.compile(r"(?<![\d.:])(\d{1,2})\.(\d{1,2})(?:\.(\d{4}|\d{2}))?(?![\d:])")


@dataclass(frozen=True)
class When:
    day: date
    at: time | None = None  # None when the text named a day only

    def localized(self, timezone: str) -> datetime:
        return datetime.combine(self.day, self.at or time(0), tzinfo=ZoneInfo(timezone))


def parse_when(text: str, timezone: str, now: datetime) -> When | None:
    """The first date in the text (with its time, if one is given), in the citizen's zone.
    Dates without a year are the next such date; None when the text names no date."""
    today = now.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
    prepared = _BARE_HOUR.sub(lambda m: f"в {m.group(1)}:00", text.lower().replace("ё", "е"))
    numeric = _NUMERIC_DATE.search(prepared)
    if numeric is not None:
        day = _numeric_day(numeric, today.date())
        if day is None:
            return None
        rest = prepared[: numeric.start()] + " " + prepared[numeric.end() :]
        return When(day, _clock_time(rest))
    found = search_dates(
        prepared, languages=["ru"], settings={**_SETTINGS, "RELATIVE_BASE": today}
    )
    if not found:
        return None
    # "в 10:00 утра в понедельник": the time alone would mean today; take the day named.
    dated = [moment for words, moment in found if not _TIME_ONLY.fullmatch(words.strip())]
    moment = dated[0] if dated else found[0][1]
    return When(moment.date(), _clock_time(prepared))


def _numeric_day(match: re.Match[str], today: date) -> date | None:
    day, month, year_text = int(match.group(1)), int(match.group(2)), match.group(3)
    year = today.year if year_text is None else int(year_text)
    if year_text is not None and len(year_text) == 2:
        year += 2000
    try:
        result = date(year, month, day)
        if year_text is None and result < today:
            result = date(year + 1, month, day)
    except ValueError:
        return None  # 31.02: not a date
    return result


def _clock_time(text: str) -> time | None:
    match = _CLOCK.search(text)
    if match is None:
        return None
    return time(int(match.group(1)), int(match.group(2)))
