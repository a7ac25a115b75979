"""The citizen's side of notifications and referrals: the notice's buttons (agreed a meeting,
cannot reach the employer, decline after the warning, prepare), the question of when the
meeting is (read with `nlu.dates`: "в пятницу в 10"), the reason of a refusal, the interviews
screen and the status screen's part."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dialogs import validation
from dialogs.feature import Controls
from dialogs.flow import Flow, InvalidInput, Step, Turn
from dialogs.menu import section_button, to_menu_row
from dialogs.types import Button, Keyboard, Reply
from features.interviews.ports import InterviewPress, interview_desk
from features.interviews.service import OPEN_STATES
from nlu.dates import parse_when
from storage.models import InterviewNotice

AGREE, DECLINE, RESULT = "interview_agree", "interview_decline", "interview_result"
ACTIONS = (
    "agree",
    "unreachable",
    "decline",
    "decline_sure",
    "prepare",
    "prep_request",
    "report",
)


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
    def button(action: str) -> Button:
        return Button(f"buttons.interview_{action}", InterviewPress(notice.id, action).pack())

    return (
        (button("agree"),),
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
    desk = interview_desk(turn)
    if press is None or notice is None or desk is None or press.action not in ACTIONS:
        return controls.expired(turn)
    controls.leave_flow(turn)
    shown = view(turn, notice)
    if press.action == "agree":
        return controls.start_flow(turn, AGREE, {"notice_id": notice.id})
    if press.action == "unreachable":
        await desk.unreachable(notice, turn.now)
        return [
            Reply("interview.unreachable", shown, buttons=(*notice_buttons(notice), to_menu_row()))
        ]
    if press.action == "decline":  # 001 ¶3.11.2: the consequences come first
        sure = Button(
            "buttons.interview_decline_sure", InterviewPress(notice.id, "decline_sure").pack()
        )
        return [Reply("interview.decline_warning", shown, buttons=((sure,), to_menu_row()))]
    if press.action == "decline_sure":
        return controls.start_flow(turn, DECLINE, {"notice_id": notice.id})
    if press.action == "report":
        return controls.start_flow(turn, RESULT, {"notice_id": notice.id})
    if press.action == "prepare":
        ask = Button(
            "buttons.interview_prep_request", InterviewPress(notice.id, "prep_request").pack()
        )
        return [Reply("interview.preparation", shown, buttons=((ask,), to_menu_row()))]
    await desk.ask_preparation(notice, turn.now)
    return [Reply("interview.preparation_asked", shown, buttons=(to_menu_row(),))]


def _words(turn: Turn, max_chars: int) -> str:
    if turn.incoming.text is None:
        raise InvalidInput("interview.invalid_not_text")
    try:
        return validation.clean_text(turn.incoming.text, min_letters=0, max_chars=max_chars)
    except validation.Invalid as error:
        raise InvalidInput(f"interview.invalid_{error.reason}") from error


def _parse_meeting(turn: Turn) -> dict[str, Any]:
    """The day and the time agreed with the employer: both are needed, and not in the past."""
    words = _words(turn, 300)
    when = parse_when(words, turn.zone.key, turn.now)
    meeting = when.localized(turn.zone.key) if when and when.at else None
    if meeting is None or meeting <= turn.now:
        raise InvalidInput("interview.invalid_time")
    return {"words": words, "at": meeting.isoformat()}


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
    meeting = turn.values["when"]
    await desk.agree(notice, meeting["words"], datetime.fromisoformat(meeting["at"]), turn.now)
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
            free_input=True,
        ),
    ),
    finish=_agreed,
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
    turn: Turn, _controls: Controls, _understood: Mapping[str, Any]
) -> list[Reply]:
    """The open notices, each with its buttons; or what happens before a notice comes."""
    notices = await _open_notices(turn)
    if not notices:
        return [Reply("interview.none", buttons=((section_button("vacancies"),), to_menu_row()))]
    return [
        Reply("interview.card", view(turn, notice), buttons=notice_buttons(notice))
        for notice in notices
    ] + [Reply("interview.listed", {"count": len(notices)}, buttons=(to_menu_row(),))]


async def status_part(turn: Turn) -> Reply | None:
    notices = await _open_notices(turn)
    if not notices:
        return None
    return Reply("interview.status", {"notices": [view(turn, notice) for notice in notices]})
