"""Offers in the web desk: the suitable vacancies for a citizen with the reasons behind their
rank (001 ¶3.6.3), an offer created from them, the offers with the citizen's ranking — the same
service calls as the JSON API (features/offers/staff.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response

from features.kit import Kit
from features.offers import staff as api
from features.offers.service import OfferRefusedError
from features.web import MAX_ID, Operator, Session, Supervisor, now, page

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
STATES = {"sent": "отправлено", "submitted": "гражданин ответил", "withdrawn": "отозвано"}
REASONS = {
    "pay_not_stated": "зарплата не указана",
    "pay_above_previous": "зарплата выше прежней",
    "pay_meets_desired": "зарплата не ниже желаемой",
    "pay_below_desired": "зарплата ниже желаемой: {} ₽",
    "relocation": "с переездом, {} км",
    "distance": "{} км от дома",
    "fits_disability": "подходит по ИПРА",
    "schedule_matches": "график совпадает",
    "experience_required": "нужен стаж {} лет",
}


def router(_kit: Kit) -> APIRouter:
    routes = APIRouter(prefix="/desk")
    context = {"states": STATES, "reasons": REASONS}

    @routes.get("/offers")
    async def offers(request: Request, db: Session, staff: Operator) -> Response:
        found = await api._offers(request, db).search(regions=staff.region_scope, limit=200)
        return page(request, "offers.html", {**context, "offers": found})

    @routes.get("/offers/{offer_id}")
    async def offer(request: Request, offer_id: Id, db: Session, staff: Operator) -> Response:
        detail = await api.read_offer(request, db, staff, offer_id)
        return page(request, "offer.html", {**context, "offer": detail})

    @routes.post("/offers/{offer_id}/withdraw")
    async def withdraw(request: Request, offer_id: Id, db: Session, staff: Supervisor) -> Response:
        try:
            await api.withdraw_offer(request, db, staff, offer_id)
        except HTTPException as exc:
            if exc.status_code != 409:
                raise
            detail = await api.read_offer(request, db, staff, offer_id)
            return page(
                request,
                "offer.html",
                {**context, "offer": detail, "error": "Гражданин уже ответил: отозвать нельзя."},
                409,
            )
        return RedirectResponse(f"/desk/offers/{offer_id}", status_code=303)

    @routes.get("/citizens/{citizen_id}/vacancies")
    async def suitable(
        request: Request, citizen_id: Id, db: Session, staff: Supervisor
    ) -> Response:
        try:
            found = await api.suitable_vacancies(request, db, staff, citizen_id, 20)
        except HTTPException as exc:
            if "no profession" not in str(exc.detail):
                raise
            return page(
                request,
                "error.html",
                {
                    "status": 409,
                    "detail": "В профиле гражданина нет профессии: подбирать не по чему.",
                },
                409,
            )
        return page(
            request, "suitable.html", {**context, "found": found, "citizen_id": citizen_id}
        )

    @routes.post("/offers")
    async def create(
        request: Request,
        *,
        db: Session,
        staff: Supervisor,
        citizen_id: Annotated[int, Form(ge=1, le=MAX_ID)],
        citizen_status: Annotated[Literal["claimant", "unemployed"], Form()],
        vacancy_ids: Annotated[list[str], Form(max_length=10)] = [],  # noqa: B006
        note: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        desk = api._offers(request, db)
        await api._citizen(db, citizen_id, request, staff)
        problem = None
        if not vacancy_ids:
            problem = "Отметьте хотя бы одну вакансию (не больше десяти)."
        else:
            try:
                created = await desk.create(
                    citizen_id,
                    citizen_status,
                    list(dict.fromkeys(vacancy_ids)),
                    actor=staff.key,
                    now=now(request),
                    note=note.strip() or None,
                )
            except (LookupError, OfferRefusedError) as exc:
                problem = f"Предложение не отправлено: {exc}."
        if problem is not None:
            await db.rollback()
            found = await api.suitable_vacancies(request, db, staff, citizen_id, 20)
            data = {**context, "found": found, "citizen_id": citizen_id, "error": problem}
            return page(request, "suitable.html", data, 422)
        await db.commit()
        return RedirectResponse(f"/desk/offers/{created.id}", status_code=303)

    return routes
