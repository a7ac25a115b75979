"""What the complaint flow and the status screens need from the domain."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol, cast

from dialogs.flow import Turn
from storage.models import Citizen, Complaint

if TYPE_CHECKING:
    from features.complaints.service import ComplaintDraft

SERVICE = "complaints"


class ComplaintDesk(Protocol):
    """What the complaint flow and the status screen need. `complaints.service.SqlComplaints`
    implements it on the turn's own session."""

    async def register(
        self, citizen: Citizen, draft: ComplaintDraft, now: datetime
    ) -> Complaint: ...

    async def of_citizen(self, citizen_id: int) -> list[Complaint]: ...

    async def by_number(self, number: str) -> Complaint | None: ...


def complaint_desk(turn: Turn) -> ComplaintDesk | None:
    """The turn's complaint desk, when this process serves complaints."""
    return cast("ComplaintDesk | None", turn.services.get(SERVICE))
