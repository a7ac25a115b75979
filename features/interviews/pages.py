"""Notifications and referrals in the web desk: the list by state (a citizen's, from the case
card), a notice sent for a citizen (001 ¶3.9, at most 2 open), the whole notice with the
citizen's answers, the referral's photo and the history; the time the employer agreed and
the result it reported (001 ¶3.10.4). The same service and scope as the JSON API (staff.py).
Times are typed and shown in the citizen's local time."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from features.interviews.names import KINDS, STATES
from features.interviews.service import NoticeRefusedError
from features.interviews.staff import _detail, _found, desk
from features.kit import FileSource, Kit
from features.web import (
    MAX_ID,
    Operator,
    Session,
    Supervisor,
    download,
    has_words,
    local_moment,
    now,
    page,
)
from kernel.staff import Actor, Role
from storage.models import Citizen

NoticeId = Annotated[int, Path(ge=1, le=MAX_ID)]
PHONE = re.compile(r"^\+?[0-9 ()\-]{5,40}$")  # as the API's NoticeIn
RESULTS = {
    "hired": "принят(а) на работу",
    "employer_refused": "работодатель отказал",
    "declined": "гражданин отказался",
    "no_answer": "работодатель не ответил",
}
REFUSED = {
    "too_many": "У гражданина уже 2 открытых приглашения или направления (001 ¶3.9.4).",
    "no_consent": "Гражданин не дал согласия на обработку данных: бот не может ему написать.",
    "closed": "Приглашение уже закрыто.",
    "past": "Это время уже прошло.",
}
FIELDS = ("employer", "vacancy", "address", "contact_name")
Move = Literal["meeting", "hired", "employer_refused", "declined", "no_answer"]


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
    found = await desk(request, db).search(
        regions=staff.region_scope, state=state, citizen_id=citizen, limit=200
    )
    context = {
        "notices": found,
        "states": STATES,
        "kinds": KINDS,
        "state": state,
        "citizen": citizen,
        "may_send": staff.may(Role.SUPERVISOR),
        **(extra or {}),
    }
    return page(request, "interviews.html", context, status)


async def notice_page(
    request: Request,
    db: AsyncSession,
    staff: Actor,
    notice_id: int,
    *,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> Response:
    interviews = desk(request, db)
    found = await _found(interviews, notice_id, request, staff)
    context = {
        "n": await _detail(interviews, found),
        "states": STATES,
        "kinds": KINDS,
        "results": RESULTS,
        "open": found.state in ("sent", "agreed", "unreachable", "move_requested"),
        "may_move": staff.may(Role.SUPERVISOR),
        **(extra or {}),
    }
    return page(request, "interview.html", context, status)


def router(kit: Kit) -> APIRouter:
    routes = APIRouter(prefix="/desk/interviews")
    regions = kit.regions
    files: FileSource | None = kit.files

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
    async def send(
        request: Request,
        *,
        db: Session,
        staff: Supervisor,
        citizen_id: Annotated[int, Form(ge=1, le=MAX_ID)],
        kind: Annotated[Literal["notification", "referral"], Form()],
        referral_number: Annotated[str, Form(max_length=40)] = "",
        employer: Annotated[str, Form(max_length=300)] = "",
        vacancy: Annotated[str, Form(max_length=300)] = "",
        address: Annotated[str, Form(max_length=300)] = "",
        directions: Annotated[str, Form(max_length=500)] = "",
        contact_name: Annotated[str, Form(max_length=200)] = "",
        contact_phone: Annotated[str, Form(max_length=40)] = "",
    ) -> Response:
        typed = {
            "kind": kind,
            "referral_number": referral_number.strip() or None,
            "employer": employer.strip(),
            "vacancy": vacancy.strip(),
            "address": address.strip(),
            "directions": directions.strip() or None,
            "contact_name": contact_name.strip(),
            "contact_phone": contact_phone.strip(),
        }
        citizen = await db.get(Citizen, citizen_id)
        error = _send_error(staff, citizen, typed)
        if not error and citizen is not None:
            try:
                created = await desk(request, db).create(
                    citizen.id, typed, actor=staff.key, now=now(request)
                )
            except NoticeRefusedError as exc:
                error = REFUSED[exc.reason]
        if error:
            await db.rollback()
            extra = {"error": error, "form": {**typed, "citizen_id": citizen_id}}
            return await listing_page(
                request, db, staff, state=None, citizen=citizen_id, status=422, extra=extra
            )
        await db.commit()
        return RedirectResponse(f"/desk/interviews/{created.id}", status_code=303)

    @routes.get("/{notice_id}")
    async def notice(
        request: Request, notice_id: NoticeId, db: Session, staff: Operator
    ) -> Response:
        return await notice_page(request, db, staff, notice_id)

    @routes.post("/{notice_id}/move")
    async def move(
        request: Request,
        *,
        notice_id: NoticeId,
        db: Session,
        staff: Supervisor,
        to: Annotated[Move, Form()],
        meeting_at: Annotated[str, Form(max_length=40)] = "",
        hired_on: Annotated[str, Form(max_length=20)] = "",
        reason: Annotated[str, Form(max_length=1000)] = "",
    ) -> Response:
        interviews = desk(request, db)
        found = await _found(interviews, notice_id, request, staff)
        moment = local_moment(regions.zone(found.region_code), meeting_at)
        day = _day(hired_on)
        error = ""
        try:
            if to == "meeting" and moment is None:
                error = "Укажите дату и время встречи."
            elif to == "meeting" and moment is not None:
                await interviews.set_meeting(found, moment, actor=staff.key, now=now(request))
            elif to == "hired" and hired_on and day is None:
                error = "Укажите дату начала работы."
            else:
                await interviews.record(
                    found,
                    to,
                    actor=staff.key,
                    now=now(request),
                    hired_on=day if to == "hired" else None,
                    reason=reason.strip() if has_words(reason) else None,
                )
        except NoticeRefusedError as exc:
            error = REFUSED[exc.reason]
        if error:
            await db.rollback()
            extra = {"error": error, "to": to, "reason": reason}
            return await notice_page(request, db, staff, notice_id, status=422, extra=extra)
        await db.commit()
        return RedirectResponse(f"/desk/interviews/{notice_id}", status_code=303)

    @routes.get("/{notice_id}/evidence")
    async def evidence(
        request: Request, notice_id: NoticeId, db: Session, staff: Operator
    ) -> Response:
        found = await _found(desk(request, db), notice_id, request, staff)
        if not found.evidence or files is None:
            raise HTTPException(404, "Файла нет.")
        try:
            content, _media_type = await files.fetch(str(found.evidence["file_id"]))
        except LookupError as exc:
            raise HTTPException(404, "Telegram не отдал файл.") from exc
        return download(content, f"referral-{notice_id}")

    return routes


def _send_error(staff: Actor, citizen: Citizen | None, typed: dict[str, Any]) -> str:
    """What is wrong with the form of a new notice, in the desk's words ("" when nothing)."""
    if citizen is None or not staff.covers(citizen.region_code):
        return "Такого гражданина нет, или он вне ваших регионов."
    if not all(has_words(str(typed[name])) for name in FIELDS):
        return "Укажите работодателя, вакансию, адрес и контактное лицо."
    if not PHONE.fullmatch(str(typed["contact_phone"])):
        return "Укажите телефон работодателя цифрами."
    return ""


def _day(typed: str) -> date | None:
    try:
        return date.fromisoformat(typed)
    except ValueError:
        return None
