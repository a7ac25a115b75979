"""Complaints (pre-trial appeals, 001 §5)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utc_now
from storage.models.base import Base


class Complaint(Base):
    """A pre-trial appeal (досудебная жалоба) filed through the assistant, with every field the
    regulations require (001 ¶5.8, 004 §5.4) and where it is in its review.

    States: registered -> in_review -> upheld | rejected | left_without_answer. The answer is
    due on `due_on` (15 or 5 working days from registration, 001 ¶5.10); an upheld complaint
    must be remedied by `remedy_due_on` (5 working days from the decision, 004 §5.12)."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(16), unique=True)  # Ж-2026-000042
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id", ondelete="CASCADE"))
    region_code: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(24), default="registered")
    ground: Mapped[str] = mapped_column(String(32))
    ground_text: Mapped[str | None] = mapped_column(Text)  # the citizen's words for "other"
    respondent: Mapped[str] = mapped_column(String(32))
    respondent_name: Mapped[str | None] = mapped_column(String(256))
    body: Mapped[str] = mapped_column(String(32))  # who reviews it (001 ¶5.1)
    decision: Mapped[str] = mapped_column(Text)
    decision_on: Mapped[date] = mapped_column(Date)
    arguments: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    surname: Mapped[str] = mapped_column(String(128))
    first_name: Mapped[str] = mapped_column(String(128))
    patronymic: Mapped[str | None] = mapped_column(String(128))
    residence: Mapped[str] = mapped_column(String(512))
    phone: Mapped[str] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(256))
    postal_address: Mapped[str] = mapped_column(String(512))
    answer_channel: Mapped[str] = mapped_column(String(16))  # telegram | email | post
    registered_at: Mapped[datetime] = mapped_column(default=utc_now)
    answer_rule: Mapped[str] = mapped_column(String(64))
    due_on: Mapped[date] = mapped_column(Date)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    answer: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    remedy_due_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    __table_args__ = (
        Index("ix_complaints_citizen", "citizen_id"),
        Index("ix_complaints_state_due", "state", "due_on"),
    )
