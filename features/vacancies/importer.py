"""Importing the vacancy feed: upsert by the feed's id, in batches, one commit per batch.

A full import (the whole feed) closes the open vacancies it did not see; a partial one (a
region's file, a day's changes) only adds and updates. A bad record is counted and reported
with its id and reason; it never stops the import."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from features.vacancies.feed import BadRecord, VacancyRecord, parse_record, read_feed
from kernel.clock import utc_now
from storage.models import Vacancy, VacancyImport

BATCH = 1000
# SQLite allows 32766 bound parameters per statement; keep IN lists well below it.
ID_CHUNK = 900


@dataclass
class ImportReport:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    closed: int = 0
    rejected: list[BadRecord] = field(default_factory=list)

    @property
    def read(self) -> int:
        return self.new + self.updated + self.unchanged + len(self.rejected)

    def counts(self) -> dict[str, int]:
        return {
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "closed": self.closed,
            "rejected": len(self.rejected),
        }


Progress = Callable[[int], object]  # called with the number of feed items just read


async def import_feed(
    sessions: async_sessionmaker[AsyncSession],
    source: Path,
    *,
    full: bool = True,
    progress: Progress | None = None,
    now: Callable[[], datetime] = utc_now,
) -> ImportReport:
    async with sessions() as session:
        run = VacancyImport(source=str(source)[:1024], full=full, started_at=now())
        session.add(run)
        await session.commit()
    report = ImportReport()
    batch: dict[str, VacancyRecord] = {}
    for item in read_feed(source):
        record = _parsed(item, report)
        if record is not None and record.id in batch:
            # The same id again: store what came before, so the later record wins and counts.
            await _store(sessions, batch.values(), run.id, report, now())
            batch = {}
        if record is not None:
            batch[record.id] = record
        if len(batch) >= BATCH:
            await _store(sessions, batch.values(), run.id, report, now())
            batch = {}
        if progress is not None:
            progress(1)
    if batch:
        await _store(sessions, batch.values(), run.id, report, now())
    async with sessions() as session:
        if full:
            report.closed = await _close_unseen(session, run.id, now())
        stored = await session.get_one(VacancyImport, run.id)
        stored.finished_at = now()
        stored.counts = report.counts()
        await session.commit()
    return report


def _parsed(item: Mapping[str, Any] | BadRecord, report: ImportReport) -> VacancyRecord | None:
    try:
        if isinstance(item, BadRecord):
            raise item
        return parse_record(item)
    except BadRecord as bad:
        report.rejected.append(bad)
        return None


async def _store(
    sessions: async_sessionmaker[AsyncSession],
    records: Iterable[VacancyRecord],
    import_id: int,
    report: ImportReport,
    now: datetime,
) -> None:
    by_id = {record.id: record for record in records}
    async with sessions() as session:
        known = await _known(session, list(by_id))
        new, changed, same = [], [], []
        for vacancy_id, record in by_id.items():
            digest = record.content_sha256()
            columns = {**record.columns(), "content_sha256": digest, "import_id": import_id}
            if vacancy_id not in known:
                new.append({**columns, "state": "open", "first_seen_at": now, "updated_at": now})
            elif known[vacancy_id] != (digest, "open"):  # changed, or closed and back again
                changed.append({**columns, "b_id": vacancy_id, "updated_at": now})
            else:
                same.append(vacancy_id)
        if new:
            await session.execute(insert(Vacancy), new)
        if changed:
            table = Vacancy.__table__
            assert isinstance(table, Table)
            values: dict[str, Any] = {
                name: bindparam(name) for name in changed[0] if name not in ("id", "b_id")
            }
            statement = (
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(**values, state="open", closed_at=None)
            )
            await session.execute(statement, changed)
        for chunk in _chunks(same):
            await session.execute(
                update(Vacancy).where(Vacancy.id.in_(chunk)).values(import_id=import_id)
            )
        await session.commit()
    report.new += len(new)
    report.updated += len(changed)
    report.unchanged += len(same)


async def _known(session: AsyncSession, ids: list[str]) -> dict[str, tuple[str, str]]:
    known: dict[str, tuple[str, str]] = {}
    for chunk in _chunks(ids):
        rows = await session.execute(
            select(Vacancy.id, Vacancy.content_sha256, Vacancy.state).where(Vacancy.id.in_(chunk))
        )
        known.update({row.id: (row.content_sha256, row.state) for row in rows})
    return known


async def _close_unseen(session: AsyncSession, import_id: int, now: datetime) -> int:
    result = await session.execute(
        update(Vacancy)
        .where(Vacancy.state == "open", Vacancy.import_id != import_id)
        .values(state="closed", closed_at=now, updated_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), ID_CHUNK):
        yield items[start : start + ID_CHUNK]
