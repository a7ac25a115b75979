"""/start, the consent section and "my data": what is stored about the citizen."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dialogs.feature import Controls
from dialogs.flow import Turn
from dialogs.menu import to_menu_row
from dialogs.payloads import MenuPress
from dialogs.types import Button, Reply
from features.consent.onboarding import ONBOARDING
from features.consent.withdraw import WITHDRAW


async def start(turn: Turn, controls: Controls) -> list[Reply]:
    if turn.has_consent:
        controls.leave_flow(turn)
        return [
            Reply(
                "start.welcome_back",
                {"name": turn.citizen.display_name},
                buttons=turn.menu_keyboard(has_consent=True),
            )
        ]
    return [Reply("start.greeting", joins_next=True), *controls.start_flow(turn, ONBOARDING.name)]


async def consent(turn: Turn, controls: Controls, _understood: Mapping[str, Any]) -> list[Reply]:
    if turn.has_consent:
        return [controls.menu(turn)]
    return controls.start_flow(turn, ONBOARDING.name)


async def withdraw(turn: Turn, controls: Controls, _understood: Mapping[str, Any]) -> list[Reply]:
    if not turn.has_consent:
        return [Reply("my_data.nothing_stored", buttons=turn.menu_keyboard())]
    return controls.start_flow(turn, WITHDRAW.name)


async def my_data(turn: Turn, _controls: Controls, _understood: Mapping[str, Any]) -> list[Reply]:
    citizen = turn.citizen
    given = turn.consent
    region = turn.config.regions.get(citizen.region_code or "")
    context = {
        "channel": citizen.channel,
        "external_id": citizen.external_id,
        "name": citizen.display_name,
        "username": citizen.username,
        "region": region.name if region else None,
        "consent_version": given.text_version if given else None,
        "consent_given_at": given.given_at.astimezone(turn.zone) if given else None,
    }
    buttons = ((Button("buttons.withdraw", MenuPress("withdraw").pack()),), to_menu_row())
    return [Reply("my_data.show", context, buttons)]
