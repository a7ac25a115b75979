"""Reading and writing administrators' template revisions (storage/models/templates.py).
Functions take the unit of work's session and never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Subquery, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import TemplatePublication, TemplateRevision


@dataclass(frozen=True)
class Published:
    """What a key's latest publication put in front of its file."""

    key: str
    revision_id: int
    number: int
    text: str


def _latest_publications() -> Subquery:
    """The id of each key's latest publication (which says what the bot sends)."""
    return (
        select(func.max(TemplatePublication.id).label("id"))
        .group_by(TemplatePublication.key)
        .subquery()
    )


async def version(session: AsyncSession) -> int:
    """Grows with every publication: a process reloads its texts when it changes."""
    return int(await session.scalar(select(func.max(TemplatePublication.id))) or 0)


async def published(session: AsyncSession) -> dict[str, Published]:
    """Every key whose latest publication is a revision (not the file's default)."""
    latest = _latest_publications()
    rows = await session.execute(
        select(TemplatePublication.key, TemplateRevision)
        .join(latest, latest.c.id == TemplatePublication.id)
        .join(TemplateRevision, TemplateRevision.id == TemplatePublication.revision_id)
    )
    return {
        key: Published(key, revision.id, revision.number, revision.text)
        for key, revision in rows.all()
    }


async def current_publication(session: AsyncSession, key: str) -> TemplatePublication | None:
    found: TemplatePublication | None = await session.scalar(
        select(TemplatePublication)
        .where(TemplatePublication.key == key)
        .order_by(TemplatePublication.id.desc())
        .limit(1)
    )
    return found


async def revisions(session: AsyncSession, key: str) -> list[TemplateRevision]:
    found = await session.scalars(
        select(TemplateRevision)
        .where(TemplateRevision.key == key)
        .order_by(TemplateRevision.number.desc())
    )
    return list(found)


async def publications(session: AsyncSession, key: str) -> list[TemplatePublication]:
    found = await session.scalars(
        select(TemplatePublication)
        .where(TemplatePublication.key == key)
        .order_by(TemplatePublication.id.desc())
    )
    return list(found)


async def revision(session: AsyncSession, key: str, number: int) -> TemplateRevision | None:
    found: TemplateRevision | None = await session.scalar(
        select(TemplateRevision).where(
            TemplateRevision.key == key, TemplateRevision.number == number
        )
    )
    return found


async def add_revision(
    session: AsyncSession, key: str, text: str, comment: str, author: str
) -> TemplateRevision:
    last = await session.scalar(
        select(func.max(TemplateRevision.number)).where(TemplateRevision.key == key)
    )
    added = TemplateRevision(
        key=key, number=(last or 0) + 1, text=text, comment=comment, author=author
    )
    session.add(added)
    await session.flush()
    return added


async def publish(
    session: AsyncSession, key: str, revision_id: int | None, action: str, by: str
) -> TemplatePublication:
    added = TemplatePublication(key=key, revision_id=revision_id, action=action, by=by)
    session.add(added)
    await session.flush()
    return added


@dataclass(frozen=True)
class LastChange:
    by: str
    at: datetime
    what: str  # "ревизия 3", "по умолчанию"


async def last_changes(session: AsyncSession) -> dict[str, LastChange]:
    """Who last published each key, and when."""
    latest = _latest_publications()
    rows = await session.execute(
        select(TemplatePublication, TemplateRevision.number)
        .join(latest, latest.c.id == TemplatePublication.id)
        .outerjoin(TemplateRevision, TemplateRevision.id == TemplatePublication.revision_id)
    )
    return {
        publication.key: LastChange(
            publication.by,
            publication.at,
            f"ревизия {number}" if number is not None else "по умолчанию",
        )
        for publication, number in rows.all()
    }
