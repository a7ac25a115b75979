"""Sections that are not built yet: interviews (in the menu). Each says so plainly and repeats
what the citizen's words told it; the terms they will use are here too. A section moves into
a package of its own when it is built."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dialogs.feature import Chat, Controls, Section, SectionOpener
from dialogs.flow import Turn
from dialogs.menu import to_menu_row
from dialogs.types import Reply
from features.kit import Feature
from reminders.rules import load_rules


def _soon(name: str) -> SectionOpener:
    async def opened(
        _turn: Turn, _controls: Controls, understood: Mapping[str, Any]
    ) -> list[Reply]:
        return [
            Reply(
                "menu.coming_soon",
                {"section": name, "understood": dict(understood)},
                buttons=(to_menu_row(),),
            )
        ]

    return opened


FEATURE = Feature(
    name="planned",
    chat=Chat(
        sections=(
            Section(
                "interviews",
                _soon("interviews"),
                place=30,
                intents=(
                    "confirm_interview",
                    "reschedule_interview",
                    "decline_interview",
                    "report_interview_result",
                ),
                dated_intents=frozenset({"reschedule_interview", "confirm_interview"}),
            ),
        ),
    ),
    templates=Path(__file__).with_name("templates"),
    rules=load_rules(Path(__file__).with_name("rules.yml")),
)
