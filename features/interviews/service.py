"""Notifications of negotiations and referrals to work, on the caller's session (never
commits): staff send one for a citizen's priority option, at most 2 open at once (001
¶3.9.4); the citizen agrees a meeting, cannot reach the employer, declines, or asks to prepare.
Every message to the citizen goes through the reminders table; the 3-working-day reporting
term (001 ¶3.10.2) starts when Telegram has taken the notice (`start_term`)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from features.interviews.ports import InterviewPress
from kernel.regions import Regions
from reminders.planning import QuietHours, deadline
from reminders.rules import load_rules
from reminders.store import Claimed, SqlReminderBook, region_calendar
from storage.models import AuditEvent, Citizen, Consent, InterviewNotice, StaffAlert

RULES = load_rules(Path(__file__).with_name("rules.yml"))
NOTICE_RULE, REPORT_RULE, MEETING_RULE, UPDATE_RULE = (
    "interview_notice_sent",
    "interview_result",
    "interview_meeting",
    "interview_update",
)
OPEN_STATES = ("sent", "agreed", "unreachable", "move_requested")
MAX_OPEN = 2  # 001 ¶3.9.4: at most two notifications or referrals at the same time
# What staff see at once in the desk's alerts.
UNREACHABLE_ALERT = "interview_unreachable"
DECLINED_ALERT = "interview_declined"
PREPARATION_ALERT = "interview_preparation"  # «Моё собеседование», 001 ¶3.7.6, ¶3.10.3
MOVE_ALERT = "interview_move_requested"
RESULT_ALERT = "interview_result"  # the citizen reported: staff enter it on the ЕЦП
# 001 ¶3.10.6: refused by the employer, the search loops: a new list within 1 working day.
NEW_LIST_ALERT = "interview_new_list"
OUTCOMES = ("hired", "employer_refused", "declined", "no_answer")


class NoticeNotFoundError(LookupError):
    pass


class NoticeRefusedError(ValueError):
    """The notice cannot be sent or changed so: `reason` is too_many (001 ¶3.9.4),
    no_consent, closed or past."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def key_of(notice: InterviewNotice) -> str:
    return f"interview:{notice.id}"


class SqlInterviews:
    def __init__(self, session: AsyncSession, regions: Regions, quiet: QuietHours) -> None:
        self._session = session
        self._regions = regions
        self._quiet = quiet
        self._book = SqlReminderBook(session, regions, quiet, RULES)

    # --- the centre's side ----------------------------------------------------------------

    async def create(
        self,
        citizen_id: int,
        details: Mapping[str, Any],
        *,
        actor: str,
        now: datetime,
        meeting_at: datetime | None = None,
    ) -> InterviewNotice:
        """Send a notification or a referral: the citizen is told at once with the buttons to
        answer, and with the meeting when it is already agreed. A third open one is refused
        (001 ¶3.9.4)."""
        citizen = await self._session.get(Citizen, citizen_id, with_for_update=True)
        if citizen is None:
            raise NoticeNotFoundError(f"no citizen {citizen_id}")
        if not await self._consents(citizen):
            raise NoticeRefusedError(
                "the citizen has not given consent: they cannot be told", "no_consent"
            )
        open_now = await self._session.scalar(
            select(func.count(InterviewNotice.id)).where(
                InterviewNotice.citizen_id == citizen.id,
                InterviewNotice.state.in_(OPEN_STATES),
            )
        )
        if (open_now or 0) >= MAX_OPEN:
            raise NoticeRefusedError(
                "the citizen already has 2 open notifications or referrals (001 ¶3.9.4)",
                "too_many",
            )
        notice = InterviewNotice(
            citizen_id=citizen.id,
            region_code=self._regions.code(citizen.region_code),
            state="sent",
            created_by=actor,
            **details,
        )
        if meeting_at is not None:
            if meeting_at <= now:
                raise NoticeRefusedError("the meeting time has passed", "past")
            notice.state, notice.meeting_at = "agreed", meeting_at
        self._session.add(notice)
        await self._session.flush()
        self._audit(actor, "interview:sent", notice, kind=notice.kind)
        if notice.meeting_at is not None:
            await self._book.schedule_before(
                citizen,
                MEETING_RULE,
                key_of(notice),
                notice.meeting_at,
                now=now,
                context=self.meeting_context(notice),
            )
        context = {
            **self.context(notice),
            **(self.meeting_context(notice) if notice.meeting_at else {}),
            "due_on": (await self._expected_term(notice, now)).isoformat(),
            "actions": [
                {"label": f"buttons.interview_{action}", "payload": press}
                for action, press in self.actions(notice).items()
            ],
        }
        await self._book.notify_now(citizen, NOTICE_RULE, key_of(notice), now, context)
        return notice

    async def search(
        self,
        *,
        state: str | None = None,
        citizen_id: int | None = None,
        regions: Collection[str] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[InterviewNotice]:
        query = select(InterviewNotice)
        if regions is not None:
            query = query.where(InterviewNotice.region_code.in_(regions))
        if state is not None:
            query = query.where(InterviewNotice.state == state)
        if citizen_id is not None:
            query = query.where(InterviewNotice.citizen_id == citizen_id)
        query = query.order_by(InterviewNotice.id.desc()).limit(limit).offset(offset)
        return list(await self._session.scalars(query))

    async def get(self, notice_id: int) -> InterviewNotice | None:
        return await self._session.get(InterviewNotice, notice_id)

    async def history(self, notice: InterviewNotice) -> list[AuditEvent]:
        rows = await self._session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject == key_of(notice), AuditEvent.action.like("interview:%"))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
        return list(rows)

    # --- the citizen's side ---------------------------------------------------------------

    async def of_citizen(self, citizen_id: int) -> list[InterviewNotice]:
        """The citizen's open notices, the oldest first."""
        rows = await self._session.scalars(
            select(InterviewNotice)
            .where(
                InterviewNotice.citizen_id == citizen_id,
                InterviewNotice.state.in_(OPEN_STATES),
            )
            .order_by(InterviewNotice.id)
        )
        return list(rows)

    async def agree(
        self, notice: InterviewNotice, words: str, meeting_at: datetime, now: datetime
    ) -> None:
        """The citizen agreed the day and time with the employer: the meeting is reminded the
        day before and two hours before."""
        notice.state, notice.meeting_at = "agreed", meeting_at
        notice.proposed_text = words
        self._audit(
            f"citizen:{notice.citizen_id}",
            "interview:agreed",
            notice,
            words=words,
            meeting_at=meeting_at.isoformat(),
        )
        citizen = await self._session.get_one(Citizen, notice.citizen_id)
        await self._book.schedule_before(
            citizen,
            MEETING_RULE,
            key_of(notice),
            meeting_at,
            now=now,
            context=self.meeting_context(notice),
        )

    async def ask_move(
        self, notice: InterviewNotice, words: str, wanted: datetime | None, now: datetime
    ) -> None:
        """The citizen asks for another time: staff see their words and the moment read from
        them, agree it with the employer and set it (`set_meeting`)."""
        notice.state, notice.proposed_text, notice.proposed_at = "move_requested", words, wanted
        self._audit(
            f"citizen:{notice.citizen_id}",
            "interview:move_requested",
            notice,
            words=words,
            wanted=wanted.isoformat() if wanted else None,
        )
        self._alert(notice, MOVE_ALERT)

    async def set_meeting(
        self, notice: InterviewNotice, meeting_at: datetime, *, actor: str, now: datetime
    ) -> None:
        """Staff set the time the employer agreed: the reminders move and the citizen is
        told at once."""
        if notice.state not in OPEN_STATES:
            raise NoticeRefusedError(f"the notice is {notice.state}", "closed")
        if meeting_at <= now:
            raise NoticeRefusedError("the time has passed", "past")
        notice.state, notice.meeting_at = "agreed", meeting_at
        await self._resolve(notice, MOVE_ALERT, now)
        self._audit(actor, "interview:meeting_set", notice, meeting_at=meeting_at.isoformat())
        citizen = await self._session.get_one(Citizen, notice.citizen_id)
        context = self.meeting_context(notice)
        await self._book.schedule_before(
            citizen, MEETING_RULE, key_of(notice), meeting_at, now=now, context=context
        )
        await self._book.notify_now(
            citizen, UPDATE_RULE, key_of(notice), now, {**context, "change": "meeting"}
        )

    async def record(
        self,
        notice: InterviewNotice,
        outcome: str,
        *,
        actor: str,
        now: datetime,
        hired_on: date | None = None,
        reason: str | None = None,
    ) -> None:
        """The result as the employer reported it to the centre (001 ¶3.10.4, ¶3.10.5); the
        citizen is told, and after a refusal hears that a new list comes (¶3.10.6)."""
        if notice.state not in OPEN_STATES:
            raise NoticeRefusedError(f"the notice is {notice.state}", "closed")
        await self.report(notice, outcome, now, hired_on=hired_on, reason=reason, actor=actor)
        citizen = await self._session.get_one(Citizen, notice.citizen_id)
        context = {
            **self.context(notice),
            "change": outcome,
            "hired_on": hired_on.isoformat() if hired_on else None,
            "reason": reason,
        }
        await self._book.notify_now(citizen, UPDATE_RULE, key_of(notice), now, context)

    async def unreachable(self, notice: InterviewNotice, now: datetime) -> None:
        notice.state = "unreachable"
        self._audit(f"citizen:{notice.citizen_id}", "interview:unreachable", notice)
        self._alert(notice, UNREACHABLE_ALERT)

    async def decline(self, notice: InterviewNotice, reason: str, now: datetime) -> None:
        """The citizen refuses the option after the warning of its consequences (001
        ¶3.11.2): staff record the refusal within 1 working day (¶3.11.5)."""
        notice.state, notice.reason, notice.reported_at = "declined", reason, now
        await self._book.cancel(key_of(notice))
        self._audit(f"citizen:{notice.citizen_id}", "interview:declined", notice, reason=reason)
        self._alert(notice, DECLINED_ALERT)

    async def report(
        self,
        notice: InterviewNotice,
        outcome: str,
        now: datetime,
        *,
        hired_on: date | None = None,
        reason: str | None = None,
        evidence: Mapping[str, Any] | None = None,
        actor: str | None = None,
    ) -> None:
        """The day and the result of the negotiations (001 ¶3.10.2) from the citizen (or from
        staff, `actor`): the notice closes, its reminders stop, staff see it at once; a
        refusal by the employer asks staff for a new list (¶3.10.6)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"no outcome {outcome!r}")
        notice.state, notice.reported_at = outcome, now
        notice.hired_on, notice.reason = hired_on, reason
        notice.evidence = dict(evidence) if evidence else None
        await self._book.cancel(key_of(notice))
        self._audit(
            actor or f"citizen:{notice.citizen_id}",
            "interview:reported",
            notice,
            outcome=outcome,
            hired_on=hired_on.isoformat() if hired_on else None,
            reason=reason,
            evidence=bool(evidence),
        )
        if outcome == "employer_refused":
            self._alert(notice, NEW_LIST_ALERT)
        elif actor is None:  # staff who recorded it need no alert of their own
            self._alert(notice, RESULT_ALERT)

    async def ask_preparation(self, notice: InterviewNotice, now: datetime) -> None:
        self._audit(f"citizen:{notice.citizen_id}", "interview:preparation_asked", notice)
        self._alert(notice, PREPARATION_ALERT)

    # --- shared ---------------------------------------------------------------------------

    @staticmethod
    def actions(notice: InterviewNotice) -> dict[str, str]:
        return {
            action: InterviewPress(notice.id, action).pack()
            for action in ("agree", "unreachable", "decline", "prepare", "report")
        }

    @staticmethod
    def context(notice: InterviewNotice) -> dict[str, Any]:
        """What the citizen's messages about the notice say (JSON-ready)."""
        return {
            "notice_id": notice.id,
            "kind": notice.kind,
            "referral_number": notice.referral_number,
            "employer": notice.employer,
            "vacancy": notice.vacancy,
            "address": notice.address,
            "directions": notice.directions,
            "contact_name": notice.contact_name,
            "contact_phone": notice.contact_phone,
        }

    def meeting_context(self, notice: InterviewNotice) -> dict[str, Any]:
        assert notice.meeting_at is not None
        local = notice.meeting_at.astimezone(self._regions.zone(notice.region_code))
        return {
            "employer": notice.employer,
            "vacancy": notice.vacancy,
            "address": notice.address,
            "contact_phone": notice.contact_phone,
            "day": local.date().isoformat(),
            "at": local.strftime("%H:%M"),
        }

    async def _expected_term(self, notice: InterviewNotice, now: datetime) -> date:
        """The reporting term's last day if the notice reaches the citizen as soon as the
        quiet hours allow — what `start_term` will count from delivery (001 ¶3.10.2)."""
        zone = self._regions.zone(notice.region_code)
        delivered = self._quiet.next_allowed(now.astimezone(zone))
        calendar = await region_calendar(self._session, notice.region_code)
        return deadline(RULES[REPORT_RULE], delivered, zone, calendar).last_day

    async def _consents(self, citizen: Citizen) -> bool:
        consent = await self._session.scalar(
            select(Consent.id).where(
                Consent.citizen_id == citizen.id, Consent.withdrawn_at.is_(None)
            )
        )
        return consent is not None

    async def _resolve(self, notice: InterviewNotice, kind: str, now: datetime) -> None:
        alerts = await self._session.scalars(
            select(StaffAlert).where(
                StaffAlert.key == key_of(notice),
                StaffAlert.kind == kind,
                StaffAlert.resolved_at.is_(None),
            )
        )
        for alert in alerts:
            alert.resolved_at = now

    def _alert(self, notice: InterviewNotice, kind: str) -> None:
        self._session.add(
            StaffAlert(
                kind=kind,
                citizen_id=notice.citizen_id,
                key=key_of(notice),
                deadline_on=notice.report_due_on,
            )
        )

    def _audit(self, actor: str, action: str, notice: InterviewNotice, **details: Any) -> None:
        self._session.add(
            AuditEvent(
                actor=actor,
                action=action,
                subject=key_of(notice),
                details={"interview": notice.id, **details},
            )
        )


async def start_term(
    session: AsyncSession, item: Claimed, at: datetime, *, regions: Regions, quiet: QuietHours
) -> None:
    """The notice reached the citizen: the 3-working-day reporting term starts now (001
    ¶3.10.2), with its reminders. Called by the reminder runner once the notice is sent — a
    notice set late at night waits for the morning, and so does its term."""
    notice = await session.get(InterviewNotice, int(item.key.partition(":")[2]))
    if notice is None or notice.state not in OPEN_STATES or notice.received_at is not None:
        return
    citizen = await session.get_one(Citizen, notice.citizen_id)
    notice.received_at = at
    term = await SqlReminderBook(session, regions, quiet, RULES).schedule(
        citizen, REPORT_RULE, key_of(notice), at, SqlInterviews.context(notice)
    )
    notice.report_due_on = term.last_day
    session.add(
        AuditEvent(
            actor="system",
            action="interview:received",
            subject=key_of(notice),
            details={"interview": notice.id, "due_on": term.last_day.isoformat()},
        )
    )
