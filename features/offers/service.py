"""Offers: the list of at most 10 suitable-work options the centre sends a citizen, and the
citizen's ranking of it (001 ¶3.7.2), on the caller's session (never commits).

Staff create an offer; the notice goes out through the reminders table, and the ranking term
(2 calendar days for a claimant to unemployed status, 2 working days for an unemployed
citizen) starts when Telegram has taken the notice, not when staff pressed the button: the
regulation counts from receipt. The citizen's working order lives in the items, pre-filled
from the suitable-work ranking, until it is submitted."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features.offers.ports import OfferClosedError, OfferLine, OfferPress, OfferView
from features.vacancies.catalogue import VacancyCatalogue
from features.vacancies.service import SearchRules, SqlVacancies
from kernel.regions import Regions
from reminders.planning import QuietHours
from reminders.rules import load_rules
from reminders.store import Claimed, SqlReminderBook
from storage.models import (
    AuditEvent,
    Citizen,
    Consent,
    JobProfile,
    Vacancy,
    VacancyOffer,
    VacancyOfferItem,
)

MAX_ITEMS = 10  # 001 ¶3.7.2(a)
MIN_CHOSEN = 2  # 001 ¶3.7.2(b): at least 2 priority options
DEADLINE_RULES = {"claimant": "ranking_claimant", "unemployed": "ranking_unemployed"}
NOTICE_RULE = "vacancy_offer_sent"  # the notice with the list (rules.yml)
OPEN = "sent"

# The deadline rules this feature schedules (passed to the reminder runner too).
RULES = load_rules(Path(__file__).with_name("rules.yml"))


class OfferRefusedError(ValueError):
    """Staff asked for an offer the rules do not allow; the message says why."""


def key_of(offer: VacancyOffer | int) -> str:
    return f"offer:{offer if isinstance(offer, int) else offer.id}"


class SqlOffers:
    def __init__(
        self,
        session: AsyncSession,
        regions: Regions,
        quiet: QuietHours,
        catalogue: VacancyCatalogue | None = None,
        rules: SearchRules | None = None,
    ) -> None:
        self._session = session
        self._regions = regions
        self._book = SqlReminderBook(session, regions, quiet, RULES)
        self._catalogue = catalogue
        self._rules = rules

    # --- the centre's side ----------------------------------------------------------------

    async def create(
        self,
        citizen_id: int,
        citizen_status: str,
        vacancy_ids: Sequence[str],
        *,
        actor: str,
        now: datetime,
        note: str | None = None,
    ) -> VacancyOffer:
        """Store the offer with the ranking's suggested order and send the citizen the notice.
        Refused: more than 10 or repeated vacancies, closed or unknown ones, a citizen without
        consent or with an offer still waiting for their ranking."""
        if citizen_status not in DEADLINE_RULES:
            raise OfferRefusedError(f"citizen_status must be one of {sorted(DEADLINE_RULES)}")
        if not 1 <= len(vacancy_ids) <= MAX_ITEMS or len(set(vacancy_ids)) != len(vacancy_ids):
            raise OfferRefusedError(f"an offer lists 1 to {MAX_ITEMS} different vacancies")
        citizen = await self._session.get(Citizen, citizen_id)
        if citizen is None or citizen.erased_at is not None:
            raise LookupError(f"no citizen {citizen_id}")
        if await self._consent(citizen) is None:
            raise OfferRefusedError("the citizen has not consented to data processing")
        if citizen.unreachable_at is not None:
            raise OfferRefusedError("the citizen has blocked the bot: send the list another way")
        waiting = await self.open_of(citizen_id)
        if waiting is not None:
            raise OfferRefusedError(
                f"offer {waiting.id} still waits for the citizen's ranking: withdraw it first"
            )
        found = await self._session.scalars(select(Vacancy).where(Vacancy.id.in_(vacancy_ids)))
        vacancies = {vacancy.id: vacancy for vacancy in found}
        missing = [i for i in vacancy_ids if i not in vacancies]
        closed = [i for i in vacancy_ids if i in vacancies and vacancies[i].state != "open"]
        if missing or closed:
            problems = [
                f"unknown: {', '.join(missing)}" if missing else "",
                f"closed: {', '.join(closed)}" if closed else "",
            ]
            raise OfferRefusedError("; ".join(p for p in problems if p))
        offer = VacancyOffer(
            citizen_id=citizen.id,
            citizen_status=citizen_status,
            deadline_rule=DEADLINE_RULES[citizen_status],
            state=OPEN,
            created_by=actor,
            created_at=now,
            note=note,
            chosen_count=MIN_CHOSEN,
            late=False,
        )
        self._session.add(offer)
        await self._session.flush()
        for item in await self._suggested_items(citizen, offer, vacancy_ids):
            self._session.add(item)
        await self._book.notify_now(
            citizen,
            NOTICE_RULE,
            key_of(offer),
            now,
            {
                "offer_id": offer.id,
                "count": len(vacancy_ids),
                "citizen_status": citizen_status,
                "note": note,
                "actions": [
                    {"label": "buttons.offer_open", "payload": OfferPress(offer.id, "open").pack()}
                ],
            },
        )
        self._audit(actor, "offer:created", offer, vacancies=list(vacancy_ids))
        await self._session.flush()
        return offer

    async def _suggested_items(
        self, citizen: Citizen, offer: VacancyOffer, vacancy_ids: Sequence[str]
    ) -> list[VacancyOfferItem]:
        """The items in the suitable-work ranking's order: suitable ones by score, then the
        ones the rules exclude (staff offered them anyway; the reasons are kept), in the
        centre's order."""
        suggested: list[str] = []
        assessed: dict[str, dict[str, Any]] = {}
        profile = await self._session.get(JobProfile, citizen.id)
        if self._catalogue is not None and self._rules is not None and profile is not None:
            catalogue = await self._catalogue.current(self._session)
            search = SqlVacancies(self._session, self._catalogue, self._rules)
            seeker = await search.seeker(citizen, profile, catalogue, but_offer=offer.id)
            ranking = catalogue.index.assess(seeker, vacancy_ids)
            for suggestion in ranking.suggestions:
                suggested.append(suggestion.vacancy_id)
                assessed[suggestion.vacancy_id] = {
                    "score": suggestion.score,
                    "reasons": [asdict(reason) for reason in suggestion.reasons],
                }
            for exclusion in ranking.excluded:
                assessed[exclusion.vacancy_id] = {"excluded_by": list(exclusion.rules)}
        suggested += [i for i in vacancy_ids if i not in suggested]
        return [
            VacancyOfferItem(
                offer_id=offer.id,
                vacancy_id=vacancy_id,
                centre_position=vacancy_ids.index(vacancy_id) + 1,
                suggested_rank=rank,
                score=assessed.get(vacancy_id, {}).get("score"),
                reasons=assessed.get(vacancy_id, {}).get("reasons", []),
                excluded_by=assessed.get(vacancy_id, {}).get("excluded_by", []),
                citizen_rank=rank,
                refused=False,
            )
            for rank, vacancy_id in enumerate(suggested, start=1)
        ]

    async def withdraw(self, offer_id: int, *, actor: str, now: datetime) -> VacancyOffer:
        """Staff take back an offer not yet ranked (a mistake, or the vacancies closed): its
        reminders stop and its vacancies may be offered again."""
        offer = await self._locked(offer_id)
        if offer.state != OPEN:
            raise OfferClosedError(f"offer {offer_id} is {offer.state}")
        offer.state = "withdrawn"
        offer.updated_at = now
        await self._book.cancel(key_of(offer))
        self._audit(actor, "offer:withdrawn", offer)
        return offer

    async def search(
        self,
        *,
        citizen_id: int | None = None,
        state: str | None = None,
        limit: int = 50,
        offset: int = 0,
        regions: Collection[str] | None = None,
    ) -> list[VacancyOffer]:
        """Offers by citizen and state, to citizens of `regions` (None: all)."""
        query = select(VacancyOffer)
        if regions is not None:
            query = query.join(Citizen, Citizen.id == VacancyOffer.citizen_id).where(
                Citizen.region_code.in_(regions)
            )
        if citizen_id is not None:
            query = query.where(VacancyOffer.citizen_id == citizen_id)
        if state is not None:
            query = query.where(VacancyOffer.state == state)
        query = query.order_by(VacancyOffer.id.desc()).limit(limit).offset(offset)
        return list(await self._session.scalars(query))

    async def history(self, offer: VacancyOffer) -> list[AuditEvent]:
        rows = await self._session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject == key_of(offer), AuditEvent.action.like("offer:%"))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
        return list(rows)

    # --- both sides -----------------------------------------------------------------------

    async def get(self, offer_id: int) -> VacancyOffer | None:
        return await self._session.get(VacancyOffer, offer_id)

    async def open_of(self, citizen_id: int) -> VacancyOffer | None:
        """The offer waiting for the citizen's ranking, if any."""
        found: VacancyOffer | None = await self._session.scalar(
            select(VacancyOffer)
            .where(VacancyOffer.citizen_id == citizen_id, VacancyOffer.state == OPEN)
            .order_by(VacancyOffer.id.desc())
            .limit(1)
        )
        return found

    async def view(self, offer: VacancyOffer) -> OfferView:
        """The offer's lines in the citizen's current order."""
        rows = await self._session.execute(
            select(VacancyOfferItem, Vacancy)
            .join(Vacancy, Vacancy.id == VacancyOfferItem.vacancy_id)
            .where(VacancyOfferItem.offer_id == offer.id)
        )
        lines = [OfferLine(item, vacancy) for item, vacancy in rows.all()]
        ranked = sorted(
            (line for line in lines if not line.item.refused),
            key=lambda line: (line.item.citizen_rank or 0, line.item.suggested_rank),
        )
        refused = sorted(
            (line for line in lines if line.item.refused),
            key=lambda line: line.item.suggested_rank,
        )
        return OfferView(offer, ranked, refused)

    # --- the citizen's side ---------------------------------------------------------------

    async def change(
        self, citizen: Citizen, offer_id: int, action: str, item_id: int | None, now: datetime
    ) -> OfferView:
        """Apply one of the citizen's edits: up, down (move an item), refuse, restore,
        more, less (how many priority options), reset (back to the suggested order)."""
        offer = await self._mine(citizen, offer_id)
        view = await self.view(offer)
        everything = [line.item for line in (*view.ranked, *view.refused)]
        ranked = [line.item for line in view.ranked]
        item = next((each for each in everything if each.id == item_id), None)
        if action in ("up", "down") and item is not None and item in ranked:
            at = ranked.index(item)
            to = at - 1 if action == "up" else at + 1
            if 0 <= to < len(ranked):
                ranked[at], ranked[to] = ranked[to], ranked[at]
        elif action == "refuse" and item is not None and not item.refused:
            item.refused = True
            item.refused_at = now
            ranked.remove(item)
            self._audit(
                f"citizen:{citizen.id}", "offer:refused_option", offer, vacancy=item.vacancy_id
            )
        elif action == "restore" and item is not None and item.refused:
            item.refused = False
            item.refused_at = None
            ranked.append(item)
            self._audit(
                f"citizen:{citizen.id}", "offer:restored_option", offer, vacancy=item.vacancy_id
            )
        elif action == "more":
            offer.chosen_count = min(offer.chosen_count + 1, max(len(ranked), MIN_CHOSEN))
        elif action == "less":
            offer.chosen_count = max(offer.chosen_count - 1, MIN_CHOSEN)
        elif action == "reset":
            for each in everything:
                each.refused = False
                each.refused_at = None
            ranked = sorted(everything, key=lambda each: each.suggested_rank)
            offer.chosen_count = MIN_CHOSEN
        elif action not in ("up", "down", "refuse", "restore"):
            raise ValueError(f"unknown change {action!r}")
        for each in everything:
            each.citizen_rank = ranked.index(each) + 1 if each in ranked else None
        offer.chosen_count = max(MIN_CHOSEN, min(offer.chosen_count, len(ranked)))
        offer.updated_at = now
        await self._session.flush()
        return await self.view(offer)

    async def submit(self, citizen: Citizen, offer_id: int, now: datetime) -> OfferView:
        """Send the ranking to the centre: stored as it stands, the term's reminders stop.
        Late (after the last day) is still accepted and marked for staff."""
        offer = await self._mine(citizen, offer_id)
        view = await self.view(offer)
        offer.state = "submitted"
        offer.submitted_at = now
        offer.updated_at = now
        local_day = now.astimezone(self._regions.zone(citizen.region_code)).date()
        offer.late = offer.due_on is not None and local_day > offer.due_on
        await self._book.cancel(key_of(offer), offer.deadline_rule)
        self._audit(
            f"citizen:{citizen.id}",
            "offer:submitted",
            offer,
            ranking=[line.vacancy.id for line in view.ranked],
            chosen=[line.vacancy.id for line in view.chosen],
            refused=[line.vacancy.id for line in view.refused],
            late=offer.late,
        )
        return view

    async def _mine(self, citizen: Citizen, offer_id: int) -> VacancyOffer:
        offer = await self._locked(offer_id)
        if offer.citizen_id != citizen.id:
            raise LookupError(f"no offer {offer_id} for this citizen")
        if offer.state != OPEN:
            raise OfferClosedError(f"offer {offer_id} is {offer.state}")
        return offer

    async def _locked(self, offer_id: int) -> VacancyOffer:
        offer = await self._session.scalar(
            select(VacancyOffer).where(VacancyOffer.id == offer_id).with_for_update()
        )
        if offer is None:
            raise LookupError(f"no offer {offer_id}")
        return offer

    async def _consent(self, citizen: Citizen) -> Consent | None:
        found: Consent | None = await self._session.scalar(
            select(Consent).where(Consent.citizen_id == citizen.id, Consent.withdrawn_at.is_(None))
        )
        return found

    def _audit(self, actor: str, action: str, offer: VacancyOffer, **details: Any) -> None:
        self._session.add(
            AuditEvent(actor=actor, action=action, subject=key_of(offer), details=details)
        )


async def start_term(
    session: AsyncSession, item: Claimed, at: datetime, *, regions: Regions, quiet: QuietHours
) -> None:
    """The notice reached the citizen: the ranking term starts now (001 ¶3.7.2), with its
    reminders. Called by the reminder runner once the notice is delivered."""
    offer = await session.get(VacancyOffer, int(item.key.partition(":")[2]))
    if offer is None or offer.state != OPEN or offer.received_at is not None:
        return
    citizen = await session.get_one(Citizen, offer.citizen_id)
    offer.received_at = at
    term = await SqlReminderBook(session, regions, quiet, RULES).schedule(
        citizen,
        offer.deadline_rule,
        key_of(offer),
        at,
        {
            "offer_id": offer.id,
            "actions": [
                {"label": "buttons.offer_open", "payload": OfferPress(offer.id, "open").pack()}
            ],
        },
    )
    offer.due_on = term.last_day
    session.add(
        AuditEvent(
            actor="system",
            action="offer:received",
            subject=key_of(offer),
            details={"due_on": term.last_day.isoformat(), "rule": offer.deadline_rule},
        )
    )
