"""The citizen's applications on the status screen, one in full by its button or its number
typed (З-2026-000001), with the state and the next term."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dialogs.feature import Controls
from dialogs.flow import Turn
from dialogs.menu import section_button, to_menu_row
from dialogs.payloads import Payload
from dialogs.types import Button, Reply
from features.applications.ports import application_desk, served_desk
from features.applications.service import KIND_LETTER, OPEN_STATES
from kernel import case_numbers
from storage.models import Application

LISTED = 10  # the newest ones; older ones are found by number


@dataclass(frozen=True)
class ApplicationPress(Payload, prefix="appcard"):
    """Open one application's card: `appcard:<number>`."""

    number: str


def _view(turn: Turn, application: Application) -> dict[str, Any]:
    return {
        "number": application.number,
        "service": application.service,
        "state": application.state,
        "source": application.source,
        "submitted_at": application.submitted_at.astimezone(turn.zone),
        "ecp_number": application.ecp_number,
        "registered_on": application.registered_on,
        "due_on": application.due_on,
        "due_rule": application.due_rule,
        "late": application.state in OPEN_STATES
        and application.due_on is not None
        and application.due_on < turn.today,
        "result": application.result,
        "reason": application.refusal_reason,
    }


async def status_part(turn: Turn) -> Reply | None:
    """The citizen's applications, newest first; nothing when there are none."""
    desk = served_desk(turn)
    applications = await desk.of_citizen(turn.citizen.id) if desk else []
    if not applications:
        return None
    shown = applications[:LISTED]
    rows = tuple(
        (
            Button(
                "buttons.application_card",
                ApplicationPress(str(item.number)).pack(),
                {"number": item.number, "service": item.service},
            ),
        )
        for item in shown
    )
    return Reply(
        "application_status.list",
        {
            "applications": [_view(turn, item) for item in shown],
            "more": len(applications) - len(shown),
        },
        buttons=rows,
    )


async def application_card(turn: Turn, number: str) -> Reply:
    application = await application_desk(turn).by_number(number)
    buttons = ((section_button("status"),), to_menu_row())
    # Another citizen's application is "not found" too: its existence is not ours to tell.
    if application is None or application.citizen_id != turn.citizen.id:
        return Reply("application_status.not_found", {"number": number}, buttons)
    return Reply("application_status.card", _view(turn, application), buttons)


async def pressed_card(turn: Turn, controls: Controls, data: str) -> list[Reply]:
    press = ApplicationPress.unpack(data)
    if press is None:
        return controls.expired(turn)
    controls.leave_flow(turn)
    return [await application_card(turn, press.number)]


async def typed_number(turn: Turn, _controls: Controls, text: str) -> list[Reply] | None:
    """An application's number typed in a message opens its card."""
    number = case_numbers.parse(text)
    if number is None or not number.startswith(KIND_LETTER):
        return None
    return [await application_card(turn, number)]
