"""Conversations handed to a contact-centre operator, the messages relayed both ways, written
questions, and the standing topics of the operators' group."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utc_now
from storage.models.base import Base


class Handover(Base):
    """One request for a person: queued until an operator claims it, held while they talk,
    closed when the conversation goes back to the bot (or cancelled by the citizen).

    `priority` orders the queue (higher first, then the earlier request); `topic_id` is the
    conversation's topic in the operators' forum group, `card_message_id` the card with the
    claim button there, `status_message_id` the one message in the citizen's chat that shows
    their place in the queue (edited, not resent, 003 p.34(д))."""

    __tablename__ = "handovers"
    __table_args__ = (
        Index("ix_handovers_state", "state", "priority", "requested_at"),
        Index("ix_handovers_citizen", "citizen_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id", ondelete="CASCADE"))
    region_code: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(32))  # menu | command | intent | distress
    priority: Mapped[int] = mapped_column(Integer, default=0)
    # queued | held | closed | cancelled
    state: Mapped[str] = mapped_column(String(16), default="queued")
    # Where the citizen was when they asked ("complaint", a step), for the operator's card.
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    requested_at: Mapped[datetime] = mapped_column(default=utc_now)
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))  # staff name
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(64))  # staff name, or "citizen"
    resolution: Mapped[str | None] = mapped_column(String(32))  # closed | cancelled | transferred
    rating: Mapped[int | None] = mapped_column(Integer)  # 1-5 (003 p.34(е))
    rating_comment: Mapped[str | None] = mapped_column(Text)
    topic_id: Mapped[int | None] = mapped_column(BigInteger)
    topic_closed: Mapped[bool] = mapped_column(default=False)  # closed in the group after it
    card_message_id: Mapped[int | None] = mapped_column(BigInteger)
    status_message_id: Mapped[int | None] = mapped_column(BigInteger)
    status_text: Mapped[str | None] = mapped_column(Text)  # what the status message shows now
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class HandoverMessage(Base):
    """A message of a handover, in either direction, relayed through an outbox: a row is
    written in the same transaction as the change that caused it and `relayed_at` is set once
    Telegram has taken the copy, so a crash in between loses nothing.

    direction: `citizen` (to the operators' topic), `operator` (to the citizen), `note` (an
    operator's internal note, never relayed), `to_citizen` / `to_desk` (the bot's own notices,
    a template key in `template` with `context`)."""

    __tablename__ = "handover_messages"
    __table_args__ = (
        Index("ix_handover_messages_handover", "handover_id", "id"),
        Index("ix_handover_messages_outbox", "relayed_at", "direction"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handover_id: Mapped[int] = mapped_column(ForeignKey("handovers.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), default="text")  # text, photo, document, ...
    text: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(String(256))
    template: Mapped[str | None] = mapped_column(String(64))
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    author: Mapped[str | None] = mapped_column(String(64))  # staff name for operator and note
    # The original message, for copyMessage.
    from_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    from_message_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(default=utc_now)
    relayed_at: Mapped[datetime | None]
    failed: Mapped[bool] = mapped_column(default=False)


class Question(Base):
    """A written question, asked when no operator could answer live: it gets a number and an
    answer date (3 working days, 003 p.36(б,в)); an operator answers it from its topic in the
    operators' group, and the answer reaches the citizen through the reminders table."""

    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_state", "state", "due_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(16), unique=True)  # В-2026-000001
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id", ondelete="CASCADE"))
    region_code: Mapped[str] = mapped_column(String(8))
    text: Mapped[str | None] = mapped_column(Text)  # None once consent is withdrawn
    asked_at: Mapped[datetime] = mapped_column(default=utc_now)
    due_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | answered
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime | None]
    topic_id: Mapped[int | None] = mapped_column(BigInteger)
    topic_closed: Mapped[bool] = mapped_column(default=False)


class DeskTopic(Base):
    """A standing topic of the operators' group, by name ("alerts"), created once."""

    __tablename__ = "desk_topics"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    topic_id: Mapped[int] = mapped_column(BigInteger)
