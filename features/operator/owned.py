"""Data administrators own and edit in the web desk (features/operator/settings_pages.py),
read where it is used, each with its default: the canned answers (canned.yml), the crisis
lines (`operators.crisis_lines`) and a region's operator hours (`working_hours`). A change is
used from the next message on, by every process: it is read from the database each time."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from storage import staff_data

CANNED = "canned_answers"
CRISIS_LINES = "crisis_lines"
CANNED_FILE = Path(__file__).with_name("canned.yml")


def hours_name(region_code: str) -> str:
    return f"hours:{region_code}"


def file_canned_answers(path: Path = CANNED_FILE) -> dict[str, str]:
    """`/t NAME` answers by name; `{operator}` in one is the operator's name."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(name).lower(): str(text) for name, text in data.items()}


async def canned_answers(session: AsyncSession) -> dict[str, str]:
    edited = await staff_data.current(session, CANNED)
    return dict(edited) if edited is not None else file_canned_answers()


async def crisis_lines(session: AsyncSession, default: list[str]) -> list[str]:
    edited = await staff_data.current(session, CRISIS_LINES)
    return list(edited) if edited is not None else list(default)


async def working_hours(
    session: AsyncSession, region_code: str, default: tuple[time, time]
) -> tuple[time, time]:
    edited = await staff_data.current(session, hours_name(region_code))
    if edited is None:
        return default
    return time.fromisoformat(edited["start"]), time.fromisoformat(edited["end"])
