"""Staff API routes for vacancy offers (001 ¶3.7.2) and the suitable-work ranking behind
them: find a citizen, set their job profile, see which vacancies suit them and why others do
not, send an offer of up to 10, read the citizen's ranking, withdraw an offer.

Every staff member finds and reads the citizens of their regions and their offers; operators
see names masked and no health data (disability group, ИПРА, and the ranking rules that would
reveal them). Supervisors and administrators set job profiles, see the ranking, send and
withdraw offers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from sqlalchemy import func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from features import masking
from features.offers.ports import SERVICE as OFFERS
from features.offers.ports import OfferClosedError
from features.offers.schemas import (
    CitizenOut,
    CitizenVacancies,
    ExcludedVacancy,
    ExclusionRule,
    Explanation,
    JobProfileIn,
    JobProfileOut,
    OfferCreate,
    OfferDetail,
    OfferFilter,
    OfferItemOut,
    OfferSummary,
    SuitableVacancy,
)
from features.offers.service import OfferRefusedError, SqlOffers, key_of
from features.vacancies.ports import SERVICE as VACANCIES
from features.vacancies.ranking import RULES
from features.vacancies.service import SqlVacancies
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
from storage.models import (
    AuditEvent,
    Citizen,
    Consent,
    JobProfile,
    StaffAlert,
    VacancyOffer,
)

OFFER_ID = Path(ge=1, le=2**31 - 1, description="The offer's id")
CITIZEN_ID = Path(ge=1, le=2**31 - 1, description="The citizen's id")
router = APIRouter()
NOT_FOUND: dict[int | str, dict[str, Any]] = {**ERRORS, 404: {"model": Problem}}
REFUSED: dict[int | str, dict[str, Any]] = {**NOT_FOUND, 409: {"model": Problem}}
EXCLUDED_SHOWN = 200  # excluded vacancies listed; the total is always given
# Ranking explanations and rules that reveal a disability or an ИПРА (health data).
HEALTH_CODES = frozenset({"ipra", "fits_disability"})


@router.get("/citizens", response_model=list[CitizenOut], responses=ERRORS, tags=["citizens"])
async def find_citizens(
    request: Request,
    db: Session,
    staff: Operator,
    q: Annotated[str, Query(min_length=2, max_length=64, description="Name or @username")],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[CitizenOut]:
    """Citizens of the staff member's regions who wrote to the bot, by a part of their name
    or Telegram username."""
    # What staff typed is matched literally: "%" and "_" are not wildcards here.
    typed = q.lstrip("@").lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    needle = f"%{typed}%"
    scope = staff.region_scope
    found = await db.scalars(
        select(Citizen)
        .where(
            Citizen.erased_at.is_(None),
            Citizen.region_code.in_(scope) if scope is not None else true(),
            or_(
                func.lower(Citizen.display_name).like(needle, escape="\\"),
                func.lower(Citizen.username).like(needle, escape="\\"),
            ),
        )
        .order_by(Citizen.id)
        .limit(limit)
    )
    listed = [await _citizen_out(db, _offers(request, db), citizen, staff) for citizen in found]
    await db.commit()
    return listed


@router.get(
    "/citizens/{citizen_id}", response_model=CitizenOut, responses=NOT_FOUND, tags=["citizens"]
)
async def read_citizen(
    request: Request, db: Session, staff: Operator, citizen_id: int = CITIZEN_ID
) -> CitizenOut:
    citizen = await _citizen(db, citizen_id, request, staff)
    out = await _citizen_out(db, _offers(request, db), citizen, staff)
    await db.commit()
    return out


@router.get(
    "/citizens/{citizen_id}/job-profile",
    response_model=JobProfileOut,
    responses=NOT_FOUND,
    tags=["citizens"],
)
async def read_job_profile(
    request: Request, db: Session, staff: Operator, citizen_id: int = CITIZEN_ID
) -> JobProfileOut:
    """Operators get it without the health data (`health_data: "hidden"`)."""
    await _citizen(db, citizen_id, request, staff)
    profile = await db.get(JobProfile, citizen_id)
    if profile is None:
        raise HTTPException(404, f"citizen {citizen_id} has no job profile yet")
    await db.commit()
    return _profile_out(profile, staff)


@router.patch(
    "/citizens/{citizen_id}/job-profile",
    response_model=JobProfileOut,
    responses=NOT_FOUND,
    tags=["citizens"],
)
async def change_job_profile(
    request: Request,
    db: Session,
    staff: Supervisor,
    changes: JobProfileIn,
    citizen_id: int = CITIZEN_ID,
) -> JobProfileOut:
    """Set what the centre knows (previous earnings, ИПРА restrictions, regions, ...);
    only the fields sent change, `null` clears one. Only for a citizen who has consented to
    the processing of their personal data (409 otherwise)."""
    await _citizen(db, citizen_id, request, staff)
    if not await _consented(db, citizen_id):
        raise HTTPException(409, f"citizen {citizen_id} has not consented to data processing")
    profile = await db.get(JobProfile, citizen_id)
    if profile is None:
        profile = JobProfile(citizen_id=citizen_id, regions=[], ipra_restrictions=[])
        db.add(profile)
    sent = changes.model_dump(include=changes.model_fields_set)
    for name, value in sent.items():
        setattr(profile, name, _cleared(name, value))
    if "locality" in sent and "lat" not in sent:  # a new town: locate it again
        profile.lat = profile.lng = None
    db.add(
        AuditEvent(
            actor=staff.key,
            action="job_profile:changed",
            subject=f"citizen:{citizen_id}",
            details={"fields": sorted(sent)},
        )
    )
    await db.commit()
    await db.refresh(profile)
    return _profile_out(profile, staff)


@router.get(
    "/citizens/{citizen_id}/vacancies",
    response_model=CitizenVacancies,
    responses=NOT_FOUND,
    tags=["offers"],
)
async def suitable_vacancies(
    request: Request,
    db: Session,
    staff: Supervisor,
    citizen_id: int = CITIZEN_ID,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CitizenVacancies:
    """The suitable-work ranking for the citizen's profile (001 ¶3.6.3, ¶3.5.2): the top
    suitable vacancies with their explanations, and the vacancies matching the profession
    that the rules excluded, each with the rules it fails."""
    citizen = await _citizen(db, citizen_id, request, staff)
    profile = await db.get(JobProfile, citizen_id)
    if profile is None or not profile.profession:
        raise HTTPException(404, f"citizen {citizen_id} has no profession in the profile")
    desk = _search(request, db)
    ranking, vacancies = await desk.ranking_for_staff(citizen, profile, limit, EXCLUDED_SHOWN)
    excluded = ranking.excluded[:EXCLUDED_SHOWN]
    await db.commit()
    return CitizenVacancies(
        profession=profile.profession,
        suitable_total=ranking.total,
        suitable=[
            SuitableVacancy(
                vacancy_id=s.vacancy_id,
                job_name=vacancies[s.vacancy_id].job_name,
                company_name=vacancies[s.vacancy_id].company_name,
                score=s.score,
                distance_km=s.distance_km,
                reasons=[Explanation(code=r.code, value=r.value) for r in s.reasons],
            )
            for s in ranking.suggestions
            if s.vacancy_id in vacancies
        ],
        excluded_total=len(ranking.excluded),
        excluded=[
            ExcludedVacancy(
                vacancy_id=e.vacancy_id,
                job_name=vacancies[e.vacancy_id].job_name,
                company_name=vacancies[e.vacancy_id].company_name,
                distance_km=e.distance_km,
                excluded_by=_rules(e.rules),
            )
            for e in excluded
            if e.vacancy_id in vacancies
        ],
    )


@router.post(
    "/offers",
    status_code=201,
    response_model=OfferDetail,
    responses=REFUSED,
    tags=["offers"],
)
async def create_offer(
    request: Request, db: Session, staff: Supervisor, body: OfferCreate
) -> OfferDetail:
    """Send the citizen up to 10 vacancies to rank. The citizen gets them in Telegram at
    once (outside quiet hours), in the order the suitable-work ranking suggests; the term
    starts when Telegram has taken the message."""
    desk = _offers(request, db)
    await _citizen(db, body.citizen_id, request, staff)
    try:
        offer = await desk.create(
            body.citizen_id,
            body.citizen_status,
            body.vacancy_ids,
            actor=staff.key,
            now=now(request),
            note=body.note,
        )
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    except OfferRefusedError as exc:
        raise HTTPException(409, str(exc)) from exc
    request.state.subject = key_of(offer)
    detail = await _detail(db, desk, offer, staff)
    await db.commit()
    return detail


@router.get("/offers", response_model=list[OfferSummary], responses=ERRORS, tags=["offers"])
async def list_offers(
    request: Request, db: Session, staff: Operator, query: Annotated[OfferFilter, Query()]
) -> list[VacancyOffer]:
    """Offers to citizens of the staff member's regions."""
    found = await _offers(request, db).search(regions=staff.region_scope, **query.model_dump())
    await db.commit()
    return found


@router.get("/offers/{offer_id}", response_model=OfferDetail, responses=NOT_FOUND, tags=["offers"])
async def read_offer(
    request: Request, db: Session, staff: Operator, offer_id: int = OFFER_ID
) -> OfferDetail:
    """The offer with the citizen's ranking (their order, the priority options, the
    refused ones), the suggested order and each vacancy's suitable-work assessment."""
    desk = _offers(request, db)
    offer = await _offer(db, desk, offer_id, request, staff)
    detail = await _detail(db, desk, offer, staff)
    await db.commit()
    return detail


@router.post(
    "/offers/{offer_id}/withdraw",
    response_model=OfferDetail,
    responses=REFUSED,
    tags=["offers"],
)
async def withdraw_offer(
    request: Request, db: Session, staff: Supervisor, offer_id: int = OFFER_ID
) -> OfferDetail:
    """Take back an offer the citizen has not ranked yet; its reminders stop."""
    desk = _offers(request, db)
    await _offer(db, desk, offer_id, request, staff)
    try:
        offer = await desk.withdraw(offer_id, actor=staff.key, now=now(request))
    except OfferClosedError as exc:
        raise HTTPException(409, str(exc)) from exc
    detail = await _detail(db, desk, offer, staff)
    await db.commit()
    return detail


async def _citizen(db: AsyncSession, citizen_id: int, request: Request, staff: Actor) -> Citizen:
    citizen = await db.get(Citizen, citizen_id)
    if citizen is None or citizen.erased_at is not None:
        raise HTTPException(404, f"no citizen {citizen_id}")
    in_scope(staff, citizen.region_code, f"no citizen {citizen_id}")
    request.state.subject = f"citizen:{citizen_id}"
    return citizen


async def _consented(db: AsyncSession, citizen_id: int) -> bool:
    consent = await db.scalar(
        select(Consent.id).where(Consent.citizen_id == citizen_id, Consent.withdrawn_at.is_(None))
    )
    return consent is not None


async def _citizen_out(
    db: AsyncSession, desk: SqlOffers, citizen: Citizen, staff: Actor
) -> CitizenOut:
    waiting = await desk.open_of(citizen.id)
    full = staff.sees_personal_data
    return CitizenOut(
        id=citizen.id,
        display_name=citizen.display_name if full else masking.display_name(citizen.display_name),
        username=citizen.username if full else masking.username(citizen.username),
        personal_data="full" if full else "masked",
        region_code=citizen.region_code,
        consent=await _consented(db, citizen.id),
        reachable=citizen.unreachable_at is None,
        job_profile=await db.get(JobProfile, citizen.id) is not None,
        open_offer_id=waiting.id if waiting else None,
    )


async def _offer(
    db: AsyncSession, desk: SqlOffers, offer_id: int, request: Request, staff: Actor
) -> VacancyOffer:
    offer = await desk.get(offer_id)
    citizen = await db.get(Citizen, offer.citizen_id) if offer is not None else None
    if offer is None or citizen is None:
        raise HTTPException(404, f"no offer {offer_id}")
    in_scope(staff, citizen.region_code, f"no offer {offer_id}")
    request.state.subject = key_of(offer)
    return offer


def _profile_out(profile: JobProfile, staff: Actor) -> JobProfileOut:
    out = JobProfileOut.model_validate(profile)
    if staff.sees_health_data:
        return out
    return out.model_copy(
        update={"disability_group": None, "ipra_restrictions": [], "health_data": "hidden"}
    )


def staff_router(_kit: object) -> APIRouter:
    return router


def _offers(request: Request, db: AsyncSession) -> SqlOffers:
    offers: SqlOffers = service(request, db, OFFERS)
    return offers


def _search(request: Request, db: AsyncSession) -> SqlVacancies:
    search: SqlVacancies = service(request, db, VACANCIES)
    return search


def _cleared(name: str, value: Any) -> Any:
    """`null` for a list or a flag means empty or no."""
    if value is None and name in ("regions", "ipra_restrictions"):
        return []
    if value is None and name == "relocate":
        return False
    return value


def _rules(codes: Any) -> list[ExclusionRule]:
    return [ExclusionRule(code=code, rule=RULES.get(code, code)) for code in codes]


def _visible(codes: list[Any], staff: Actor, code: Callable[[Any], str]) -> list[Any]:
    """The explanations or rules the staff member may see: no health ones for operators."""
    if staff.sees_health_data:
        return codes
    return [each for each in codes if code(each) not in HEALTH_CODES]


async def _detail(
    db: AsyncSession, desk: SqlOffers, offer: VacancyOffer, staff: Actor
) -> OfferDetail:
    view = await desk.view(offer)
    chosen = {line.item.id for line in view.chosen}
    items = [
        OfferItemOut(
            vacancy_id=line.vacancy.id,
            job_name=line.vacancy.job_name,
            company_name=line.vacancy.company_name,
            vacancy_state=line.vacancy.state,
            centre_position=line.item.centre_position,
            suggested_rank=line.item.suggested_rank,
            score=line.item.score,
            reasons=_visible(
                [Explanation(**reason) for reason in line.item.reasons or []],
                staff,
                lambda reason: str(reason.code),
            ),
            excluded_by=_visible(
                _rules(line.item.excluded_by or []), staff, lambda rule: str(rule.code)
            ),
            citizen_rank=line.item.citizen_rank,
            chosen=line.item.id in chosen,
            refused=line.item.refused,
            refused_at=line.item.refused_at,
        )
        for line in (*view.ranked, *view.refused)
    ]
    alerts = await db.scalars(
        select(StaffAlert.kind).where(
            StaffAlert.key == key_of(offer), StaffAlert.resolved_at.is_(None)
        )
    )
    history = [Event.model_validate(event) for event in await desk.history(offer)]
    summary = OfferSummary.model_validate(offer).model_dump()
    return OfferDetail(
        **summary,
        deadline_rule=offer.deadline_rule,
        note=offer.note,
        chosen_count=offer.chosen_count,
        items=items,
        open_alerts=sorted(set(alerts)),
        history=history,
    )
