"""Submitting, tracking and moving applications, on the caller's session (never commits).

The citizen submits a pre-application prepared with the assistant, or names an application
already filed on the ЕЦП to have its terms tracked; staff (the HTTP API) accept, register,
finish or refuse it. Each change is audited and reaches the citizen through the reminders
table, and every term is a reminder rule of `rules.yml`."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features.applications.catalogue import (
    ACCEPTANCE_RULE,
    AWAY_RULE,
    REGISTRATION_RULES,
    TRACKED_FOR,
    UPDATE_RULE,
)
from kernel.case_numbers import format_number
from kernel.regions import Regions
from reminders.planning import QuietHours
from reminders.rules import load_rules
from reminders.store import SqlReminderBook
from storage.models import Application, AuditEvent, Citizen, JobProfile

KIND_LETTER = "З"  # kernel.case_numbers
RULES = load_rules(Path(__file__).with_name("rules.yml"))

OPEN_STATES = ("submitted", "accepted", "registered")
# submitted -> accepted -> registered -> done; refused from any open state (001 ¶2.7). An
# application the citizen registered on the ЕЦП before the centre looked at it skips accepted.
TRANSITIONS: Mapping[str, frozenset[str]] = {
    "submitted": frozenset({"accepted", "registered", "refused"}),
    "accepted": frozenset({"registered", "refused"}),
    "registered": frozenset({"done", "refused"}),
}
# The résumé's wishes that vacancy ranking reads from the job profile (001 ¶2.6.1(2)).
PROFILE_FIELDS = ("profession", "regions", "desired_salary", "schedule", "employment", "relocate")


class ApplicationNotFoundError(LookupError):
    pass


class TransitionRefusedError(ValueError):
    """The move is not allowed from the application's state, or lacks what it needs."""


def key_of(application: Application) -> str:
    return f"application:{application.id}"


class SqlApplications:
    def __init__(self, session: AsyncSession, regions: Regions, quiet: QuietHours) -> None:
        self._session = session
        self._regions = regions
        self._book = SqlReminderBook(session, regions, quiet, RULES)

    # --- the citizen's side ---------------------------------------------------------------

    async def submit(
        self, citizen: Citizen, service: str, answers: Mapping[str, Any], now: datetime
    ) -> Application:
        """The draft becomes a pre-application with its number; the centre's acceptance term
        starts, and the résumé's wishes update the job profile the vacancy search ranks by."""
        application = await self._new(citizen, service, "assistant", now, dict(answers))
        term = await self._book.schedule(
            citizen, ACCEPTANCE_RULE, key_of(application), now, self._context(application)
        )
        application.due_on, application.due_rule = term.last_day, ACCEPTANCE_RULE
        await self._update_profile(citizen, answers)
        self._audit(f"citizen:{citizen.id}", "application:submitted", application)
        return application

    async def track(
        self,
        citizen: Citizen,
        service: str,
        ecp_number: str,
        registered_on: date,
        now: datetime,
    ) -> Application:
        """An application filed on the ЕЦП, Gosuslugi, at the centre or an MFC: the terms
        that run from its registration are tracked as for one prepared here."""
        application = await self._new(citizen, service, "elsewhere", now, {})
        self._audit(f"citizen:{citizen.id}", "application:tracked", application)
        await self._register(citizen, application, ecp_number, registered_on)
        return application

    async def of_citizen(self, citizen_id: int) -> list[Application]:
        rows = await self._session.scalars(
            select(Application)
            .where(Application.citizen_id == citizen_id)
            .order_by(Application.submitted_at.desc(), Application.id.desc())
        )
        return list(rows)

    async def by_number(self, number: str) -> Application | None:
        found: Application | None = await self._session.scalar(
            select(Application).where(Application.number == number)
        )
        return found

    async def forget(self, citizen: Citizen) -> None:
        """Consent withdrawn: the draft's answers (addresses, phone, last job) are erased; the
        number, service and state stay with the centre's records."""
        for application in await self.of_citizen(citizen.id):
            application.answers = {}

    # --- the centre's side ----------------------------------------------------------------

    async def search(
        self,
        *,
        state: str | None = None,
        service: str | None = None,
        services: Collection[str] | None = None,
        regions: Collection[str] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Application]:
        """Applications by state and service in `regions` and `services` (None: all), the
        oldest open term first."""
        query = select(Application)
        if regions is not None:
            query = query.where(Application.region_code.in_(regions))
        if services is not None:
            query = query.where(Application.service.in_(services))
        if state is not None:
            query = query.where(Application.state == state)
        if service is not None:
            query = query.where(Application.service == service)
        query = query.order_by(Application.submitted_at, Application.id)
        return list(await self._session.scalars(query.limit(limit).offset(offset)))

    async def move(
        self,
        number: str,
        to: str,
        *,
        actor: str,
        now: datetime,
        ecp_number: str | None = None,
        registered_on: date | None = None,
        result: str | None = None,
        reason: str | None = None,
    ) -> Application:
        """Move an application on. Registered needs the ЕЦП number and date and starts the
        terms that run from registration; done needs the result, refused the reason (001
        ¶2.7). Each move reaches the citizen in Telegram."""
        application = await self._session.scalar(
            select(Application).where(Application.number == number).with_for_update()
        )
        if application is None:
            raise ApplicationNotFoundError(number)
        if to not in TRANSITIONS.get(application.state, frozenset()):
            raise TransitionRefusedError(
                f"an application in state {application.state!r} cannot become {to!r}"
            )
        citizen = await self._session.get_one(Citizen, application.citizen_id)
        previous = application.state
        application.handled_by = actor
        application.updated_at = now
        if to == "registered":
            if not ecp_number or registered_on is None:
                raise TransitionRefusedError("registration needs the ЕЦП number and date")
            today = now.astimezone(self._regions.zone(application.region_code)).date()
            if not today - TRACKED_FOR <= registered_on <= today:
                raise TransitionRefusedError(
                    "the registration date must be within the last year, not in the future"
                )
            await self._book.cancel(key_of(application), ACCEPTANCE_RULE)
            await self._register(citizen, application, ecp_number, registered_on)
        else:
            await self._close_or_accept(application, to, now, result, reason)
        self._audit(actor, "application:moved", application, previous=previous, to=to)
        await self._book.notify_now(
            citizen, UPDATE_RULE, key_of(application), now, self._context(application)
        )
        return application

    async def _close_or_accept(
        self,
        application: Application,
        to: str,
        now: datetime,
        result: str | None,
        reason: str | None,
    ) -> None:
        if to == "accepted":
            await self._book.cancel(key_of(application), ACCEPTANCE_RULE)
            application.state, application.accepted_at = "accepted", now
            application.due_on = application.due_rule = None
            return
        text = result if to == "done" else reason
        if not (text and text.strip()):
            needed = "the result" if to == "done" else "the reason (001 ¶2.7)"
            raise TransitionRefusedError(f"{to} needs {needed}")
        await self._book.cancel(key_of(application))
        application.state, application.decided_at = to, now
        application.due_on = application.due_rule = None
        if to == "done":
            application.result = text.strip()
        else:
            application.refusal_reason = text.strip()

    async def history(self, application: Application) -> list[AuditEvent]:
        rows = await self._session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.subject == key_of(application),
                AuditEvent.action.like("application:%"),
            )
            .order_by(AuditEvent.at, AuditEvent.id)
        )
        return list(rows)

    # --- shared ---------------------------------------------------------------------------

    async def _new(
        self,
        citizen: Citizen,
        service: str,
        source: str,
        now: datetime,
        answers: dict[str, Any],
    ) -> Application:
        application = Application(
            citizen_id=citizen.id,
            region_code=self._regions.code(citizen.region_code),
            service=service,
            source=source,
            state="submitted",
            answers=answers,
            submitted_at=now,
        )
        self._session.add(application)
        await self._session.flush()  # the id gives the number: unique without a counter
        local_year = now.astimezone(self._regions.zone(application.region_code)).year
        application.number = format_number(KIND_LETTER, local_year, application.id)
        return application

    async def _register(
        self, citizen: Citizen, application: Application, ecp_number: str, registered_on: date
    ) -> None:
        """Registered on the ЕЦП: the service's terms run from that day (an event on a day
        off counts from the next working day, 001 ¶2.10.2)."""
        application.state = "registered"
        application.ecp_number = ecp_number
        application.registered_on = registered_on
        zone = self._regions.zone(application.region_code)
        event_at = datetime.combine(registered_on, time(12), zone)
        rules = list(REGISTRATION_RULES[application.service])
        if application.answers.get("away"):
            rules.append(AWAY_RULE)
        soonest: tuple[date, str] | None = None
        for rule in rules:
            term = await self._book.schedule(
                citizen, rule, key_of(application), event_at, self._context(application)
            )
            if soonest is None or term.last_day < soonest[0]:
                soonest = (term.last_day, rule)
        application.due_on, application.due_rule = soonest if soonest else (None, None)

    async def _update_profile(self, citizen: Citizen, answers: Mapping[str, Any]) -> None:
        wishes = {name: answers[name] for name in PROFILE_FIELDS if answers.get(name) is not None}
        if not wishes:
            return
        profile = await self._session.get(JobProfile, citizen.id)
        if profile is None:
            profile = JobProfile(citizen_id=citizen.id, regions=[], ipra_restrictions=[])
            self._session.add(profile)
        for name, value in wishes.items():
            setattr(profile, name, value)

    @staticmethod
    def _context(application: Application) -> dict[str, Any]:
        """What the citizen's messages about the application say (JSON-ready)."""
        return {
            "number": application.number,
            "service": application.service,
            "state": application.state,
            "ecp_number": application.ecp_number,
            "registered_on": application.registered_on.isoformat()
            if application.registered_on
            else None,
            "result": application.result,
            "reason": application.refusal_reason,
        }

    def _audit(self, actor: str, action: str, application: Application, **details: Any) -> None:
        self._session.add(
            AuditEvent(
                actor=actor,
                action=action,
                subject=key_of(application),
                details={"number": application.number, **details},
            )
        )
