"""A day typed as digits (15.12, 15.12.2026, 15/12/26), the year taken from the context."""

from __future__ import annotations

import re
from datetime import date

_DAY = re.compile(r"^(\d{1,2})[./-](\d{1,2})(?:[./-](\d{4}|\d{2}))?$")


def typed_day(text: str, today: date, *, ahead: bool) -> date | None:
    """The day, or None when the text is not one. Without a year it is the nearest such day
    ahead of today (`ahead`) or behind it: "10.01" typed in December is January either way."""
    match = _DAY.match(text.strip())
    if match is None:
        return None
    day, month, year_text = match.groups()
    year = int(year_text) if year_text else today.year
    if year_text and len(year_text) == 2:
        year += 2000
    try:
        found = date(year, int(month), int(day))
    except ValueError:
        return None
    if year_text is None:
        if ahead and found < today:
            found = found.replace(year=year + 1)
        elif not ahead and found > today:
            found = found.replace(year=year - 1)
    return found
