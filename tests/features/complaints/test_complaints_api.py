"""The staff API on a real migrated database: auth, validation, transitions, audit."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin import tokens
from admin.server import Embedded
from features.complaints.service import ComplaintDraft, SqlComplaints
from storage.models import AuditEvent, Citizen, Complaint, Reminder, StaffAlert
from tests.support.db_chat import REGIONS, Clock, quiet_hours
from tests.support.rasa import free_port
from tests.support.staff import staff_token
from tests.support.wiring import staff_app

NUMBER = "Ж-2026-000001"


def draft(ground: str = "service_late", respondent: str = "centre") -> ComplaintDraft:
    return ComplaintDraft(
        ground=ground,
        respondent=respondent,
        decision="Не зарегистрировали заявление",
        decision_on=date(2026, 11, 2),
        arguments="Заявление подано через портал и не зарегистрировано в срок.",
        surname="Петрова",
        first_name="Анна",
        residence="г. Самара, ул. Ленина, 1",
        phone="+79001234567",
        postal_address="443000, г. Самара, ул. Ленина, 1",
        answer_channel="telegram",
        attachments=({"kind": "photo", "file_id": "f1", "name": None, "mime_type": "image/jpeg"},),
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 23, 9, tzinfo=UTC))


@pytest.fixture
async def filed(sessions: async_sessionmaker[AsyncSession], clock: Clock) -> list[str]:
    """Two complaints: one to the centre's director, one about the director (ministry)."""
    async with sessions() as session:
        citizen = Citizen(channel="telegram", external_id="42", chat_id=42, region_code="63")
        session.add(citizen)
        await session.flush()
        desk = SqlComplaints(session, REGIONS, quiet_hours())
        first = await desk.register(citizen, draft(), clock.now)
        second = await desk.register(citizen, draft("typos", "director"), clock.now)
        await session.commit()
        return [str(first.number), str(second.number)]


@pytest.fixture
async def token(sessions: async_sessionmaker[AsyncSession]) -> str:
    return await staff_token(sessions)


@pytest.fixture
async def api(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, token: str
) -> AsyncIterator[httpx.AsyncClient]:
    app = staff_app(sessions, REGIONS, quiet_hours(), clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://staff",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        yield client


async def api_calls(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, int]]:
    async with sessions() as session:
        rows = await session.scalars(
            select(AuditEvent).where(AuditEvent.action == "api:call").order_by(AuditEvent.id)
        )
        return [(row.actor, row.details["status"]) for row in rows]


async def test_without_a_valid_token_nothing_is_shown_and_the_attempt_is_audited(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], filed: list[str]
) -> None:
    anonymous = await api.get("/complaints", headers={"Authorization": ""})
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    wrong = await api.get("/complaints", headers={"Authorization": "Bearer nope"})
    assert (wrong.status_code, wrong.json()) == (
        401,
        {"detail": "the token is unknown, revoked or expired"},
    )
    # Failed logins of one address are counted in one row a minute (tests/admin/test_gate.py).
    assert await api_calls(sessions) == []
    async with sessions() as session:
        [refused] = await session.scalars(
            select(AuditEvent).where(AuditEvent.action == "api:refused")
        )
    assert (refused.actor, refused.details["count"]) == ("anonymous", 2)
    async with sessions() as session:
        [stored] = await tokens.listing(session)
    # Only the hash is kept: the token itself is nowhere in the table.
    assert stored.token_sha256 == tokens.digest(api.headers["Authorization"][7:])
    assert api.headers["Authorization"][7:] not in stored.token_sha256


async def test_a_revoked_token_is_refused(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    assert (await api.get("/complaints")).status_code == 200
    async with sessions() as session:
        await tokens.revoke(session, "inspector", by="test")
        await session.commit()
    assert (await api.get("/complaints")).status_code == 401


async def test_complaints_are_listed_with_filters(
    api: httpx.AsyncClient, filed: list[str], clock: Clock
) -> None:
    listed = (await api.get("/complaints")).json()
    # The typo complaint is due first: 5 working days against 15 (001 ¶5.10).
    assert [item["number"] for item in listed] == [filed[1], filed[0]]
    assert listed[0]["due_on"] == "2026-11-30"
    assert listed[1]["due_on"] == "2026-12-14"
    by_body = (await api.get("/complaints", params={"body": "ministry"})).json()
    assert [item["number"] for item in by_body] == [filed[1]]
    due = (await api.get("/complaints", params={"due_before": "2026-12-01"})).json()
    assert [item["number"] for item in due] == [filed[1]]
    assert (await api.get("/complaints", params={"state": "in_review"})).json() == []
    assert (await api.get("/complaints", params={"overdue": "past"})).json() == []
    clock.now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    late = (await api.get("/complaints", params={"overdue": "past"})).json()
    assert [item["number"] for item in late] == [filed[1]]
    page = (await api.get("/complaints", params={"limit": 1, "offset": 1})).json()
    assert [item["number"] for item in page] == [filed[0]]


async def test_a_watchdog_alert_lists_a_complaint_as_soon_due(
    api: httpx.AsyncClient, filed: list[str], sessions: async_sessionmaker[AsyncSession]
) -> None:
    assert (await api.get("/complaints", params={"overdue": "soon"})).json() == []
    async with sessions() as session:
        session.add(StaffAlert(kind="due_soon", rule="complaint_answer", key="complaint:1"))
        await session.commit()
    soon = (await api.get("/complaints", params={"overdue": "soon"})).json()
    assert [item["number"] for item in soon] == [filed[0]]
    detail = (await api.get(f"/complaints/{filed[0]}")).json()
    assert detail["open_alerts"] == ["due_soon"]


async def test_one_complaint_is_shown_in_full_with_its_history(
    api: httpx.AsyncClient, filed: list[str], sessions: async_sessionmaker[AsyncSession]
) -> None:
    response = await api.get(f"/complaints/{filed[0]}")
    assert response.status_code == 200
    detail = response.json()
    assert (detail["surname"], detail["phone"], detail["body"]) == (
        "Петрова",
        "+79001234567",
        "centre_director",
    )
    assert detail["attachments"][0]["file_id"] == "f1"
    assert [event["action"] for event in detail["history"]] == ["complaint:registered"]
    missing = await api.get("/complaints/Ж-2026-999999")
    assert (missing.status_code, missing.json()) == (404, {"detail": "no complaint Ж-2026-999999"})
    assert await api_calls(sessions) == [("staff:inspector", 200), ("staff:inspector", 404)]


async def test_review_moves_forward_only_and_a_decision_reaches_the_citizen(
    api: httpx.AsyncClient,
    filed: list[str],
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
) -> None:
    url = f"/complaints/{filed[0]}/transitions"
    skipped = await api.post(url, json={"to": "upheld", "answer": "Удовлетворить."})
    assert skipped.status_code == 409
    assert "registered" in skipped.json()["detail"]
    assert (await api.post(url, json={"to": "in_review"})).json()["state"] == "in_review"
    no_answer = await api.post(url, json={"to": "upheld"})
    assert no_answer.status_code == 422
    assert "body.upheld.answer: Field required" in no_answer.json()["detail"]

    clock.now += timedelta(days=3)  # decided on Thursday 26.11.2026
    decided = await api.post(url, json={"to": "upheld", "answer": "Заявление зарегистрировано."})
    assert decided.status_code == 200
    body = decided.json()
    assert body["state"] == "upheld"
    assert body["remedy_due_on"] == "2026-12-03"  # 5 WD from the decision, 004 §5.12
    assert [event["action"] for event in body["history"]] == [
        "complaint:registered",
        "complaint:moved",
        "complaint:decided",
    ]
    again = await api.post(url, json={"to": "rejected", "answer": "Передумали."})
    assert again.status_code == 409

    async with sessions() as session:
        rows = (
            await session.execute(
                select(Reminder.rule, Reminder.audience, Reminder.status).where(
                    Reminder.key == "complaint:1"
                )
            )
        ).all()
        notice = await session.scalar(
            select(Reminder).where(Reminder.rule == "complaint_decision_sent")
        )
        complaint = await session.get_one(Complaint, 1)
    assert {(rule, status) for rule, _audience, status in rows if rule == "complaint_answer"} == {
        ("complaint_answer", "cancelled")
    }
    assert ("complaint_remedy", "staff", "pending") in rows
    assert notice is not None
    assert (notice.status, notice.due_at) == ("pending", clock.now)
    assert notice.context["answer"] == "Заявление зарегистрировано."
    assert notice.context["outcome"] == "upheld"
    assert complaint.reviewed_by == "staff:inspector"


@pytest.mark.parametrize(
    "case",
    [
        ("post", "/complaints/N/transitions", "{not json", "JSON"),
        ("post", "/complaints/N/transitions", {"to": "closed"}, "'closed' found using 'to'"),
        ("post", "/complaints/N/transitions", {"to": "in_review", "x": 1}, "x: Extra inputs"),
        ("post", "/complaints/N/transitions", {"to": "rejected", "answer": "a\x00"}, "control"),
        # Only a zero-width space is no answer; an answer with a non-decision is not dropped.
        (
            "post",
            "/complaints/N/transitions",
            {"to": "rejected", "answer": "\u200b"},
            "must contain words",
        ),
        (
            "post",
            "/complaints/N/transitions",
            {"to": "in_review", "answer": "Да"},
            "in_review.answer: Extra",
        ),
        ("get", "/complaints?due_before=0", None, "YYYY-MM-DD"),
        ("post", "/complaints/N/transitions", ["in_review"], "body"),
        ("get", "/complaints?due_before=31.12.2026", None, "query.due_before"),
        ("get", "/complaints?limit=0", None, "query.limit"),
        ("get", "/complaints?overdue=yes", None, "query.overdue"),
        ("get", "/complaints?state=", None, "query.state"),
        # An integer past SQL's 64 bits used to reach the driver and end in 500.
        ("get", f"/complaints?offset={2**63}", None, "query.offset"),
    ],
)
async def test_malformed_input_gets_a_readable_422(
    api: httpx.AsyncClient, filed: list[str], case: tuple[str, str, object, str]
) -> None:
    method, path, payload, problem = case
    path = path.replace("/N/", f"/{filed[0]}/")
    if isinstance(payload, str):
        response = await api.request(
            method, path, content=payload, headers={"Content-Type": "application/json"}
        )
    else:
        response = await api.request(method, path, json=payload)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert problem in detail


async def test_the_openapi_description_is_served(api: httpx.AsyncClient) -> None:
    schema = (await api.get("/openapi.json")).json()
    assert {"/complaints", "/complaints/{number}", "/complaints/{number}/transitions"} <= set(
        schema["paths"]
    )
    # The interactive page loads scripts from a CDN: off unless admin.docs is set.
    assert (await api.get("/docs")).status_code == 404


async def test_the_embedded_server_serves_and_a_taken_port_does_not_stop_the_bot(
    sessions: async_sessionmaker[AsyncSession], caplog: pytest.LogCaptureFixture
) -> None:
    app = staff_app(sessions, REGIONS, quiet_hours())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        blocked = Embedded(app, "127.0.0.1", taken.getsockname()[1])
        blocked.start()
        await asyncio.sleep(0.5)
        await blocked.stop()  # returns: the failure was logged, not raised
    assert "staff API could not start" in caplog.text

    port = free_port()
    served = Embedded(app, "127.0.0.1", port)
    served.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(50):
                try:
                    response = await client.get("/complaints")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            assert response.status_code == 401
    finally:
        await served.stop()
