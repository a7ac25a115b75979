"""The "status" screens: all of a citizen's complaints with their state and deadline, and one
complaint in full, found by its number."""

from __future__ import annotations

from typing import Any

from dialogs.flow import Turn
from dialogs.menu import section_button, to_menu_row
from dialogs.types import Button, Reply
from features.complaints.catalogue import OPEN_STATES
from storage.models import Complaint

LISTED = 10  # the newest ones; older ones are found by number


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
    complaints = await turn.complaints.of_citizen(turn.citizen.id) if turn.complaints else []
    rows = [
        (Button("buttons.case", f"status:{complaint.number}", {"number": complaint.number}),)
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
    complaint = await turn.complaints.by_number(number) if turn.complaints else None
    buttons = ((section_button("status"),), to_menu_row())
    # Another citizen's complaint is "not found" too: its existence is not ours to tell.
    if complaint is None or complaint.citizen_id != turn.citizen.id:
        return Reply("status.not_found", {"number": number}, buttons)
    return Reply("status.complaint", _view(turn, complaint), buttons)
