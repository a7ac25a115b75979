"""Visits in the web desk: the coming visits and the consultation slots citizens booked,
a visit set for a citizen (000 p.4: where, when, in person or by video conference at an MFC,
for what), the whole visit with the citizen's answer, and how it went — moved, rebooked after
a technical failure (000 p.21(3)), attended (both stages of a video conference, 000 p.8),
no-show (000 p.20) or cancelled. The same service and scope as the JSON API (staff.py).

Times are typed and shown in the region's local time: the hours of 000 p.9 are local."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from features.appointments.bookings import SqlBookings
from features.appointments.ports import BOOKINGS
from features.appointments.service import VisitNotFoundError, VisitRefusedError
from features.appointments.staff import _detail, _found, desk
from features.kit import Kit
from features.web import (
    MAX_ID,
    Operator,
    Session,
    Supervisor,
    has_words,
    local_moment,
    now,
    page,
)
from features.web import service as request_service
from kernel.staff import Actor, Role
from storage.models import Citizen

VisitId = Annotated[int, Path(ge=1, le=MAX_ID)]
KINDS = {"in_person": "лично", "video_mfc": "видеоконференция в МФЦ"}
STATES = {
    "set": "назначен, гражданин уведомлён",
    "confirmed": "гражданин подтвердил",
    "change_requested": "гражданин просит другое время",
    "attended": "состоялся",
    "no_show": "гражданин не пришёл",
    "rebooked": "перенесён из-за технического сбоя",
    "cancelled": "отменён",
}
OPEN = ("set", "confirmed", "change_requested")
REFUSED = {
    "no_consent": "Гражданин не дал согласия на обработку данных: бот не может ему написать.",
    "state": "Визит уже закрыт.",
    "no_time": "Укажите новое время.",
    "offset": "Укажите дату и время.",
    "past": "Это время уже прошло.",
    "too_far": "Не дальше чем на год вперёд.",
    "hours": "Приём — в рабочие дни: пн–чт 09:00–18:00, пт 09:00–16:45 по местному времени; "
    "визит длится 30 минут и кончается до закрытия (000 p.6, p.9).",
}
Move = Literal["moved", "rebooked", "attended", "no_show", "cancelled"]


def _bookings(request: Request, db: AsyncSession) -> SqlBookings:
    bookings: SqlBookings = request_service(request, db, BOOKINGS)
    return bookings


def router(kit: Kit) -> APIRouter:
    routes = APIRouter(prefix="/desk/visits")
    regions = kit.regions

    async def listing_page(
        request: Request,
        db: AsyncSession,
        staff: Actor,
        *,
        state: str | None,
        citizen: int | None,
        status: int = 200,
        extra: dict[str, Any] | None = None,
    ) -> Response:
        moment = now(request)
        visits = await desk(request, db).search(
            regions=staff.region_scope,
            state=state,
            citizen_id=citizen,
            since=None if citizen else moment - timedelta(days=1),
            limit=200,
        )
        context = {
            "visits": visits,
            "bookings": await _bookings(request, db).upcoming(staff.region_scope, moment),
            "states": STATES,
            "kinds": KINDS,
            "state": state,
            "citizen": citizen,
            "may_set": staff.may(Role.SUPERVISOR),
            **(extra or {}),
        }
        return page(request, "visits.html", context, status)

    async def visit_page(
        request: Request,
        db: AsyncSession,
        staff: Actor,
        visit_id: int,
        *,
        status: int = 200,
        extra: dict[str, Any] | None = None,
    ) -> Response:
        visits = desk(request, db)
        found = await _found(visits, visit_id, request, staff)
        context = {
            "v": await _detail(visits, found),
            "states": STATES,
            "kinds": KINDS,
            "open": found.state in OPEN,
            "may_move": staff.may(Role.SUPERVISOR),
            **(extra or {}),
        }
        return page(request, "visit.html", context, status)

    @routes.get("")
    async def listing(
        request: Request,
        db: Session,
        staff: Operator,
        state: Annotated[Literal[tuple(STATES)] | None, Query()] = None,  # type: ignore[valid-type]
        citizen: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    ) -> Response:
        return await listing_page(request, db, staff, state=state, citizen=citizen)

    @routes.post("")
    async def set_visit(
        request: Request,
        *,
        db: Session,
        staff: Supervisor,
        citizen_id: Annotated[int, Form(ge=1, le=MAX_ID)],
        kind: Annotated[Literal["in_person", "video_mfc"], Form()],
        place: Annotated[str, Form(max_length=300)],
        purpose: Annotated[str, Form(max_length=300)],
        starts_at: Annotated[str, Form(max_length=40)],
    ) -> Response:
        form = {"citizen_id": citizen_id, "kind": kind, "place": place, "purpose": purpose}
        citizen = await db.get(Citizen, citizen_id)
        error = ""
        if citizen is None or not staff.covers(citizen.region_code):
            error = "Такого гражданина нет, или он вне ваших регионов."
        elif not (has_words(place) and has_words(purpose)):
            error = "Укажите адрес и цель визита."
        else:
            moment = local_moment(regions.zone(citizen.region_code), starts_at)
            try:
                if moment is None:
                    raise VisitRefusedError("no time", "offset")
                created = await desk(request, db).create(
                    citizen.id,
                    kind=kind,
                    place=place,
                    purpose=purpose,
                    starts_at=moment,
                    actor=staff.key,
                    now=now(request),
                )
            except VisitRefusedError as exc:
                error = REFUSED[exc.reason]
        if error:
            await db.rollback()
            extra = {"error": error, "form": form}
            return await listing_page(
                request, db, staff, state=None, citizen=None, status=422, extra=extra
            )
        await db.commit()
        return RedirectResponse(f"/desk/visits/{created.id}", status_code=303)

    @routes.get("/{visit_id}")
    async def visit(request: Request, visit_id: VisitId, db: Session, staff: Operator) -> Response:
        return await visit_page(request, db, staff, visit_id)

    @routes.post("/{visit_id}/move")
    async def move(
        request: Request,
        *,
        visit_id: VisitId,
        db: Session,
        staff: Supervisor,
        to: Annotated[Move, Form()],
        starts_at: Annotated[str, Form(max_length=40)] = "",
        stages_done: Annotated[int, Form(ge=1, le=2)] = 2,
        note: Annotated[str, Form(max_length=1000)] = "",
    ) -> Response:
        visits = desk(request, db)
        found = await _found(visits, visit_id, request, staff)
        moment = local_moment(regions.zone(found.region_code), starts_at) if starts_at else None
        error = ""
        try:
            if to in ("moved", "rebooked") and moment is None:
                raise VisitRefusedError("no time", "no_time")
            await visits.move(
                visit_id,
                to,
                actor=staff.key,
                now=now(request),
                starts_at=moment if to in ("moved", "rebooked") else None,
                note=note.strip() if has_words(note) and to != "attended" else None,
                stages_done=stages_done if to == "attended" else None,
            )
        except VisitNotFoundError as exc:
            raise HTTPException(404, f"no visit {visit_id}") from exc
        except VisitRefusedError as exc:
            error = REFUSED[exc.reason]
        if error:
            await db.rollback()
            extra = {"error": error, "to": to, "note": note}
            return await visit_page(request, db, staff, visit_id, status=422, extra=extra)
        await db.commit()
        return RedirectResponse(f"/desk/visits/{visit_id}", status_code=303)

    return routes
