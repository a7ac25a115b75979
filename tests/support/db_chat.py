"""A citizen talking to the engine on a real database, one unit of work per message as the bot
does it, and the answers a complete complaint needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialogs.engine import Engine
from dialogs.flow import DialogConfig
from dialogs.ports import IntentRecognizer
from dialogs.types import Button, Incoming, Reply
from features.vacancies.catalogue import VacancyCatalogue
from kernel.regions import Regions
from reminders.planning import QuietHours
from storage.repositories import SqlDialogStore
from tests.support import wiring
from tests.support.wiring import SEARCH_RULES

REGIONS = Regions.of({"63": "Europe/Samara", "77": "Europe/Moscow"}, "63")
__all__ = ["REGIONS", "SEARCH_RULES", "Clock", "DbChat", "fill_complaint", "quiet_hours"]


def quiet_hours() -> QuietHours:
    return QuietHours(time(21), time(9))


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 23, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


@dataclass
class DbChat:
    sessions: async_sessionmaker[AsyncSession]
    config: DialogConfig
    clock: Clock = field(default_factory=Clock)
    external_id: str = "5001"
    last: list[Reply] = field(default_factory=list)
    catalogue: VacancyCatalogue | None = None  # the vacancy search, when a test needs it
    recognizer: IntentRecognizer | None = None

    def engine(self) -> Engine:
        # A new engine for every message: nothing may survive in memory between them.
        return wiring.engine(self.config, clock=self.clock, recognizer=self.recognizer)

    async def _handle(self, **kwargs: Any) -> list[Reply]:
        incoming = Incoming(
            channel="telegram",
            external_id=self.external_id,
            chat_id=int(self.external_id),
            display_name="Анна Петрова",
            **kwargs,
        )
        async with self.sessions() as session:
            services = wiring.services(session, REGIONS, quiet_hours(), self.catalogue)
            self.last = await self.engine().handle(SqlDialogStore(session), incoming, services)
            await session.commit()
        return self.last

    async def send(self, text: str | None = None, **kwargs: Any) -> list[Reply]:
        return await self._handle(text=text, **kwargs)

    def offered(self) -> list[Button]:
        return [button for reply in self.last for row in reply.buttons for button in row]

    async def press(self, label: str, **context: object) -> list[Reply]:
        candidates = [b for b in self.offered() if b.label == label]
        for key, value in context.items():
            candidates = [b for b in candidates if b.context.get(key) == value]
        assert candidates, f"no button {label!r} {context} among {self.offered()}"
        return await self._handle(payload=candidates[0].payload)

    def templates(self) -> list[str]:
        return [reply.template for reply in self.last]

    @property
    def prompt(self) -> str:
        return self.last[-1].template

    async def start(self) -> None:
        await self.send("/start")
        await self.press("buttons.consent_accept")
        await self.press("buttons.region", name="Самарская область")


async def fill_complaint(chat: DbChat, ground: str = "documents_refused") -> None:
    """Answer every question up to the summary screen, the simplest way."""
    await chat.send("/complaint")
    assert chat.prompt == "complaint.ask_ground"
    await chat.press("buttons.complaint_ground", ground=ground)
    await chat.press("buttons.complaint_respondent", respondent="centre")
    await chat.press("buttons.complaint_unknown")
    await chat.send("Инспектор не принял заявление и документы об образовании")
    await chat.press("buttons.yesterday")
    await chat.send("Все документы были в порядке, прошу принять заявление и документы.")
    await chat.press("buttons.complaint_no_files")
    await chat.send("Петрова")
    await chat.send("Анна")
    await chat.press("buttons.complaint_no_patronymic")
    await chat.send("г. Самара, ул. Ленина, д. 1, кв. 2")
    await chat.send("8 (900) 123-45-67")
    await chat.press("buttons.complaint_no_email")
    await chat.press("buttons.complaint_same_address")
    await chat.press("buttons.complaint_channel", channel="telegram")
    assert chat.prompt == "complaint.summary"
