"""Consultation slots citizens book themselves, on the caller's session (never commits): the
nearest free slots, booking a seat (the database gives the last seat to one citizen only),
cancelling and moving, with the same reminders as a visit the centre set."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from features.appointments.service import REMINDER_RULE, RULES
from features.appointments.slots import day_slots
from kernel.regions import Regions
from kernel.settings import AppointmentSettings
from reminders.planning import QuietHours
from reminders.store import SqlReminderBook, region_calendar
from storage.models import AuditEvent, Booking, Citizen

LEAD = timedelta(hours=1)  # a slot starting sooner than this is not offered


class SlotTakenError(LookupError):
    """Every seat of the slot is taken, or it is not a slot of the schedule any more."""


def key_of(booking: Booking) -> str:
    return f"booking:{booking.id}"


class SqlBookings:
    def __init__(
        self,
        session: AsyncSession,
        regions: Regions,
        quiet: QuietHours,
        settings: AppointmentSettings,
    ) -> None:
        self._session = session
        self._regions = regions
        self._settings = settings
        self._book = SqlReminderBook(session, regions, quiet, RULES)

    async def free_slots(self, region_code: str, now: datetime, limit: int) -> list[datetime]:
        """The nearest slots with a free seat, from an hour from now on."""
        region = self._regions.code(region_code)
        zone = self._regions.zone(region)
        calendar = await region_calendar(self._session, region)
        today = now.astimezone(zone).date()
        slots = [
            slot
            for offset in range(self._settings.days_ahead + 1)
            for slot in day_slots(
                today + timedelta(days=offset), calendar, zone, self._settings.slot_minutes
            )
            if slot >= now + LEAD
        ]
        if not slots:
            return []
        taken = dict(
            (
                await self._session.execute(
                    select(Booking.starts_at, func.count())
                    .where(
                        Booking.region_code == region,
                        Booking.seat.is_not(None),
                        Booking.starts_at >= slots[0],
                        Booking.starts_at <= slots[-1],
                    )
                    .group_by(Booking.starts_at)
                )
            ).all()
        )
        free = [slot for slot in slots if taken.get(slot, 0) < self._settings.seats]
        return free[:limit]

    async def book(
        self, citizen: Citizen, starts_at: datetime, now: datetime, *, place: str
    ) -> Booking:
        """A seat of the slot, or SlotTakenError. Each seat is a row the unique constraint
        guards: of two citizens inserting the last one at once, the second one's insert fails
        (on PostgreSQL it waits for the first to commit), and they try the next seat."""
        region = self._regions.code(citizen.region_code)
        offered = await self.free_slots(region, now, limit=10_000)
        if starts_at not in offered:
            raise SlotTakenError(starts_at.isoformat())
        for seat in range(1, self._settings.seats + 1):
            booking = Booking(
                citizen_id=citizen.id,
                region_code=region,
                starts_at=starts_at,
                seat=seat,
                state="booked",
                created_at=now,
            )
            try:
                async with self._session.begin_nested():
                    self._session.add(booking)
            except IntegrityError:
                continue
            self._audit(citizen, "booking:booked", booking)
            await self._book.schedule_before(
                citizen,
                REMINDER_RULE,
                key_of(booking),
                starts_at,
                now=now,
                context=self.context(booking, place),
            )
            return booking
        raise SlotTakenError(starts_at.isoformat())

    async def cancel(self, citizen: Citizen, booking: Booking, now: datetime) -> None:
        booking.state, booking.seat, booking.cancelled_at = "cancelled", None, now
        await self._book.cancel(key_of(booking))
        self._audit(citizen, "booking:cancelled", booking)

    async def of_citizen(self, citizen_id: int, now: datetime) -> list[Booking]:
        rows = await self._session.scalars(
            select(Booking)
            .where(
                Booking.citizen_id == citizen_id,
                Booking.state == "booked",
                Booking.starts_at > now - timedelta(hours=1),
            )
            .order_by(Booking.starts_at)
        )
        return list(rows)

    async def upcoming(
        self, regions: Collection[str] | None, now: datetime, limit: int = 200
    ) -> list[Booking]:
        """The booked slots from an hour ago on, in `regions` (None: all), soonest first."""
        query = select(Booking).where(
            Booking.state == "booked", Booking.starts_at > now - timedelta(hours=1)
        )
        if regions is not None:
            query = query.where(Booking.region_code.in_(regions))
        query = query.order_by(Booking.starts_at, Booking.id).limit(limit)
        return list(await self._session.scalars(query))

    async def get(self, booking_id: int) -> Booking | None:
        return await self._session.get(Booking, booking_id)

    def context(self, booking: Booking, place: str) -> dict[str, Any]:
        """The reminder's words (a visit's: `reminders.visit_reminder`)."""
        local = booking.starts_at.astimezone(self._regions.zone(booking.region_code))
        return {
            "change": "reminder",
            "kind": "in_person",
            "place": place,
            "purpose": "консультация",
            "day": local.date().isoformat(),
            "at": local.strftime("%H:%M"),
        }

    def _audit(self, citizen: Citizen, action: str, booking: Booking) -> None:
        self._session.add(
            AuditEvent(
                actor=f"citizen:{citizen.id}",
                action=action,
                subject=key_of(booking),
                details={"starts_at": booking.starts_at.isoformat(), "seat": booking.seat},
            )
        )
