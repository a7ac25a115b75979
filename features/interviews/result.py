"""The citizen reports the result of the negotiations (001 ¶3.10.2): hired (from which day),
refused by the employer (the reason, if told), did not go or declined (the reason), or the
employer did not answer; then, if they wish, a photo or PDF of the referral with the
employer's mark (001 ¶3.10.2(4)). Staff see it at once; a refusal by the employer tells the
citizen that a new list comes (¶3.10.6)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from dialogs import validation
from dialogs.flow import (
    Flow,
    InvalidInput,
    Step,
    Turn,
    choice,
    normalized_text,
    picked,
    step_button,
)
from dialogs.menu import section_button, to_menu_row
from dialogs.types import Keyboard, Reply
from features.interviews.chat import RESULT, own_open, view
from features.interviews.ports import interview_desk
from features.interviews.service import OUTCOMES
from nlu.dates import parse_when

NAME = RESULT
SKIP = "skip"
# A start day further off than this is a typo; an earlier one, a late report.
AHEAD, BEHIND = timedelta(days=180), timedelta(days=60)


def _outcome_keyboard(_turn: Turn) -> Keyboard:
    return tuple(
        (step_button("buttons.interview_outcome", NAME, "outcome", item, outcome=item),)
        for item in OUTCOMES
    )


def _parse_outcome(turn: Turn) -> str:
    outcome = picked(turn, NAME, "outcome", OUTCOMES)
    if outcome is None:
        raise InvalidInput("interview.pick_answer")
    return outcome


def _after_outcome(turn: Turn) -> str | None:
    outcome = turn.values.get("outcome")
    if outcome == "hired":
        return "hired_on"
    if outcome in ("employer_refused", "declined"):
        return "reason"
    return "evidence"


def _hired_keyboard(_turn: Turn) -> Keyboard:
    return (
        (
            step_button("buttons.interview_start_day", NAME, "hired_on", "0", ahead=0),
            step_button("buttons.interview_start_day", NAME, "hired_on", "1", ahead=1),
        ),
    )


def _parse_hired_on(turn: Turn) -> str:
    """Today, tomorrow, or a day typed: "с 14.12", "15 декабря"."""
    pressed = choice(turn, NAME, "hired_on")
    if pressed in ("0", "1"):
        return (turn.today + timedelta(days=int(pressed))).isoformat()
    when = parse_when(normalized_text(turn), turn.zone.key, turn.now)
    if when is None:
        raise InvalidInput("interview.invalid_day")
    day = when.day
    if day > turn.today + AHEAD:  # "01.12" typed on 02.12 is this year's, not next year's
        earlier = day.replace(year=day.year - 1)
        day = earlier if earlier >= turn.today - BEHIND else day
    if not turn.today - BEHIND <= day <= turn.today + AHEAD:
        raise InvalidInput("interview.invalid_day")
    return day.isoformat()


def _reason_keyboard(turn: Turn) -> Keyboard:
    if turn.values.get("outcome") != "employer_refused":  # a decline needs its reason
        return ()
    return ((step_button("buttons.interview_no_reason", NAME, "reason", SKIP),),)


def _parse_reason(turn: Turn) -> str | None:
    if choice(turn, NAME, "reason") == SKIP and turn.values.get("outcome") == "employer_refused":
        return None
    if turn.incoming.text is None:
        raise InvalidInput("interview.invalid_not_text")
    try:
        return validation.clean_text(turn.incoming.text, min_letters=3, max_chars=1000)
    except validation.Invalid as error:
        raise InvalidInput(f"interview.invalid_{error.reason}") from error


def _evidence_keyboard(_turn: Turn) -> Keyboard:
    return ((step_button("buttons.interview_no_file", NAME, "evidence", SKIP),),)


def _parse_evidence(turn: Turn) -> dict[str, Any] | None:
    incoming = turn.incoming
    if incoming.attachment is None:
        if choice(turn, NAME, "evidence") == SKIP or normalized_text(turn) in {"нет", "без файла"}:
            return None
        raise InvalidInput("interview.invalid_file")
    try:
        return validation.attached_file(incoming)
    except validation.Invalid as error:
        raise InvalidInput("interview.invalid_file") from error


def _context(turn: Turn) -> dict[str, Any]:
    return {"outcome": turn.values.get("outcome")}


async def _reported(turn: Turn) -> list[Reply]:
    desk = interview_desk(turn)
    notice = await own_open(turn, int(turn.values["notice_id"]))
    if desk is None or notice is None:
        return [Reply("interview.not_open", buttons=(to_menu_row(),))]
    outcome = str(turn.values["outcome"])
    hired_on = turn.values.get("hired_on")
    await desk.report(
        notice,
        outcome,
        turn.now,
        hired_on=date.fromisoformat(hired_on) if hired_on else None,
        reason=turn.values.get("reason"),
        evidence=turn.values.get("evidence"),
    )
    shown = {
        **view(turn, notice),
        "outcome": outcome,
        "hired_on": date.fromisoformat(hired_on) if hired_on else None,
        "evidence": bool(turn.values.get("evidence")),
    }
    rows: Keyboard = ((section_button("vacancies"),),) if outcome != "hired" else ()
    return [Reply("interview.reported", shown, buttons=(*rows, to_menu_row()))]


RESULT_FLOW = Flow(
    name=NAME,
    steps=(
        Step(
            name="outcome",
            prompt="interview.ask_outcome",
            parse=_parse_outcome,
            error="interview.pick_answer",
            keyboard=_outcome_keyboard,
            next=_after_outcome,
        ),
        Step(
            name="hired_on",
            prompt="interview.ask_hired_on",
            parse=_parse_hired_on,
            error="interview.invalid_day",
            keyboard=_hired_keyboard,
            next=lambda _turn: "evidence",
            free_input=True,
        ),
        Step(
            name="reason",
            prompt="interview.ask_result_reason",
            prompt_context=_context,
            parse=_parse_reason,
            error="interview.invalid_too_short",
            keyboard=_reason_keyboard,
            next=lambda _turn: "evidence",
            free_input=True,
        ),
        Step(
            name="evidence",
            prompt="interview.ask_evidence",
            parse=_parse_evidence,
            error="interview.invalid_file",
            keyboard=_evidence_keyboard,
            free_input=True,
        ),
    ),
    finish=_reported,
)
