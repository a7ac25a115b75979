"""Who may do what in the staff API (README, "Staff roles"), on a real migrated database with
every feature's routes: roles declared on each route, regions scoping every object and list,
masked personal data and hidden health data for operators, and records naming who acted."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.routing import BaseRoute

from features.applications.service import SqlApplications
from features.vacancies.catalogue import VacancyCatalogue
from features.vacancies.importer import import_feed
from kernel.regions import Regions
from storage.models import AuditEvent, Citizen, JobProfile
from tests.features.vacancies.test_vacancy_import import SAMPLE
from tests.features.vacancies.test_vacancy_ranking import BUS, TAXI
from tests.support.cases import citizen_with_a_complaint
from tests.support.db_chat import Clock, quiet_hours
from tests.support.staff import staff_token
from tests.support.wiring import staff_app

REGIONS = Regions.of({"63": "Europe/Samara", "50": "Europe/Moscow"}, "63")
NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)
STAFF = {
    "admin": ("admin", ["*"]),
    "supervisor63": ("supervisor", ["63"]),
    "other63": ("supervisor", ["63"]),
    "operator63": ("operator", ["63"]),
}


@dataclass
class Case:
    """One citizen's records: their id, complaint number, offer id and application number."""

    citizen_id: int
    complaint: str
    offer_id: int
    application: str
    visit_id: int
    interview_id: int


@dataclass
class Desk:
    app: FastAPI
    clients: dict[str, httpx.AsyncClient]
    cases: dict[str, Case]  # by region code
    sessions: async_sessionmaker[AsyncSession]

    def __getitem__(self, name: str) -> httpx.AsyncClient:
        return self.clients[name]


@pytest.fixture
async def desk(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[Desk]:
    await import_feed(sessions, SAMPLE)
    numbers: dict[str, str] = {}
    citizens: dict[str, int] = {}
    applications: dict[str, str] = {}
    async with sessions() as session:
        desk_of_applications = SqlApplications(session, REGIONS, quiet_hours())
        for region, external_id in (("63", 1063), ("50", 1050)):
            citizen, number = await citizen_with_a_complaint(
                session, REGIONS, region, external_id, NOW
            )
            numbers[region], citizens[region] = number, citizen.id
            application = await desk_of_applications.submit(
                citizen, "job_search", {"phone": "+79001234567"}, NOW
            )
            applications[region] = str(application.number)
        await session.commit()
    tokens = {
        name: await staff_token(sessions, name, role, regions)
        for name, (role, regions) in STAFF.items()
    }
    app = staff_app(sessions, REGIONS, quiet_hours(), Clock(NOW), catalogue=VacancyCatalogue())
    clients = {
        name: httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://staff",
            headers={"Authorization": f"Bearer {token}"},
        )
        for name, token in tokens.items()
    }
    cases = {}
    for region, citizen_id in citizens.items():
        created = await clients["admin"].post(
            "/offers",
            json={"citizen_id": citizen_id, "citizen_status": "claimant", "vacancy_ids": [BUS]},
        )
        assert created.status_code == 201, created.text
        visit = await clients["admin"].post("/visits", json=visit_for(citizen_id))
        assert visit.status_code == 201, visit.text
        interview = await clients["admin"].post("/interviews", json=interview_for(citizen_id))
        assert interview.status_code == 201, interview.text
        cases[region] = Case(
            citizen_id,
            numbers[region],
            created.json()["id"],
            applications[region],
            visit.json()["id"],
            interview.json()["id"],
        )
    yield Desk(app, clients, cases, sessions)
    for client in clients.values():
        await client.aclose()


def visit_for(citizen_id: int) -> dict[str, Any]:
    """A visit on Wednesday 02.12.2026 at 10:00 in Samara, within the hours of 000 p.9."""
    return {
        "citizen_id": citizen_id,
        "kind": "in_person",
        "place": "г. Самара, ул. Ленина, 2",
        "purpose": "Подбор вакансий",
        "starts_at": "2026-12-02T10:00:00+04:00",
    }


def interview_for(citizen_id: int) -> dict[str, Any]:
    return {
        "citizen_id": citizen_id,
        "kind": "notification",
        "employer": "ООО «Волга»",
        "vacancy": "Водитель автобуса",
        "address": "г. Самара, ул. Заводская, 5",
        "contact_name": "Ирина Петровна",
        "contact_phone": "+7 846 200-00-00",
    }


# Every staff route, called on one region's records: (method, path template, JSON body).
ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/complaints/{complaint}", None),
    ("POST", "/complaints/{complaint}/transitions", {"to": "in_review"}),
    ("GET", "/citizens/{citizen}", None),
    ("GET", "/citizens/{citizen}/job-profile", None),
    ("PATCH", "/citizens/{citizen}/job-profile", {"experience_years": 5}),
    ("GET", "/citizens/{citizen}/vacancies", None),
    ("GET", "/offers/{offer}", None),
    ("POST", "/offers/{offer}/withdraw", None),
    ("POST", "/offers", {"citizen": True}),
    ("GET", "/applications/{application}", None),
    ("POST", "/applications/{application}/transitions", {"to": "accepted"}),
    ("GET", "/visits/{visit}", None),
    ("POST", "/visits/{visit}/transitions", {"to": "cancelled"}),
    ("POST", "/visits", {"visit": True}),
    ("GET", "/interviews/{interview}", None),
    ("POST", "/interviews/{interview}/transitions", {"to": "no_answer"}),
    ("POST", "/interviews", {"interview": True}),
]
LISTINGS = [
    "/complaints",
    "/offers",
    "/citizens?q=анна",
    "/applications",
    "/visits",
    "/interviews",
]
SUPERVISOR_ONLY = {
    ("POST", "/visits/{visit}/transitions"),
    ("POST", "/visits"),
    ("POST", "/interviews"),
    ("POST", "/interviews/{interview}/transitions"),
    ("POST", "/applications/{application}/transitions"),
    ("POST", "/complaints/{complaint}/transitions"),
    ("PATCH", "/citizens/{citizen}/job-profile"),
    ("GET", "/citizens/{citizen}/vacancies"),
    ("POST", "/offers/{offer}/withdraw"),
    ("POST", "/offers"),
}


async def call(
    client: httpx.AsyncClient, case: Case, method: str, path: str, body: dict[str, Any] | None
) -> httpx.Response:
    url = path.format(
        complaint=case.complaint,
        citizen=case.citizen_id,
        offer=case.offer_id,
        application=case.application,
        visit=case.visit_id,
        interview=case.interview_id,
    )
    if body == {"visit": True}:  # a new visit for this citizen
        body = visit_for(case.citizen_id)
    if body == {"interview": True}:  # a new notice for this citizen
        body = interview_for(case.citizen_id)
    if body == {"citizen": True}:  # a new offer to this citizen
        body = {"citizen_id": case.citizen_id, "citizen_status": "claimant", "vacancy_ids": [TAXI]}
    return await client.request(method, url, json=body)


def api_routes(routes: Sequence[BaseRoute]) -> list[APIRoute]:
    """The app's JSON API routes, through the included routers (FastAPI keeps them
    unflattened); the web desk's pages are left out of the schema and tested with the desk."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            if route.include_in_schema and not route.path.startswith("/desk/"):
                found.append(route)
        elif hasattr(route, "original_router"):
            found += api_routes(route.original_router.routes)
    return found


def templates(app: FastAPI) -> set[tuple[str, str]]:
    """Every staff route of the app, as (method, path with the test's placeholders)."""
    names = {
        "number": "complaint",
        "citizen_id": "citizen",
        "offer_id": "offer",
        "visit_id": "visit",
        "notice_id": "interview",
    }
    found = set()
    for route in api_routes(app.routes):
        path = route.path.replace("/applications/{number}", "/applications/{application}")
        for param, placeholder in names.items():
            path = path.replace(f"{{{param}}}", f"{{{placeholder}}}")
        found |= {(method, path) for method in route.methods or ()}
    return found


def test_the_tables_here_cover_every_staff_route(desk: Desk) -> None:
    """A new route must be added above, so the region checks below reach it too."""
    listed = {(method, path) for method, path, _ in ROUTES}
    listed |= {("GET", path.partition("?")[0]) for path in LISTINGS}
    assert templates(desk.app) == listed


def test_every_route_declares_the_role_it_needs(desk: Desk) -> None:
    """Authorization is stated on each route (`Operator` or `Supervisor` in its signature)."""

    def checks(dependant: Any) -> list[str]:
        own = [getattr(dependant.call, "__qualname__", "")]
        return own + [name for sub in dependant.dependencies for name in checks(sub)]

    routes = api_routes(desk.app.routes)
    assert len(routes) == len(ROUTES) + len(LISTINGS)
    for route in routes:
        assert any(name.startswith("role_required") for name in checks(route.dependant)), (
            route.path
        )


async def test_a_supervisor_of_region_63_cannot_reach_a_region_50_case_through_any_route(
    desk: Desk,
) -> None:
    supervisor, outside, inside = desk["supervisor63"], desk.cases["50"], desk.cases["63"]
    for method, path, body in ROUTES:
        refused = await call(supervisor, outside, method, path, body)
        assert refused.status_code == 404, (method, path, refused.text)
        # The same answer as for an object that does not exist: ids cannot be probed.
        assert refused.json()["detail"].startswith(
            (
                "no complaint",
                "no citizen",
                "no offer",
                "no application",
                "no visit",
                "no interview",
            )
        )
    for method, path, body in ROUTES:
        allowed = await call(supervisor, inside, method, path, body)
        assert allowed.status_code in (200, 201, 409), (method, path, allowed.text)
    complaints = (await supervisor.get("/complaints")).json()
    assert [c["number"] for c in complaints] == [inside.complaint]
    offers = (await supervisor.get("/offers")).json()
    assert {o["citizen_id"] for o in offers} == {inside.citizen_id}
    citizens = (await supervisor.get("/citizens", params={"q": "анна"})).json()
    assert [c["id"] for c in citizens] == [inside.citizen_id]
    # The region-50 case is untouched: no transition, no new profile field, no withdrawal.
    admin = desk["admin"]
    assert (await admin.get(f"/complaints/{outside.complaint}")).json()["state"] == "registered"
    profile = (await admin.get(f"/citizens/{outside.citizen_id}/job-profile")).json()
    assert profile["experience_years"] is None
    assert (await admin.get(f"/offers/{outside.offer_id}")).json()["state"] == "sent"


async def test_an_administrator_of_every_region_sees_both(desk: Desk) -> None:
    complaints = (await desk["admin"].get("/complaints")).json()
    assert {c["region_code"] for c in complaints} == {"63", "50"}
    citizens = (await desk["admin"].get("/citizens", params={"q": "анна"})).json()
    assert len(citizens) == 2


async def test_an_operator_reads_but_may_not_decide_or_offer_and_the_refusal_is_audited(
    desk: Desk,
) -> None:
    operator, case = desk["operator63"], desk.cases["63"]
    for method, path, body in ROUTES:
        response = await call(operator, case, method, path, body)
        if (method, path) in SUPERVISOR_ONLY:
            assert response.status_code == 403, (method, path, response.text)
            assert response.json()["detail"] == "this needs the supervisor role"
        else:
            assert response.status_code == 200, (method, path, response.text)
    async with desk.sessions() as session:
        rows = await session.scalars(
            select(AuditEvent).where(
                AuditEvent.actor == "staff:operator63", AuditEvent.action == "api:call"
            )
        )
        statuses = [row.details["status"] for row in rows]
    assert statuses.count(403) == len(SUPERVISOR_ONLY)
    # Nothing changed: the complaint is still registered.
    detail = (await desk["admin"].get(f"/complaints/{case.complaint}")).json()
    assert detail["state"] == "registered"


async def test_an_operator_sees_personal_data_masked_and_no_health_data(desk: Desk) -> None:
    operator, case = desk["operator63"], desk.cases["63"]
    complaint = (await operator.get(f"/complaints/{case.complaint}")).json()
    assert complaint["personal_data"] == "masked"
    shown = {
        key: complaint[key]
        for key in ("surname", "first_name", "patronymic", "phone", "email", "postal_address")
    }
    assert shown == {
        "surname": "П.",
        "first_name": "Анна",
        "patronymic": "С.",
        "phone": "+7 *** ***-**-67",
        "email": "a***@mail.ru",
        "postal_address": "***",
    }
    assert "Ленина" not in str(complaint)
    [citizen] = (await operator.get("/citizens", params={"q": "петров"})).json()
    assert (citizen["display_name"], citizen["username"]) == ("Анна П.", "a***")
    profile = (await operator.get(f"/citizens/{case.citizen_id}/job-profile")).json()
    assert (profile["health_data"], profile["disability_group"], profile["ipra_restrictions"]) == (
        "hidden",
        None,
        [],
    )
    offer = (await operator.get(f"/offers/{case.offer_id}")).json()
    codes = [r["code"] for item in offer["items"] for r in item["reasons"] + item["excluded_by"]]
    assert not {"ipra", "fits_disability"} & set(codes)
    # A supervisor sees all of it.
    supervisor = desk["supervisor63"]
    full = (await supervisor.get(f"/complaints/{case.complaint}")).json()
    assert (full["personal_data"], full["surname"], full["phone"]) == (
        "full",
        "Петрова",
        "+79001234567",
    )
    profile = (await supervisor.get(f"/citizens/{case.citizen_id}/job-profile")).json()
    assert (profile["health_data"], profile["disability_group"]) == ("shown", 2)
    offer = (await supervisor.get(f"/offers/{case.offer_id}")).json()
    codes = [r["code"] for item in offer["items"] for r in item["excluded_by"]]
    assert "ipra" in codes  # the bus runs shifts; the ИПРА rules shift work out


async def test_records_name_the_staff_member_who_acted(desk: Desk) -> None:
    number = desk.cases["63"].complaint
    taken = await desk["other63"].post(
        f"/complaints/{number}/transitions", json={"to": "in_review"}
    )
    assert taken.json()["reviewed_by"] == "staff:other63"
    decided = await desk["supervisor63"].post(
        f"/complaints/{number}/transitions",
        json={"to": "rejected", "answer": "Заявление зарегистрировано в срок."},
    )
    body = decided.json()
    assert body["reviewed_by"] == "staff:supervisor63"
    assert [(e["actor"], e["action"]) for e in body["history"]][-2:] == [
        ("staff:other63", "complaint:moved"),
        ("staff:supervisor63", "complaint:decided"),
    ]


async def test_a_job_profile_is_not_written_for_a_citizen_without_consent(desk: Desk) -> None:
    async with desk.sessions() as session:
        citizen = Citizen(
            channel="telegram", external_id="77", chat_id=77, region_code="63", display_name="Олег"
        )
        session.add(citizen)
        await session.commit()
        citizen_id = citizen.id
    response = await desk["supervisor63"].patch(
        f"/citizens/{citizen_id}/job-profile", json={"profession": "повар"}
    )
    assert (response.status_code, response.json()["detail"]) == (
        409,
        f"citizen {citizen_id} has not consented to data processing",
    )
    async with desk.sessions() as session:
        assert await session.get(JobProfile, citizen_id) is None
