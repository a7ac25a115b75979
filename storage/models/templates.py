"""Administrators' revisions of the bot's texts, and versions of the other data staff own.

Both text tables are append-only: a revision is never changed, and publishing (or rolling
back) adds a publication; the latest publication of a key says what the bot sends — a
revision, or the file's default when `revision_id` is None."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utc_now
from storage.models.base import Base


class TemplateRevision(Base):
    __tablename__ = "template_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(128))
    number: Mapped[int]  # 1, 2, ... per key
    text: Mapped[str] = mapped_column(Text)
    comment: Mapped[str] = mapped_column(String(500), default="")
    author: Mapped[str] = mapped_column(String(64))  # the actor key, "staff:name"
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    __table_args__ = (UniqueConstraint("key", "number"),)


class TemplatePublication(Base):
    __tablename__ = "template_publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(128))
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("template_revisions.id"))
    action: Mapped[str] = mapped_column(String(16))  # publish | rollback
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utc_now)

    __table_args__ = (Index("ix_template_publications_key", "key", "id"),)


class StaffDataRevision(Base):
    """Data staff own beside the texts — the operators' canned answers, the crisis lines, a
    region's working hours — as versioned documents: each change appends the whole new value,
    the latest row of a name is current, and going back is appending an older value."""

    __tablename__ = "staff_data_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))  # canned_answers | crisis_lines | hours:63
    value: Mapped[Any] = mapped_column(JSON)
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utc_now)

    __table_args__ = (Index("ix_staff_data_revisions_name", "name", "id"),)
