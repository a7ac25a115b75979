"""What the engine needs from storage. `storage.repositories.SqlDialogStore` implements it;
flow tests use an in-memory fake."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from nlu.results import Understanding
from reminders.planning import Deadline
from storage.models import Citizen, Complaint, Consent, Conversation, JobProfile, Vacancy

if TYPE_CHECKING:
    from complaints.service import ComplaintDraft
    from vacancies.ranking import Suggestion


class DialogStore(Protocol):
    async def citizen(self, channel: str, external_id: str, chat_id: int) -> Citizen:
        """The citizen behind a channel id, created on first contact."""

    async def conversation(self, citizen: Citizen) -> Conversation:
        """The citizen's conversation, created on first contact."""

    async def active_consent(self, citizen: Citizen) -> Consent | None: ...

    async def give_consent(self, citizen: Citizen, text_version: str) -> Consent: ...

    async def withdraw_consent(self, citizen: Citizen) -> None:
        """Mark consent withdrawn and erase the citizen's personal data."""

    async def audit(
        self, actor: str, action: str, subject: str | None, details: dict[str, Any]
    ) -> None: ...


class IntentRecognizer(Protocol):
    """What the engine needs from the NLU. `nlu.recognizer.Recognizer` implements it."""

    async def understand(self, text: str) -> Understanding:
        """Never raises for an unavailable service: it answers from a local matcher instead."""


class ReminderBook(Protocol):
    """How flows set and clear deadlines' reminders. `reminders.store.SqlReminderBook`
    implements it on the flow's own session, so a reminder exists exactly when the step that
    made it is committed."""

    async def schedule(
        self,
        citizen: Citizen,
        rule_id: str,
        key: str,
        event_at: datetime,
        context: Mapping[str, Any] | None = None,
    ) -> Deadline:
        """The deadline of the catalogue rule `rule_id` for an event, with its reminders and
        watchdog items stored under `key` (e.g. complaint:42)."""

    async def cancel(self, key: str, rule_id: str | None = None) -> int:
        """The citizen did what `key` was about: its pending reminders are dropped."""


class ComplaintDesk(Protocol):
    """What the complaint flow and the status screen need. `complaints.service.SqlComplaints`
    implements it on the turn's own session."""

    async def register(
        self, citizen: Citizen, draft: ComplaintDraft, now: datetime
    ) -> Complaint: ...

    async def of_citizen(self, citizen_id: int) -> list[Complaint]: ...

    async def by_number(self, number: str) -> Complaint | None: ...


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


@dataclass(frozen=True)
class Desks:
    """The domain services a turn may use, each on the turn's own session."""

    complaints: ComplaintDesk | None = None
    vacancies: VacancyDesk | None = None
