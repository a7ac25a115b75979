"""Staff API routes for visits: set one for a citizen of the staff member's regions, list and
read them with the citizen's answer, move one or record how it went. Operators read;
supervisors and administrators set and record."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from features.appointments.ports import SERVICE
from features.appointments.schemas import (
    Attended,
    Closed,
    Moved,
    Rebooked,
    Transition,
    VisitDetail,
    VisitFilter,
    VisitIn,
    VisitOut,
)
from features.appointments.service import (
    SqlVisits,
    VisitNotFoundError,
    VisitRefusedError,
    key_of,
)
from features.web import (
    ERRORS,
    MAX_ID,
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
from storage.models import Citizen, Visit

VISIT_ID = Path(ge=1, le=MAX_ID)
NO_CITIZEN = "no citizen"
router = APIRouter(tags=["visits"])


def staff_router(_kit: object) -> APIRouter:
    return router


def desk(request: Request, db: AsyncSession) -> SqlVisits:
    visits: SqlVisits = service(request, db, SERVICE)
    return visits


@router.post(
    "/visits",
    response_model=VisitDetail,
    status_code=201,
    responses={**ERRORS, 404: {"model": Problem}, 409: {"model": Problem}},
)
async def set_visit(
    request: Request, db: Session, staff: Supervisor, visit: Annotated[VisitIn, Body()]
) -> VisitDetail:
    """The citizen is told in Telegram at once, with buttons to confirm or ask for another
    time, and reminded the day before and two hours before."""
    citizen = await db.get(Citizen, visit.citizen_id)
    if citizen is None:
        raise HTTPException(404, f"{NO_CITIZEN} {visit.citizen_id}")
    in_scope(staff, citizen.region_code, f"{NO_CITIZEN} {visit.citizen_id}")
    visits = desk(request, db)
    try:
        created = await visits.create(
            citizen.id,
            kind=visit.kind,
            place=visit.place,
            purpose=visit.purpose,
            starts_at=visit.starts_at,
            actor=staff.key,
            now=now(request),
        )
    except VisitRefusedError as exc:
        raise HTTPException(409, str(exc)) from exc
    request.state.subject = key_of(created)
    detail = await _detail(visits, created)
    await db.commit()
    return detail


@router.get("/visits", response_model=list[VisitOut], responses=ERRORS)
async def list_visits(
    request: Request, db: Session, staff: Operator, query: Annotated[VisitFilter, Query()]
) -> list[Visit]:
    """Visits of the staff member's regions, soonest first."""
    found = await desk(request, db).search(regions=staff.region_scope, **query.model_dump())
    await db.commit()
    return found


@router.get(
    "/visits/{visit_id}", response_model=VisitDetail, responses={**ERRORS, 404: {"model": Problem}}
)
async def read_visit(
    request: Request, db: Session, staff: Operator, visit_id: int = VISIT_ID
) -> VisitDetail:
    visits = desk(request, db)
    visit = await _found(visits, visit_id, request, staff)
    detail = await _detail(visits, visit)
    await db.commit()
    return detail


@router.post(
    "/visits/{visit_id}/transitions",
    response_model=VisitDetail,
    responses={**ERRORS, 404: {"model": Problem}, 409: {"model": Problem}},
)
async def move_visit(
    request: Request,
    db: Session,
    staff: Supervisor,
    transition: Annotated[Transition, Body()],
    visit_id: int = VISIT_ID,
) -> VisitDetail:
    """moved (a new time), rebooked (a technical failure, 000 p.21(3)), attended (both stages
    of a video conference, 000 p.8), no_show (the citizen is told how to hand in the
    documents of a valid reason, 000 p.20), cancelled. The citizen is told at once."""
    visits = desk(request, db)
    await _found(visits, visit_id, request, staff)
    try:
        visit = await visits.move(
            visit_id,
            transition.to,
            actor=staff.key,
            now=now(request),
            starts_at=transition.starts_at if isinstance(transition, Moved | Rebooked) else None,
            note=transition.note if isinstance(transition, Rebooked | Closed) else None,
            stages_done=transition.stages_done if isinstance(transition, Attended) else None,
        )
    except VisitNotFoundError as exc:
        raise HTTPException(404, f"no visit {visit_id}") from exc
    except VisitRefusedError as exc:
        raise HTTPException(409, str(exc)) from exc
    detail = await _detail(visits, visit)
    await db.commit()
    return detail


async def _found(visits: SqlVisits, visit_id: int, request: Request, staff: Actor) -> Visit:
    visit = await visits.get(visit_id)
    if visit is None:
        raise HTTPException(404, f"no visit {visit_id}")
    in_scope(staff, visit.region_code, f"no visit {visit_id}")
    request.state.subject = key_of(visit)
    return visit


async def _detail(visits: SqlVisits, visit: Visit) -> VisitDetail:
    history = [Event.model_validate(event) for event in await visits.history(visit)]
    return VisitDetail(**VisitOut.model_validate(visit).model_dump(), history=history)
