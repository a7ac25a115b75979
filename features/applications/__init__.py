"""Applications for the four services of the centre: which one fits, who may apply, what it
gives, what to prepare and where to file (features/applications/triage.py)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dialogs.feature import Chat, Controls, Section
from dialogs.flow import Turn
from dialogs.types import Reply
from features.applications.triage import APPLICATION, NAME, SERVICE_OF_INTENT, first_step
from features.kit import Feature


async def open_applications(
    turn: Turn, controls: Controls, _understood: Mapping[str, Any]
) -> list[Reply]:
    """The service named in words goes straight to its questions; else the choice of four."""
    values, step = first_step(SERVICE_OF_INTENT.get(turn.intent or ""))
    return controls.start_flow(turn, NAME, values, step)


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
        flows=(APPLICATION,),
    ),
    templates=Path(__file__).with_name("templates"),
)
