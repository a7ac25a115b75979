"""General information, open without consent (002 ¶14: information must not require
registration or personal data): documents, benefits, the centre's contacts."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from dialogs.feature import Chat, Controls, Section
from dialogs.flow import Turn
from dialogs.menu import section_button, to_menu_row
from dialogs.types import Reply
from features.kit import Feature

# intent -> the template that answers it
ANSWERS = {
    "ask_documents": "info.documents",
    "ask_benefits": "info.benefits",
    "ask_contacts": "info.contacts",
}


async def general(_turn: Turn, _controls: Controls, _understood: Mapping[str, Any]) -> list[Reply]:
    return [Reply("info.general", buttons=(to_menu_row(),))]


def answer(template: str, turn: Turn) -> Reply:
    region = turn.config.regions.get(turn.citizen.region_code or "")
    start, end = turn.config.working_hours
    context = {"region": region, "hours_start": start, "hours_end": end}
    human = turn.registry.human_section if turn.registry else None
    rows = ((section_button(human),),) if human else ()
    return Reply(template, context, buttons=(*rows, to_menu_row()))


FEATURE = Feature(
    name="info",
    chat=Chat(
        sections=(Section("info", general, place=1, footer=True, guest=True, guest_place=0),),
        answers={intent: partial(answer, template) for intent, template in ANSWERS.items()},
    ),
    templates=Path(__file__).with_name("templates"),
)
