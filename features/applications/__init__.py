"""Applications for the four services of the centre: which one fits, who may apply, what it
gives, what to prepare and where to file (triage.py); the guided draft of the application and
résumé that becomes a pre-application the centre sees (draft.py); applications filed elsewhere
tracked by their ЕЦП number (tracking.py); their terms, states and the staff API."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dialogs.feature import Chat, Controls, Section
from dialogs.flow import Turn
from dialogs.types import Reply
from features.applications import pages, staff
from features.applications.correction import CORRECTION_FLOW, CorrectionPress, pressed_correction
from features.applications.draft import DRAFT, StartDraftPress, pressed_draft
from features.applications.ports import SERVICE, served_desk
from features.applications.service import RULES, SqlApplications
from features.applications.status import ApplicationPress, pressed_card, status_part, typed_number
from features.applications.tracking import TRACK, TrackPress, pressed_track
from features.applications.triage import APPLICATION, NAME, SERVICE_OF_INTENT, first_step
from features.kit import DeskPages, Feature, Kit, MenuItem, SessionService


async def open_applications(
    turn: Turn, controls: Controls, _understood: Mapping[str, Any]
) -> list[Reply]:
    """An unfinished draft is offered first; the service named in words goes straight to its
    questions; else the choice of four."""
    if DRAFT.name in turn.drafts:
        return controls.resume_or_start(turn, DRAFT.name)
    values, step = first_step(SERVICE_OF_INTENT.get(turn.intent or ""))
    return controls.start_flow(turn, NAME, values, step)


async def forget(turn: Turn) -> None:
    desk = served_desk(turn)
    if desk is not None:
        await desk.forget(turn.citizen)


def services(kit: Kit) -> Mapping[str, SessionService]:
    return {SERVICE: lambda session: SqlApplications(session, kit.regions, kit.quiet_hours)}


FEATURE = Feature(
    name="applications",
    chat=Chat(
        sections=(
            Section(
                "applications",
                open_applications,
                place=10,
                intents=tuple(SERVICE_OF_INTENT),
            ),
        ),
        buttons={
            StartDraftPress.prefix: pressed_draft,
            TrackPress.prefix: pressed_track,
            ApplicationPress.prefix: pressed_card,
            CorrectionPress.prefix: pressed_correction,
        },
        flows=(APPLICATION, DRAFT, TRACK, CORRECTION_FLOW),
        shortcuts=(typed_number,),
        status=(status_part,),
        on_consent_withdrawn=(forget,),
    ),
    templates=Path(__file__).with_name("templates"),
    rules=RULES,
    services=services,
    staff=staff.staff_router,
    desk=DeskPages(
        router=pages.router,
        templates=Path(__file__).with_name("desk_templates"),
        menu=(MenuItem("Заявления", "/desk/applications", order=20),),
    ),
)
