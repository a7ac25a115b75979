"""The citizen's side of visits: the notice's buttons (confirm, another time), the question
of when suits them (read with `nlu.dates`: "в пятницу в 10"), the visits screen and the
status screen's part."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dialogs import validation
from dialogs.feature import Controls
from dialogs.flow import Flow, InvalidInput, Step, Turn
from dialogs.menu import section_button, to_menu_row
from dialogs.types import Button, Keyboard, Reply
from features.appointments.booking_chat import book_button, booking_buttons, slot_view
from features.appointments.ports import VisitPress, booking_desk, visit_desk
from features.appointments.service import OPEN_STATES
from nlu.dates import parse_when
from storage.models import Booking, Visit

CHANGE = "visit_change"


def view(turn: Turn, visit: Visit) -> dict[str, Any]:
    local = visit.starts_at.astimezone(turn.zone)
    return {
        "kind": visit.kind,
        "place": visit.place,
        "purpose": visit.purpose,
        "day": local.date(),
        "at": local.strftime("%H:%M"),
        "state": visit.state,
    }


def _buttons(visit: Visit) -> tuple[tuple[Button, ...], ...]:
    return (
        (
            Button("buttons.visit_confirm", VisitPress(visit.id, "ok").pack()),
            Button("buttons.visit_change", VisitPress(visit.id, "move").pack()),
        ),
    )


async def _own_open_visit(turn: Turn, visit_id: int) -> Visit | None:
    desk = visit_desk(turn)
    visit = await desk.get(visit_id) if desk else None
    # Another citizen's visit, or one already over, is an expired button.
    if visit is None or visit.citizen_id != turn.citizen.id or visit.state not in OPEN_STATES:
        return None
    return visit


async def pressed_visit(turn: Turn, controls: Controls, data: str) -> list[Reply]:
    press = VisitPress.unpack(data)
    visit = await _own_open_visit(turn, press.visit_id) if press else None
    desk = visit_desk(turn)
    if press is None or visit is None or desk is None or press.action not in ("ok", "move"):
        return controls.expired(turn)
    controls.leave_flow(turn)
    if press.action == "ok":
        await desk.confirm(visit, turn.now)
        return [Reply("visit.confirmed", view(turn, visit), buttons=(to_menu_row(),))]
    return controls.start_flow(turn, CHANGE, {"visit_id": visit.id})


def _parse_when(turn: Turn) -> dict[str, Any]:
    """The citizen's words as they are for staff, and the moment read from them if any."""
    if turn.incoming.text is None:
        raise InvalidInput("visit.invalid_not_text")
    try:
        words = validation.clean_text(turn.incoming.text, min_letters=0, max_chars=300)
    except validation.Invalid as error:
        raise InvalidInput(f"visit.invalid_{error.reason}") from error
    if len(words) < 2:
        raise InvalidInput("visit.invalid_too_short")
    when = parse_when(words, turn.zone.key, turn.now)
    wanted = when.localized(turn.zone.key) if when and when.at else None
    return {"words": words, "wanted": wanted.isoformat() if wanted else None}


async def _send_change(turn: Turn) -> list[Reply]:
    desk = visit_desk(turn)
    visit = await _own_open_visit(turn, int(turn.values["visit_id"]))
    if desk is None or visit is None:
        return [Reply("visit.not_open", buttons=(to_menu_row(),))]
    asked = turn.values["when"]
    wanted = datetime.fromisoformat(asked["wanted"]) if asked["wanted"] else None
    await desk.ask_another_time(visit, asked["words"], wanted, turn.now)
    return [
        Reply(
            "visit.change_sent",
            {
                "words": asked["words"],
                "day": wanted.date() if wanted else None,
                "at": wanted.strftime("%H:%M") if wanted else None,
            },
            buttons=(to_menu_row(),),
        )
    ]


CHANGE_FLOW = Flow(
    name=CHANGE,
    steps=(
        Step(
            name="when",
            prompt="visit.ask_time",
            parse=_parse_when,
            error="visit.invalid_too_short",
            free_input=True,
        ),
    ),
    finish=_send_change,
)


async def _booked(turn: Turn) -> list[Booking]:
    desk = booking_desk(turn)
    return await desk.of_citizen(turn.citizen.id, turn.now) if desk else []


def _listing(turn: Turn, visits: list[Visit], bookings: list[Booking]) -> dict[str, Any]:
    return {
        "visits": [view(turn, visit) for visit in visits],
        "bookings": [slot_view(turn, booking.starts_at) for booking in bookings],
    }


async def open_visits(
    turn: Turn, _controls: Controls, _understood: Mapping[str, Any]
) -> list[Reply]:
    """The citizen's coming visits and booked consultation, each with its buttons, and the
    way to book one; or how a visit is arranged."""
    desk = visit_desk(turn)
    visits = await desk.of_citizen(turn.citizen.id, turn.now) if desk else []
    bookings = await _booked(turn)
    if not visits and not bookings:
        return [
            Reply(
                "visit.none",
                buttons=((book_button(),), (section_button("applications"),), to_menu_row()),
            )
        ]
    rows: Keyboard = (
        *(row for visit in visits for row in _buttons(visit)),
        *(row for booking in bookings for row in booking_buttons(booking)),
        *(() if bookings else ((book_button(),),)),
    )
    return [Reply("visit.list", _listing(turn, visits, bookings), buttons=(*rows, to_menu_row()))]


async def status_part(turn: Turn) -> Reply | None:
    desk = visit_desk(turn)
    visits = await desk.of_citizen(turn.citizen.id, turn.now) if desk else []
    bookings = await _booked(turn)
    if not visits and not bookings:
        return None
    return Reply("visit.list", _listing(turn, visits, bookings))
