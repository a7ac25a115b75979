"""Staff members (operators, supervisors, administrators), their API tokens and their web desk
sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.clock import utc_now
from storage.models.base import Base


class StaffMember(Base):
    """A person who works in the desk. `role` is one of kernel.staff.Role; `regions` are the
    region codes they serve, ["*"] for every region. A member is deactivated, never deleted:
    the audit log and the records keep naming them."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    # Their Telegram user id, for the operators' Telegram group.
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    # Argon2id, for the web desk's login; None: no password set.
    password_hash: Mapped[str | None] = mapped_column(String(256))
    # A one-time password was issued: the desk asks for a new one before anything else.
    password_must_change: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    deactivated_at: Mapped[datetime | None]


class StaffToken(Base):
    """The API token of one staff member. Only its SHA-256 is stored: the token is shown once,
    when it is issued, and a leaked table does not let anyone in."""

    __tablename__ = "staff_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), unique=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    member: Mapped[StaffMember] = relationship(lazy="joined")


class DeskSession(Base):
    """A web desk login. The browser holds a random id in an HttpOnly cookie; only its SHA-256
    is stored. A session ends at `expires_at`, after `idle` minutes without a request, at
    logout, or when the member is deactivated. `csrf` is the token every form must send back."""

    __tablename__ = "desk_sessions"
    __table_args__ = (Index("ix_desk_sessions_staff", "staff_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    id_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_seen_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]

    member: Mapped[StaffMember] = relationship(lazy="joined")
