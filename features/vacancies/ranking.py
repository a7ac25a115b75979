"""Ranking vacancies for one citizen by the law's suitable-work rules.

Rules that exclude are filters (001 ¶3.6.3, ¶3.5.2): a vacancy failing one is not suggested,
and the rule it failed is kept for staff. Preferences are scores. Everything works on numpy
arrays over the open vacancies, built once per catalogue version, so a query touches only the
vacancies whose text matches the profession (BM25 over lemmas, `bm25s`).

Not checked here, because the feed does not say: whether a job breaches occupational safety
rules (001 ¶3.6.3) — staff check that before an offer."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import bm25s
import numpy as np
import numpy.typing as npt

from features.vacancies.text import search_lemmas

EARTH_KM = 6371.0
# Hard rules in the order staff read them, each with the paragraph it comes from.
RULES = {
    "offered_before": "001 ¶3.6.3: the same job is not offered twice",
    "outside_regions": "001 ¶2.6.1(1): only the regions the citizen searches in (up to 3)",
    "not_reachable": "001 ¶3.6.3: reachable by public transport without moving, unless the "
    "citizen agreed to move",
    "location_unknown": "001 ¶3.6.3: reachability cannot be checked without coordinates",
    "pay_below_floor": "001 ¶3.6.3: pay not below the previous average earnings "
    "(the subsistence-minimum exception)",
    "pay_not_stated": "001 ¶3.6.3: pay not stated, so it cannot be checked against the floor",
    "ipra": "001 ¶3.5.2: compatible with the ИПРА recommendations",
}
# Schedules and employment types the ИПРА restrictions rule out (feed's own words, lowercase).
SHIFT_SCHEDULES = ("сменный график", "вахтовый метод")
REMOTE_SCHEDULES = ("удаленная работа", "удалённая работа", "дистанционная работа")
PART_TIME = ("частичная занятость", "неполный рабочий день")
IPRA_RESTRICTIONS = ("no_shift_work", "remote_only", "part_time_only", "quota_workplace")
WEIGHTS = {"text": 0.5, "salary": 0.2, "distance": 0.15, "conditions": 0.1, "quota": 0.1}


@dataclass(frozen=True)
class VacancyRow:
    """The columns of an open vacancy the ranking needs."""

    id: str
    region_code: str
    lat: float | None
    lng: float | None
    salary_min: int | None
    salary_max: int | None
    schedule: str | None
    employment: str | None
    social_protected: str | None
    experience_years: int | None
    search_lemmas: str

    @classmethod
    def of(cls, vacancy: Any) -> VacancyRow:
        """From anything with the same attributes: a feed record, a stored vacancy, a row."""
        return cls(**{name: getattr(vacancy, name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Seeker:
    """A job profile, as the ranking reads it."""

    profession: str
    regions: tuple[str, ...]
    home: tuple[float, float] | None = None  # lat, lng
    desired_salary: int | None = None
    previous_salary: int | None = None  # average over the last 3 months (001 ¶3.6.3)
    subsistence_minimum: int | None = None  # the region's, for the working-age population
    experience_years: int | None = None
    schedule: str | None = None
    employment: str | None = None
    relocate: bool = False
    disabled: bool = False
    ipra_restrictions: frozenset[str] = frozenset()
    offered: frozenset[str] = frozenset()  # vacancy ids offered before
    commute_km: float = 30.0

    @property
    def pay_floor(self) -> int | None:
        """No offer below the previous average earnings; the rule does not apply when those
        exceeded the region's subsistence minimum (001 ¶3.6.3), and then the subsistence
        minimum itself is the floor (our reading: work paying less is not suitable)."""
        if self.previous_salary is None:
            return None
        if self.subsistence_minimum is not None and self.previous_salary > (
            self.subsistence_minimum
        ):
            return self.subsistence_minimum
        return self.previous_salary


@dataclass(frozen=True)
class Reason:
    """Why a vacancy is suggested (or a caveat), for the citizen's card: a template reads it."""

    code: str
    value: int | None = None


@dataclass(frozen=True)
class Suggestion:
    vacancy_id: str
    score: float
    reasons: tuple[Reason, ...]
    distance_km: float | None


@dataclass(frozen=True)
class Exclusion:
    vacancy_id: str
    rules: tuple[str, ...]  # keys of RULES
    distance_km: float | None


@dataclass
class Ranking:
    suggestions: list[Suggestion]
    total: int  # suitable vacancies in all, for "page 2 of 5"
    excluded: list[Exclusion] = field(default_factory=list)


class VacancyIndex:
    """The open vacancies as arrays, and a BM25 index over their lemmas."""

    def __init__(self, rows: Sequence[VacancyRow]) -> None:
        self.ids = [row.id for row in rows]
        self._position = {vacancy_id: i for i, vacancy_id in enumerate(self.ids)}
        self.region = np.array([int(row.region_code) for row in rows], dtype=np.int16)
        self.lat = _floats(row.lat for row in rows)
        self.lng = _floats(row.lng for row in rows)
        # The pay the vacancy promises at best: the feed's maximum, else its minimum.
        self.pay = _floats(row.salary_max or row.salary_min for row in rows)
        self.experience = _floats(row.experience_years for row in rows)
        self._words: dict[str, int] = {}  # schedules and employment types, as small ints
        self.schedule = self._coded(row.schedule for row in rows)
        self.employment = self._coded(row.employment for row in rows)
        self.for_disabled = np.array(
            ["инвалид" in (row.social_protected or "").lower() for row in rows], dtype=bool
        )
        # Weak length normalisation: a job name with its qualification ("водитель, права
        # категории C, E") is no less a driver's job than a bare "водитель такси".
        self._bm25 = bm25s.BM25(b=0.3)
        self._empty = not rows
        if rows:
            self._bm25.index([row.search_lemmas.split() for row in rows], show_progress=False)

    def _coded(self, values: Iterable[str | None]) -> npt.NDArray[np.int16]:
        codes = [
            self._words.setdefault((value or "").lower(), len(self._words)) for value in values
        ]
        return np.array(codes, dtype=np.int16)

    def _code(self, value: str | None) -> int:
        """The code of a schedule or employment type; -1 for one no vacancy has."""
        return self._words.get((value or "").lower(), -1)

    def _codes(self, values: Iterable[str]) -> list[int]:
        return [self._words[value] for value in values if value in self._words]

    def __len__(self) -> int:
        return len(self.ids)

    def rank(
        self, seeker: Seeker, *, limit: int = 10, offset: int = 0, explain: bool = False
    ) -> Ranking:
        query = search_lemmas(seeker.profession)
        if self._empty or not query:
            return Ranking([], 0)
        text = self._text_scores(query)
        matching = np.flatnonzero(text > 0)
        return self._judge(
            seeker, matching, text[matching], limit=limit, offset=offset, explain=explain
        )

    def assess(self, seeker: Seeker, vacancy_ids: Sequence[str]) -> Ranking:
        """Judge the vacancies staff chose for an offer, whatever their text: the suitable ones
        ordered by score with their reasons, the others with the rules they fail. Ids the index
        does not hold (closed vacancies) are left out."""
        rows = np.array(
            [self._position[i] for i in vacancy_ids if i in self._position], dtype=np.intp
        )
        query = search_lemmas(seeker.profession)
        text = self._text_scores(query)[rows] if query and len(rows) else np.zeros(len(rows))
        return self._judge(seeker, rows, text, limit=len(rows), offset=0, explain=True)

    def _judge(
        self,
        seeker: Seeker,
        rows: npt.NDArray[np.intp],
        text: npt.NDArray[np.float64],
        *,
        limit: int,
        offset: int,
        explain: bool,
    ) -> Ranking:
        failed, distance = self._rules(seeker, rows)
        suitable = ~np.any(np.stack(list(failed.values())), axis=0) if failed else None
        keep = rows if suitable is None else rows[suitable]
        keep_distance = distance if suitable is None else distance[suitable]
        keep_text = text if suitable is None else text[suitable]
        scores = self._scores(seeker, keep, keep_text, keep_distance)
        order = np.argsort(-scores, kind="stable")[offset : offset + limit]
        suggestions = [
            Suggestion(
                self.ids[keep[i]],
                round(float(scores[i]), 4),
                self._reasons(seeker, keep[i], keep_distance[i]),
                _km(keep_distance[i]),
            )
            for i in order
        ]
        excluded = self._exclusions(failed, rows, distance) if explain else []
        return Ranking(suggestions, len(keep), excluded)

    def _text_scores(self, query: list[str]) -> npt.NDArray[np.float64]:
        """How well each vacancy's text answers the query, 0..1: mostly the share of the
        query's words it has ("водитель категории C" wants all three), BM25 breaks ties. A
        one-word query thus leaves the order to pay and distance, not to text length."""
        words = list(dict.fromkeys(query))
        coverage = np.zeros(len(self), dtype=np.float64)
        for word in words:
            coverage += self._bm25.get_scores([word]) > 0
        relevance = self._bm25.get_scores(words).astype(np.float64)
        top = float(relevance.max())
        if top <= 0:
            return coverage
        return np.asarray(0.8 * coverage / len(words) + 0.2 * relevance / top)

    def _rules(
        self, seeker: Seeker, rows: npt.NDArray[np.intp]
    ) -> tuple[dict[str, npt.NDArray[np.bool_]], npt.NDArray[np.float64]]:
        """For each hard rule, which of `rows` fail it; and each row's distance from home."""
        failed: dict[str, npt.NDArray[np.bool_]] = {}
        offered = [self._position[i] for i in seeker.offered if i in self._position]
        failed["offered_before"] = np.isin(rows, offered)
        regions = [int(code) for code in seeker.regions]
        failed["outside_regions"] = ~np.isin(self.region[rows], regions)
        distance = np.full(len(rows), np.nan)
        if seeker.home is not None:
            distance = _haversine_km(seeker.home, self.lat[rows], self.lng[rows])
            if not seeker.relocate:
                unknown = np.isnan(distance)
                failed["location_unknown"] = unknown
                failed["not_reachable"] = ~unknown & (distance > seeker.commute_km)
        floor = seeker.pay_floor
        if floor is not None:
            pay = self.pay[rows]
            failed["pay_not_stated"] = np.isnan(pay)
            failed["pay_below_floor"] = pay < floor  # NaN compares False: counted above
        if seeker.ipra_restrictions:
            failed["ipra"] = ~self._fits_ipra(rows, seeker.ipra_restrictions)
        return failed, distance

    def _fits_ipra(
        self, rows: npt.NDArray[np.intp], restrictions: frozenset[str]
    ) -> npt.NDArray[np.bool_]:
        schedule, employment = self.schedule[rows], self.employment[rows]
        part_time = self._codes(PART_TIME)
        fits = np.ones(len(rows), dtype=bool)
        if "no_shift_work" in restrictions:
            fits &= ~np.isin(schedule, self._codes(SHIFT_SCHEDULES))
        if "remote_only" in restrictions:
            fits &= np.isin(schedule, self._codes(REMOTE_SCHEDULES))
        if "part_time_only" in restrictions:
            fits &= np.isin(schedule, part_time) | np.isin(employment, part_time)
        if "quota_workplace" in restrictions:
            fits &= self.for_disabled[rows]
        return fits

    def _scores(
        self,
        seeker: Seeker,
        rows: npt.NDArray[np.intp],
        text: npt.NDArray[Any],
        distance: npt.NDArray[np.float64],
    ) -> npt.NDArray[np.float64]:
        if len(rows) == 0:
            return np.zeros(0)
        score = WEIGHTS["text"] * text
        pay = self.pay[rows]
        if seeker.desired_salary:
            ratio = np.clip(pay / seeker.desired_salary, 0, 1)
            score += WEIGHTS["salary"] * np.where(np.isnan(pay), 0.5, ratio)
        if seeker.home is not None:
            nearness = 1 - np.clip(distance / max(seeker.commute_km, 1), 0, 1)
            score += WEIGHTS["distance"] * np.where(np.isnan(distance), 0, nearness)
        if seeker.schedule:
            score += (
                WEIGHTS["conditions"] / 2 * (self.schedule[rows] == self._code(seeker.schedule))
            )
        if seeker.employment:
            matches = self.employment[rows] == self._code(seeker.employment)
            score += WEIGHTS["conditions"] / 2 * matches
        if seeker.disabled:
            score += WEIGHTS["quota"] * self.for_disabled[rows]
        if seeker.experience_years is not None:
            short = self.experience[rows] > seeker.experience_years  # NaN: no requirement
            score -= WEIGHTS["conditions"] * short
        return np.asarray(score, dtype=np.float64)

    def _reasons(self, seeker: Seeker, row: int, distance: float) -> tuple[Reason, ...]:
        reasons: list[Reason] = []
        pay = self.pay[row]
        if np.isnan(pay):
            reasons.append(Reason("pay_not_stated"))
        elif seeker.previous_salary and pay >= seeker.previous_salary:
            reasons.append(Reason("pay_above_previous"))
        elif seeker.desired_salary and pay >= seeker.desired_salary:
            reasons.append(Reason("pay_meets_desired"))
        elif seeker.desired_salary:
            reasons.append(Reason("pay_below_desired", int(pay)))
        if not math.isnan(distance):
            far = distance > seeker.commute_km
            reasons.append(Reason("relocation" if far else "distance", round(distance)))
        if seeker.disabled and self.for_disabled[row]:
            reasons.append(Reason("fits_disability"))
        if seeker.schedule and self.schedule[row] == self._code(seeker.schedule):
            reasons.append(Reason("schedule_matches"))
        required = self.experience[row]
        if seeker.experience_years is not None and required > seeker.experience_years:
            reasons.append(Reason("experience_required", int(required)))
        return tuple(reasons)

    def _exclusions(
        self,
        failed: dict[str, npt.NDArray[np.bool_]],
        rows: npt.NDArray[np.intp],
        distance: npt.NDArray[np.float64],
    ) -> list[Exclusion]:
        exclusions = []
        for i, row in enumerate(rows):
            rules = tuple(rule for rule in RULES if rule in failed and failed[rule][i])
            if rules:
                exclusions.append(Exclusion(self.ids[row], rules, _km(distance[i])))
        return exclusions


def _floats(values: Iterable[float | int | None]) -> npt.NDArray[np.float64]:
    return np.array([np.nan if value is None else value for value in values], dtype=np.float64)


def _km(distance: float) -> float | None:
    return None if math.isnan(distance) else round(float(distance), 1)


def _haversine_km(
    home: tuple[float, float], lat: npt.NDArray[np.float64], lng: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Straight-line distance: the feed has no transport network, so the commute limit is a
    radius (config `vacancies.commute_km`); NaN where the vacancy has no coordinates."""
    lat1, lng1 = math.radians(home[0]), math.radians(home[1])
    lat2, lng2 = np.radians(lat), np.radians(lng)
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * np.cos(lat2) * np.sin((lng2 - lng1) / 2) ** 2
    )
    return np.asarray(2 * EARTH_KM * np.arcsin(np.sqrt(a)), dtype=np.float64)
