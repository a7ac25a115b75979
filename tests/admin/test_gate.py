"""The staff API's gate on a real database: authentication before the body, limits, login
throttling, and an audit log that misses no request and keeps no secret."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin.app import create_app
from admin.gate import MAX_BODY_BYTES, LoginThrottle, clean_query
from admin.server import Embedded
from features.web import Staff
from storage.models import AuditEvent
from tests.support.staff import staff_token

broken = APIRouter()


@broken.get("/broken")
async def fails(_staff: Staff) -> dict[str, str]:
    raise RuntimeError("a bug in a route")


class Note(BaseModel):
    text: str


@broken.post("/broken")
async def takes_a_body(_staff: Staff, note: Note) -> dict[str, str]:
    return {"text": note.text}


@pytest.fixture
async def token(sessions: async_sessionmaker[AsyncSession]) -> str:
    return await staff_token(sessions)


@pytest.fixture
async def api(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(sessions, [broken], {}, lambda: datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://staff") as client:
        yield client


async def audit(sessions: async_sessionmaker[AsyncSession]) -> list[AuditEvent]:
    """The gate's rows (issuing the test's token is audited too, and left out)."""
    async with sessions() as session:
        rows = await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.in_(("api:call", "api:refused")))
            .order_by(AuditEvent.id)
        )
        return list(rows)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_without_a_token_the_body_is_not_even_parsed(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/complaints/Ж-2026-000001/transitions",
        content="{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 401  # not 422: nothing is read before the token


async def test_a_body_over_the_limit_is_refused(api: httpx.AsyncClient, token: str) -> None:
    response = await api.post(
        "/offers", content=b"x" * (MAX_BODY_BYTES + 1), headers=bearer(token)
    )
    assert response.status_code == 413


async def test_a_failure_inside_a_route_is_a_500_and_is_audited_in_the_staff_name(
    api: httpx.AsyncClient, token: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    response = await api.get("/broken", headers=bearer(token))
    assert response.status_code == 500
    assert response.headers["cache-control"] == "no-store"
    missing = await api.get("/no-such-route", headers=bearer(token))
    assert missing.status_code == 404
    calls = [(e.actor, e.details["path"], e.details["status"]) for e in await audit(sessions)]
    assert ("staff:inspector", "/broken", 500) in calls
    # Answered before any route ran, yet in the name of the token's owner.
    assert ("staff:inspector", "/no-such-route", 404) in calls


async def test_a_wrong_method_names_every_method_of_the_path(
    api: httpx.AsyncClient, token: str
) -> None:
    response = await api.delete("/broken", headers=bearer(token))
    # Starlette would name only the first route's method (GET).
    assert (response.status_code, response.headers["allow"]) == (405, "GET, POST")


async def test_a_body_that_is_not_even_text_is_malformed_input(
    api: httpx.AsyncClient, token: str
) -> None:
    response = await api.post(
        "/broken",
        content=b"\x15\xff\xfe",
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    assert (response.status_code, response.json()) == (422, {"detail": "body: not valid JSON"})


async def test_secrets_and_personal_data_stay_out_of_the_audit_log(
    api: httpx.AsyncClient, token: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await api.get(f"/citizens?q=Петрова&limit=5&token={token}", headers=bearer(token))
    [call] = [e for e in await audit(sessions) if e.action == "api:call"]
    assert token not in str(call.details)
    assert "Петрова" not in str(call.details)
    assert "limit=5" in call.details["query"]


async def test_failed_logins_are_throttled_and_counted_in_one_row(
    api: httpx.AsyncClient, token: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    answers = [
        (await api.get("/complaints", headers=bearer(f"guess-{n}"))).status_code for n in range(25)
    ]
    assert answers[:20] == [401] * 20
    assert set(answers[20:]) == {429}
    throttled = await api.get("/complaints", headers=bearer("one-more"))
    assert int(throttled.headers["retry-after"]) >= 1
    # Even the right token waits: the address is guessing.
    assert (await api.get("/complaints", headers=bearer(token))).status_code == 429
    rows = await audit(sessions)
    assert [(e.action, e.details["count"]) for e in rows] == [("api:refused", 27)]


def test_the_throttle_forgets_after_its_window() -> None:
    now = [0.0]
    throttle = LoginThrottle(failures=2, window=60, clock=lambda: now[0])
    throttle.failed("a")
    throttle.failed("a")
    assert throttle.wait("a") == 60
    assert throttle.wait("b") == 0
    now[0] = 61
    assert throttle.wait("a") == 0


def test_clean_query_keeps_only_harmless_values() -> None:
    assert clean_query("state=registered&q=Анна&token=s3cret&offset=10") == (
        "state=registered&q=%2A&token=%2A&offset=10"
    )


async def test_a_token_expires_after_its_lifetime(
    sessions: async_sessionmaker[AsyncSession], token: str
) -> None:
    later = datetime.now(UTC) + timedelta(days=91)
    app = create_app(sessions, [broken], {}, lambda: later, token_lifetime=timedelta(days=90))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://staff"
    ) as client:
        expired = await client.get("/no-such-route", headers=bearer(token))
    assert (expired.status_code, expired.json()["detail"]) == (
        401,
        "the token is unknown, revoked or expired",
    )


async def test_the_docs_page_is_served_only_when_enabled(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    for enabled, status in ((False, 404), (True, 200)):
        app = create_app(sessions, [broken], {}, docs=enabled)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://staff"
        ) as client:
            assert (await client.get("/docs")).status_code == status
            assert (await client.get("/openapi.json")).status_code == 200


def test_no_access_log_keeps_the_raw_query_strings(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    served = Embedded(create_app(sessions, [broken], {}), "127.0.0.1", 0)
    assert served._server.config.access_log is False
