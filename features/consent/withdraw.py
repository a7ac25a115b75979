"""Withdrawing consent (152-ФЗ art. 9 p.2): confirm, then erase personal data and record it."""

from __future__ import annotations

from dialogs.flow import YES, Flow, Step, Turn, YesNo
from dialogs.types import Reply

NAME = "withdraw"
CONFIRM = YesNo(
    flow=NAME,
    step="confirm",
    yes_label="buttons.withdraw_confirm",
    no_label="buttons.withdraw_keep",
    yes_words=frozenset({"да", "отозвать", "удалить"}),
    no_words=frozenset({"нет", "оставить"}),
)


async def _finish(turn: Turn) -> list[Reply]:
    if turn.values["confirm"] != YES or turn.consent is None:
        return [Reply("my_data.kept", buttons=turn.menu_keyboard())]
    await turn.store.withdraw_consent(turn.citizen)
    if turn.registry is not None:  # every feature erases what it keeps about the citizen
        for erase in turn.registry.consent_hooks:
            await erase(turn)
    await turn.audit("consent:withdrawn", version=turn.consent.text_version)
    turn.consent = None
    turn.drafts = {}  # unfinished forms hold personal data too
    return [Reply("my_data.withdrawn", buttons=turn.menu_keyboard(has_consent=False))]


WITHDRAW = Flow(
    name=NAME,
    steps=(
        Step(
            name="confirm",
            prompt="my_data.confirm_withdraw",
            keyboard=CONFIRM.keyboard,
            parse=CONFIRM.parse,
            error="my_data.invalid_confirm",
        ),
    ),
    finish=_finish,
)
