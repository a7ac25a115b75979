"""The ranking index over the open vacancies, kept in memory and rebuilt after an import.

At most every `recheck_seconds` a search asks the database for the catalogue's version (how
many open vacancies, the last import); a new version rebuilds the index in a worker thread,
so the bot's loop keeps answering while a large catalogue loads. The search that noticed the
new version waits for it; other searches get the old index until it is ready (about 30 s at
1,000,000 vacancies). A vacancy closed meanwhile is dropped when its card is loaded."""

from __future__ import annotations

import asyncio
import re
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from features.vacancies.ranking import VacancyIndex, VacancyRow
from nlu.lemmas import lemma
from storage.models import Vacancy, VacancyImport

# "Самарская область, г Самара, ул ..." -> "Самара"; also "г. Тольятти", "пгт Безенчук".
_TOWN = re.compile(r"(?:^|[,\s])(?:г|город|пгт|рп|с|село|п|поселок|посёлок)\.?\s+([А-ЯЁ][\w-]+)")


@dataclass(frozen=True)
class Catalogue:
    index: VacancyIndex
    towns: dict[str, tuple[float, float]]  # town lemma -> mean coordinates of its vacancies
    version: tuple[int, int]

    def town(self, name: str) -> tuple[float, float] | None:
        """Coordinates of a town the citizen named ("Самара", "в Самаре", "г. Тольятти")."""
        words = [w for w in re.findall(r"[А-Яа-яЁё-]+", name) if w.lower() not in ("г", "в")]
        if not words:
            return None
        return self.towns.get(" ".join(lemma(word) for word in words[:1]))


_COLUMNS = (
    Vacancy.id,
    Vacancy.region_code,
    Vacancy.lat,
    Vacancy.lng,
    Vacancy.salary_min,
    Vacancy.salary_max,
    Vacancy.schedule,
    Vacancy.employment,
    Vacancy.social_protected,
    Vacancy.experience_years,
    Vacancy.search_lemmas,
    Vacancy.address,
)


async def version(session: AsyncSession) -> tuple[int, int]:
    """Changes whenever an import finishes or vacancies open or close."""
    count = await session.scalar(
        select(func.count()).select_from(Vacancy).where(Vacancy.state == "open")
    )
    last = await session.scalar(
        select(func.max(VacancyImport.id)).where(VacancyImport.finished_at.is_not(None))
    )
    return int(count or 0), int(last or 0)


async def load(session: AsyncSession) -> Catalogue:
    current = await version(session)
    result = await session.execute(select(*_COLUMNS).where(Vacancy.state == "open"))
    rows = result.all()
    return await asyncio.to_thread(_build, rows, current)


def _build(rows: Sequence[object], current: tuple[int, int]) -> Catalogue:
    vacancies = [VacancyRow.of(row) for row in rows]
    return Catalogue(VacancyIndex(vacancies), _towns(rows), current)


def _towns(rows: Sequence[object]) -> dict[str, tuple[float, float]]:
    places: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in rows:
        address, lat, lng = (getattr(row, name, None) for name in ("address", "lat", "lng"))
        if not address or lat is None or lng is None:
            continue
        match = _TOWN.search(address)
        if match:
            places[lemma(match.group(1))].append((lat, lng))
    return {
        town: (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))
        for town, points in places.items()
    }


class VacancyCatalogue:
    """The current Catalogue for a process; `current()` rebuilds it when the data changed.

    It reads through the caller's session, never one of its own: a turn that opened a second
    connection while holding its first would, with as many turns at once as the pool has
    connections, wait for a connection none of them gives back (the pool's timeout, 30 s)."""

    def __init__(
        self,
        recheck_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._recheck_seconds = recheck_seconds
        self._clock = clock
        self._checked_at: float | None = None
        self._catalogue: Catalogue | None = None
        self._lock = asyncio.Lock()

    async def current(self, session: AsyncSession) -> Catalogue:
        checked = self._checked_at
        if (
            self._catalogue is not None
            and checked is not None
            and self._clock() - checked < self._recheck_seconds
        ):
            return self._catalogue  # counting a million rows on every search would cost more
        now = await version(session)
        self._checked_at = self._clock()
        if self._catalogue is not None and (self._catalogue.version == now or self._lock.locked()):
            return self._catalogue  # a rebuild under way: the old index answers meanwhile
        async with self._lock:  # one rebuild at a time; the others wait for its result
            if self._catalogue is None or self._catalogue.version != now:
                self._catalogue = await load(session)
        return self._catalogue
