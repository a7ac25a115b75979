"""What a feature package declares (`Feature`), and what the composition root gives every
feature at start-up (`Kit`).

A feature package exposes `FEATURE = Feature(...)` in its `__init__.py`; `app/features.py`
lists them. Everything a feature adds is named here, so adding one touches no other package.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar, cast

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


class FileSource(Protocol):
    """Files citizens sent through the messenger, for staff to look at (the bot's getFile)."""

    async def fetch(self, file_id: str) -> tuple[bytes, str]:
        """The bytes and the media type; LookupError when the file cannot be had."""
        ...


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
    # The messenger's files, when this process has a bot token.
    files: FileSource | None = None
    # Called after a staff action committed messages to an outbox: they wake this process's
    # relays (the bot adds its own when it runs here), else the next sweep sends them.
    nudges: list[Callable[[], None]] = field(default_factory=list)
    # Every feature's staff alert kinds with their names in the desk (`Feature.alert_kinds`).
    alert_kinds: dict[str, str] = field(default_factory=dict)

    def nudge(self) -> None:
        for wake in self.nudges:
            wake()

    def shared(self, name: str, build: Callable[[], T]) -> T:
        """The process's one `name` object, built on first use."""
        if name not in self.objects:
            self.objects[name] = build()
        return cast(T, self.objects[name])


@dataclass(frozen=True)
class MenuItem:
    """A link in the web desk's menu, shown to staff of `role` and above."""

    label: str  # Russian, as staff read it
    path: str
    role: str = "operator"
    order: int = 50


@dataclass(frozen=True)
class DeskPages:
    """A feature's pages in the staff web desk: its routes (server-rendered HTML under
    `/desk/`), the folder of their Jinja2 templates, and its menu links. The desk adds the
    login session, CSRF checks and the audit log."""

    router: Callable[[Kit], APIRouter]
    templates: Path
    menu: tuple[MenuItem, ...] = ()


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
    # Its pages in the staff web desk.
    desk: DeskPages | None = None
    # The staff alerts it raises (StaffAlert.kind), with their names in the desk (Russian).
    alert_kinds: Mapping[str, str] = field(default_factory=dict)
    # What must happen when a reminder of one of its rules reached the citizen.
    on_reminder_sent: Callable[[Kit], Mapping[str, SentHook]] | None = None
