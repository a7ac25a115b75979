"""What the application flows and the status screen need from the domain."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Protocol, cast

from dialogs.flow import Turn
from storage.models import Application, Citizen

SERVICE = "applications"


class ApplicationDesk(Protocol):
    """`applications.service.SqlApplications` implements it on the turn's own session."""

    async def submit(
        self, citizen: Citizen, service: str, answers: Mapping[str, Any], now: datetime
    ) -> Application: ...

    async def track(
        self,
        citizen: Citizen,
        service: str,
        ecp_number: str,
        registered_on: date,
        now: datetime,
    ) -> Application: ...

    async def of_citizen(self, citizen_id: int) -> list[Application]: ...

    async def by_number(self, number: str) -> Application | None: ...

    async def forget(self, citizen: Citizen) -> None: ...


def served_desk(turn: Turn) -> ApplicationDesk | None:
    """The turn's application desk, when this process serves applications."""
    return cast("ApplicationDesk | None", turn.services.get(SERVICE))


def application_desk(turn: Turn) -> ApplicationDesk:
    """The turn's application desk, for the flows that cannot run without one."""
    desk = served_desk(turn)
    if desk is None:
        raise RuntimeError("the applications feature runs without its desk")
    return desk
