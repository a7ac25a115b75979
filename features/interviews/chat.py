"""The citizen's side of notifications and referrals: the notice's buttons (agreed a meeting,
cannot reach the employer, decline after the warning, prepare), the question of when the
meeting is (read with `nlu.dates`: "в пятницу в 10"), the reason of a refusal, the interviews
screen and the status screen's part."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from dialogs import validation
from dialogs.feature import Controls
from dialogs.flow import Flow, InvalidInput, Step, Turn, choice, normalized_text, step_button
from dialogs.menu import section_button, to_menu_row
from dialogs.types import Button, Keyboard, Reply
from features.interviews.ports import InterviewPress, interview_desk
from features.interviews.service import OPEN_STATES
from nlu.dates import parse_when
from storage.models import InterviewNotice

AGREE, DECLINE, RESULT, MOVE = (
    "interview_agree",
    "interview_decline",
    "interview_result",
    "interview_move",
)
SUNDAY = 6
ACTIONS = (
    "agree",
    "unreachable",
    "decline",
    "decline_sure",
    "prepare",
    "prep_request",
    "report",
    "move",
)
# What the citizen's words ask of a notice (the NLU's intents).
ACTION_OF_INTENT = {
    "confirm_interview": "agree",
    "reschedule_interview": "move",
    "decline_interview": "decline",
    "report_interview_result": "report",
}
DAYS_OFFERED = 6  # the next days as buttons (Sundays left out)
TIMES_OFFERED = ("09:00", "10:00", "11:00", "14:00", "15:00", "16:00")
_CLOCK = re.compile(r"^(?:в\s*)?([01]?\d|2[0-3])(?:[:.\s]([0-5]\d))?$")


def view(turn: Turn, notice: InterviewNotice) -> dict[str, Any]:
    meeting = notice.meeting_at.astimezone(turn.zone) if notice.meeting_at else None
    return {
        "kind": notice.kind,
        "employer": notice.employer,
        "vacancy": notice.vacancy,
        "address": notice.address,
        "contact_name": notice.contact_name,
        "contact_phone": notice.contact_phone,
        "state": notice.state,
        "due_on": notice.report_due_on,
        "day": meeting.date() if meeting else None,
        "at": meeting.strftime("%H:%M") if meeting else None,
    }


def notice_buttons(notice: InterviewNotice) -> Keyboard:
    """What can be answered now: a meeting agreed can be moved; before, it is agreed."""

    def button(action: str) -> Button:
        return Button(f"buttons.interview_{action}", InterviewPress(notice.id, action).pack())

    first = button("move") if notice.state == "agreed" else button("agree")
    return (
        (first,),
        (button("unreachable"), button("decline")),
        (button("prepare"),),
        (button("report"),),
    )


async def own_open(turn: Turn, notice_id: int) -> InterviewNotice | None:
    desk = interview_desk(turn)
    notice = await desk.get(notice_id) if desk else None
    # Another citizen's notice, or one already closed, is an expired button.
    if notice is None or notice.citizen_id != turn.citizen.id or notice.state not in OPEN_STATES:
        return None
    return notice


async def pressed_interview(turn: Turn, controls: Controls, data: str) -> list[Reply]:
    press = InterviewPress.unpack(data)
    notice = await own_open(turn, press.notice_id) if press else None
    if press is None or notice is None or press.action not in ACTIONS:
        return controls.expired(turn)
    controls.leave_flow(turn)
    return await _act(turn, controls, notice, press.action, {})


async def _act(
    turn: Turn,
    controls: Controls,
    notice: InterviewNotice,
    action: str,
    understood: Mapping[str, Any],
) -> list[Reply]:
    """One answer to a notice, pressed or said ("подтверждаю собеседование завтра в 10": the
    day and time understood from the words are taken as they are)."""
    desk = interview_desk(turn)
    if desk is None:
        return controls.expired(turn)
    shown = view(turn, notice)
    said = _said_moment(turn, understood)
    if action == "agree" and said is not None:
        await desk.agree(notice, turn.incoming.text or f"{said:%d.%m.%Y %H:%M}", said, turn.now)
        return [Reply("interview.agreed", view(turn, notice), buttons=(to_menu_row(),))]
    if action == "move" and said is not None and turn.incoming.text:
        return await _request_move(turn, notice, turn.incoming.text, said)
    if action == "agree":
        return controls.start_flow(turn, AGREE, {"notice_id": notice.id})
    if action == "unreachable":
        await desk.unreachable(notice, turn.now)
        return [
            Reply("interview.unreachable", shown, buttons=(*notice_buttons(notice), to_menu_row()))
        ]
    if action == "decline":  # 001 ¶3.11.2: the consequences come first
        sure = Button(
            "buttons.interview_decline_sure", InterviewPress(notice.id, "decline_sure").pack()
        )
        return [Reply("interview.decline_warning", shown, buttons=((sure,), to_menu_row()))]
    if action == "decline_sure":
        return controls.start_flow(turn, DECLINE, {"notice_id": notice.id})
    if action == "report":
        return controls.start_flow(turn, RESULT, {"notice_id": notice.id})
    if action == "move":
        return controls.start_flow(turn, MOVE, {"notice_id": notice.id})
    if action == "prepare":
        ask = Button(
            "buttons.interview_prep_request", InterviewPress(notice.id, "prep_request").pack()
        )
        return [Reply("interview.preparation", shown, buttons=((ask,), to_menu_row()))]
    await desk.ask_preparation(notice, turn.now)
    return [Reply("interview.preparation_asked", shown, buttons=(to_menu_row(),))]


def _said_moment(turn: Turn, understood: Mapping[str, Any]) -> datetime | None:
    """The day and time the NLU read from the citizen's words, if both and still ahead."""
    day, at = understood.get("day"), understood.get("time")
    if not isinstance(day, date) or not isinstance(at, time):
        return None
    moment = datetime.combine(day, at, tzinfo=turn.zone)
    return moment if moment > turn.now else None


def _words(turn: Turn, max_chars: int) -> str:
    if turn.incoming.text is None:
        raise InvalidInput("interview.invalid_not_text")
    try:
        return validation.clean_text(turn.incoming.text, min_letters=0, max_chars=max_chars)
    except validation.Invalid as error:
        raise InvalidInput(f"interview.invalid_{error.reason}") from error


def _days_keyboard(turn: Turn) -> Keyboard:
    days: list[date] = []
    day = turn.today
    while len(days) < DAYS_OFFERED:
        day += timedelta(days=1)
        if day.weekday() != SUNDAY:
            days.append(day)
    buttons = [
        step_button("buttons.interview_day", AGREE, "when", day.isoformat(), day=day)
        for day in days
    ]
    return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))


def _parse_meeting(turn: Turn) -> dict[str, Any]:
    """A day pressed (the time is asked next), or the day and time in words."""
    pressed = choice(turn, AGREE, "when")
    if pressed is not None:
        try:
            day = date.fromisoformat(pressed)
        except ValueError as error:
            raise InvalidInput("interview.invalid_time") from error
        return {"words": None, "day": day.isoformat(), "at": None}
    words = _words(turn, 300)
    when = parse_when(words, turn.zone.key, turn.now)
    if when is None or when.day < turn.today:
        raise InvalidInput("interview.invalid_time")
    meeting = when.localized(turn.zone.key) if when.at else None
    if meeting is not None and meeting <= turn.now:
        raise InvalidInput("interview.invalid_time")
    return {
        "words": words,
        "day": when.day.isoformat(),
        "at": meeting.isoformat() if meeting else None,
    }


def _times_keyboard(_turn: Turn) -> Keyboard:
    buttons = [
        step_button("buttons.interview_time", AGREE, "time", at, at=at) for at in TIMES_OFFERED
    ]
    return (tuple(buttons[:3]), tuple(buttons[3:]))


def _parse_time(turn: Turn) -> str:
    """The hour of the meeting on the day chosen: a button, or "10", "10:30", "в 14.00"."""
    typed = choice(turn, AGREE, "time") or normalized_text(turn)
    match = _CLOCK.match(typed)
    if match is None:
        raise InvalidInput("interview.invalid_clock")
    at = time(int(match.group(1)), int(match.group(2) or 0))
    day = date.fromisoformat(turn.values["when"]["day"])
    meeting = datetime.combine(day, at, tzinfo=turn.zone)
    if meeting <= turn.now:
        raise InvalidInput("interview.invalid_time")
    return meeting.isoformat()


def _time_context(turn: Turn) -> dict[str, Any]:
    return {"day": date.fromisoformat(turn.values["when"]["day"])}


def _parse_reason(turn: Turn) -> str:
    reason = _words(turn, 1000)
    if sum(char.isalpha() for char in reason) < 3:
        raise InvalidInput("interview.invalid_too_short")
    return reason


async def _agreed(turn: Turn) -> list[Reply]:
    desk = interview_desk(turn)
    notice = await own_open(turn, int(turn.values["notice_id"]))
    if desk is None or notice is None:
        return [Reply("interview.not_open", buttons=(to_menu_row(),))]
    when = turn.values["when"]
    at = datetime.fromisoformat(when["at"] or turn.values["time"])
    words = when["words"] or f"{at:%d.%m.%Y %H:%M}"
    await desk.agree(notice, words, at, turn.now)
    return [Reply("interview.agreed", view(turn, notice), buttons=(to_menu_row(),))]


async def _declined(turn: Turn) -> list[Reply]:
    desk = interview_desk(turn)
    notice = await own_open(turn, int(turn.values["notice_id"]))
    if desk is None or notice is None:
        return [Reply("interview.not_open", buttons=(to_menu_row(),))]
    await desk.decline(notice, str(turn.values["reason"]), turn.now)
    return [Reply("interview.declined", view(turn, notice), buttons=(to_menu_row(),))]


AGREE_FLOW = Flow(
    name=AGREE,
    steps=(
        Step(
            name="when",
            prompt="interview.ask_time",
            parse=_parse_meeting,
            error="interview.invalid_time",
            keyboard=_days_keyboard,
            next=lambda turn: None if turn.values["when"]["at"] else "time",
            free_input=True,
        ),
        Step(
            name="time",
            prompt="interview.ask_clock",
            prompt_context=_time_context,
            parse=_parse_time,
            error="interview.invalid_clock",
            keyboard=_times_keyboard,
            free_input=True,
        ),
    ),
    finish=_agreed,
)


def _parse_wanted(turn: Turn) -> dict[str, Any]:
    """The citizen's words for another time, as they are for staff, and the moment read."""
    words = _words(turn, 300)
    if len(words) < 2:
        raise InvalidInput("interview.invalid_too_short")
    when = parse_when(words, turn.zone.key, turn.now)
    wanted = when.localized(turn.zone.key) if when and when.at else None
    return {"words": words, "wanted": wanted.isoformat() if wanted else None}


async def _move_asked(turn: Turn) -> list[Reply]:
    notice = await own_open(turn, int(turn.values["notice_id"]))
    if notice is None:
        return [Reply("interview.not_open", buttons=(to_menu_row(),))]
    asked = turn.values["when"]
    wanted = datetime.fromisoformat(asked["wanted"]) if asked["wanted"] else None
    return await _request_move(turn, notice, asked["words"], wanted)


async def _request_move(
    turn: Turn, notice: InterviewNotice, words: str, wanted: datetime | None
) -> list[Reply]:
    desk = interview_desk(turn)
    if desk is None:
        return [Reply("interview.not_open", buttons=(to_menu_row(),))]
    await desk.ask_move(notice, words, wanted, turn.now)
    shown = {
        **view(turn, notice),
        "words": words,
        "wanted_day": wanted.date() if wanted else None,
        "wanted_at": wanted.strftime("%H:%M") if wanted else None,
    }
    return [Reply("interview.move_sent", shown, buttons=(to_menu_row(),))]


MOVE_FLOW = Flow(
    name=MOVE,
    steps=(
        Step(
            name="when",
            prompt="interview.ask_move",
            parse=_parse_wanted,
            error="interview.invalid_too_short",
            free_input=True,
        ),
    ),
    finish=_move_asked,
)
DECLINE_FLOW = Flow(
    name=DECLINE,
    steps=(
        Step(
            name="reason",
            prompt="interview.ask_reason",
            parse=_parse_reason,
            error="interview.invalid_too_short",
            free_input=True,
        ),
    ),
    finish=_declined,
)


async def _open_notices(turn: Turn) -> list[InterviewNotice]:
    desk = interview_desk(turn)
    return await desk.of_citizen(turn.citizen.id) if desk else []


async def open_interviews(
    turn: Turn, controls: Controls, understood: Mapping[str, Any]
) -> list[Reply]:
    """Words about an interview reach the right notice: the only open one, or a choice of
    the two; the section itself lists the open notices with their buttons, or says what
    happens before a notice comes."""
    notices = await _open_notices(turn)
    if not notices:
        return [Reply("interview.none", buttons=((section_button("vacancies"),), to_menu_row()))]
    action = ACTION_OF_INTENT.get(turn.intent or "")
    if action is not None and len(notices) == 1:
        return await _act(turn, controls, notices[0], action, understood)
    if action is not None:
        rows = tuple(
            (
                Button(
                    "buttons.interview_pick",
                    InterviewPress(notice.id, action).pack(),
                    {"employer": notice.employer, "vacancy": notice.vacancy},
                ),
            )
            for notice in notices
        )
        return [Reply("interview.which", {"action": action}, buttons=(*rows, to_menu_row()))]
    return [
        Reply("interview.card", view(turn, notice), buttons=notice_buttons(notice))
        for notice in notices
    ] + [Reply("interview.listed", {"count": len(notices)}, buttons=(to_menu_row(),))]


async def status_part(turn: Turn) -> Reply | None:
    notices = await _open_notices(turn)
    if not notices:
        return None
    return Reply("interview.status", {"notices": [view(turn, notice) for notice in notices]})
