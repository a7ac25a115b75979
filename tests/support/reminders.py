"""Helpers for reminder tests: a recording notifier and rows written straight to the table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reminders.ports import Delivery
from storage.models import Citizen, Reminder, StaffAlert


@dataclass
class RecordingNotifier:
    sent: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    outcome: dict[int, Delivery] = field(default_factory=dict)  # chat -> result (default SENT)

    async def notify(self, chat_id: int, template: str, context: Mapping[str, Any]) -> Delivery:
        result = self.outcome.get(chat_id, Delivery.SENT)
        if result is Delivery.SENT:
            self.sent.append((chat_id, template, dict(context)))
        return result

    async def say(self, chat_id: int, said: Mapping[str, Any]) -> Delivery:
        return await self.notify(chat_id, "(said)", said)


@dataclass
class Clock:
    now: datetime = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 12:00 in Samara

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


async def add_citizen(
    sessions: async_sessionmaker[AsyncSession], chat_id: int, region: str | None = "63"
) -> int:
    async with sessions() as session:
        citizen = Citizen(
            channel="telegram", external_id=str(chat_id), chat_id=chat_id, region_code=region
        )
        session.add(citizen)
        await session.commit()
        return citizen.id


async def add_reminder(
    session: AsyncSession,
    citizen_id: int,
    due_at: datetime,
    *,
    rule: str = "interview_result",
    key: str = "interview:1",
    audience: str = "citizen",
    grace: timedelta = timedelta(hours=8),
    before: int = 0,
) -> Reminder:
    reminder = Reminder(
        citizen_id=citizen_id,
        rule=rule,
        key=key,
        audience=audience,
        before=before,
        deadline_on=due_at.date(),
        due_at=due_at,
        expires_at=due_at + grace,
        status="pending",
        attempts=0,
        context={},
    )
    session.add(reminder)
    await session.flush()
    return reminder


async def statuses(sessions: async_sessionmaker[AsyncSession]) -> dict[int, str]:
    async with sessions() as session:
        rows = await session.execute(select(Reminder.id, Reminder.status))
        return dict(rows.all())


async def alerts(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, str | None]]:
    async with sessions() as session:
        rows = await session.execute(
            select(StaffAlert.kind, StaffAlert.key).where(StaffAlert.resolved_at.is_(None))
        )
        return sorted(((kind, key) for kind, key in rows.all()), key=str)
