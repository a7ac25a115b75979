"""An application to correct a typo or an error in a document the centre issued, or in the
data it entered into the information systems (001 ¶3.15.1, variant 3.1.1.6): which document,
what is wrong, what is right, how to reach the citizen; then the pre-application the centre
registers. From registration the centre checks it within 2 working days (¶3.15.2) and fixes it,
or tells the citizen in writing that there is no error, within 5 (¶3.15.3, ¶3.15.4); both
terms are tracked (rules typo_check, typo_correction)."""

from __future__ import annotations

from dataclasses import dataclass

from dialogs import validation
from dialogs.feature import Controls
from dialogs.flow import (
    Flow,
    InvalidInput,
    Parser,
    Step,
    Turn,
    choice,
    normalized_text,
    picked,
    step_button,
)
from dialogs.menu import section_button, to_menu_row
from dialogs.payloads import Payload
from dialogs.types import Button, Keyboard, Reply
from features.applications.catalogue import CORRECTION
from features.applications.ports import application_desk

NAME = "application_correction"
SKIP = "skip"
# What the centre issues or records as the result of the service (001 ¶2.3.1, ¶3.15.1).
DOCUMENTS = ("offer", "referral", "registration", "records", "other")


@dataclass(frozen=True)
class CorrectionPress(Payload, prefix="appfix"):
    """Start an application to correct a typo."""


def correction_button() -> Button:
    return Button("buttons.application_correction", CorrectionPress().pack())


async def pressed_correction(turn: Turn, controls: Controls, _data: str) -> list[Reply]:
    if CorrectionPress.unpack(_data) is None:
        return controls.expired(turn)
    return controls.start_flow(turn, NAME)


def _document_keyboard(_turn: Turn) -> Keyboard:
    return tuple(
        (step_button("buttons.correction_document", NAME, "document", item, document=item),)
        for item in DOCUMENTS
    )


def _parse_document(turn: Turn) -> str:
    document = picked(turn, NAME, "document", DOCUMENTS)
    if document is None:
        raise InvalidInput("application_draft.pick_answer")
    return document


def _text(max_chars: int) -> Parser:
    """What is written and what should be: a date or a number alone is a fair answer."""

    def parse(turn: Turn) -> str:
        if turn.incoming.text is None:
            raise InvalidInput("application_draft.invalid_not_text")
        try:
            return validation.clean_text(turn.incoming.text, min_letters=0, max_chars=max_chars)
        except validation.Invalid as error:
            raise InvalidInput(f"application_draft.invalid_{error.reason}") from error

    return parse


def _parse_phone(turn: Turn) -> str | None:
    if choice(turn, NAME, "phone") == SKIP:
        return None
    try:
        return validation.phone(turn.incoming.contact_phone or turn.incoming.text)
    except validation.Invalid as error:
        raise InvalidInput(f"application_draft.invalid_{error.reason}") from error


def _phone_keyboard(_turn: Turn) -> Keyboard:
    return (
        (step_button("buttons.application_draft_skip", NAME, "phone", SKIP, question="phone"),),
    )


def _summary_keyboard(_turn: Turn) -> Keyboard:
    return (
        (step_button("buttons.application_submit", NAME, "summary", "submit"),),
        (step_button("buttons.correction_again", NAME, "summary", "again"),),
    )


def _parse_summary(turn: Turn) -> str:
    pressed = choice(turn, NAME, "summary")
    if pressed in ("submit", "again"):
        return pressed
    typed = normalized_text(turn).strip(".!")
    if typed in {"отправить", "подать", "да"}:
        return "submit"
    if typed in {"заново", "изменить", "исправить"}:
        return "again"
    raise InvalidInput("application_draft.pick_answer")


def _summary_context(turn: Turn) -> dict[str, str | None]:
    values = turn.values
    return {
        "document": str(values["document"]),
        "wrong": str(values["wrong"]),
        "right": str(values["right"]),
        "phone": values.get("phone"),
    }


async def _finish(turn: Turn) -> list[Reply]:
    answers = _summary_context(turn)
    application = await application_desk(turn).submit(turn.citizen, CORRECTION, answers, turn.now)
    return [
        Reply(
            "application_correction.submitted",
            {"number": application.number, "due_on": application.due_on},
            buttons=((section_button("status"),), to_menu_row()),
        )
    ]


CORRECTION_FLOW = Flow(
    name=NAME,
    steps=(
        Step(
            name="document",
            prompt="application_correction.ask_document",
            parse=_parse_document,
            error="application_draft.pick_answer",
            keyboard=_document_keyboard,
            next=lambda _turn: "wrong",
        ),
        Step(
            name="wrong",
            prompt="application_correction.ask_wrong",
            parse=_text(1000),
            error="application_draft.invalid_empty",
            next=lambda _turn: "right",
            free_input=True,
        ),
        Step(
            name="right",
            prompt="application_correction.ask_right",
            parse=_text(1000),
            error="application_draft.invalid_empty",
            next=lambda _turn: "phone",
            free_input=True,
        ),
        Step(
            name="phone",
            prompt="application_correction.ask_phone",
            parse=_parse_phone,
            error="application_draft.invalid_not_a_phone",
            keyboard=_phone_keyboard,
            next=lambda _turn: "summary",
            free_input=True,
        ),
        Step(
            name="summary",
            prompt="application_correction.summary",
            prompt_context=_summary_context,
            keyboard=_summary_keyboard,
            parse=_parse_summary,
            error="application_draft.pick_answer",
            next=lambda turn: "document" if turn.values.get("summary") == "again" else None,
        ),
    ),
    finish=_finish,
)
