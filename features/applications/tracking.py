"""An application already filed on the ЕЦП, Gosuslugi, at the centre or an MFC: the citizen
names the service, its registration number and date, and its terms are tracked as for one
prepared here (the ЕЦП's notices stay the source of truth, 001 ¶2.3.2, ¶3.14)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from dialogs.feature import Controls
from dialogs.flow import (
    Flow,
    InvalidInput,
    Step,
    Turn,
    choice,
    normalized_text,
    picked,
    step_button,
)
from dialogs.menu import section_button, to_menu_row
from dialogs.payloads import Payload
from dialogs.types import Button, Keyboard, Reply
from features.applications.catalogue import ALL_SERVICES, TRACKED_FOR
from features.applications.days import typed_day
from features.applications.ports import application_desk

NAME = "application_track"
# ЕЦП and Gosuslugi numbers are digits, at times with letters, dashes or slashes.
_ECP_NUMBER = re.compile(r"^[0-9A-Za-zА-Яа-яЁё][0-9A-Za-zА-Яа-яЁё/\-.]{2,39}$")


@dataclass(frozen=True)
class TrackPress(Payload, prefix="apptrack"):
    """Start tracking an application filed elsewhere."""


def track_button() -> Button:
    return Button("buttons.application_track", TrackPress().pack())


async def pressed_track(turn: Turn, controls: Controls, data: str) -> list[Reply]:
    if TrackPress.unpack(data) is None:
        return controls.expired(turn)
    return controls.start_flow(turn, NAME)


def _service_keyboard(_turn: Turn) -> Keyboard:
    return tuple(
        (step_button("buttons.application_service", NAME, "service", item, service=item),)
        for item in ALL_SERVICES
    )


def _parse_service(turn: Turn) -> str:
    service = picked(turn, NAME, "service", ALL_SERVICES)
    if service is None:
        raise InvalidInput("application_draft.pick_answer")
    return service


def _parse_number(turn: Turn) -> str:
    typed = " ".join((turn.incoming.text or "").split()).replace(" ", "")
    if not _ECP_NUMBER.match(typed):
        raise InvalidInput("application_track.invalid_number")
    return typed


def _day_keyboard(_turn: Turn) -> Keyboard:
    return (
        (
            step_button("buttons.application_day", NAME, "registered_on", "0", ago=0),
            step_button("buttons.application_day", NAME, "registered_on", "1", ago=1),
        ),
    )


def _parse_day(turn: Turn) -> str:
    pressed = choice(turn, NAME, "registered_on")
    if pressed in ("0", "1"):
        return (turn.today - timedelta(days=int(pressed))).isoformat()
    day = typed_day(normalized_text(turn), turn.today, ahead=False)
    if day is None or day > turn.today or day < turn.today - TRACKED_FOR:
        raise InvalidInput("application_track.invalid_day")
    return day.isoformat()


async def _finish(turn: Turn) -> list[Reply]:
    service = str(turn.values["service"])
    application = await application_desk(turn).track(
        turn.citizen,
        service,
        str(turn.values["ecp_number"]),
        date.fromisoformat(turn.values["registered_on"]),
        turn.now,
    )
    return [
        Reply(
            "application_track.tracked",
            {
                "number": application.number,
                "service": service,
                "ecp_number": application.ecp_number,
                "registered_on": application.registered_on,
                "due_on": application.due_on,
                "due_rule": application.due_rule,
            },
            buttons=((section_button("status"),), to_menu_row()),
        )
    ]


TRACK = Flow(
    name=NAME,
    steps=(
        Step(
            name="service",
            prompt="application_track.ask_service",
            parse=_parse_service,
            error="application_draft.pick_answer",
            keyboard=_service_keyboard,
            next=lambda _turn: "ecp_number",
        ),
        Step(
            name="ecp_number",
            prompt="application_track.ask_number",
            parse=_parse_number,
            error="application_track.invalid_number",
            next=lambda _turn: "registered_on",
            free_input=True,
        ),
        Step(
            name="registered_on",
            prompt="application_track.ask_day",
            parse=_parse_day,
            error="application_track.invalid_day",
            keyboard=_day_keyboard,
        ),
    ),
    finish=_finish,
)
