"""The staff HTTP API (FastAPI): complaints, and vacancy offers (admin/offers_api.py).

Every call is authenticated with a staff token and written to the audit log, whatever its
outcome; malformed input gets 422 with a message that names the field."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

from fastapi import FastAPI, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin.deps import ERRORS, Session, Staff
from admin.schemas import (
    ComplaintDetail,
    ComplaintFilter,
    ComplaintSummary,
    Event,
    Problem,
    Transition,
)
from features.complaints.service import (
    ComplaintNotFoundError,
    SqlComplaints,
    TransitionRefusedError,
    key_of,
)
from features.offers.staff import OfferDeskFactory, SearchFactory, add_offer_routes
from kernel.clock import utc_now
from kernel.regions import Regions
from reminders.planning import QuietHours
from storage.models import AuditEvent, Complaint, StaffAlert

log = logging.getLogger(__name__)

NUMBER = Path(description="Registration number, e.g. Ж-2026-000042", max_length=16)


def create_app(
    sessions: async_sessionmaker[AsyncSession],
    regions: Regions,
    quiet: QuietHours,
    clock: Callable[[], datetime] = utc_now,
    *,
    offers: OfferDeskFactory | None = None,
    search: SearchFactory | None = None,
) -> FastAPI:
    app = FastAPI(
        title="Employment assistant: staff API",
        version="1",
        description="Complaints (pre-trial appeals) filed through the assistant; vacancy "
        "offers for citizens to rank, and the suitable-work ranking behind them. "
        "Authenticate with `Authorization: Bearer <token>` (`python -m admin token add NAME`).",
    )
    app.state.sessions = sessions
    app.state.clock = clock

    @app.middleware("http")
    async def audit_every_call(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        async with sessions() as db:
            db.add(
                AuditEvent(
                    actor=getattr(request.state, "actor", "anonymous"),
                    action="api:call",
                    subject=getattr(request.state, "subject", None),
                    details={
                        "method": request.method,
                        "path": request.url.path,
                        "query": str(request.url.query)[:500],
                        "status": response.status_code,
                    },
                )
            )
            await db.commit()
        return response

    @app.exception_handler(RequestValidationError)
    async def readable_422(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        ]
        return JSONResponse(status_code=422, content={"detail": "; ".join(problems)})

    def desk(db: AsyncSession) -> SqlComplaints:
        return SqlComplaints(db, regions, quiet)

    @app.get("/complaints", response_model=list[ComplaintSummary], responses=ERRORS)
    async def list_complaints(
        db: Session, _staff: Staff, query: Annotated[ComplaintFilter, Query()]
    ) -> list[Complaint]:
        found = await desk(db).search(now=clock(), **query.model_dump())
        await db.commit()
        return found

    @app.get(
        "/complaints/{number}",
        response_model=ComplaintDetail,
        responses={**ERRORS, 404: {"model": Problem}},
    )
    async def read_complaint(
        request: Request, db: Session, _staff: Staff, number: str = NUMBER
    ) -> ComplaintDetail:
        complaint = await _found(desk(db), number, request)
        detail = await _detail(db, desk(db), complaint)
        await db.commit()
        return detail

    @app.post(
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
        complaints = desk(db)
        await _found(complaints, number, request)
        try:
            complaint = await complaints.move(
                number,
                transition.to,
                actor=f"staff:{staff.staff_name}",
                now=clock(),
                answer=transition.answer,
            )
        except ComplaintNotFoundError as exc:
            raise HTTPException(404, f"no complaint {number}") from exc
        except TransitionRefusedError as exc:
            raise HTTPException(409, str(exc)) from exc
        detail = await _detail(db, complaints, complaint)
        await db.commit()
        return detail

    if offers is not None and search is not None:
        add_offer_routes(app, offers, search)
    return app


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
