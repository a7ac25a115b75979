"""Registering, finding and deciding complaints, on the caller's session (never commits).

The citizen's flow registers and reads; staff (the HTTP API now, the web desk later) search
and move a complaint through its review. Each change is written to the audit log, and every
deadline is a reminder rule, so the citizen and staff hear of it on time."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from features.complaints.grounds import (
    DECISIONS,
    OPEN_STATES,
    RESPONDENT_BY_ID,
    TRANSITIONS,
    UPHELD,
    answer_rule,
)
from kernel.case_numbers import format_number
from kernel.regions import Regions
from reminders.planning import QuietHours
from reminders.rules import load_rules
from reminders.store import SqlReminderBook
from storage.models import AuditEvent, Citizen, Complaint, StaffAlert

KIND_LETTER = "Ж"  # nlu/case_numbers.py
ANSWER_RULES = ("complaint_answer", "complaint_answer_short")
REMEDY_RULE = "complaint_remedy"  # 004 §5.12, 002 ¶175
NOTICE_RULE = "complaint_decision_sent"  # 001 ¶5.12
WATCHDOG_KINDS = ("due_soon", "due_today", "overdue")

# The deadline rules this feature schedules (passed to the reminder runner too).
RULES = load_rules(Path(__file__).with_name("rules.yml"))


@dataclass(frozen=True)
class ComplaintDraft:
    """What the citizen's flow collected (001 ¶5.8; 004 §5.4)."""

    ground: str
    respondent: str
    decision: str
    decision_on: date
    arguments: str
    surname: str
    first_name: str
    residence: str
    phone: str
    postal_address: str
    answer_channel: str
    ground_text: str | None = None
    respondent_name: str | None = None
    patronymic: str | None = None
    email: str | None = None
    attachments: Sequence[dict[str, Any]] = field(default_factory=tuple)


class ComplaintNotFoundError(LookupError):
    pass


class TransitionRefusedError(ValueError):
    """The move is not allowed from the complaint's current state, or lacks the answer."""


def key_of(complaint: Complaint) -> str:
    return f"complaint:{complaint.id}"


class SqlComplaints:
    def __init__(self, session: AsyncSession, regions: Regions, quiet: QuietHours) -> None:
        self._session = session
        self._regions = regions
        self._book = SqlReminderBook(session, regions, quiet, RULES)

    # --- the citizen's side ---------------------------------------------------------------

    async def register(self, citizen: Citizen, draft: ComplaintDraft, now: datetime) -> Complaint:
        """Register the complaint, give it its number and set the answer deadline with its
        reminders and staff watchdog (15 or 5 working days, 001 ¶5.10)."""
        respondent = RESPONDENT_BY_ID[draft.respondent]
        rule = answer_rule(draft.ground)
        complaint = Complaint(
            citizen_id=citizen.id,
            region_code=self._regions.code(citizen.region_code),
            state="registered",
            ground=draft.ground,
            ground_text=draft.ground_text,
            respondent=draft.respondent,
            respondent_name=draft.respondent_name,
            body=respondent.body,
            decision=draft.decision,
            decision_on=draft.decision_on,
            arguments=draft.arguments,
            attachments=list(draft.attachments),
            surname=draft.surname,
            first_name=draft.first_name,
            patronymic=draft.patronymic,
            residence=draft.residence,
            phone=draft.phone,
            email=draft.email,
            postal_address=draft.postal_address,
            answer_channel=draft.answer_channel,
            registered_at=now,
            answer_rule=rule,
            due_on=now.date(),  # set from the calendar below
        )
        self._session.add(complaint)
        await self._session.flush()  # the id gives the number: unique without a counter
        local_year = now.astimezone(self._regions.zone(complaint.region_code)).year
        complaint.number = format_number(KIND_LETTER, local_year, complaint.id)
        term = await self._book.schedule(
            citizen,
            rule,
            key_of(complaint),
            now,
            {"number": complaint.number, "escalation": respondent.escalation},
        )
        complaint.due_on = term.last_day
        self._audit(f"citizen:{citizen.id}", "complaint:registered", complaint, rule=rule)
        return complaint

    async def of_citizen(self, citizen_id: int) -> list[Complaint]:
        rows = await self._session.scalars(
            select(Complaint)
            .where(Complaint.citizen_id == citizen_id)
            .order_by(Complaint.registered_at.desc(), Complaint.id.desc())
        )
        return list(rows)

    async def by_number(self, number: str) -> Complaint | None:
        result: Complaint | None = await self._session.scalar(
            select(Complaint).where(Complaint.number == number)
        )
        return result

    # --- the centre's side ----------------------------------------------------------------

    async def search(
        self,
        *,
        now: datetime,
        state: str | None = None,
        body: str | None = None,
        due_before: date | None = None,
        overdue: str | None = None,
        limit: int = 50,
        offset: int = 0,
        regions: Collection[str] | None = None,
    ) -> list[Complaint]:
        """Complaints by state, reviewing body and answer date, in `regions` (None: all).
        `overdue="past"`: open and past the answer deadline in the complaint's region;
        `"soon"`: open with a watchdog alert raised (close to the deadline, on it or past
        it)."""
        query = select(Complaint)
        if regions is not None:
            query = query.where(Complaint.region_code.in_(regions))
        if state is not None:
            query = query.where(Complaint.state == state)
        if body is not None:
            query = query.where(Complaint.body == body)
        if due_before is not None:
            query = query.where(Complaint.due_on < due_before)
        if overdue == "past":
            query = query.where(Complaint.state.in_(OPEN_STATES), self._past_due(now))
        elif overdue == "soon":
            watched = select(StaffAlert.key).where(
                StaffAlert.resolved_at.is_(None),
                StaffAlert.kind.in_(WATCHDOG_KINDS),
                StaffAlert.rule.in_(ANSWER_RULES),
            )
            keys = {key for key in await self._session.scalars(watched) if key}
            ids = [int(key.partition(":")[2]) for key in keys if key.startswith("complaint:")]
            query = query.where(
                Complaint.state.in_(OPEN_STATES),
                or_(Complaint.id.in_(ids), self._past_due(now)),
            )
        query = query.order_by(Complaint.due_on, Complaint.id).limit(limit).offset(offset)
        return list(await self._session.scalars(query))

    def _past_due(self, now: datetime) -> Any:
        """The answer date is before today in the complaint's own region."""
        conditions = [
            and_(Complaint.region_code == code, Complaint.due_on < now.astimezone(zone).date())
            for code, zone in self._regions.zones.items()
        ]
        return or_(false(), *conditions)

    async def move(
        self,
        number: str,
        to: str,
        *,
        actor: str,
        now: datetime,
        answer: str | None = None,
    ) -> Complaint:
        """Move a complaint on in its review. A decision needs the reasoned answer, stops the
        answer reminders, sends the answer to the citizen, and for an upheld complaint sets
        the remedy deadline (5 working days, 004 §5.12) with its watchdog."""
        complaint = await self._session.scalar(
            select(Complaint).where(Complaint.number == number).with_for_update()
        )
        if complaint is None:
            raise ComplaintNotFoundError(number)
        if to not in TRANSITIONS.get(complaint.state, frozenset()):
            raise TransitionRefusedError(
                f"a complaint in state {complaint.state!r} cannot become {to!r}"
            )
        if to in DECISIONS and not (answer and answer.strip()):
            raise TransitionRefusedError("a decision needs the reasoned answer (001 ¶5.12)")
        previous = complaint.state
        complaint.state = to
        complaint.updated_at = now
        complaint.reviewed_by = actor  # whoever acted last: the one who decided, once decided
        if to not in DECISIONS:
            self._audit(actor, "complaint:moved", complaint, previous=previous, to=to)
            return complaint
        assert answer is not None
        complaint.answer = answer.strip()
        complaint.decided_at = now
        citizen = await self._session.get_one(Citizen, complaint.citizen_id)
        key = key_of(complaint)
        for rule in ANSWER_RULES:
            await self._book.cancel(key, rule)
        if to == UPHELD:
            term = await self._book.schedule(
                citizen, REMEDY_RULE, key, now, {"number": complaint.number}
            )
            complaint.remedy_due_on = term.last_day
        await self._book.notify_now(
            citizen,
            NOTICE_RULE,
            key,
            now,
            {
                "number": complaint.number,
                "outcome": to,
                "answer": complaint.answer,
                "body": complaint.body,
                "escalation": RESPONDENT_BY_ID[complaint.respondent].escalation,
                "answer_channel": complaint.answer_channel,
                "remedy_due_on": complaint.remedy_due_on.isoformat()
                if complaint.remedy_due_on
                else None,
            },
        )
        self._audit(actor, "complaint:decided", complaint, previous=previous, to=to)
        return complaint

    def _audit(self, actor: str, action: str, complaint: Complaint, **details: Any) -> None:
        self._session.add(
            AuditEvent(
                actor=actor,
                action=action,
                subject=key_of(complaint),
                details={"number": complaint.number, **details},
            )
        )

    async def history(self, complaint: Complaint) -> list[AuditEvent]:
        """What happened to the complaint: registration, moves, the decision (not who read it;
        that is in the audit log too)."""
        rows = await self._session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject == key_of(complaint), AuditEvent.action.like("complaint:%"))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
        return list(rows)
