"""What the offer screens need from the domain, and what the offer service answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, cast

from dialogs.flow import Turn
from dialogs.payloads import Payload
from storage.models import Citizen, Vacancy, VacancyOffer, VacancyOfferItem

SERVICE = "offers"


@dataclass(frozen=True)
class OfferPress(Payload, prefix="off"):
    """A button of an offer's screens: `off:<offer id>:<action>[:<item id>]`."""

    offer_id: int
    action: str
    item_id: int | None = None


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


def offer_desk(turn: Turn) -> OfferDesk | None:
    """The turn's offer desk, when this process serves offers."""
    return cast("OfferDesk | None", turn.services.get(SERVICE))
