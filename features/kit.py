"""What a feature package declares (`Feature`), and what the composition root gives every
feature at start-up (`Kit`).

A feature package exposes `FEATURE = Feature(...)` in its `__init__.py`; `app/features.py`
lists them. Everything a feature adds is named here, so adding one touches no other package.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialogs.feature import Chat
from kernel.regions import Regions
from kernel.settings import Settings
from reminders.planning import QuietHours
from reminders.rules import Rule
from reminders.runner import SentHook

if TYPE_CHECKING:
    from fastapi import APIRouter

T = TypeVar("T")
# A domain service on one unit of work's session (a complaint desk, the vacancy search).
SessionService = Callable[[AsyncSession], object]


@dataclass
class Kit:
    """The process-wide parts every feature may build on."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    regions: Regions
    quiet_hours: QuietHours
    # Process-wide objects that one feature builds and another reuses (the vacancy
    # catalogue), by name; see `shared`.
    objects: dict[str, object] = field(default_factory=dict)

    def shared(self, name: str, build: Callable[[], T]) -> T:
        """The process's one `name` object, built on first use."""
        if name not in self.objects:
            self.objects[name] = build()
        return cast(T, self.objects[name])


@dataclass(frozen=True)
class Feature:
    name: str
    chat: Chat = field(default_factory=Chat)
    templates: Path | None = None  # the folder of its Jinja2 templates
    rules: Mapping[str, Rule] = field(default_factory=dict)  # the deadline rules it schedules
    # Its domain services by name, each built on a turn's (or a staff request's) session.
    services: Callable[[Kit], Mapping[str, SessionService]] | None = None
    # Its staff API routes; the staff app adds authentication and the audit log.
    staff: Callable[[Kit], APIRouter] | None = None
    # What must happen when a reminder of one of its rules reached the citizen.
    on_reminder_sent: Callable[[Kit], Mapping[str, SentHook]] | None = None
