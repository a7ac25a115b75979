"""The written question in the chat: one free-text step, then the number and the answer date
(003 p.36(б,в))."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from dialogs.feature import Controls
from dialogs.flow import Flow, InvalidInput, Step, Turn
from dialogs.types import Reply
from features.operator.questions import MAX_CHARS, MIN_CHARS, SqlQuestions

NAME = "question"
SERVICE = "questions"


def _questions(turn: Turn) -> SqlQuestions | None:
    return cast("SqlQuestions | None", turn.services.get(SERVICE))


def _parse(turn: Turn) -> str:
    if turn.incoming.attachment is not None or turn.incoming.location is not None:
        raise InvalidInput("question.invalid_not_text")
    text = " ".join((turn.incoming.text or "").split())
    if len(text) < MIN_CHARS:
        raise InvalidInput("question.invalid_too_short", minimum=MIN_CHARS)
    if len(text) > MAX_CHARS:
        raise InvalidInput("question.invalid_too_long", maximum=MAX_CHARS, length=len(text))
    return text


async def _finish(turn: Turn) -> list[Reply]:
    questions = _questions(turn)
    if questions is None:
        return [Reply("operator.unavailable", {"phone": None}, turn.menu_keyboard())]
    question = await questions.ask(turn.citizen, turn.values["text"], turn.now)
    return [
        Reply(
            "question.registered",
            {"number": question.number, "due_on": question.due_on},
            turn.menu_keyboard(),
        )
    ]


QUESTION = Flow(
    name=NAME,
    steps=(
        Step(
            name="text",
            prompt="question.ask",
            parse=_parse,
            error="question.invalid_too_short",
            free_input=True,
        ),
    ),
    finish=_finish,
)


async def open_question(
    turn: Turn, controls: Controls, _understood: Mapping[str, Any]
) -> list[Reply]:
    return controls.start_flow(turn, NAME)
