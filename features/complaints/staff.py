"""Staff API routes for complaints: list and read them with their deadlines, alerts and
history; move one along its states, which tells the citizen the decision (004 §5.12).

Every staff member reads the complaints of their regions (operators with the complainant's
personal data masked); supervisors and administrators move them on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Path, Query, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features import masking
from features.complaints.ports import SERVICE
from features.complaints.schemas import (
    ComplaintDetail,
    ComplaintFilter,
    ComplaintSummary,
    Decision,
    Transition,
)
from features.complaints.service import (
    ComplaintNotFoundError,
    SqlComplaints,
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
    request: Request, db: Session, staff: Operator, query: Annotated[ComplaintFilter, Query()]
) -> list[Complaint]:
    """The complaints of the staff member's regions."""
    found = await desk(request, db).search(
        now=now(request), regions=staff.region_scope, **query.model_dump()
    )
    await db.commit()
    return found


@router.get(
    "/complaints/{number}",
    response_model=ComplaintDetail,
    responses={**ERRORS, 404: {"model": Problem}},
)
async def read_complaint(
    request: Request, db: Session, staff: Operator, number: str = NUMBER
) -> ComplaintDetail:
    """The whole case; operators see the complainant's name, contacts and addresses masked."""
    complaint = await _found(desk(request, db), number, request, staff)
    detail = await _detail(db, desk(request, db), complaint, staff)
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
    staff: Supervisor,
    transition: Annotated[Transition, Body()],
    number: str = NUMBER,
) -> ComplaintDetail:
    """Deciding (upheld, rejected, left_without_answer) sends the citizen the answer in
    Telegram; upheld also sets the remedy deadline, 5 working days (004 §5.12)."""
    complaints = desk(request, db)
    await _found(complaints, number, request, staff)
    try:
        complaint = await complaints.move(
            number,
            transition.to,
            actor=staff.key,
            now=now(request),
            answer=transition.answer if isinstance(transition, Decision) else None,
        )
    except ComplaintNotFoundError as exc:
        raise HTTPException(404, f"no complaint {number}") from exc
    except TransitionRefusedError as exc:
        raise HTTPException(409, str(exc)) from exc
    detail = await _detail(db, complaints, complaint, staff)
    await db.commit()
    return detail


async def _found(
    complaints: SqlComplaints, number: str, request: Request, staff: Actor
) -> Complaint:
    complaint = await complaints.by_number(number)
    if complaint is None:
        raise HTTPException(404, f"no complaint {number}")
    in_scope(staff, complaint.region_code, f"no complaint {number}")
    request.state.subject = key_of(complaint)
    return complaint


async def _detail(
    db: AsyncSession, complaints: SqlComplaints, complaint: Complaint, staff: Actor
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
        if name not in summary and name not in ("open_alerts", "history", "personal_data")
    }
    if not staff.sees_personal_data:
        fields.update(_masked(complaint))
    return ComplaintDetail(
        **summary,
        **fields,
        personal_data="full" if staff.sees_personal_data else "masked",
        open_alerts=sorted(set(alerts)),
        history=history,
    )


def _masked(complaint: Complaint) -> dict[str, str | None]:
    return {
        "surname": masking.initial(complaint.surname),
        "patronymic": masking.initial(complaint.patronymic),
        "residence": masking.HIDDEN,
        "phone": masking.phone(complaint.phone),
        "email": masking.email(complaint.email),
        "postal_address": masking.HIDDEN,
    }
