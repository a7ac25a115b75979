"""Visits the centre sets, on the caller's session (never commits): staff set, move and record
them; the citizen confirms one or asks for another time. Every message to the citizen goes
through the reminders table, and so do the reminders the day before and two hours before."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features.appointments.ports import VisitPress
from features.appointments.slots import within_hours
from kernel.regions import Regions
from reminders.planning import QuietHours
from reminders.rules import load_rules
from reminders.store import SqlReminderBook, region_calendar
from storage.models import AuditEvent, Citizen, Consent, StaffAlert, Visit

RULES = load_rules(Path(__file__).with_name("rules.yml"))
NOTICE_RULE, REMINDER_RULE, OUTCOME_RULE = "visit_notice", "visit_reminder", "visit_outcome"
CHANGE_ALERT = "visit_change_requested"
KINDS = ("in_person", "video_mfc")
# 000 p.6: 30 minutes in all, of which the video conference at most 15.
VISIT_MINUTES = 30
OPEN_STATES = ("set", "confirmed", "change_requested")
# What staff may record; each only while the visit is open.
MOVES = frozenset({"moved", "cancelled", "attended", "no_show", "rebooked"})


class VisitNotFoundError(LookupError):
    pass


class VisitRefusedError(ValueError):
    """The visit cannot be set or moved so, or the move does not fit its state. `reason`
    names which rule refused it (the desk's words for it): no_consent, state, no_time, offset,
    past, too_far, hours."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def key_of(visit: Visit) -> str:
    return f"visit:{visit.id}"


class SqlVisits:
    def __init__(self, session: AsyncSession, regions: Regions, quiet: QuietHours) -> None:
        self._session = session
        self._regions = regions
        self._book = SqlReminderBook(session, regions, quiet, RULES)

    # --- the centre's side ----------------------------------------------------------------

    async def create(
        self,
        citizen_id: int,
        *,
        kind: str,
        place: str,
        purpose: str,
        starts_at: datetime,
        actor: str,
        now: datetime,
    ) -> Visit:
        """Set a visit and tell the citizen, with the buttons to confirm or ask for another
        time; the reminders before it follow."""
        citizen = await self._session.get(Citizen, citizen_id)
        if citizen is None:
            raise VisitNotFoundError(f"no citizen {citizen_id}")
        if not await self._consents(citizen):
            raise VisitRefusedError(
                "the citizen has not given consent: they cannot be told", "no_consent"
            )
        region = self._regions.code(citizen.region_code)
        await self._check_time(region, starts_at, now)
        visit = Visit(
            citizen_id=citizen.id,
            region_code=region,
            kind=kind,
            place=place.strip(),
            purpose=purpose.strip(),
            starts_at=starts_at,
            state="set",
            stages_done=0,
            created_by=actor,
        )
        self._session.add(visit)
        await self._session.flush()
        self._audit(actor, "visit:set", visit)
        await self._tell(citizen, visit, now, NOTICE_RULE, change="set")
        return visit

    async def search(
        self,
        *,
        state: str | None = None,
        citizen_id: int | None = None,
        regions: Collection[str] | None = None,
        since: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Visit]:
        query = select(Visit)
        if since is not None:
            query = query.where(Visit.starts_at >= since)
        if regions is not None:
            query = query.where(Visit.region_code.in_(regions))
        if state is not None:
            query = query.where(Visit.state == state)
        if citizen_id is not None:
            query = query.where(Visit.citizen_id == citizen_id)
        query = query.order_by(Visit.starts_at, Visit.id).limit(limit).offset(offset)
        return list(await self._session.scalars(query))

    async def get(self, visit_id: int) -> Visit | None:
        return await self._session.get(Visit, visit_id)

    async def move(
        self,
        visit_id: int,
        to: str,
        *,
        actor: str,
        now: datetime,
        starts_at: datetime | None = None,
        note: str | None = None,
        stages_done: int | None = None,
    ) -> Visit:
        """Record what happened to a visit. `moved` sets a new time (asked for by the citizen
        or agreed with them); `rebooked` is a technical failure (000 p.21(3)): a new visit at
        the new time replaces it; `attended` for a video conference needs both stages (000
        p.8); `no_show` tells the citizen how to hand in the documents of a valid reason (000
        p.20)."""
        visit = await self._session.scalar(
            select(Visit).where(Visit.id == visit_id).with_for_update()
        )
        if visit is None:
            raise VisitNotFoundError(f"no visit {visit_id}")
        if to not in MOVES or visit.state not in OPEN_STATES:
            raise VisitRefusedError(
                f"a visit in state {visit.state!r} cannot become {to!r}", "state"
            )
        citizen = await self._session.get_one(Citizen, visit.citizen_id)
        previous = visit.state
        visit.updated_at = now
        await self._resolve_change_alert(visit, now)
        if to in ("moved", "rebooked"):
            if starts_at is None:
                raise VisitRefusedError(f"{to} needs the new time", "no_time")
            await self._check_time(visit.region_code, starts_at, now)
        if to == "moved":
            assert starts_at is not None
            visit.starts_at, visit.state = starts_at, "set"
            visit.change_text = visit.change_to = None
            self._audit(actor, "visit:moved", visit, previous=previous)
            await self._tell(citizen, visit, now, NOTICE_RULE, change="moved")
            return visit
        if to == "attended" and visit.kind == "video_mfc" and (stages_done or 0) < 2:
            # 000 p.8: provided only when both stages are done; the first is only noted.
            visit.stages_done = max(visit.stages_done, stages_done or 0)
            self._audit(actor, "visit:stage", visit, stages_done=visit.stages_done)
            return visit
        await self._book.cancel(key_of(visit), REMINDER_RULE)
        visit.state = "cancelled" if to == "cancelled" else to
        visit.outcome_note = note.strip() if note else None
        if to == "attended":
            visit.stages_done = 2 if visit.kind == "video_mfc" else visit.stages_done
        replacement = None
        if to == "rebooked":
            assert starts_at is not None
            replacement = Visit(
                citizen_id=visit.citizen_id,
                region_code=visit.region_code,
                kind=visit.kind,
                place=visit.place,
                purpose=visit.purpose,
                starts_at=starts_at,
                state="set",
                stages_done=0,
                created_by=actor,
            )
            self._session.add(replacement)
            await self._session.flush()
            visit.replaced_by = replacement.id
            self._audit(actor, "visit:set", replacement, replaces=visit.id)
        self._audit(actor, f"visit:{visit.state}", visit, previous=previous)
        if replacement is not None:
            await self._tell(citizen, replacement, now, NOTICE_RULE, change="rebooked")
        elif to != "attended":
            await self._tell(citizen, visit, now, OUTCOME_RULE, change=to)
        return visit

    async def history(self, visit: Visit) -> list[AuditEvent]:
        rows = await self._session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject == key_of(visit), AuditEvent.action.like("visit:%"))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
        return list(rows)

    # --- the citizen's side ---------------------------------------------------------------

    async def of_citizen(self, citizen_id: int, now: datetime) -> list[Visit]:
        """The citizen's open visits from an hour ago on, soonest first."""
        rows = await self._session.scalars(
            select(Visit)
            .where(
                Visit.citizen_id == citizen_id,
                Visit.state.in_(OPEN_STATES),
                Visit.starts_at > now - timedelta(hours=1),
            )
            .order_by(Visit.starts_at, Visit.id)
        )
        return list(rows)

    async def confirm(self, visit: Visit, now: datetime) -> None:
        visit.state, visit.answered_at = "confirmed", now
        await self._resolve_change_alert(visit, now)
        self._audit(f"citizen:{visit.citizen_id}", "visit:confirmed", visit)

    async def ask_another_time(
        self, visit: Visit, words: str, wanted: datetime | None, now: datetime
    ) -> None:
        """The citizen cannot come then: staff see their words and the moment read from them
        (an alert for the desk) and set a new time."""
        visit.state, visit.answered_at = "change_requested", now
        visit.change_text, visit.change_to = words, wanted
        self._audit(
            f"citizen:{visit.citizen_id}",
            "visit:change_requested",
            visit,
            words=words,
            wanted=wanted.isoformat() if wanted else None,
        )
        await self._resolve_change_alert(visit, now)
        self._session.add(
            StaffAlert(
                kind=CHANGE_ALERT,
                citizen_id=visit.citizen_id,
                key=key_of(visit),
                deadline_on=visit.starts_at.astimezone(
                    self._regions.zone(visit.region_code)
                ).date(),
            )
        )

    # --- shared ---------------------------------------------------------------------------

    async def _check_time(self, region: str, starts_at: datetime, now: datetime) -> None:
        """In the future, on a working day of the region, within the visiting hours (000 p.9,
        `slots.closing_time`), and ending before closing time (000 p.6: 30 minutes)."""
        if starts_at.tzinfo is None:
            raise VisitRefusedError("the time needs its UTC offset", "offset")
        if starts_at <= now:
            raise VisitRefusedError("the time has passed", "past")
        if starts_at > now + timedelta(days=366):
            raise VisitRefusedError("the time is more than a year ahead", "too_far")
        calendar = await region_calendar(self._session, region)
        if not within_hours(starts_at, VISIT_MINUTES, calendar, self._regions.zone(region)):
            raise VisitRefusedError(
                "visits are on working days, Monday to Thursday 09:00-18:00 and Friday "
                "09:00-16:45 local time, and last 30 minutes (000 p.6, p.9)",
                "hours",
            )

    async def _consents(self, citizen: Citizen) -> bool:
        consent = await self._session.scalar(
            select(Consent.id).where(
                Consent.citizen_id == citizen.id, Consent.withdrawn_at.is_(None)
            )
        )
        return consent is not None

    async def _tell(
        self, citizen: Citizen, visit: Visit, now: datetime, rule: str, *, change: str
    ) -> None:
        context = self.context(visit, change)
        if rule == NOTICE_RULE:
            context["actions"] = [
                {"label": "buttons.visit_confirm", "payload": VisitPress(visit.id, "ok").pack()},
                {"label": "buttons.visit_change", "payload": VisitPress(visit.id, "move").pack()},
            ]
        await self._book.notify_now(citizen, rule, key_of(visit), now, context)
        if visit.state in OPEN_STATES:
            await self._book.schedule_before(
                citizen,
                REMINDER_RULE,
                key_of(visit),
                visit.starts_at,
                now=now,
                context=self.context(visit, "reminder"),
            )

    def context(self, visit: Visit, change: str) -> dict[str, Any]:
        """What the citizen's messages about the visit say (JSON-ready, local time)."""
        local = visit.starts_at.astimezone(self._regions.zone(visit.region_code))
        return {
            "change": change,
            "kind": visit.kind,
            "place": visit.place,
            "purpose": visit.purpose,
            "day": local.date().isoformat(),
            "at": local.strftime("%H:%M"),
        }

    async def _resolve_change_alert(self, visit: Visit, now: datetime) -> None:
        alerts = await self._session.scalars(
            select(StaffAlert).where(
                StaffAlert.key == key_of(visit),
                StaffAlert.kind == CHANGE_ALERT,
                StaffAlert.resolved_at.is_(None),
            )
        )
        for alert in alerts:
            alert.resolved_at = now

    def _audit(self, actor: str, action: str, visit: Visit, **details: Any) -> None:
        self._session.add(
            AuditEvent(
                actor=actor,
                action=action,
                subject=key_of(visit),
                details={"visit": visit.id, "starts_at": visit.starts_at.isoformat(), **details},
            )
        )
