"""Complaints (pre-trial appeals, 001 §5, 004 §5): the filing flow, the status screens, the
answer deadlines with reminders and staff watchdogs, and the staff API routes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dialogs.feature import Chat, Command, Controls, Section
from dialogs.flow import Turn
from dialogs.types import Reply
from features.complaints import pages, staff
from features.complaints.flow import COMPLAINT
from features.complaints.ports import SERVICE
from features.complaints.service import RULES, SqlComplaints
from features.complaints.status import StatusPress, open_status, pressed_case, typed_number
from features.kit import DeskPages, Feature, Kit, MenuItem, SessionService


async def open_complaints(
    turn: Turn, controls: Controls, _understood: Mapping[str, Any]
) -> list[Reply]:
    return controls.resume_or_start(turn, COMPLAINT.name)


async def complaint_command(turn: Turn, controls: Controls) -> list[Reply]:
    controls.leave_flow(turn)
    return await controls.open_section(turn, "complaints")


async def status_command(turn: Turn, controls: Controls) -> list[Reply]:
    controls.leave_flow(turn)
    return await controls.open_section(turn, "status")


def services(kit: Kit) -> Mapping[str, SessionService]:
    return {SERVICE: lambda session: SqlComplaints(session, kit.regions, kit.quiet_hours)}


FEATURE = Feature(
    name="complaints",
    chat=Chat(
        sections=(
            Section("complaints", open_complaints, place=40, intents=("file_complaint",)),
            Section("status", open_status, place=50, intents=("check_status",), with_notices=True),
        ),
        commands=(
            Command("complaint", complaint_command, order=30),
            Command("status", status_command, order=40),
        ),
        buttons={StatusPress.prefix: pressed_case},
        flows=(COMPLAINT,),
        shortcuts=(typed_number,),
    ),
    templates=Path(__file__).with_name("templates"),
    rules=RULES,
    services=services,
    staff=staff.staff_router,
    desk=DeskPages(
        router=pages.router,
        templates=Path(__file__).with_name("desk_templates"),
        menu=(MenuItem("Жалобы", "/desk/complaints", order=30),),
    ),
)
