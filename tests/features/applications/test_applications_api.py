"""The applications' staff API on a real migrated database: list and read, each transition and
what it needs, the citizen told through the reminders table, the terms from registration,
operators' masking and the disability service hidden from them, regions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.build import renderer as build_renderer
from features.applications.service import SqlApplications
from storage.models import Citizen, Reminder
from tests.support.db_chat import REGIONS, Clock, quiet_hours
from tests.support.staff import staff_token
from tests.support.wiring import staff_app

ANSWERS = {
    "address": "г. Самара, ул. Ленина, д. 1, кв. 2",
    "phone": "+79001234567",
    "profession": "водитель",
    "regions": ["63"],
    "desired_salary": 60000,
    "away": False,
}


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 23, 9, tzinfo=UTC))


@pytest.fixture
async def submitted(sessions: async_sessionmaker[AsyncSession], clock: Clock) -> list[str]:
    """A job-search pre-application and a disability-support one, in region 63."""
    async with sessions() as session:
        citizen = Citizen(channel="telegram", external_id="42", chat_id=42, region_code="63")
        session.add(citizen)
        await session.flush()
        desk = SqlApplications(session, REGIONS, quiet_hours())
        first = await desk.submit(citizen, "job_search", ANSWERS, clock.now)
        second = await desk.submit(citizen, "disability_support", {}, clock.now)
        await session.commit()
        return [str(first.number), str(second.number)]


async def client(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, token: str
) -> httpx.AsyncClient:
    app = staff_app(sessions, REGIONS, quiet_hours(), clock=clock)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://staff",
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.fixture
async def api(
    sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> AsyncIterator[httpx.AsyncClient]:
    async with await client(sessions, clock, await staff_token(sessions)) as opened:
        yield opened


async def told(sessions: async_sessionmaker[AsyncSession]) -> list[dict[str, object]]:
    """What the citizen is told of the application's changes, oldest first."""
    async with sessions() as session:
        rows = await session.scalars(
            select(Reminder).where(Reminder.rule == "application_update").order_by(Reminder.id)
        )
        return [dict(row.context) for row in rows]


async def test_staff_accept_register_and_finish_and_the_citizen_hears_each_step(
    api: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    submitted: list[str],
    clock: Clock,
) -> None:
    number = submitted[0]
    listed = (await api.get("/applications", params={"state": "submitted"})).json()
    assert [item["number"] for item in listed] == submitted
    assert listed[0]["due_on"] == "2026-11-30"  # 5 working days to accept (001 ¶3.4.10)
    detail = (await api.get(f"/applications/{number}")).json()
    assert detail["answers"]["phone"] == "+79001234567"
    assert [event["action"] for event in detail["history"]] == ["application:submitted"]

    accepted = await api.post(f"/applications/{number}/transitions", json={"to": "accepted"})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["due_on"] is None
    # Registered on Wednesday 30.12.2026: the holidays push the vacancy list to 11.01.2027.
    clock.now = datetime(2026, 12, 30, 9, tzinfo=UTC)
    registered = await api.post(
        f"/applications/{number}/transitions",
        json={"to": "registered", "ecp_number": "2026-77", "registered_on": "2026-12-30"},
    )
    assert registered.status_code == 200, registered.text
    body = registered.json()
    assert (body["state"], body["due_on"], body["due_rule"]) == (
        "registered",
        "2027-01-11",
        "application_vacancy_list",
    )
    finished = await api.post(
        f"/applications/{number}/transitions",
        json={"to": "done", "result": "Трудоустроены в ООО «Волга» с 12.01.2027"},
    )
    assert finished.status_code == 200, finished.text
    assert [event["action"] for event in finished.json()["history"]] == [
        "application:submitted",
        "application:moved",
        "application:moved",
        "application:moved",
    ]
    messages = await told(sessions)
    assert [message["state"] for message in messages] == ["accepted", "registered", "done"]
    assert messages[1]["ecp_number"] == "2026-77"
    renderer = build_renderer(strict=True)
    last = {**messages[2], "before": 0, "deadline": date(2027, 1, 12), "late": False}
    assert "Трудоустроены в ООО «Волга»" in renderer.text("reminders.application_update", last)
    async with sessions() as session:
        pending = list(
            await session.scalars(
                select(Reminder.rule).where(
                    Reminder.status == "pending",
                    Reminder.rule != "application_update",
                    Reminder.key == "application:1",
                )
            )
        )
    # Done: every term of the application is closed.
    assert pending == []


async def test_a_move_without_what_it_needs_or_out_of_order_is_refused(
    api: httpx.AsyncClient, submitted: list[str]
) -> None:
    number = submitted[0]
    url = f"/applications/{number}/transitions"
    missing = await api.post(url, json={"to": "registered", "ecp_number": "2026-77"})
    assert missing.status_code == 422
    empty_reason = await api.post(url, json={"to": "refused", "reason": "   "})
    assert empty_reason.status_code == 422
    bad_day = await api.post(
        url, json={"to": "registered", "ecp_number": "2026-77", "registered_on": "0"}
    )
    assert bad_day.status_code == 422
    future = await api.post(
        url, json={"to": "registered", "ecp_number": "2026-77", "registered_on": "2026-11-24"}
    )
    assert future.status_code == 409
    early = await api.post(url, json={"to": "done", "result": "Трудоустроены"})
    assert early.status_code == 409
    refused = await api.post(url, json={"to": "refused", "reason": "Не представлено резюме"})
    assert refused.status_code == 200
    assert refused.json()["refusal_reason"] == "Не представлено резюме"
    again = await api.post(url, json={"to": "accepted"})
    assert again.status_code == 409
    assert (await api.get("/applications/З-2026-999999")).status_code == 404


async def test_operators_see_masked_answers_and_no_disability_applications(
    sessions: async_sessionmaker[AsyncSession], submitted: list[str], clock: Clock
) -> None:
    token = await staff_token(sessions, "ivanova", role="operator")
    async with await client(sessions, clock, token) as operator:
        listed = (await operator.get("/applications")).json()
        assert [item["number"] for item in listed] == [submitted[0]]
        detail = (await operator.get(f"/applications/{submitted[0]}")).json()
        assert detail["personal_data"] == "masked"
        assert detail["answers"]["phone"] == "***"
        assert detail["answers"]["profession"] == "водитель"
        assert (await operator.get(f"/applications/{submitted[1]}")).status_code == 404
        moved = await operator.post(
            f"/applications/{submitted[0]}/transitions", json={"to": "accepted"}
        )
        assert moved.status_code == 403


async def test_another_region_s_staff_do_not_see_the_application(
    sessions: async_sessionmaker[AsyncSession], submitted: list[str], clock: Clock
) -> None:
    token = await staff_token(sessions, "moscow", regions=("77",))
    async with await client(sessions, clock, token) as moscow:
        assert (await moscow.get("/applications")).json() == []
        assert (await moscow.get(f"/applications/{submitted[0]}")).status_code == 404
