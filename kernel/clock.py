"""The one clock of the system: timezone-aware UTC (design.md: every datetime is stored in UTC)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
