"""Applications in the web desk: the list by state and service, the whole application with
its answers, terms and history, and the moves a supervisor makes from the page (accepted,
registered with the ЕЦП number and date, the result, or refused with the reason, 001 ¶2.7) —
through the same service, scope and masking as the JSON API (staff.py)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from features.applications.catalogue import TRACKED_FOR
from features.applications.service import ApplicationNotFoundError, TransitionRefusedError
from features.applications.staff import _detail, _found, _services_seen, desk
from features.kit import Kit
from features.web import Operator, Session, Supervisor, has_words, now, page
from kernel.staff import Actor, Role

Number = Annotated[str, Path(max_length=16)]
SERVICES = {
    "job_search": "помощь в поиске работы",
    "unemployment": "признание безработным",
    "disability_support": "сопровождение инвалида",
    "psych_support": "психологическая поддержка",
    "typo_correction": "исправление опечатки",
}
STATES = {
    "submitted": "ждёт рассмотрения",
    "accepted": "проверено, гражданин подаёт на ЕЦП",
    "registered": "зарегистрировано",
    "done": "услуга оказана",
    "refused": "отказано",
}
# The draft's answers (draft.py), in the order shown, with their names on the page.
ANSWERS = {
    "claimant": "Претендует на статус безработного",
    "away": "Подаёт не по месту жительства",
    "address": "Адрес",
    "phone": "Телефон",
    "last_job": "Последнее место работы",
    "regions": "Регионы поиска",
    "benefit": "Выплата пособия",
    "profession": "Профессия",
    "salary": "Зарплата от",
    "schedule": "График",
    "employment": "Занятость",
    "relocate": "Готов(а) к переезду",
    "education": "Образование",
    "experience": "Опыт, лет",
    "start_on": "Готов(а) приступить",
    # An application for correction (correction.py).
    "document": "Документ с ошибкой",
    "wrong": "Написано неверно",
    "right": "Должно быть",
}
ECP_NUMBER = re.compile(r"^[0-9A-Za-zА-Яа-яЁё/.\-]{3,40}$")  # as the API's Register
Move = Literal["accepted", "registered", "done", "refused"]


def _shown(value: object) -> str:
    if value is True or value == "yes":
        return "да"
    if value is False or value == "no":
        return "нет"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "—" if value in (None, "") else str(value)


async def _application_page(
    request: Request,
    db: AsyncSession,
    staff: Actor,
    number: str,
    *,
    status: int = 200,
    extra: dict[str, str] | None = None,
) -> Response:
    applications = desk(request, db)
    found = await _found(applications, number, request, staff)
    detail = await _detail(db, applications, found, staff)
    answers = [
        (label, _shown(detail.answers[name]))
        for name, label in ANSWERS.items()
        if name in detail.answers
    ]
    context = {
        "a": detail,
        "answers": answers,
        "services": SERVICES,
        "states": STATES,
        "may_move": staff.may(Role.SUPERVISOR),
        "today": now(request).date().isoformat(),
        **(extra or {}),
    }
    return page(request, "application.html", context, status)


def _form_error(to: str, ecp_number: str, registered_on: str, text: str, today: date) -> str:
    """What is wrong with the form, in the words of the page ("" when nothing)."""
    if to == "registered":
        if not ECP_NUMBER.fullmatch(ecp_number.strip()):
            return (
                "Укажите регистрационный номер из уведомления ЕЦП: 3–40 букв, цифр, «/», «.», «-»."
            )
        try:
            day = date.fromisoformat(registered_on)
        except ValueError:
            return "Укажите дату регистрации на ЕЦП."
        if not today - TRACKED_FOR <= day <= today:
            return "Дата регистрации — не в будущем и не раньше чем год назад."
    if to == "done" and not has_words(text):
        return "Опишите результат услуги: его увидит гражданин."
    if to == "refused" and not has_words(text):
        return "Укажите причину отказа: её увидит гражданин (001 ¶2.7)."
    return ""


def router(_kit: Kit) -> APIRouter:
    routes = APIRouter(prefix="/desk/applications")

    @routes.get("")
    async def listing(
        request: Request,
        db: Session,
        staff: Operator,
        state: Annotated[Literal[tuple(STATES)] | None, Query()] = None,  # type: ignore[valid-type]
        service: Annotated[Literal[tuple(SERVICES)] | None, Query()] = None,  # type: ignore[valid-type]
    ) -> Response:
        seen = _services_seen(staff)
        found = await desk(request, db).search(
            regions=staff.region_scope, services=seen, state=state, service=service, limit=200
        )
        context = {
            "applications": found,
            "states": STATES,
            "services": {k: v for k, v in SERVICES.items() if seen is None or k in seen},
            "state": state,
            "service": service,
        }
        return page(request, "applications.html", context)

    @routes.get("/{number}")
    async def application(
        request: Request, number: Number, db: Session, staff: Operator
    ) -> Response:
        return await _application_page(request, db, staff, number)

    @routes.post("/{number}/move")
    async def move(
        request: Request,
        *,
        number: Number,
        db: Session,
        staff: Supervisor,
        to: Annotated[Move, Form()],
        ecp_number: Annotated[str, Form(max_length=100)] = "",
        registered_on: Annotated[str, Form(max_length=20)] = "",
        text: Annotated[str, Form(max_length=5000)] = "",
    ) -> Response:
        applications = desk(request, db)
        found = await _found(applications, number, request, staff)
        today = now(request).date()
        error = _form_error(to, ecp_number, registered_on, text, today)
        if not error:
            try:
                await applications.move(
                    number,
                    to,
                    actor=staff.key,
                    now=now(request),
                    ecp_number=ecp_number.strip() if to == "registered" else None,
                    registered_on=(
                        date.fromisoformat(registered_on) if to == "registered" else None
                    ),
                    result=text if to == "done" else None,
                    reason=text if to == "refused" else None,
                )
            except ApplicationNotFoundError as exc:
                raise HTTPException(404, f"no application {number}") from exc
            except TransitionRefusedError:
                error = f"Так нельзя: заявление уже «{STATES.get(found.state, found.state)}»."
        if error:
            await db.rollback()
            extra = {"error": error, "to": to, "ecp_number": ecp_number, "text": text}
            return await _application_page(request, db, staff, number, status=422, extra=extra)
        await db.commit()
        return RedirectResponse(f"/desk/applications/{number}", status_code=303)

    return routes
