"""/start: greeting, consent to personal-data processing (152-ФЗ art. 9), then the region.

Nothing personal is stored before consent; declining still leaves general information open.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dialogs.flow import (
    NO,
    YES,
    Flow,
    InvalidInput,
    Step,
    Turn,
    YesNo,
    choice,
    normalized_text,
    step_button,
)
from dialogs.types import Keyboard, Reply

NAME = "onboarding"


def _consent_context(turn: Turn) -> Mapping[str, Any]:
    return {"version": turn.config.consent_version}


CONSENT_QUESTION = YesNo(
    flow=NAME,
    step="consent",
    yes_label="buttons.consent_accept",
    no_label="buttons.consent_decline",
    yes_words=frozenset({"да", "согласен", "согласна", "принимаю", "согласие", "ok", "ок"}),
    no_words=frozenset({"нет", "не согласен", "не согласна", "отказываюсь", "отказ"}),
)


async def _record_consent(turn: Turn, answer: str) -> None:
    if answer == NO:
        await turn.audit("consent:declined", version=turn.config.consent_version)
        return
    if turn.consent is None:
        turn.consent = await turn.store.give_consent(turn.citizen, turn.config.consent_version)
        await turn.audit("consent:given", version=turn.config.consent_version)
    # Only now may the profile name be kept: it is personal data.
    turn.citizen.display_name = turn.incoming.display_name
    turn.citizen.username = turn.incoming.username


def _after_consent(turn: Turn) -> str | None:
    return "region" if turn.values.get("consent") == YES else None


def _region_keyboard(turn: Turn) -> Keyboard:
    return tuple(
        (step_button("buttons.region", NAME, "region", code, name=region.name),)
        for code, region in turn.config.regions.items()
    )


def _parse_region(turn: Turn) -> str:
    pressed = choice(turn, NAME, "region")
    if pressed is not None and pressed in turn.config.regions:
        return pressed
    text = normalized_text(turn)
    if text:
        for code, region in turn.config.regions.items():
            if text == code or region.name.lower().replace("ё", "е").startswith(text):
                return code
    raise InvalidInput()


async def _save_region(turn: Turn, code: str) -> None:
    turn.citizen.region_code = code


async def _finish(turn: Turn) -> list[Reply]:
    if turn.values.get("consent") != YES:
        return [Reply("consent.declined", buttons=turn.menu_keyboard(has_consent=False))]
    region = turn.config.regions[turn.values["region"]]
    return [
        Reply(
            "onboarding.done",
            {"name": turn.citizen.display_name, "region": region.name},
            buttons=turn.menu_keyboard(has_consent=True),
        )
    ]


ONBOARDING = Flow(
    name=NAME,
    steps=(
        Step(
            name="consent",
            prompt="consent.ask",
            prompt_context=_consent_context,
            keyboard=CONSENT_QUESTION.keyboard,
            parse=CONSENT_QUESTION.parse,
            error="consent.invalid",
            effect=_record_consent,
            next=_after_consent,
        ),
        Step(
            name="region",
            prompt="onboarding.ask_region",
            keyboard=_region_keyboard,
            parse=_parse_region,
            error="onboarding.invalid_region",
            effect=_save_region,
        ),
    ),
    finish=_finish,
)
