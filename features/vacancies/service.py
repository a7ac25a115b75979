"""The vacancy search for one citizen on one unit of work's session: the job profile, the
ranked pages, and the vacancies saved or asked a referral for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from features.vacancies.catalogue import Catalogue, VacancyCatalogue
from features.vacancies.ports import VacancyPage
from features.vacancies.ranking import Ranking, Seeker
from storage.models import (
    Citizen,
    JobProfile,
    Vacancy,
    VacancyOffer,
    VacancyOfferItem,
    VacancyRequest,
)

PROFILE_ANSWERS = ("profession", "locality", "desired_salary", "lat", "lng")


@dataclass(frozen=True)
class SearchRules:
    commute_km: float
    subsistence_minimum: Mapping[str, int]  # by region code, where the region set one


class SqlVacancies:
    def __init__(
        self, session: AsyncSession, catalogue: VacancyCatalogue, rules: SearchRules
    ) -> None:
        self._session = session
        self._catalogue = catalogue
        self._rules = rules

    async def profile(self, citizen: Citizen) -> JobProfile | None:
        return await self._session.get(JobProfile, citizen.id)

    async def save_profile(self, citizen: Citizen, answers: Mapping[str, Any]) -> JobProfile:
        profile = await self.profile(citizen)
        if profile is None:
            profile = JobProfile(citizen_id=citizen.id, regions=[], ipra_restrictions=[])
            self._session.add(profile)
        for name in PROFILE_ANSWERS:
            if name in answers:
                setattr(profile, name, answers[name])
        if "locality" in answers and "lat" not in answers:  # a new town: locate it again
            profile.lat = profile.lng = None
        return profile

    async def forget(self, citizen: Citizen) -> None:
        # The job profile and saved vacancies are personal data the citizen gave for the
        # search; referral requests stay with the centre's records.
        await self._session.execute(delete(JobProfile).where(JobProfile.citizen_id == citizen.id))
        await self._session.execute(
            delete(VacancyRequest).where(
                VacancyRequest.citizen_id == citizen.id, VacancyRequest.kind == "saved"
            )
        )

    async def search(
        self, citizen: Citizen, profile: JobProfile, offset: int, limit: int
    ) -> VacancyPage:
        catalogue = await self._catalogue.current(self._session)
        seeker = await self.seeker(citizen, profile, catalogue)
        ranking = catalogue.index.rank(seeker, limit=limit, offset=offset)
        ids = [suggestion.vacancy_id for suggestion in ranking.suggestions]
        found = await self._session.scalars(
            select(Vacancy).where(Vacancy.id.in_(ids), Vacancy.state == "open")
        )
        by_id = {vacancy.id: vacancy for vacancy in found}
        cards = [(by_id[s.vacancy_id], s) for s in ranking.suggestions if s.vacancy_id in by_id]
        return VacancyPage(cards, ranking.total, offset, located=seeker.home is not None)

    async def ranking_for_staff(
        self, citizen: Citizen, profile: JobProfile, limit: int, excluded_shown: int
    ) -> tuple[Ranking, dict[str, Vacancy]]:
        """The ranking with the exclusions, and the vacancies it names (the top `limit`
        suitable ones and the first `excluded_shown` excluded ones)."""
        catalogue = await self._catalogue.current(self._session)
        seeker = await self.seeker(citizen, profile, catalogue)
        ranking = catalogue.index.rank(seeker, limit=limit, explain=True)
        ids = [s.vacancy_id for s in ranking.suggestions]
        ids += [e.vacancy_id for e in ranking.excluded[:excluded_shown]]
        found = await self._session.scalars(select(Vacancy).where(Vacancy.id.in_(ids)))
        return ranking, {vacancy.id: vacancy for vacancy in found}

    async def seeker(
        self,
        citizen: Citizen,
        profile: JobProfile,
        catalogue: Catalogue | None = None,
        *,
        but_offer: int | None = None,
    ) -> Seeker:
        """The profile as the ranking reads it; the town is located on the catalogue's map.
        Vacancies of the centre's earlier offers (all but `but_offer`) are not offered again
        (001 ¶3.6.3)."""
        home = None
        if profile.lat is not None and profile.lng is not None:
            home = (profile.lat, profile.lng)
        elif profile.locality:
            catalogue = catalogue or await self._catalogue.current(self._session)
            home = catalogue.town(profile.locality)
        regions = tuple(profile.regions or [citizen.region_code or ""])
        return Seeker(
            profession=profile.profession or "",
            regions=tuple(code for code in regions if code.isdigit()),
            home=home,
            desired_salary=profile.desired_salary,
            previous_salary=profile.previous_salary,
            subsistence_minimum=self._rules.subsistence_minimum.get(regions[0]),
            experience_years=profile.experience_years,
            schedule=profile.schedule,
            employment=profile.employment,
            relocate=profile.relocate,
            disabled=profile.disability_group is not None,
            ipra_restrictions=frozenset(profile.ipra_restrictions or ()),
            offered=frozenset(await self._offered(citizen, but_offer)),
            commute_km=self._rules.commute_km,
        )

    async def _offered(self, citizen: Citizen, but_offer: int | None) -> list[str]:
        query = (
            select(VacancyOfferItem.vacancy_id)
            .join(VacancyOffer, VacancyOffer.id == VacancyOfferItem.offer_id)
            .where(VacancyOffer.citizen_id == citizen.id, VacancyOffer.state != "withdrawn")
        )
        if but_offer is not None:
            query = query.where(VacancyOffer.id != but_offer)
        return list(await self._session.scalars(query))

    async def request(self, citizen: Citizen, vacancy_id: str, kind: str) -> Vacancy | None:
        vacancy = await self._session.get(Vacancy, vacancy_id)
        if vacancy is None or vacancy.state != "open":
            return None
        exists = await self._session.scalar(
            select(VacancyRequest.id).where(
                VacancyRequest.citizen_id == citizen.id,
                VacancyRequest.vacancy_id == vacancy_id,
                VacancyRequest.kind == kind,
            )
        )
        if exists is None:
            self._session.add(
                VacancyRequest(citizen_id=citizen.id, vacancy_id=vacancy_id, kind=kind)
            )
        return vacancy
