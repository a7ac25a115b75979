"""Staff accounts: who works in the desk, in which role and for which regions. Administrators
manage them from the command line (python -m app admin staff ...); every change is audited."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.clock import utc_now
from kernel.staff import ALL_REGIONS, Role
from storage.models import AuditEvent, DeskSession, StaffMember, StaffToken

MIN_PASSWORD = 12
_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters


class AccountError(ValueError):
    pass


def parse_regions(text: str, known: Collection[str]) -> list[str]:
    """`63,50` or `all` -> region codes; an unknown code is refused, not stored."""
    if text.strip().lower() in ("all", ALL_REGIONS):
        return [ALL_REGIONS]
    codes = sorted({code.strip() for code in text.split(",") if code.strip()})
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise AccountError(
            f"неизвестный регион: {', '.join(unknown)}; есть: {', '.join(sorted(known))}"
        )
    if not codes:
        raise AccountError("укажите хотя бы один регион или all")
    return codes


async def add(
    session: AsyncSession,
    name: str,
    role: str,
    regions: Sequence[str],
    *,
    by: str,
    telegram_id: int | None = None,
    password: str | None = None,
) -> StaffMember:
    if not name or len(name) > 64 or not name.isprintable() or name != name.strip():
        raise AccountError("имя: от 1 до 64 печатных символов, без пробелов по краям")
    if role not in {r.value for r in Role}:
        raise AccountError(f"роль: одна из {', '.join(r.value for r in Role)}")
    if await session.scalar(select(StaffMember.id).where(StaffMember.name == name)):
        raise AccountError(f"сотрудник {name!r} уже есть")
    if telegram_id is not None and await session.scalar(
        select(StaffMember.id).where(StaffMember.telegram_id == telegram_id)
    ):
        raise AccountError(f"Telegram id {telegram_id} уже у другого сотрудника")
    member = StaffMember(
        name=name,
        role=role,
        regions=list(regions),
        active=True,
        telegram_id=telegram_id,
        password_hash=hash_password(password) if password is not None else None,
    )
    session.add(member)
    session.add(
        AuditEvent(
            actor=by,
            action="staff:added",
            subject=f"staff:{name}",
            details={"role": role, "regions": list(regions), "telegram_id": telegram_id},
        )
    )
    await session.flush()
    return member


async def deactivate(session: AsyncSession, name: str, *, by: str) -> None:
    """They can no longer log in; their token is revoked and their desk sessions end at once."""
    member = await session.scalar(
        select(StaffMember).where(StaffMember.name == name, StaffMember.active)
    )
    if member is None:
        raise AccountError(f"нет работающего сотрудника {name!r}")
    now = utc_now()
    member.active = False
    member.deactivated_at = now
    await session.execute(
        update(StaffToken)
        .where(StaffToken.staff_id == member.id, StaffToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await end_sessions(session, member.id)
    session.add(AuditEvent(actor=by, action="staff:deactivated", subject=f"staff:{name}"))


async def listing(session: AsyncSession) -> list[StaffMember]:
    return list(await session.scalars(select(StaffMember).order_by(StaffMember.name)))


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"пароль должен быть не короче {MIN_PASSWORD} символов")
    return _hasher.hash(password)


def password_matches(member: StaffMember, password: str) -> bool:
    if not member.active or member.password_hash is None:
        return False
    try:
        return _hasher.verify(member.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def active_member(session: AsyncSession, name: str) -> StaffMember:
    member = await session.scalar(
        select(StaffMember).where(StaffMember.name == name, StaffMember.active)
    )
    if member is None:
        raise AccountError(f"нет работающего сотрудника {name!r}")
    return member


async def set_password(
    session: AsyncSession, name: str, password: str | None, *, by: str
) -> str | None:
    """Set `password`, or issue a one-time one (returned) that must be changed at the first
    login. Every desk session of the member ends: whoever knew the old password is out."""
    member = await active_member(session, name)
    one_time = secrets.token_urlsafe(12) if password is None else None
    member.password_hash = hash_password(password or one_time or "")
    member.password_must_change = one_time is not None
    await end_sessions(session, member.id)
    session.add(
        AuditEvent(
            actor=by,
            action="staff:password_set",
            subject=f"staff:{name}",
            details={"one_time": one_time is not None},
        )
    )
    return one_time


async def change_own_password(
    session: AsyncSession, member: StaffMember, current: str, new: str
) -> None:
    """The member replaces their password (a one-time one, or their own)."""
    if not password_matches(member, current):
        raise AccountError("текущий пароль неверен")
    if new == current:
        raise AccountError("новый пароль должен отличаться от текущего")
    member.password_hash = hash_password(new)
    member.password_must_change = False
    session.add(
        AuditEvent(
            actor=f"staff:{member.name}",
            action="staff:password_changed",
            subject=f"staff:{member.name}",
        )
    )


async def change_role(
    session: AsyncSession, name: str, role: str, regions: Sequence[str], *, by: str
) -> StaffMember:
    if role not in {r.value for r in Role}:
        raise AccountError(f"роль: одна из {', '.join(r.value for r in Role)}")
    member = await active_member(session, name)
    before = {"role": member.role, "regions": list(member.regions)}
    member.role = role
    member.regions = list(regions)
    await end_sessions(session, member.id)  # the next login carries the new rights
    session.add(
        AuditEvent(
            actor=by,
            action="staff:role_changed",
            subject=f"staff:{name}",
            details={"before": before, "after": {"role": role, "regions": list(regions)}},
        )
    )
    return member


async def end_sessions(session: AsyncSession, staff_id: int) -> None:
    await session.execute(
        update(DeskSession)
        .where(DeskSession.staff_id == staff_id, DeskSession.ended_at.is_(None))
        .values(ended_at=utc_now())
    )


async def reactivate(session: AsyncSession, name: str, *, by: str) -> StaffMember:
    """Undo a deactivation; they get a new password from whoever reactivated them."""
    member = await session.scalar(
        select(StaffMember).where(StaffMember.name == name, StaffMember.active.is_(False))
    )
    if member is None:
        raise AccountError(f"нет отключённого сотрудника {name!r}")
    member.active = True
    member.deactivated_at = None
    session.add(AuditEvent(actor=by, action="staff:reactivated", subject=f"staff:{name}"))
    await session.flush()
    return member
