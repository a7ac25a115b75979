"""Withdrawing consent (152-ФЗ art. 9 p.2): confirm, then erase personal data and record it."""

from __future__ import annotations

from dialogs.flow import Flow, InvalidInput, Step, Turn, choice, normalized_text, step_button
from dialogs.menu import menu_keyboard
from dialogs.types import Keyboard, Reply

NAME = "withdraw"
YES, NO = "yes", "no"


def _keyboard(_turn: Turn) -> Keyboard:
    return (
        (step_button("buttons.withdraw_confirm", NAME, "confirm", YES),),
        (step_button("buttons.withdraw_keep", NAME, "confirm", NO),),
    )


def _parse(turn: Turn) -> str:
    pressed = choice(turn, NAME, "confirm")
    if pressed in (YES, NO):
        return pressed
    text = normalized_text(turn).strip(".!")
    if text in {"да", "отозвать", "удалить"}:
        return YES
    if text in {"нет", "оставить"}:
        return NO
    raise InvalidInput()


async def _finish(turn: Turn) -> list[Reply]:
    if turn.values["confirm"] != YES or turn.consent is None:
        return [Reply("my_data.kept", buttons=menu_keyboard(has_consent=turn.has_consent))]
    await turn.store.withdraw_consent(turn.citizen)
    await turn.audit("consent:withdrawn", version=turn.consent.text_version)
    turn.consent = None
    return [Reply("my_data.withdrawn", buttons=menu_keyboard(has_consent=False))]


WITHDRAW = Flow(
    name=NAME,
    steps=(
        Step(
            name="confirm",
            prompt="my_data.confirm_withdraw",
            keyboard=_keyboard,
            parse=_parse,
            error="my_data.invalid_confirm",
        ),
    ),
    finish=_finish,
)
