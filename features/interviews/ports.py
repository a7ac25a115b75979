"""What the interview screens need from the domain, and the notice buttons' payload."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, cast

from dialogs.flow import Turn
from dialogs.payloads import Payload
from storage.models import InterviewNotice

SERVICE = "interviews"


@dataclass(frozen=True)
class InterviewPress(Payload, prefix="intv"):
    """A notice's button: `intv:<id>:<action>` with action agree, unreachable, decline,
    decline_sure, prepare, prep_request, report, move."""

    notice_id: int
    action: str


class InterviewDesk(Protocol):
    async def get(self, notice_id: int) -> InterviewNotice | None: ...

    async def of_citizen(self, citizen_id: int) -> list[InterviewNotice]: ...

    async def agree(
        self, notice: InterviewNotice, words: str, meeting_at: datetime, now: datetime
    ) -> None: ...

    async def ask_move(
        self, notice: InterviewNotice, words: str, wanted: datetime | None, now: datetime
    ) -> None: ...

    async def unreachable(self, notice: InterviewNotice, now: datetime) -> None: ...

    async def decline(self, notice: InterviewNotice, reason: str, now: datetime) -> None: ...

    async def ask_preparation(self, notice: InterviewNotice, now: datetime) -> None: ...

    async def report(
        self,
        notice: InterviewNotice,
        outcome: str,
        now: datetime,
        *,
        hired_on: date | None = None,
        reason: str | None = None,
        evidence: Mapping[str, Any] | None = None,
    ) -> None: ...


def interview_desk(turn: Turn) -> InterviewDesk | None:
    return cast("InterviewDesk | None", turn.services.get(SERVICE))
