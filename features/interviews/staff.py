"""Staff API routes for notifications of negotiations and referrals to work: send one for a
citizen of the staff member's regions (a third open one is refused, 001 ¶3.9.4), list and read
them with the citizen's answers and the whole history, set the meeting the employer agreed or
record the result it reported. Operators read; supervisors and administrators send and
record."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from features.interviews.ports import SERVICE
from features.interviews.schemas import (
    Meeting,
    NoticeDetail,
    NoticeFilter,
    NoticeIn,
    NoticeOut,
    Transition,
)
from features.interviews.service import (
    NoticeNotFoundError,
    NoticeRefusedError,
    SqlInterviews,
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
from storage.models import Citizen, InterviewNotice

NOTICE_ID = Path(ge=1, le=MAX_ID)
NO_CITIZEN = "no citizen"
router = APIRouter(tags=["interviews"])


def staff_router(_kit: object) -> APIRouter:
    return router


def desk(request: Request, db: AsyncSession) -> SqlInterviews:
    interviews: SqlInterviews = service(request, db, SERVICE)
    return interviews


@router.post(
    "/interviews",
    response_model=NoticeDetail,
    status_code=201,
    responses={**ERRORS, 404: {"model": Problem}, 409: {"model": Problem}},
)
async def send_notice(
    request: Request, db: Session, staff: Supervisor, notice: Annotated[NoticeIn, Body()]
) -> NoticeDetail:
    """The citizen is told in Telegram at once, with what to do and by when and the buttons
    to answer; the 3-working-day reporting term starts when Telegram has taken it."""
    citizen = await db.get(Citizen, notice.citizen_id)
    if citizen is None:
        raise HTTPException(404, f"{NO_CITIZEN} {notice.citizen_id}")
    in_scope(staff, citizen.region_code, f"{NO_CITIZEN} {notice.citizen_id}")
    interviews = desk(request, db)
    details = notice.model_dump(exclude={"citizen_id", "meeting_at"})
    try:
        created = await interviews.create(
            citizen.id, details, actor=staff.key, now=now(request), meeting_at=notice.meeting_at
        )
    except NoticeNotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc
    except NoticeRefusedError as exc:
        raise HTTPException(409, str(exc)) from exc
    request.state.subject = key_of(created)
    detail = await _detail(interviews, created)
    await db.commit()
    return detail


@router.get("/interviews", response_model=list[NoticeOut], responses=ERRORS)
async def list_notices(
    request: Request, db: Session, staff: Operator, query: Annotated[NoticeFilter, Query()]
) -> list[InterviewNotice]:
    """Notices of the staff member's regions, the newest first."""
    found = await desk(request, db).search(regions=staff.region_scope, **query.model_dump())
    await db.commit()
    return found


@router.get(
    "/interviews/{notice_id}",
    response_model=NoticeDetail,
    responses={**ERRORS, 404: {"model": Problem}},
)
async def read_notice(
    request: Request, db: Session, staff: Operator, notice_id: int = NOTICE_ID
) -> NoticeDetail:
    interviews = desk(request, db)
    notice = await _found(interviews, notice_id, request, staff)
    detail = await _detail(interviews, notice)
    await db.commit()
    return detail


@router.post(
    "/interviews/{notice_id}/transitions",
    response_model=NoticeDetail,
    responses={**ERRORS, 404: {"model": Problem}, 409: {"model": Problem}},
)
async def move_notice(
    request: Request,
    db: Session,
    staff: Supervisor,
    transition: Annotated[Transition, Body()],
    notice_id: int = NOTICE_ID,
) -> NoticeDetail:
    """meeting: the time the employer agreed (the reminders move); hired, employer_refused,
    declined, no_answer: the result the employer reported (001 ¶3.10.4). The citizen is told
    at once."""
    interviews = desk(request, db)
    notice = await _found(interviews, notice_id, request, staff)
    try:
        if isinstance(transition, Meeting):
            await interviews.set_meeting(
                notice, transition.meeting_at, actor=staff.key, now=now(request)
            )
        else:
            await interviews.record(
                notice,
                transition.to,
                actor=staff.key,
                now=now(request),
                hired_on=transition.hired_on,
                reason=transition.reason,
            )
    except NoticeRefusedError as exc:
        raise HTTPException(409, str(exc)) from exc
    detail = await _detail(interviews, notice)
    await db.commit()
    return detail


async def _found(
    interviews: SqlInterviews, notice_id: int, request: Request, staff: Actor
) -> InterviewNotice:
    notice = await interviews.get(notice_id)
    if notice is None:
        raise HTTPException(404, f"no interview notice {notice_id}")
    in_scope(staff, notice.region_code, f"no interview notice {notice_id}")
    request.state.subject = key_of(notice)
    return notice


async def _detail(interviews: SqlInterviews, notice: InterviewNotice) -> NoticeDetail:
    history = [Event.model_validate(event) for event in await interviews.history(notice)]
    return NoticeDetail(**NoticeOut.model_validate(notice).model_dump(), history=history)
