"""Staff API routes for complaints: list and read them with their deadlines, alerts and
history; move one along its states, which tells the citizen the decision (004 §5.12)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features.complaints.ports import SERVICE
from features.complaints.schemas import (
    ComplaintDetail,
    ComplaintFilter,
    ComplaintSummary,
    Transition,
)
from features.complaints.service import (
    ComplaintNotFoundError,
    SqlComplaints,
    TransitionRefusedError,
    key_of,
)
from features.web import ERRORS, Event, Problem, Session, Staff, now, service
from storage.models import Complaint, StaffAlert

NUMBER = Path(description="Registration number, e.g. Ж-2026-000042", max_length=16)
router = APIRouter(tags=["complaints"])


def staff_router(_kit: object) -> APIRouter:
    return router


def desk(request: Request, db: AsyncSession) -> SqlComplaints:
    complaints: SqlComplaints = service(request, db, SERVICE)
    return complaints


@router.get("/complaints", response_model=list[ComplaintSummary], responses=ERRORS)
async def list_complaints(
    request: Request, db: Session, _staff: Staff, query: Annotated[ComplaintFilter, Query()]
) -> list[Complaint]:
    found = await desk(request, db).search(now=now(request), **query.model_dump())
    await db.commit()
    return found


@router.get(
    "/complaints/{number}",
    response_model=ComplaintDetail,
    responses={**ERRORS, 404: {"model": Problem}},
)
async def read_complaint(
    request: Request, db: Session, _staff: Staff, number: str = NUMBER
) -> ComplaintDetail:
    complaint = await _found(desk(request, db), number, request)
    detail = await _detail(db, desk(request, db), complaint)
    await db.commit()
    return detail


@router.post(
    "/complaints/{number}/transitions",
    response_model=ComplaintDetail,
    responses={**ERRORS, 404: {"model": Problem}, 409: {"model": Problem}},
)
async def move_complaint(
    request: Request,
    db: Session,
    staff: Staff,
    transition: Transition,
    number: str = NUMBER,
) -> ComplaintDetail:
    """Deciding (upheld, rejected, left_without_answer) sends the citizen the answer in
    Telegram; upheld also sets the remedy deadline, 5 working days (004 §5.12)."""
    complaints = desk(request, db)
    await _found(complaints, number, request)
    try:
        complaint = await complaints.move(
            number,
            transition.to,
            actor=f"staff:{staff.staff_name}",
            now=now(request),
            answer=transition.answer,
        )
    except ComplaintNotFoundError as exc:
        raise HTTPException(404, f"no complaint {number}") from exc
    except TransitionRefusedError as exc:
        raise HTTPException(409, str(exc)) from exc
    detail = await _detail(db, complaints, complaint)
    await db.commit()
    return detail


async def _found(complaints: SqlComplaints, number: str, request: Request) -> Complaint:
    complaint = await complaints.by_number(number)
    if complaint is None:
        raise HTTPException(404, f"no complaint {number}")
    request.state.subject = key_of(complaint)
    return complaint


async def _detail(
    db: AsyncSession, complaints: SqlComplaints, complaint: Complaint
) -> ComplaintDetail:
    alerts = await db.scalars(
        select(StaffAlert.kind).where(
            StaffAlert.key == key_of(complaint), StaffAlert.resolved_at.is_(None)
        )
    )
    history = [Event.model_validate(event) for event in await complaints.history(complaint)]
    summary = ComplaintSummary.model_validate(complaint).model_dump()
    fields = {
        name: getattr(complaint, name)
        for name in ComplaintDetail.model_fields
        if name not in summary and name not in ("open_alerts", "history")
    }
    return ComplaintDetail(**summary, **fields, open_alerts=sorted(set(alerts)), history=history)
