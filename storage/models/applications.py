"""Applications for the centre's services prepared with the assistant (001 ¶2.6.1, 002, 004),
and applications filed elsewhere that the citizen asked the assistant to track."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utc_now
from storage.models.base import Base


class Application(Base):
    """A pre-application (its number З-2026-000001) the centre sees before the citizen files the
    official electronic one on the ЕЦП «Работа в России» (001 ¶2.6.2, ¶2.6.3), or a record of
    one already filed there (`source = "elsewhere"`).

    States: submitted -> accepted -> registered -> done; refused from any open state, with the
    reason (001 ¶2.7). `registered` carries the ЕЦП registration number and date; the terms
    that run from registration are reminder rules keyed `application:<id>`.

    Passport details, ИНН and СНИЛС have no column: the citizen enters them on the ЕЦП only.
    A disability is not stored either; the service itself (002) is the only sign of it."""

    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(16), unique=True)  # З-2026-000001
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id", ondelete="CASCADE"))
    region_code: Mapped[str] = mapped_column(String(8))
    service: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16), default="assistant")  # assistant | elsewhere
    state: Mapped[str] = mapped_column(String(16), default="submitted")
    # What the guided draft collected (the fields of 001 ¶2.6.1(1)-(2) the assistant asks).
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime] = mapped_column(default=utc_now)
    accepted_at: Mapped[datetime | None]
    ecp_number: Mapped[str | None] = mapped_column(String(64))
    registered_on: Mapped[date | None] = mapped_column(Date)
    # The next term the centre or the citizen must meet, and the rule it comes from.
    due_on: Mapped[date | None] = mapped_column(Date)
    due_rule: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[str | None] = mapped_column(Text)
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    handled_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    __table_args__ = (
        Index("ix_applications_citizen", "citizen_id"),
        Index("ix_applications_state", "state", "submitted_at"),
    )
