"""What the engine needs from storage. `storage.repositories.SqlDialogStore` implements it;
flow tests use an in-memory fake."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from nlu.results import Understanding
from reminders.planning import Deadline
from storage.models import (
    Citizen,
    Complaint,
    Consent,
    Conversation,
    JobProfile,
    Vacancy,
    VacancyOffer,
    VacancyOfferItem,
)

if TYPE_CHECKING:
    from features.complaints.service import ComplaintDraft
    from features.vacancies.ranking import Suggestion


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


class OfferClosedError(ValueError):
    """The offer is submitted or withdrawn: the citizen's edit is not applied."""


@dataclass(frozen=True)
class OfferLine:
    """One vacancy of an offer, as the citizen and staff see it."""

    item: VacancyOfferItem
    vacancy: Vacancy


@dataclass(frozen=True)
class OfferView:
    """An offer with its lines in the citizen's current order: ranked ones first (1..n),
    refused ones after them."""

    offer: VacancyOffer
    ranked: Sequence[OfferLine]
    refused: Sequence[OfferLine]

    @property
    def chosen(self) -> Sequence[OfferLine]:
        """The priority options: the first `chosen_count` of the ranked ones (001 ¶3.7.2)."""
        return self.ranked[: self.offer.chosen_count]


class OfferDesk(Protocol):
    """What the offer screens need. `features.offers.service.SqlOffers` implements it on the turn's
    own session. `change` and `submit` raise LookupError for an offer that is not the
    citizen's and OfferClosedError for one no longer open."""

    async def open_of(self, citizen_id: int) -> VacancyOffer | None: ...

    async def get(self, offer_id: int) -> VacancyOffer | None: ...

    async def view(self, offer: VacancyOffer) -> OfferView: ...

    async def change(
        self, citizen: Citizen, offer_id: int, action: str, item_id: int | None, now: datetime
    ) -> OfferView: ...

    async def submit(self, citizen: Citizen, offer_id: int, now: datetime) -> OfferView: ...


@dataclass(frozen=True)
class Desks:
    """The domain services a turn may use, each on the turn's own session."""

    complaints: ComplaintDesk | None = None
    vacancies: VacancyDesk | None = None
    offers: OfferDesk | None = None
