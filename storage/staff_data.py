"""Versioned documents of data staff own (storage/models/templates.py `StaffDataRevision`).
Functions take the unit of work's session and never commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEvent, StaffDataRevision


async def current(session: AsyncSession, name: str) -> Any | None:
    """The latest value of `name`; None when staff never changed it (the default applies)."""
    found = await session.scalar(
        select(StaffDataRevision)
        .where(StaffDataRevision.name == name)
        .order_by(StaffDataRevision.id.desc())
        .limit(1)
    )
    return found.value if found is not None else None


async def history(session: AsyncSession, name: str, limit: int = 30) -> list[StaffDataRevision]:
    found = await session.scalars(
        select(StaffDataRevision)
        .where(StaffDataRevision.name == name)
        .order_by(StaffDataRevision.id.desc())
        .limit(limit)
    )
    return list(found)


async def put(session: AsyncSession, name: str, value: Any, by: str) -> StaffDataRevision:
    """A new current value of `name`, audited."""
    added = StaffDataRevision(name=name, value=value, by=by)
    session.add(added)
    await session.flush()
    session.add(AuditEvent(actor=by, action="staff_data:change", subject=f"data:{name}"[:64]))
    return added


async def restore(session: AsyncSession, name: str, revision_id: int, by: str) -> bool:
    """The value of an earlier revision becomes current again; False when there is none."""
    earlier = await session.get(StaffDataRevision, revision_id)
    if earlier is None or earlier.name != name:
        return False
    await put(session, name, earlier.value, by)
    return True
