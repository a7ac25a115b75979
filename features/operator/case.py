"""The case card of a citizen in the web desk: who they are, their consent, job profile,
applications, complaints, offers with their rankings, reminders and deadlines, written
questions, and earlier conversations with their ratings; and the staff alerts to act on.

Contacts (phone, e-mail, addresses) are masked for everyone until a staff member asks to see
them with a reason, which is audited; health data (disability group, ИПРА) is shown to
supervisors and administrators only (001 ¶3.5.2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features import masking
from features.applications import pages as application_pages
from features.appointments import pages as visit_pages
from features.interviews import names as interview_names
from features.kit import Kit
from features.operator.report import COMPLAINT_STATES
from features.web import MAX_ID, Operator, Session, in_scope, now, page
from kernel.staff import Actor
from storage.models import (
    Application,
    AuditEvent,
    Booking,
    Citizen,
    Complaint,
    Consent,
    Handover,
    InterviewNotice,
    JobProfile,
    Question,
    Reminder,
    StaffAlert,
    VacancyOffer,
    VacancyOfferItem,
    Visit,
)

NO_CITIZEN = "Такого гражданина нет, или он вне ваших регионов."
# Support of a disabled person (002): the service itself is health data.
HEALTH_SERVICES = ("disability_support",)
CitizenId = Annotated[int, Path(ge=1, le=MAX_ID)]
ALERT_KINDS = {
    "due_soon": "срок скоро истекает",
    "due_today": "срок истекает сегодня",
    "overdue": "срок пропущен",
    "reminder_expired": "напоминание не отправлено вовремя",
    "reminder_failed": "напоминание не доставлено",
    "citizen_unreachable": "гражданин заблокировал бота",
    # bot/template_refresh.py: a published text failed; the file's text was sent instead
    "template_failed": "опубликованный текст бота не сработал (отправлен текст по умолчанию)",
}


async def _citizen(db: AsyncSession, staff: Actor, citizen_id: int) -> Citizen:
    citizen = await db.get(Citizen, citizen_id)
    if citizen is None:
        raise HTTPException(404, NO_CITIZEN)
    in_scope(staff, citizen.region_code, NO_CITIZEN)
    return citizen


async def _rows(db: AsyncSession, query: Any) -> list[Any]:
    return list((await db.execute(query)).scalars())


async def case_of(
    db: AsyncSession,
    staff: Actor,
    citizen: Citizen,
    reveal: bool,
    alert_kinds: Mapping[str, str] = ALERT_KINDS,
) -> dict[str, Any]:
    """What the card shows; contacts in full only when `reveal`."""
    cid = citizen.id
    complaints = await _rows(
        db, select(Complaint).where(Complaint.citizen_id == cid).order_by(Complaint.id.desc())
    )
    latest = complaints[0] if complaints else None
    contacts = {
        "phone": latest.phone if latest else None,
        "email": latest.email if latest else None,
        "address": latest.postal_address if latest else None,
    }
    if not reveal:
        contacts = {
            "phone": masking.phone(contacts["phone"]),
            "email": masking.email(contacts["email"]),
            "address": masking.HIDDEN if contacts["address"] else None,
        }
    offers = await _rows(
        db,
        select(VacancyOffer)
        .where(VacancyOffer.citizen_id == cid)
        .order_by(VacancyOffer.id.desc()),
    )
    items: dict[int, list[VacancyOfferItem]] = {}
    for offer in offers:
        items[offer.id] = await _rows(
            db,
            select(VacancyOfferItem)
            .where(VacancyOfferItem.offer_id == offer.id)
            .order_by(VacancyOfferItem.centre_position),
        )
    name = citizen.display_name
    return {
        "citizen": citizen,
        "name": name if staff.sees_personal_data or reveal else masking.display_name(name),
        "username": citizen.username
        if staff.sees_personal_data or reveal
        else masking.username(citizen.username),
        "contacts": contacts,
        "revealed": reveal,
        "health": staff.sees_health_data,
        "consents": await _rows(
            db, select(Consent).where(Consent.citizen_id == cid).order_by(Consent.id.desc())
        ),
        "profile": await db.scalar(select(JobProfile).where(JobProfile.citizen_id == cid)),
        "complaints": complaints,
        "applications": [
            application
            for application in await _rows(
                db,
                select(Application)
                .where(Application.citizen_id == cid)
                .order_by(Application.id.desc()),
            )
            if staff.sees_health_data or application.service not in HEALTH_SERVICES
        ],
        "application_services": application_pages.SERVICES,
        "application_states": application_pages.STATES,
        "visits": await _rows(
            db, select(Visit).where(Visit.citizen_id == cid).order_by(Visit.starts_at.desc())
        ),
        "bookings": await _rows(
            db,
            select(Booking)
            .where(Booking.citizen_id == cid, Booking.state == "booked")
            .order_by(Booking.starts_at.desc()),
        ),
        "interviews": await _rows(
            db,
            select(InterviewNotice)
            .where(InterviewNotice.citizen_id == cid)
            .order_by(InterviewNotice.id.desc()),
        ),
        "interview_kinds": interview_names.KINDS,
        "interview_states": interview_names.STATES,
        "visit_states": visit_pages.STATES,
        "visit_kinds": visit_pages.KINDS,
        "offers": offers,
        "items": items,
        "reminders": await _rows(
            db,
            select(Reminder)
            .where(Reminder.citizen_id == cid, Reminder.audience == "citizen")
            .order_by(Reminder.due_at.desc())
            .limit(30),
        ),
        "questions": await _rows(
            db, select(Question).where(Question.citizen_id == cid).order_by(Question.id.desc())
        ),
        "handovers": await _rows(
            db, select(Handover).where(Handover.citizen_id == cid).order_by(Handover.id.desc())
        ),
        "alerts": await _rows(
            db,
            select(StaffAlert)
            .where(StaffAlert.citizen_id == cid, StaffAlert.resolved_at.is_(None))
            .order_by(StaffAlert.raised_at.desc()),
        ),
        "alert_kinds": alert_kinds,
        "complaint_states": COMPLAINT_STATES,
    }


def router(kit: Kit) -> APIRouter:
    routes = APIRouter()  # inside the operator pages' /desk
    kinds = {**ALERT_KINDS, **kit.alert_kinds}

    @routes.get("/citizens/{citizen_id}")
    async def case(
        request: Request, citizen_id: CitizenId, db: Session, staff: Operator
    ) -> Response:
        citizen = await _citizen(db, staff, citizen_id)
        return page(
            request,
            "case.html",
            await case_of(db, staff, citizen, reveal=False, alert_kinds=kinds),
        )

    @routes.post("/citizens/{citizen_id}/reveal")
    async def reveal(
        request: Request,
        citizen_id: CitizenId,
        db: Session,
        staff: Operator,
        reason: Annotated[str, Form(min_length=5, max_length=500)],
    ) -> Response:
        """The contacts in full, for this page only; who asked and why goes to the audit log."""
        citizen = await _citizen(db, staff, citizen_id)
        db.add(
            AuditEvent(
                actor=staff.key,
                action="case:contacts_shown",
                subject=f"citizen:{citizen.id}",
                note=reason.strip(),
            )
        )
        await db.commit()
        return page(
            request, "case.html", await case_of(db, staff, citizen, reveal=True, alert_kinds=kinds)
        )

    @routes.get("/alerts")
    async def alerts(request: Request, db: Session, staff: Operator) -> Response:
        query = (
            select(StaffAlert, Citizen)
            .outerjoin(Citizen, Citizen.id == StaffAlert.citizen_id)
            .where(StaffAlert.resolved_at.is_(None))
            .order_by(StaffAlert.raised_at.desc())
            .limit(200)
        )
        rows = [
            (alert, citizen)
            for alert, citizen in (await db.execute(query)).all()
            if staff.covers(citizen.region_code if citizen else None)
        ]
        return page(request, "alerts.html", {"rows": rows, "kinds": kinds})

    @routes.post("/alerts/{alert_id}/done")
    async def done(
        request: Request,
        alert_id: Annotated[int, Path(ge=1, le=MAX_ID)],
        db: Session,
        staff: Operator,
    ) -> Response:
        alert = await db.get(StaffAlert, alert_id)
        citizen = await db.get(Citizen, alert.citizen_id) if alert and alert.citizen_id else None
        if alert is None:
            raise HTTPException(404, "Такого уведомления нет.")
        in_scope(staff, citizen.region_code if citizen else None, "Такого уведомления нет.")
        if alert.resolved_at is None:
            alert.resolved_at = now(request)
            db.add(AuditEvent(actor=staff.key, action="alert:done", subject=f"alert:{alert.id}"))
            await db.commit()
        return RedirectResponse("/desk/alerts", status_code=303)

    return routes
