"""The durable inbox: every Telegram update is stored here before Telegram is told it was
received (pitfalls: aiogram confirms updates before handling them), and handled from here,
exactly once: `handled_at` is set in the same transaction as the handler's changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utc_now
from storage.models.base import Base


class InboxUpdate(Base):
    __tablename__ = "inbox_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # the order of handling
    bot_id: Mapped[int] = mapped_column(BigInteger)
    # Telegram's ids may restart after a week of silence: de-duplicated by stored id, not by
    # "greater than the last one".
    update_id: Mapped[int] = mapped_column(BigInteger)
    sender: Mapped[int | None] = mapped_column(BigInteger)  # one person's updates in order
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(default=utc_now)
    # A worker holds the update until then (a process that died lets it go when it passes);
    # the hold lasts past handling until the turn's replies have left (storage/inbox.py).
    leased_until: Mapped[datetime | None]
    # Which process holds it (`bot.process_name`): restarted, that process takes back at once
    # what its previous life held, instead of waiting for the hold to lapse.
    leased_by: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    handled_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))  # handled | failed

    __table_args__ = (
        UniqueConstraint("bot_id", "update_id"),
        Index("ix_inbox_updates_pending", "handled_at", "id"),
        Index("ix_inbox_updates_held", "leased_until"),
    )
