"""Checks of what a citizen types into a complaint. Each function returns the value in its
canonical form, or raises `Invalid` with a reason the dialog turns into a template."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from functools import cache
from pathlib import Path

import dateparser
import yaml
from email_validator import EmailNotValidError, validate_email

from dialogs.validation import Invalid, attached_file, clean_text, phone

__all__ = ["Invalid", "abusive", "attached_file", "email", "name", "past_date", "phone", "text"]

ABUSIVE_FILE = Path(__file__).with_name("abusive.yml")
_NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})(?:[./-](\d{4}|\d{2}))?\s*$")
# Letters of a Russian or foreign name, with the hyphens, apostrophes and spaces names have.
_NAME = re.compile(r"^[A-Za-zА-Яа-яЁё][A-Za-zА-Яа-яЁё' \-]*$")
# Month names in the forms "в октябре", "октябрь", "начале октября" take.
_MONTHS = (
    "январ[ьяе]",
    "феврал[ьяе]",
    "март[ае]?",
    "апрел[ьяе]",
    "ма[йяе]",
    "июн[ьяе]",
    "июл[ьяе]",
    "август[ае]?",
    "сентябр[ьяе]",
    "октябр[ьяе]",
    "ноябр[ьяе]",
    "декабр[ьяе]",
)
# "в октябре", "в начале ноября 2026 года": a citizen who does not remember the day.
_MONTH_ONLY = re.compile(
    r"^(?:в\s+)?(?:(?:начале|середине|конце)\s+)?(" + "|".join(_MONTHS) + r")"
    r"(?:\s+(\d{4}))?(?:\s+г(?:ода?|\.)?)?$"
)
EARLIEST_YEAR = 1991  # the employment law 1032-1; nothing earlier is appealed here

MAX_NAME = 100
MAX_ADDRESS = 300
MAX_SHORT_TEXT = 1000
MAX_LONG_TEXT = 3500  # one Telegram message with room for the summary around it


def text(value: str | None, *, min_chars: int = 1, max_chars: int = MAX_SHORT_TEXT) -> str:
    """Free text: not empty, not too long, readable (004 §5.15(в): unreadable text may be left
    unanswered), and without abuse or threats (004 §5.15(б))."""
    cleaned = clean_text(value, min_letters=0, max_chars=max_chars)
    if abusive(cleaned):
        raise Invalid("abusive")
    if sum(char.isalpha() for char in cleaned) < min_chars:
        raise Invalid("too_short")
    return cleaned


def name(value: str | None) -> str:
    cleaned = " ".join((value or "").split())
    if not cleaned:
        raise Invalid("empty")
    if len(cleaned) > MAX_NAME:
        raise Invalid("too_long")
    if not _NAME.match(cleaned):
        raise Invalid("not_a_name")
    if abusive(cleaned):
        raise Invalid("abusive")
    return "-".join(part[:1].upper() + part[1:] for part in cleaned.split("-"))


def email(value: str | None) -> str:
    raw = (value or "").strip()
    if not raw:
        raise Invalid("empty")
    if len(raw) > 254:
        raise Invalid("not_an_email")
    try:
        checked = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        raise Invalid("not_an_email") from exc
    return str(checked.normalized)


def past_date(value: str | None, today: date) -> date:
    """A day not after today: 05.11.2026, 5.11, "5 ноября", "вчера", "неделю назад"."""
    raw = (value or "").strip().lower().replace("ё", "е")
    if not raw:
        raise Invalid("empty")
    if len(raw) > 60:
        raise Invalid("not_a_date")
    day = _numeric_date(raw, today) or _month_only(raw, today)
    if day is None:
        parsed = dateparser.parse(
            raw,
            languages=["ru"],
            settings={
                "PREFER_DATES_FROM": "past",
                "DATE_ORDER": "DMY",
                "RELATIVE_BASE": _midday(today),
            },
        )
        if parsed is None:
            raise Invalid("not_a_date")
        day = parsed.date()
    if day > today:
        raise Invalid("future_date")
    if day.year < EARLIEST_YEAR:
        raise Invalid("too_old")
    return day


def _numeric_date(raw: str, today: date) -> date | None:
    match = _NUMERIC_DATE.match(raw)
    if match is None:
        return None
    day, month, year_text = match.groups()
    year = today.year if year_text is None else int(year_text)
    if year_text is not None and len(year_text) == 2:
        year += 2000
    try:
        found = date(year, int(month), int(day))
    except ValueError as exc:
        raise Invalid("not_a_date") from exc
    if year_text is None and found > today:  # "5.12" typed in November means last December
        found = found.replace(year=year - 1)
    return found


def _month_only(raw: str, today: date) -> date | None:
    """The first day of a month named without a day: the last such month, this year or the
    one before, unless a year is given."""
    match = _MONTH_ONLY.match(raw)
    if match is None:
        return None
    word, year_text = match.groups()
    month = next(i for i, form in enumerate(_MONTHS, 1) if re.fullmatch(form, word))
    year = int(year_text) if year_text else today.year
    if year_text is None and month > today.month:
        year -= 1
    return date(year, month, 1)


def _midday(day: date) -> datetime:
    return datetime.combine(day, time(12))


@cache
def _abuse_patterns() -> tuple[re.Pattern[str], ...]:
    lists = yaml.safe_load(ABUSIVE_FILE.read_text(encoding="utf-8"))
    return tuple(re.compile(pattern) for patterns in lists.values() for pattern in patterns)


def abusive(value: str) -> bool:
    """Obscene or offensive words, or threats (004 §5.15(б))."""
    prepared = value.lower().replace("ё", "е")
    return any(pattern.search(prepared) for pattern in _abuse_patterns())
