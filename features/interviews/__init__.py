"""Interviews: notifications of negotiations and referrals to work (001 ¶3.9) reach the
citizen in Telegram with what to do and by when; the citizen says they agreed a meeting (in
their own words), cannot reach the employer, declines after the warning of its consequences,
or asks to prepare (001 ¶3.10.3); the 3-working-day reporting term (001 ¶3.10.2) runs from
delivery with reminders and a staff watchdog. Staff send and read notices through the API."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path

from dialogs.feature import Chat, Section
from features.interviews import pages, staff
from features.interviews.chat import (
    AGREE_FLOW,
    DECLINE_FLOW,
    MOVE_FLOW,
    open_interviews,
    pressed_interview,
    status_part,
)
from features.interviews.ports import SERVICE, InterviewPress
from features.interviews.result import RESULT_FLOW
from features.interviews.service import (
    DECLINED_ALERT,
    MOVE_ALERT,
    NEW_LIST_ALERT,
    NOTICE_RULE,
    PREPARATION_ALERT,
    RESULT_ALERT,
    RULES,
    UNREACHABLE_ALERT,
    SqlInterviews,
    start_term,
)
from features.kit import DeskPages, Feature, Kit, MenuItem, SessionService
from reminders.runner import SentHook


def services(kit: Kit) -> Mapping[str, SessionService]:
    return {SERVICE: lambda session: SqlInterviews(session, kit.regions, kit.quiet_hours)}


def on_reminder_sent(kit: Kit) -> Mapping[str, SentHook]:
    # The reporting term starts when the notice reached the citizen (001 ¶3.10.2).
    return {NOTICE_RULE: partial(start_term, regions=kit.regions, quiet=kit.quiet_hours)}


FEATURE = Feature(
    name="interviews",
    chat=Chat(
        sections=(
            Section(
                "interviews",
                open_interviews,
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
        buttons={InterviewPress.prefix: pressed_interview},
        flows=(AGREE_FLOW, DECLINE_FLOW, RESULT_FLOW, MOVE_FLOW),
        status=(status_part,),
    ),
    templates=Path(__file__).with_name("templates"),
    rules=RULES,
    services=services,
    staff=staff.staff_router,
    desk=DeskPages(
        router=pages.router,
        templates=Path(__file__).with_name("desk_templates"),
        menu=(MenuItem("Собеседования", "/desk/interviews", order=27),),
    ),
    on_reminder_sent=on_reminder_sent,
    alert_kinds={
        UNREACHABLE_ALERT: "собеседование: гражданин не может дозвониться работодателю",
        DECLINED_ALERT: "собеседование: гражданин отказался — оформить отказ (001 ¶3.11.5)",
        PREPARATION_ALERT: "собеседование: просит «Моё собеседование»",
        RESULT_ALERT: "собеседование: гражданин сообщил результат — внести на ЕЦП",
        MOVE_ALERT: "собеседование: гражданин просит другое время",
        NEW_LIST_ALERT: "собеседование: отказ работодателя — новый перечень (001 ¶3.10.6)",
    },
)
