"""What the visit screens need from the domain, and the visit buttons' payload."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, cast

from dialogs.flow import Turn
from dialogs.payloads import Payload
from storage.models import Booking, Citizen, Visit

SERVICE = "visits"
BOOKINGS = "bookings"


@dataclass(frozen=True)
class VisitPress(Payload, prefix="visit"):
    """A visit's button: `visit:<id>:ok` confirms it, `visit:<id>:move` asks another time."""

    visit_id: int
    action: str


@dataclass(frozen=True)
class BookPress(Payload, prefix="book"):
    """A consultation slot's button: `book:list`, `book:take:0:<minute>`, `book:cancel:<id>`,
    `book:move:<id>`, `book:moveto:<id>:<minute>` (the slot's start in Unix minutes)."""

    action: str
    booking_id: int | None = None
    minute: int | None = None


class BookingDesk(Protocol):
    """`appointments.bookings.SqlBookings` implements it on the turn's own session."""

    async def free_slots(self, region_code: str, now: datetime, limit: int) -> list[datetime]: ...

    async def book(
        self, citizen: Citizen, starts_at: datetime, now: datetime, *, place: str
    ) -> Booking: ...

    async def cancel(self, citizen: Citizen, booking: Booking, now: datetime) -> None: ...

    async def of_citizen(self, citizen_id: int, now: datetime) -> list[Booking]: ...

    async def get(self, booking_id: int) -> Booking | None: ...


def booking_desk(turn: Turn) -> BookingDesk | None:
    return cast("BookingDesk | None", turn.services.get(BOOKINGS))


class VisitDesk(Protocol):
    """`appointments.service.SqlVisits` implements it on the turn's own session."""

    async def get(self, visit_id: int) -> Visit | None: ...

    async def of_citizen(self, citizen_id: int, now: datetime) -> list[Visit]: ...

    async def confirm(self, visit: Visit, now: datetime) -> None: ...

    async def ask_another_time(
        self, visit: Visit, words: str, wanted: datetime | None, now: datetime
    ) -> None: ...


def visit_desk(turn: Turn) -> VisitDesk | None:
    """The turn's visit desk, when this process serves visits."""
    return cast("VisitDesk | None", turn.services.get(SERVICE))
