"""The offer screens: the centre's list of vacancies for the citizen to rank (001 ¶3.7.2).

Buttons carry `OfferPress` (`off:<offer id>:<action>[:<item id>]`). Every press re-reads the
offer, so a button of an older message acts on the list as it stands now; once the ranking is
sent, the offer is read-only. Refusing an option and sending both ask for a confirmation first: a
refusal of suitable work has legal consequences (001 ¶3.10.2, ¶3.11.2)."""

from __future__ import annotations

from typing import Any

from dialogs.feature import Controls
from dialogs.flow import Turn
from dialogs.menu import to_menu_row
from dialogs.types import Button, Keyboard, Reply
from features.offers.ports import (
    OfferClosedError,
    OfferLine,
    OfferPress,
    OfferView,
    offer_desk,
)
from features.vacancies.screens import card_fields
from storage.models import VacancyOffer

EDITS = ("up", "down", "restore", "more", "less", "reset")


def _press(offer: VacancyOffer, action: str, item_id: int | None = None) -> str:
    return OfferPress(offer.id, action, item_id).pack()


DUTY_CHARS = 1500  # the rest is on «Работа в России», linked from the card


async def offer_button(turn: Turn, controls: Controls, data: str) -> list[Reply]:
    """A press on an offer's screen; none of the citizen's data is lost on a stale or
    foreign button."""
    controls.leave_flow(turn)
    press = OfferPress.unpack(data)
    offers = offer_desk(turn)
    if offers is None:
        return [Reply("vacancies.unavailable", buttons=(to_menu_row(),))]
    offer = await offers.get(press.offer_id) if press is not None else None
    if press is None or offer is None or offer.citizen_id != turn.citizen.id:
        return [Reply("common.button_expired", buttons=(to_menu_row(),))]
    action, item_id = press.action, press.item_id
    try:
        if action in EDITS:
            view = await offers.change(turn.citizen, offer.id, action, item_id, turn.now)
            return [offer_list(turn, view)]
        if action == "refuseyes":
            view = await offers.change(turn.citizen, offer.id, "refuse", item_id, turn.now)
            return [offer_list(turn, view)]
        if action == "sendyes":
            view = await offers.submit(turn.citizen, offer.id, turn.now)
            return [_submitted(turn, view)]
    except OfferClosedError:
        return [_closed(turn, await offers.view(offer))]
    view = await offers.view(offer)
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
    offers = offer_desk(turn)
    if offers is None or not turn.has_consent:
        return None
    offer = await offers.open_of(turn.citizen.id)
    if offer is None:
        return None
    return Reply(
        "offers.waiting",
        {"due_on": offer.due_on, "status": offer.citizen_status},
        buttons=((Button("buttons.offer_open", _press(offer, "open")),),),
    )


def offer_list(turn: Turn, view: OfferView) -> Reply:
    offer = view.offer
    rows: list[tuple[Button, ...]] = []
    last = len(view.ranked)
    for number, line in enumerate(view.ranked, start=1):
        item, context = line.item.id, {"n": number}
        row = []
        if number > 1:
            row.append(Button("buttons.offer_up", _press(offer, "up", item), context))
        if number < last:
            row.append(Button("buttons.offer_down", _press(offer, "down", item), context))
        row.append(Button("buttons.offer_card", _press(offer, "card", item), context))
        row.append(Button("buttons.offer_refuse", _press(offer, "refuse", item), context))
        rows.append(tuple(row))
    for line in view.refused:
        rows.append(
            (
                Button(
                    "buttons.offer_restore",
                    _press(offer, "restore", line.item.id),
                    {"job_name": line.vacancy.job_name},
                ),
            )
        )
    counts = []
    if offer.chosen_count > 2:
        counts.append(Button("buttons.offer_less", _press(offer, "less")))
    if offer.chosen_count < last:
        counts.append(Button("buttons.offer_more", _press(offer, "more")))
    if counts:
        rows.append(tuple(counts))
    rows.append((Button("buttons.offer_reset", _press(offer, "reset")),))
    rows.append((Button("buttons.offer_send", _press(offer, "send")),))
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
    return ((Button("buttons.offer_back", _press(offer, "open")),), to_menu_row())


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
            (Button("buttons.offer_refuse_confirm", _press(offer, "refuseyes", line.item.id)),),
            (Button("buttons.offer_keep", _press(offer, "open")),),
        ),
    )


def _send_confirmation(turn: Turn, view: OfferView) -> Reply:
    offer = view.offer
    return Reply(
        "offers.confirm_send",
        {**_context(turn, view), "chosen": [_line(line) for line in view.chosen]},
        (
            (Button("buttons.offer_send_confirm", _press(offer, "sendyes")),),
            (Button("buttons.offer_back", _press(offer, "open")),),
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
