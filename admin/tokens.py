"""Staff API tokens: one per staff member, issued once, stored as SHA-256, revocable, expiring.
A token is 32 random bytes, so a fast hash is enough (nothing to brute-force, unlike a
password)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.clock import utc_now
from storage.models import AuditEvent, StaffMember, StaffToken


class TokenError(ValueError):
    pass


TOKEN_LIFETIME = timedelta(days=90)  # admin.token_days


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(session: AsyncSession, staff_name: str, *, by: str) -> str:
    """A new token for the active staff member `staff_name`, replacing the one they had.
    Shown once, never stored."""
    member = await session.scalar(
        select(StaffMember).where(StaffMember.name == staff_name, StaffMember.active)
    )
    if member is None:
        raise TokenError(
            f"нет работающего сотрудника {staff_name!r}: сначала добавьте его (admin staff add)"
        )
    token = secrets.token_urlsafe(32)
    row = await session.scalar(select(StaffToken).where(StaffToken.staff_id == member.id))
    if row is None:
        row = StaffToken(staff_id=member.id)
        session.add(row)
    row.token_sha256 = digest(token)
    row.created_at = utc_now()
    row.revoked_at = None
    row.last_used_at = None
    session.add(AuditEvent(actor=by, action="staff_token:issued", subject=f"staff:{staff_name}"))
    return token


async def revoke(session: AsyncSession, staff_name: str, *, by: str) -> None:
    row = await session.scalar(
        select(StaffToken)
        .join(StaffMember)
        .where(StaffMember.name == staff_name, StaffToken.revoked_at.is_(None))
    )
    if row is None:
        raise TokenError(f"у {staff_name!r} нет действующего токена")
    row.revoked_at = utc_now()
    session.add(AuditEvent(actor=by, action="staff_token:revoked", subject=f"staff:{staff_name}"))


async def verify(
    session: AsyncSession, token: str, now: datetime, max_age: timedelta = TOKEN_LIFETIME
) -> StaffMember | None:
    """The active staff member the token belongs to, unless the token is unknown, revoked or
    older than `max_age`. Looked up by its hash: the database index does the comparison, the
    token never leaves this process."""
    row = await session.scalar(
        select(StaffToken)
        .join(StaffMember)
        .where(
            StaffToken.token_sha256 == digest(token),
            StaffToken.revoked_at.is_(None),
            StaffToken.created_at > now - max_age,
            StaffMember.active,
        )
    )
    if row is None:
        return None
    row.last_used_at = now
    return row.member


async def listing(session: AsyncSession) -> list[StaffToken]:
    return list(
        await session.scalars(select(StaffToken).join(StaffMember).order_by(StaffMember.name))
    )
