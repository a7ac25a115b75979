"""What the adapters (Telegram, console) need, built once by the composition root (app/)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from dialogs.engine import Engine
from dialogs.render import Renderer
from features.operator.desk import DeskWork
from kernel.regions import Regions
from nlu.recognizer import Recognizer
from reminders.planning import QuietHours
from reminders.rules import Rule
from reminders.runner import Housekeeping, RunnerSettings, SentHook


class Companion(Protocol):
    """A server that runs beside the bot in the same process (the staff API)."""

    def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True)
class OperatorDesk:
    """The operators' desks as the bot serves them (bot/operator_group.py): the Telegram forum
    group when `chat_id` is set, and the relay of what operators answer (from the group or
    the web desk) to the citizens."""

    chat_id: int | None
    work: Callable[[AsyncSession], DeskWork]
    refresh_seconds: float = 30.0  # the place-in-queue message, 003 p.34(д)
    sweep_seconds: float = 2.0  # the outbox is read at least this often


@dataclass(frozen=True)
class Reminders:
    """How this process delivers reminders; absent when it sends none."""

    settings: RunnerSettings
    rules: Mapping[str, Rule]
    regions: Regions
    quiet_hours: QuietHours
    on_sent: Mapping[str, SentHook] = field(default_factory=dict)
    housekeeping: Sequence[Housekeeping] = ()


@dataclass
class Parts:
    engine: Engine
    renderer: Renderer
    db: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    recognizer: Recognizer
    # The features' domain services on one unit of work's session, by name.
    services: Callable[[AsyncSession], Mapping[str, object]]
    reminders: Reminders | None = None
    companions: Sequence[Companion] = ()
    operators: OperatorDesk | None = None  # the operators' forum group, when configured
    # The staff app's hooks that wake this process's relays after a staff action (Kit.nudges).
    nudges: list[Callable[[], None]] = field(default_factory=list)
    # How often the texts administrators published are looked for (templates.refresh_seconds).
    template_refresh_seconds: float = 2.0

    async def close(self) -> None:
        await self.recognizer.close()
        await self.db.dispose()
