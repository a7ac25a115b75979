"""Web desk logins: server-side sessions behind an HttpOnly cookie.

The cookie holds 32 random bytes; the database keeps their SHA-256, so a leaked table lets
nobody in. A session ends at its absolute expiry, after a spell without requests, at logout,
when the password or the role changes, or when the member is deactivated.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DeskSession, StaffMember

COOKIE = "desk_session"


@dataclass(frozen=True)
class SessionPolicy:
    lifetime: timedelta = timedelta(hours=12)
    idle: timedelta = timedelta(minutes=30)
    secure: bool = True  # the cookie travels over TLS only


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def start(
    db: AsyncSession, member: StaffMember, now: datetime, policy: SessionPolicy
) -> str:
    """A new session for `member`; returns the cookie value (shown to the browser only)."""
    raw = secrets.token_urlsafe(32)
    db.add(
        DeskSession(
            staff_id=member.id,
            id_sha256=_digest(raw),
            csrf=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + policy.lifetime,
        )
    )
    await db.flush()
    return raw


async def resume(
    db: AsyncSession, raw: str, now: datetime, policy: SessionPolicy
) -> DeskSession | None:
    """The live session behind a cookie value, its idle clock restarted; None when there is
    none (unknown, ended, expired, idle too long, or the member deactivated)."""
    if not raw or len(raw) > 100:
        return None
    found = await db.scalar(select(DeskSession).where(DeskSession.id_sha256 == _digest(raw)))
    if found is None or found.ended_at is not None or not found.member.active:
        return None
    if now >= found.expires_at or now - found.last_seen_at >= policy.idle:
        found.ended_at = now
        return None
    found.last_seen_at = now
    return found


async def end(db: AsyncSession, raw: str, now: datetime) -> DeskSession | None:
    found = await db.scalar(select(DeskSession).where(DeskSession.id_sha256 == _digest(raw)))
    if found is not None and found.ended_at is None:
        found.ended_at = now
        return found
    return None
