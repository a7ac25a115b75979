"""Written questions (003 p.36): asked in the chat when no operator can answer live, answered
by an operator within 3 working days, the answer delivered through the reminders table
(retried, held over quiet hours, survives restarts)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.case_numbers import format_number
from kernel.regions import Regions
from kernel.staff import Actor
from reminders.planning import QuietHours
from reminders.rules import load_rules
from reminders.store import SqlReminderBook
from storage.models import AuditEvent, Citizen, Question, StaffMember

RULES = load_rules(Path(__file__).with_name("rules.yml"))
ANSWER_RULE = "written_question"  # 3 working days, 003 p.36(в)
SENT_RULE = "question_answer_sent"
KIND_LETTER = "В"
MIN_CHARS, MAX_CHARS = 10, 3000


class QuestionError(ValueError):
    """An answer that does not apply (answered already, another region); for the operator."""


def key_of(question: Question) -> str:
    return f"question:{question.id}"


class SqlQuestions:
    def __init__(self, session: AsyncSession, regions: Regions, quiet: QuietHours) -> None:
        self._session = session
        self._regions = regions
        self._book = SqlReminderBook(session, regions, quiet, RULES)

    async def ask(self, citizen: Citizen, text: str, now: datetime) -> Question:
        """Register the question with its number and answer date (003 p.36(б,в))."""
        question = Question(
            citizen_id=citizen.id,
            region_code=self._regions.code(citizen.region_code),
            text=text,
            asked_at=now,
            due_on=now.date(),  # set from the calendar below
            state="open",
        )
        self._session.add(question)
        await self._session.flush()  # the id gives the number
        year = now.astimezone(self._regions.zone(question.region_code)).year
        question.number = format_number(KIND_LETTER, year, question.id)
        term = await self._book.schedule(
            citizen, ANSWER_RULE, key_of(question), now, {"number": question.number}
        )
        question.due_on = term.last_day
        self._session.add(
            AuditEvent(
                actor=f"citizen:{citizen.id}",
                action="question:asked",
                subject=key_of(question),
                details={"number": question.number},
            )
        )
        return question

    async def by_topic(self, topic_id: int) -> Question | None:
        return await self._session.scalar(select(Question).where(Question.topic_id == topic_id))

    async def answer(
        self, question: Question, staff: StaffMember, text: str, now: datetime
    ) -> None:
        """The operator's answer: it goes to the citizen at once, and the term's reminders
        and watchdog stop."""
        if not Actor.of(staff.name, staff.role, staff.regions).covers(question.region_code):
            raise QuestionError("этот регион вы не обслуживаете")
        if question.state != "open":
            raise QuestionError(f"на вопрос уже ответил(а) {question.answered_by}")
        citizen = await self._session.get_one(Citizen, question.citizen_id)
        question.state = "answered"
        question.answer = text
        question.answered_by = staff.name
        question.answered_at = now
        key = key_of(question)
        await self._book.cancel(key, ANSWER_RULE)
        await self._book.notify_now(
            citizen,
            SENT_RULE,
            key,
            now,
            {"number": question.number, "question": question.text, "answer": text},
        )
        self._session.add(
            AuditEvent(
                actor=f"staff:{staff.name}",
                action="question:answered",
                subject=key,
                details={"number": question.number},
            )
        )

    async def erase(self, citizen_id: int) -> None:
        """Consent withdrawn: the question's text is personal data."""
        await self._session.execute(
            update(Question)
            .where(Question.citizen_id == citizen_id)
            .values(text=None)
            .execution_options(synchronize_session=False)
        )
