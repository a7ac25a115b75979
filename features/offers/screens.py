"""The offer screens: the centre's list of vacancies for the citizen to rank (001 ¶3.7.2).

Buttons carry `off:<offer id>:<action>[:<item id>]`. Every press re-reads the offer, so a
button of an older message acts on the list as it stands now; once the ranking is sent, the
offer is read-only. Refusing an option and sending both ask for a confirmation first: a
refusal of suitable work has legal consequences (001 ¶3.10.2, ¶3.11.2)."""

from __future__ import annotations

from typing import Any

from dialogs.flow import Turn
from dialogs.menu import to_menu_row
from dialogs.ports import OfferClosedError, OfferLine, OfferView
from dialogs.types import Button, Keyboard, Reply
from features.vacancies.screens import card_fields
from storage.models import VacancyOffer

EDITS = ("up", "down", "restore", "more", "less", "reset")
DUTY_CHARS = 1500  # the rest is on «Работа в России», linked from the card


async def offer_button(turn: Turn, what: str) -> list[Reply]:
    """Handle `off:<what>`; None of the citizen's data is lost on a stale or foreign button."""
    offer_id, _, rest = what.partition(":")
    action, _, argument = rest.partition(":")
    if turn.offers is None:
        return [Reply("vacancies.unavailable", buttons=(to_menu_row(),))]
    offer = await turn.offers.get(int(offer_id)) if offer_id.isdigit() else None
    if offer is None or offer.citizen_id != turn.citizen.id:
        return [Reply("common.button_expired", buttons=(to_menu_row(),))]
    item_id = int(argument) if argument.isdigit() else None
    try:
        if action in EDITS:
            view = await turn.offers.change(turn.citizen, offer.id, action, item_id, turn.now)
            return [offer_list(turn, view)]
        if action == "refuseyes":
            view = await turn.offers.change(turn.citizen, offer.id, "refuse", item_id, turn.now)
            return [offer_list(turn, view)]
        if action == "sendyes":
            view = await turn.offers.submit(turn.citizen, offer.id, turn.now)
            return [_submitted(turn, view)]
    except OfferClosedError:
        return [_closed(turn, await turn.offers.view(offer))]
    view = await turn.offers.view(offer)
    if offer.state != "sent":
        return [_closed(turn, view)]
    line = next((each for each in _lines(view) if each.item.id == item_id), None)
    if action == "refuse" and line is not None and not line.item.refused:
        return [_refuse_warning(offer, line)]
    if action == "card" and line is not None:
        return [_card(offer, line)]
    if action == "send":
        return [_send_confirmation(turn, view)]
    return [offer_list(turn, view)]


async def open_offer_notice(turn: Turn) -> Reply | None:
    """A line above other screens while an offer waits for the citizen's ranking."""
    if turn.offers is None:
        return None
    offer = await turn.offers.open_of(turn.citizen.id)
    if offer is None:
        return None
    return Reply(
        "offers.waiting",
        {"due_on": offer.due_on, "status": offer.citizen_status},
        buttons=((Button("buttons.offer_open", f"off:{offer.id}:open"),),),
    )


def offer_list(turn: Turn, view: OfferView) -> Reply:
    offer = view.offer
    prefix = f"off:{offer.id}"
    rows: list[tuple[Button, ...]] = []
    last = len(view.ranked)
    for number, line in enumerate(view.ranked, start=1):
        item, context = line.item.id, {"n": number}
        row = []
        if number > 1:
            row.append(Button("buttons.offer_up", f"{prefix}:up:{item}", context))
        if number < last:
            row.append(Button("buttons.offer_down", f"{prefix}:down:{item}", context))
        row.append(Button("buttons.offer_card", f"{prefix}:card:{item}", context))
        row.append(Button("buttons.offer_refuse", f"{prefix}:refuse:{item}", context))
        rows.append(tuple(row))
    for line in view.refused:
        rows.append(
            (
                Button(
                    "buttons.offer_restore",
                    f"{prefix}:restore:{line.item.id}",
                    {"job_name": line.vacancy.job_name},
                ),
            )
        )
    counts = []
    if offer.chosen_count > 2:
        counts.append(Button("buttons.offer_less", f"{prefix}:less"))
    if offer.chosen_count < last:
        counts.append(Button("buttons.offer_more", f"{prefix}:more"))
    if counts:
        rows.append(tuple(counts))
    rows.append((Button("buttons.offer_reset", f"{prefix}:reset"),))
    rows.append((Button("buttons.offer_send", f"{prefix}:send"),))
    rows.append(to_menu_row())
    return Reply("offers.list", _context(turn, view), tuple(rows))


def _context(turn: Turn, view: OfferView) -> dict[str, Any]:
    offer = view.offer
    return {
        "offer_id": offer.id,
        "status": offer.citizen_status,
        "due_on": offer.due_on,
        "late": offer.due_on is not None and turn.today > offer.due_on,
        "note": offer.note,
        "chosen_count": offer.chosen_count,
        "ranked": [_line(line) for line in view.ranked],
        "refused": [_line(line) for line in view.refused],
        "suggested": all(
            line.item.citizen_rank == line.item.suggested_rank for line in view.ranked
        ),
    }


def _line(line: OfferLine) -> dict[str, Any]:
    vacancy, item = line.vacancy, line.item
    return {
        **card_fields(vacancy),
        "open": vacancy.state == "open",
        "reasons": item.reasons or [],
        "excluded": bool(item.excluded_by),
    }


def _lines(view: OfferView) -> list[OfferLine]:
    return [*view.ranked, *view.refused]


def _back(offer: VacancyOffer) -> Keyboard:
    return ((Button("buttons.offer_back", f"off:{offer.id}:open"),), to_menu_row())


def _card(offer: VacancyOffer, line: OfferLine) -> Reply:
    vacancy = line.vacancy
    duty = vacancy.duty or ""
    return Reply(
        "offers.card",
        {
            **_line(line),
            "duty": duty[:DUTY_CHARS],
            "duty_cut": len(duty) > DUTY_CHARS,
            "education": vacancy.education,
            "experience_years": vacancy.experience_years,
            "qualification": vacancy.qualification,
            "contact_person": vacancy.contact_person,
            "refused": line.item.refused,
        },
        _back(offer),
    )


def _refuse_warning(offer: VacancyOffer, line: OfferLine) -> Reply:
    return Reply(
        "offers.refuse_warning",
        {"job_name": line.vacancy.job_name, "company": line.vacancy.company_name},
        (
            (Button("buttons.offer_refuse_confirm", f"off:{offer.id}:refuseyes:{line.item.id}"),),
            (Button("buttons.offer_keep", f"off:{offer.id}:open"),),
        ),
    )


def _send_confirmation(turn: Turn, view: OfferView) -> Reply:
    offer = view.offer
    return Reply(
        "offers.confirm_send",
        {**_context(turn, view), "chosen": [_line(line) for line in view.chosen]},
        (
            (Button("buttons.offer_send_confirm", f"off:{offer.id}:sendyes"),),
            (Button("buttons.offer_back", f"off:{offer.id}:open"),),
        ),
    )


def _submitted(turn: Turn, view: OfferView) -> Reply:
    return Reply(
        "offers.submitted",
        {**_context(turn, view), "chosen": [_line(line) for line in view.chosen]},
        (to_menu_row(),),
    )


def _closed(turn: Turn, view: OfferView) -> Reply:
    return Reply(
        "offers.closed",
        {
            **_context(turn, view),
            "state": view.offer.state,
            "chosen": [_line(line) for line in view.chosen],
            "submitted_at": view.offer.submitted_at.astimezone(turn.zone)
            if view.offer.submitted_at
            else None,
        },
        (to_menu_row(),),
    )
