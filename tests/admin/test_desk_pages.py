"""The web desk's pages on a real migrated database with every feature: the case card (masked
contacts until a reason is given, health data for supervisors only), alerts, complaints decided
from the page, the weekly report and its exports, and the administrators' staff page."""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin import accounts
from features.applications.service import SqlApplications
from features.vacancies.importer import import_feed
from kernel.regions import Regions
from storage.models import (
    AuditEvent,
    Citizen,
    Complaint,
    Handover,
    Question,
    StaffAlert,
    TurnCount,
)
from tests.features.vacancies.test_vacancy_import import SAMPLE
from tests.features.vacancies.test_vacancy_ranking import TAXI
from tests.support.cases import citizen_with_a_complaint
from tests.support.db_chat import Clock, quiet_hours
from tests.support.desk import PASSWORD, add_member, client, csrf_of, desk_app, log_in

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)
REGIONS = Regions.of({"63": "Europe/Samara", "50": "Europe/Moscow"}, "63")


class Desk:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self.app = desk_app(sessions, Clock(NOW))
        self.citizens: dict[str, int] = {}
        self.complaints: dict[str, str] = {}

    @contextlib.asynccontextmanager
    async def as_(self, name: str) -> AsyncIterator[httpx.AsyncClient]:
        async with client(self.app) as browser:
            assert (await log_in(browser, name)).status_code == 303
            yield browser


@pytest.fixture
async def desk(sessions: async_sessionmaker[AsyncSession]) -> Desk:
    await add_member(sessions, "anna")  # operator, region 63
    await add_member(sessions, "chief", role="supervisor")
    await add_member(sessions, "root", role="admin", regions=("*",))
    made = Desk(sessions)
    async with sessions() as session:
        for region, user in (("63", 5001), ("50", 5002)):
            citizen, number = await citizen_with_a_complaint(session, REGIONS, region, user, NOW)
            made.citizens[region] = citizen.id
            made.complaints[region] = number
        await session.commit()
    return made


async def test_the_case_card_masks_contacts_until_a_reason_is_given(desk: Desk) -> None:
    citizen = desk.citizens["63"]
    async with desk.as_("anna") as anna:
        card = await anna.get(f"/desk/citizens/{citizen}")
        assert card.status_code == 200
        assert "+7 *** ***-**-67" in card.text
        assert "+79001234567" not in card.text
        assert "Ленина" not in card.text
        assert "Группа инвалидности" not in card.text  # health data: supervisors only
        assert desk.complaints["63"] in card.text
        short = await anna.post(
            f"/desk/citizens/{citizen}/reveal", data={"csrf": csrf_of(card), "reason": "?"}
        )
        assert short.status_code == 422
        shown = await anna.post(
            f"/desk/citizens/{citizen}/reveal",
            data={"csrf": csrf_of(card), "reason": "перезвонить по жалобе"},
        )
        assert shown.status_code == 200
        assert "+79001234567" in shown.text
        outside = await anna.get(f"/desk/citizens/{desk.citizens['50']}")
        assert outside.status_code == 404
    async with desk.sessions() as session:
        [event] = await session.scalars(
            select(AuditEvent).where(AuditEvent.action == "case:contacts_shown")
        )
        assert (event.actor, event.note) == ("staff:anna", "перезвонить по жалобе")
    async with desk.as_("chief") as chief:
        card = await chief.get(f"/desk/citizens/{citizen}")
        assert "Группа инвалидности" in card.text


async def test_the_case_card_lists_applications_and_hides_the_disability_one_from_operators(
    desk: Desk,
) -> None:
    async with desk.sessions() as session:
        citizen = await session.get_one(Citizen, desk.citizens["63"])
        applications = SqlApplications(session, REGIONS, quiet_hours())
        await applications.submit(citizen, "job_search", {"profession": "водитель"}, NOW)
        await applications.track(citizen, "disability_support", "77-1", date(2026, 11, 27), NOW)
        await session.commit()
    async with desk.as_("anna") as anna:
        card = (await anna.get(f"/desk/citizens/{desk.citizens['63']}")).text
        assert "З-2026-000001" in card
        assert "помощь в поиске работы" in card
        assert "ждёт рассмотрения" in card
        assert "З-2026-000002" not in card  # the support of a disabled person: health data
    async with desk.as_("chief") as chief:
        card = (await chief.get(f"/desk/citizens/{desk.citizens['63']}")).text
        assert "сопровождение инвалида" in card
        assert "№ 77-1 от 27.11.2026" in card


async def test_alerts_are_listed_in_scope_and_marked_done(desk: Desk) -> None:
    async with desk.sessions() as session:
        for region in ("63", "50"):
            session.add(StaffAlert(kind="citizen_unreachable", citizen_id=desk.citizens[region]))
        await session.commit()
    async with desk.as_("anna") as anna:
        page = await anna.get("/desk/alerts")
        assert page.text.count("заблокировал бота") == 1
        async with desk.sessions() as session:
            ids = {a.citizen_id: a.id for a in await session.scalars(select(StaffAlert))}
        foreign = await anna.post(
            f"/desk/alerts/{ids[desk.citizens['50']]}/done", data={"csrf": csrf_of(page)}
        )
        assert foreign.status_code == 404
        done = await anna.post(
            f"/desk/alerts/{ids[desk.citizens['63']]}/done", data={"csrf": csrf_of(page)}
        )
        assert done.status_code == 303
        assert "Нет открытых уведомлений" in (await anna.get("/desk/alerts")).text


async def test_a_supervisor_decides_a_complaint_from_the_page(desk: Desk) -> None:
    number = desk.complaints["63"]
    async with desk.as_("anna") as anna:
        listing = await anna.get("/desk/complaints")
        assert number in listing.text
        assert desk.complaints["50"] not in listing.text
        page = await anna.get(f"/desk/complaints/{number}")
        assert "Петрова" not in page.text  # masked for operators
        refused = await anna.post(
            f"/desk/complaints/{number}/move",
            data={"csrf": csrf_of(page), "to": "upheld", "answer": "Да"},
        )
        assert refused.status_code == 403
    async with desk.as_("chief") as chief:
        page = await chief.get(f"/desk/complaints/{number}")
        assert "Петрова" in page.text
        assert "Принять решение" not in page.text  # first it is taken into review
        taken = await chief.post(
            f"/desk/complaints/{number}/move", data={"csrf": csrf_of(page), "to": "in_review"}
        )
        assert taken.status_code == 303
        page = await chief.get(f"/desk/complaints/{number}")
        assert "Принять решение" in page.text
        empty = await chief.post(
            f"/desk/complaints/{number}/move",
            data={"csrf": csrf_of(page), "to": "rejected", "answer": "   "},
        )
        assert empty.status_code == 422
        assert "обосновать" in empty.text
        decided = await chief.post(
            f"/desk/complaints/{number}/move",
            data={"csrf": csrf_of(page), "to": "upheld", "answer": "Заявление зарегистрируют."},
        )
        assert decided.status_code == 303
    async with desk.sessions() as session:
        complaint = await session.scalar(select(Complaint).where(Complaint.number == number))
        assert complaint is not None
        assert (complaint.state, complaint.reviewed_by) == ("upheld", "staff:chief")


async def seed_week(sessions: async_sessionmaker[AsyncSession], citizens: dict[str, int]) -> None:
    """Region 63: four citizen-days, two handed over (waits 2 and 10 min; one rated 4, one
    left the queue); one question answered in time; region 50: a handover not to count."""
    start = NOW - timedelta(days=2)
    async with sessions() as session:
        for n in range(4):
            session.add(
                TurnCount(
                    day=(start + timedelta(days=n % 2)).date(),
                    citizen_id=citizens["63"] if n < 2 else citizens["50"],
                    region_code="63",
                    messages=3,
                    free_text=2,
                    not_understood=1 if n == 0 else 0,
                )
            )
        session.add_all(
            [
                Handover(
                    citizen_id=citizens["63"],
                    region_code="63",
                    reason="menu",
                    state="closed",
                    requested_at=start,
                    claimed_at=start + timedelta(minutes=2),
                    claimed_by="anna",
                    closed_at=start + timedelta(minutes=8),
                    rating=4,
                ),
                Handover(
                    citizen_id=citizens["63"],
                    region_code="63",
                    reason="menu",
                    state="cancelled",
                    resolution="left_queue",
                    requested_at=start + timedelta(days=1),
                ),
                Handover(
                    citizen_id=citizens["50"],
                    region_code="50",
                    reason="menu",
                    state="closed",
                    requested_at=start,
                    claimed_at=start + timedelta(minutes=30),
                    claimed_by="boris",
                    closed_at=start + timedelta(minutes=40),
                    rating=1,
                ),
                Question(
                    citizen_id=citizens["63"],
                    region_code="63",
                    text="?",
                    asked_at=start,
                    due_on=date(2026, 12, 3),
                    state="answered",
                    answered_at=start + timedelta(days=1),
                ),
            ]
        )
        await session.commit()


async def test_the_weekly_report_counts_the_supervisors_regions(desk: Desk) -> None:
    await seed_week(desk.sessions, desk.citizens)
    async with desk.sessions() as session:  # the report is for supervisors of region 63
        await accounts.change_role(session, "chief", "supervisor", ["63"], by="test")
        await session.commit()
    async with desk.as_("anna") as anna:
        assert (await anna.get("/desk/report")).status_code == 403
    async with desk.as_("chief") as chief:
        report = await chief.get("/desk/report")
        assert report.status_code == 200
        text = report.text
        assert "boris" not in text  # region 50's operator
        assert "anna" in text
        exported = (await chief.get("/desk/report.csv")).content.decode("utf-8-sig")
        rows = {(r[0], r[1]): r[2] for r in list(csv.reader(io.StringIO(exported)))[1:]}
        assert rows[("Разговоры", "Всего (гражданин за день)")] == "4"
        assert rows[("Разговоры", "Передано оператору")] == "2"
        assert rows[("Разговоры", "Решено ботом")] == "2"
        assert rows[("Очередь", "Ожидание p50, мин")] == "2.0"
        assert rows[("Очередь", "Ушли из очереди")] == "1"
        assert rows[("Оператор anna", "Средняя оценка")] == "4.0"
        assert rows[("Письменные вопросы", "Отвечено в срок (3 раб. дня)")] == "1"
        assert rows[("Понимание", "Доля не понятых, %")] == "12.5"
        xlsx = await chief.get("/desk/report.xlsx")
        book = load_workbook(io.BytesIO(xlsx.content))
        values = {(r[0], r[1]): r[2] for r in book["Отчёт"].iter_rows(min_row=2, values_only=True)}
        assert values[("Разговоры", "Передано оператору")] == 2
        per_day = [row[1] for row in book["По дням"].iter_rows(min_row=2, values_only=True)]
        assert sum(int(str(n)) for n in per_day) == 4


async def test_only_administrators_manage_staff_and_a_new_member_logs_in(desk: Desk) -> None:
    async with desk.as_("chief") as chief:
        refused = await chief.get("/desk/staff")
        assert refused.status_code == 403
    async with desk.as_("root") as root:
        page = await root.get("/desk/staff")
        assert page.status_code == 200
        bad = await root.post(
            "/desk/staff/add",
            data={"csrf": csrf_of(page), "name": "vera", "role": "operator", "regions": "99"},
        )
        assert bad.status_code == 422
        added = await root.post(
            "/desk/staff/add",
            data={"csrf": csrf_of(page), "name": "vera", "role": "operator", "regions": "63"},
        )
        assert added.status_code == 200
        one_time = added.text.split('<code id="secret">')[1].split("</code>")[0]
    async with client(desk.app) as vera:
        assert (await log_in(vera, "vera", one_time)).status_code == 303
        assert (await vera.get("/desk/queue")).headers["location"] == "/desk/password"
    async with desk.as_("root") as root:
        page = await root.get("/desk/staff")
        gone = await root.post(
            "/desk/staff/deactivate", data={"csrf": csrf_of(page), "name": "anna"}
        )
        assert "отключен(а)" in gone.text
        async with client(desk.app) as anna:
            assert (await log_in(anna, "anna", PASSWORD)).status_code == 401
        back = await root.post(
            "/desk/staff/reactivate", data={"csrf": csrf_of(page), "name": "anna"}
        )
        assert back.status_code == 200
        assert "снова работает" in back.text


async def test_a_supervisor_makes_an_offer_from_the_suitable_vacancies(desk: Desk) -> None:
    await import_feed(desk.sessions, SAMPLE)
    citizen = desk.citizens["63"]
    async with desk.as_("anna") as anna:  # operators see offers, supervisors make them
        assert (await anna.get(f"/desk/citizens/{citizen}/vacancies")).status_code == 403
    async with desk.as_("chief") as chief:
        suitable = await chief.get(f"/desk/citizens/{citizen}/vacancies")
        assert suitable.status_code == 200
        assert f'value="{TAXI}"' in suitable.text
        assert "Исключены правилами" in suitable.text  # the shift-work bus, under the ИПРА
        none = await chief.post(
            "/desk/offers",
            data={"csrf": csrf_of(suitable), "citizen_id": citizen, "citizen_status": "claimant"},
        )
        assert none.status_code == 422
        assert "Отметьте хотя бы одну вакансию" in none.text
        made = await chief.post(
            "/desk/offers",
            data={
                "csrf": csrf_of(suitable),
                "citizen_id": citizen,
                "citizen_status": "claimant",
                "vacancy_ids": [TAXI],
                "note": "Позвоните работодателю",
            },
        )
        assert made.status_code == 303
        offer = await chief.get(made.headers["location"])
        assert "Позвоните работодателю" in offer.text
        assert "Отозвать предложение" in offer.text
        outside = await chief.get(f"/desk/citizens/{desk.citizens['50']}/vacancies")
        assert outside.status_code == 404  # chief serves region 63 only
    async with desk.as_("anna") as anna:
        listing = await anna.get("/desk/offers")
        assert made.headers["location"] in listing.text
