"""The "status" screens: all of a citizen's complaints with their state and deadline, and one
complaint in full, found by its number."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dialogs.feature import Controls
from dialogs.flow import Turn
from dialogs.menu import section_button, to_menu_row
from dialogs.payloads import Payload
from dialogs.types import Button, Reply
from features.complaints.grounds import OPEN_STATES
from features.complaints.ports import complaint_desk
from kernel import case_numbers
from storage.models import Complaint

COMPLAINT_LETTER = "Ж"  # case numbers of complaints (kernel.case_numbers)
LISTED = 10  # the newest ones; older ones are found by number


@dataclass(frozen=True)
class StatusPress(Payload, prefix="status"):
    """Open one complaint's card: `status:<number>`."""

    number: str


def _view(turn: Turn, complaint: Complaint) -> dict[str, Any]:
    return {
        "number": complaint.number,
        "state": complaint.state,
        "body": complaint.body,
        "ground": complaint.ground,
        "registered_at": complaint.registered_at.astimezone(turn.zone),
        "due_on": complaint.due_on,
        "late": complaint.state in OPEN_STATES and complaint.due_on < turn.today,
        "answer": complaint.answer,
        "decided_at": complaint.decided_at.astimezone(turn.zone) if complaint.decided_at else None,
        "remedy_due_on": complaint.remedy_due_on,
        "files": len(complaint.attachments or []),
    }


async def status_list(turn: Turn) -> Reply:
    desk = complaint_desk(turn)
    complaints = await desk.of_citizen(turn.citizen.id) if desk else []
    rows = [
        (
            Button(
                "buttons.case",
                StatusPress(str(complaint.number)).pack(),
                {"number": complaint.number},
            ),
        )
        for complaint in complaints[:LISTED]
    ]
    return Reply(
        "status.list",
        {
            "complaints": [_view(turn, complaint) for complaint in complaints[:LISTED]],
            "more": max(0, len(complaints) - LISTED),
        },
        buttons=(*rows, (section_button("complaints"),), to_menu_row()),
    )


async def complaint_card(turn: Turn, number: str) -> Reply:
    desk = complaint_desk(turn)
    complaint = await desk.by_number(number) if desk else None
    buttons = ((section_button("status"),), to_menu_row())
    # Another citizen's complaint is "not found" too: its existence is not ours to tell.
    if complaint is None or complaint.citizen_id != turn.citizen.id:
        return Reply("status.not_found", {"number": number}, buttons)
    return Reply("status.complaint", _view(turn, complaint), buttons)


async def open_status(
    turn: Turn, _controls: Controls, understood: Mapping[str, Any]
) -> list[Reply]:
    """Other features' records, then all the citizen's complaints; one complaint in full when
    the words named its number."""
    number = case_numbers.parse(str(understood.get("case_number", "")))
    if number is not None and number.startswith(COMPLAINT_LETTER):
        return [await complaint_card(turn, number)]
    parts = turn.registry.status_parts if turn.registry else []
    others = [reply for part in parts if (reply := await part(turn)) is not None]
    return [*others, await status_list(turn)]


async def pressed_case(turn: Turn, controls: Controls, data: str) -> list[Reply]:
    press = StatusPress.unpack(data)
    if press is None:
        return controls.expired(turn)
    controls.leave_flow(turn)
    return [await complaint_card(turn, press.number)]


async def typed_number(turn: Turn, _controls: Controls, text: str) -> list[Reply] | None:
    """A complaint's number typed on its own opens its card."""
    number = case_numbers.parse(text)
    if number is None or not number.startswith(COMPLAINT_LETTER):
        return None
    return [await complaint_card(turn, number)]
