"""What the vacancy search needs from the domain."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from dialogs.flow import Turn
from storage.models import Citizen, JobProfile, Vacancy

if TYPE_CHECKING:
    from features.vacancies.ranking import Suggestion

SERVICE = "vacancies"


@dataclass(frozen=True)
class VacancyPage:
    cards: Sequence[tuple[Vacancy, Suggestion]]
    total: int  # suitable vacancies in all
    offset: int
    located: bool  # the citizen's town was found on the map: distances were checked


class VacancyDesk(Protocol):
    """What the vacancy search needs. `vacancies.service.SqlVacancies` implements it on the
    turn's own session."""

    async def profile(self, citizen: Citizen) -> JobProfile | None: ...

    async def save_profile(self, citizen: Citizen, answers: Mapping[str, Any]) -> JobProfile:
        """Store the answers (profession, locality, desired_salary, home) in the profile."""

    async def search(
        self, citizen: Citizen, profile: JobProfile, offset: int, limit: int
    ) -> VacancyPage: ...

    async def request(self, citizen: Citizen, vacancy_id: str, kind: str) -> Vacancy | None:
        """Save the vacancy or ask for a referral (kind: saved | referral); None when the
        vacancy is closed or unknown."""

    async def forget(self, citizen: Citizen) -> None:
        """Erase the job profile and the saved vacancies (consent withdrawn)."""


def vacancy_desk(turn: Turn) -> VacancyDesk | None:
    """The turn's vacancy search, when this process serves it."""
    return cast("VacancyDesk | None", turn.services.get(SERVICE))
