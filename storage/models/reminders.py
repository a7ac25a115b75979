"""Reminders of deadlines, staff alerts, and the regions' calendar overrides."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utc_now
from storage.models.base import Base


class Reminder(Base):
    """One message due at one time: the truth for the scheduler, which only wakes up for it.

    `pending` until a process claims it (`claimed_until`, a lease) and records the outcome:
    `sent`, `cancelled` (the citizen did what it was about, or withdrew), `expired` (overdue
    beyond the rule's grace after downtime) or `failed` (blocked, or out of attempts).
    Audience `staff` is a watchdog item: when due it raises a `StaffAlert` instead of a message.
    """

    __tablename__ = "reminders"
    # The audience of a turn's reply kept in the outbox (reminders/store.py, bot/replies.py).
    REPLY_AUDIENCE = "reply"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))  # what it is about, e.g. complaint:42
    audience: Mapped[str] = mapped_column(String(16), default="citizen")  # citizen | staff
    before: Mapped[int] = mapped_column(Integer, default=0)  # the rule's offset it stands for
    deadline_on: Mapped[date] = mapped_column(Date)  # the last day of the term, region time
    due_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(256))
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    __table_args__ = (
        Index("ix_reminders_status_due", "status", "due_at"),
        Index("ix_reminders_key", "key"),
        Index("ix_reminders_citizen", "citizen_id"),
    )


class StaffAlert(Base):
    """An item for the operator desk: a deadline of the centre close or past (a watchdog), a
    reminder that expired unsent, a citizen who blocked the bot."""

    __tablename__ = "staff_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # due_soon | due_today | overdue | ...
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id", ondelete="SET NULL"))
    rule: Mapped[str | None] = mapped_column(String(64))
    key: Mapped[str | None] = mapped_column(String(64))
    deadline_on: Mapped[date | None] = mapped_column(Date)
    reminder_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminders.id", ondelete="SET NULL")
    )
    raised_at: Mapped[datetime] = mapped_column(default=utc_now)
    resolved_at: Mapped[datetime | None]
    # Posted to the operators' "Уведомления" topic (None: not yet, or no group configured).
    announced_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_staff_alerts_open", "resolved_at", "raised_at"),
        Index("ix_staff_alerts_key", "key"),
    )


class CalendarDay(Base):
    """An administrator's correction of the production calendar for one region: a local
    holiday, or a decree published after the holidays library was released."""

    __tablename__ = "calendar_days"
    __table_args__ = (UniqueConstraint("region_code", "day", name="uq_calendar_days_region"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(8))
    day: Mapped[date] = mapped_column(Date)
    is_working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(String(256))
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
