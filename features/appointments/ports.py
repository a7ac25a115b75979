"""What the visit screens need from the domain, and the visit buttons' payload."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, cast

from dialogs.flow import Turn
from dialogs.payloads import Payload
from storage.models import Visit

SERVICE = "visits"


@dataclass(frozen=True)
class VisitPress(Payload, prefix="visit"):
    """A visit's button: `visit:<id>:ok` confirms it, `visit:<id>:move` asks another time."""

    visit_id: int
    action: str


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
