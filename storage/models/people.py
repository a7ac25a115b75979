"""Citizens, their consents and conversations, handled updates, and the audit log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utc_now
from storage.models.base import Base


class Citizen(Base):
    """A person talking to the assistant through one channel.

    Before consent only the channel identifiers are kept (they are needed to answer at all);
    names and contacts are stored only after consent and erased when it is withdrawn.
    """

    __tablename__ = "citizens"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_citizens_channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    region_code: Mapped[str | None] = mapped_column(String(8))
    display_name: Mapped[str | None] = mapped_column(String(256))
    username: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    erased_at: Mapped[datetime | None]
    # Set when Telegram answered 403 (the citizen blocked the bot); cleared when they write again.
    unreachable_at: Mapped[datetime | None]


class Consent(Base):
    """Consent to personal-data processing (152-ФЗ art. 9): which text version, when given and
    when withdrawn. Kept after withdrawal as the record that processing had a legal basis."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id", ondelete="CASCADE"))
    text_version: Mapped[str] = mapped_column(String(32))
    given_at: Mapped[datetime] = mapped_column(default=utc_now)
    withdrawn_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_consents_citizen", "citizen_id"),)


class Conversation(Base):
    """Where a citizen is in the dialog; lives here so restarts and other processes see it."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(
        ForeignKey("citizens.id", ondelete="CASCADE"), unique=True
    )
    mode: Mapped[str] = mapped_column(String(16), default="bot")  # bot | queued | operator
    flow: Mapped[str | None] = mapped_column(String(64))
    step: Mapped[str | None] = mapped_column(String(64))
    slots: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    # Optimistic locking: an UPDATE that finds another version raises StaleDataError.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class TurnCount(Base):
    """How much one citizen wrote on one (UTC) day, for the staff's reports: a citizen-day
    is one conversation; free text the bot did not understand is counted apart (003 p.34(ж))."""

    __tablename__ = "turn_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(
        ForeignKey("citizens.id", ondelete="CASCADE"), primary_key=True
    )
    region_code: Mapped[str | None] = mapped_column(String(8))
    messages: Mapped[int] = mapped_column(Integer, default=0)
    free_text: Mapped[int] = mapped_column(Integer, default=0)
    not_understood: Mapped[int] = mapped_column(Integer, default=0)


class AuditEvent(Base):
    """Who did what to whom. Holds internal ids only, never personal data."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utc_now)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_audit_events_subject", "subject"),)
