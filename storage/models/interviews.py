"""Notifications of negotiations and referrals to work (001 ¶3.9) and what the citizen reports
of them (001 ¶3.10.2)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utc_now
from storage.models.base import Base


class InterviewNotice(Base):
    """A notification of negotiations (the employer is on the ЕЦП) or a referral to work (it is
    not: `referral_number`), for one of the citizen's priority options; at most 2 open at once
    (001 ¶3.9.4).

    States: sent (the citizen is told; `received_at` once Telegram took it, and the 3-working-day
    reporting term runs from then, 001 ¶3.10.2) -> agreed (`meeting_at`) | unreachable (cannot
    reach the employer) | move_requested (`proposed_text`, `proposed_at`) -> hired (from
    `hired_on`) | employer_refused | declined (by the citizen, `reason`) | no_answer (the
    employer did not answer)."""

    __tablename__ = "interview_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id", ondelete="CASCADE"))
    region_code: Mapped[str] = mapped_column(String(8))
    offer_item_id: Mapped[int | None] = mapped_column(Integer)  # the priority option, if any
    kind: Mapped[str] = mapped_column(String(16))  # notification | referral
    referral_number: Mapped[str | None] = mapped_column(String(40))
    employer: Mapped[str] = mapped_column(Text)
    vacancy: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(Text)
    directions: Mapped[str | None] = mapped_column(Text)
    contact_name: Mapped[str] = mapped_column(Text)
    contact_phone: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(24), default="sent")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    received_at: Mapped[datetime | None]
    report_due_on: Mapped[date | None] = mapped_column(Date)
    meeting_at: Mapped[datetime | None]
    proposed_text: Mapped[str | None] = mapped_column(Text)
    proposed_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)  # a refusal's or a decline's reason
    hired_on: Mapped[date | None] = mapped_column(Date)
    # The referral with the employer's mark, as Telegram holds it: {file_id, kind, name}.
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reported_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    __table_args__ = (Index("ix_interview_notices_citizen", "citizen_id", "state"),)
