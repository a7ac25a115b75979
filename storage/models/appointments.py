"""Visits to the centre or an MFC that the centre sets (000 p.4; 002 ¶75-76), and the
consultation slots citizens book themselves (000 p.9)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utc_now
from storage.models.base import Base


class Visit(Base):
    """A visit the centre set for a citizen: where, when, in person or by video conference at
    an MFC, and for what; the citizen's answer and how it went.

    States: set (the citizen was told) -> confirmed | change_requested (the citizen asked for
    another time; staff move it, and it is set again) -> attended | no_show | rebooked (a
    technical failure, 000 p.21(3): `replaced_by` is the new visit) | cancelled. A video
    conference counts as attended only after both stages (000 p.8): `stages_done`."""

    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id", ondelete="CASCADE"))
    region_code: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))  # in_person | video_mfc
    place: Mapped[str] = mapped_column(Text)  # the centre's or the MFC's address
    purpose: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(24), default="set")
    stages_done: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    answered_at: Mapped[datetime | None]
    # The citizen's words asking for another time, and the moment read from them.
    change_text: Mapped[str | None] = mapped_column(Text)
    change_to: Mapped[datetime | None]
    outcome_note: Mapped[str | None] = mapped_column(Text)
    replaced_by: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    __table_args__ = (
        Index("ix_visits_citizen", "citizen_id", "starts_at"),
        Index("ix_visits_state", "state", "starts_at"),
    )


class Booking(Base):
    """A consultation slot a citizen booked themselves. A slot takes `appointments.seats`
    citizens: each booking holds one numbered seat of it, and the unique constraint lets the
    database give the last seat to exactly one of two citizens pressing at the same moment. A
    cancelled booking frees its seat (NULL)."""

    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id", ondelete="CASCADE"))
    region_code: Mapped[str] = mapped_column(String(8))
    starts_at: Mapped[datetime]
    seat: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="booked")  # booked | cancelled
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    cancelled_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("region_code", "starts_at", "seat", name="uq_bookings_seat"),
        Index("ix_bookings_citizen", "citizen_id", "state"),
    )
