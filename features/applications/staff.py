"""Staff API routes for applications: list and read them with their terms, alerts and
history; move one along its states, which tells the citizen in Telegram.

Every staff member reads the applications of their regions: operators with the address and
phone masked, and without applications for the support of a disabled person (the service
itself is health data). Supervisors and administrators move them on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Path, Query, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features import masking
from features.applications.catalogue import ALL_SERVICES, DISABILITY
from features.applications.ports import SERVICE
from features.applications.schemas import (
    ApplicationDetail,
    ApplicationFilter,
    ApplicationSummary,
    Finish,
    Refuse,
    Register,
    Transition,
)
from features.applications.service import (
    ApplicationNotFoundError,
    SqlApplications,
    TransitionRefusedError,
    key_of,
)
from features.web import (
    ERRORS,
    Event,
    Operator,
    Problem,
    Session,
    Supervisor,
    in_scope,
    now,
    service,
)
from kernel.staff import Actor
from storage.models import Application, StaffAlert

NUMBER = Path(description="Registration number, e.g. З-2026-000001", max_length=16)
MASKED_ANSWERS = ("address", "phone")
router = APIRouter(tags=["applications"])


def staff_router(_kit: object) -> APIRouter:
    return router


def desk(request: Request, db: AsyncSession) -> SqlApplications:
    applications: SqlApplications = service(request, db, SERVICE)
    return applications


def _services_seen(staff: Actor) -> tuple[str, ...] | None:
    if staff.sees_health_data:
        return None
    return tuple(item for item in ALL_SERVICES if item != DISABILITY)


@router.get("/applications", response_model=list[ApplicationSummary], responses=ERRORS)
async def list_applications(
    request: Request, db: Session, staff: Operator, query: Annotated[ApplicationFilter, Query()]
) -> list[Application]:
    """The applications of the staff member's regions, the oldest first."""
    found = await desk(request, db).search(
        regions=staff.region_scope, services=_services_seen(staff), **query.model_dump()
    )
    await db.commit()
    return found


@router.get(
    "/applications/{number}",
    response_model=ApplicationDetail,
    responses={**ERRORS, 404: {"model": Problem}},
)
async def read_application(
    request: Request, db: Session, staff: Operator, number: str = NUMBER
) -> ApplicationDetail:
    """The whole application with its answers, terms and history."""
    applications = desk(request, db)
    application = await _found(applications, number, request, staff)
    detail = await _detail(db, applications, application, staff)
    await db.commit()
    return detail


@router.post(
    "/applications/{number}/transitions",
    response_model=ApplicationDetail,
    responses={**ERRORS, 404: {"model": Problem}, 409: {"model": Problem}},
)
async def move_application(
    request: Request,
    db: Session,
    staff: Supervisor,
    transition: Annotated[Transition, Body()],
    number: str = NUMBER,
) -> ApplicationDetail:
    """accepted; registered with the ЕЦП number and date (the terms from registration start);
    done with the result; refused with the reason (001 ¶2.7). The citizen is told at once."""
    applications = desk(request, db)
    await _found(applications, number, request, staff)
    try:
        application = await applications.move(
            number,
            transition.to,
            actor=staff.key,
            now=now(request),
            ecp_number=transition.ecp_number if isinstance(transition, Register) else None,
            registered_on=transition.registered_on if isinstance(transition, Register) else None,
            result=transition.result if isinstance(transition, Finish) else None,
            reason=transition.reason if isinstance(transition, Refuse) else None,
        )
    except ApplicationNotFoundError as exc:
        raise HTTPException(404, f"no application {number}") from exc
    except TransitionRefusedError as exc:
        raise HTTPException(409, str(exc)) from exc
    detail = await _detail(db, applications, application, staff)
    await db.commit()
    return detail


async def _found(
    applications: SqlApplications, number: str, request: Request, staff: Actor
) -> Application:
    application = await applications.by_number(number)
    seen = _services_seen(staff)
    if application is None or (seen is not None and application.service not in seen):
        raise HTTPException(404, f"no application {number}")
    in_scope(staff, application.region_code, f"no application {number}")
    request.state.subject = key_of(application)
    return application


async def _detail(
    db: AsyncSession, applications: SqlApplications, application: Application, staff: Actor
) -> ApplicationDetail:
    alerts = await db.scalars(
        select(StaffAlert.kind).where(
            StaffAlert.key == key_of(application), StaffAlert.resolved_at.is_(None)
        )
    )
    history = [Event.model_validate(event) for event in await applications.history(application)]
    answers = dict(application.answers or {})
    if not staff.sees_personal_data:
        answers.update({name: masking.HIDDEN for name in MASKED_ANSWERS if answers.get(name)})
    return ApplicationDetail(
        **ApplicationSummary.model_validate(application).model_dump(),
        personal_data="full" if staff.sees_personal_data else "masked",
        answers=answers,
        accepted_at=application.accepted_at,
        result=application.result,
        refusal_reason=application.refusal_reason,
        decided_at=application.decided_at,
        handled_by=application.handled_by,
        open_alerts=sorted(set(alerts)),
        history=history,
    )
