"""Talking to a person: a citizen reaches a contact-centre operator, who answers from the
operators' Telegram forum group (a topic per conversation); the conversation comes back to
the bot at the step the citizen left (003 p.34). When nobody can answer live, a written
question, answered within 3 working days (003 p.36)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from dialogs.feature import Chat, Command, Section
from features.kit import DeskPages, Feature, Kit, MenuItem, SessionService
from features.operator import pages
from features.operator.chat import (
    COMMENT_MODE,
    distress_alert,
    forget,
    open_operator,
    operator_command,
    pressed,
    with_a_person,
    writing_comment,
)
from features.operator.ports import SERVICE, OperatorPress
from features.operator.question_flow import QUESTION, open_question
from features.operator.question_flow import SERVICE as QUESTIONS
from features.operator.questions import RULES, SqlQuestions
from features.operator.service import OPERATOR_MODE, QUEUED_MODE, SqlHandovers


def services(kit: Kit) -> Mapping[str, SessionService]:
    return {
        SERVICE: lambda session: SqlHandovers(session, kit.regions, kit.settings.operators),
        QUESTIONS: lambda session: SqlQuestions(session, kit.regions, kit.quiet_hours),
    }


FEATURE = Feature(
    name="operator",
    chat=Chat(
        sections=(
            Section("question", open_question, place=60),
            Section(
                "operator",
                open_operator,
                place=70,
                intents=("request_operator",),
                human=True,
                keeps_flow=True,
            ),
        ),
        commands=(Command("operator", operator_command, order=80),),
        buttons={OperatorPress.prefix: pressed},
        flows=(QUESTION,),
        alerts=(distress_alert,),
        modes={
            QUEUED_MODE: with_a_person,
            OPERATOR_MODE: with_a_person,
            COMMENT_MODE: writing_comment,
        },
        on_consent_withdrawn=(forget,),
    ),
    templates=Path(__file__).with_name("templates"),
    desk=DeskPages(
        router=pages.router,
        templates=Path(__file__).with_name("desk_templates"),
        menu=(
            MenuItem("Очередь", "/desk/queue", order=10),
            MenuItem("Уведомления", "/desk/alerts", order=50),
            MenuItem("Отчёт", "/desk/report", role="supervisor", order=80),
            MenuItem("Ответы и часы", "/desk/settings", role="admin", order=85),
        ),
    ),
    rules=RULES,
    services=services,
)
