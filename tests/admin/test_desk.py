"""The web desk's security: logging in and out, sessions that end, CSRF on every change,
throttled logins, one-time passwords, role and region refusals on pages, and the audit log
of each refusal; on a real migrated database with every feature's pages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.routing import BaseRoute

from admin import accounts
from storage.models import (
    AuditEvent,
    Citizen,
    Conversation,
    DeskSession,
    Handover,
    HandoverMessage,
)
from tests.support.db_chat import Clock
from tests.support.desk import (
    StoredFiles,
    add_member,
    client,
    csrf_of,
    desk_app,
    desk_settings,
    log_in,
)

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)


@dataclass
class Desk:
    app: FastAPI
    clock: Clock
    sessions: async_sessionmaker[AsyncSession]
    handovers: dict[str, int]  # region code -> a queued handover there


async def queued(sessions: async_sessionmaker[AsyncSession], region: str, user: int) -> int:
    async with sessions() as session:
        citizen = Citizen(
            channel="telegram",
            external_id=str(user),
            chat_id=user,
            region_code=region,
            display_name="Анна Петрова",
        )
        session.add(citizen)
        await session.flush()
        session.add(Conversation(citizen_id=citizen.id, mode="queued"))
        handover = Handover(
            citizen_id=citizen.id,
            region_code=region,
            reason="menu",
            state="queued",
            context={},
            requested_at=NOW - timedelta(minutes=4),
        )
        session.add(handover)
        await session.commit()
        return handover.id


@pytest.fixture
async def desk(sessions: async_sessionmaker[AsyncSession]) -> Desk:
    await add_member(sessions, "anna")  # an operator of region 63
    await add_member(sessions, "boris")
    await add_member(sessions, "chief", role="supervisor")
    await add_member(sessions, "root", role="admin", regions=("*",))
    clock = Clock(NOW)
    handovers = {
        "63": await queued(sessions, "63", 1001),
        "50": await queued(sessions, "50", 1002),
    }
    settings = desk_settings(
        admin={"plain_http": False, "failed_logins_per_account": 3, "session_idle_minutes": 30}
    )
    return Desk(desk_app(sessions, clock, settings), clock, sessions, handovers)


@pytest.fixture
async def anna(desk: Desk) -> AsyncIterator[httpx.AsyncClient]:
    async with client(desk.app) as browser:
        assert (await log_in(browser, "anna")).status_code == 303
        yield browser


def main_of(page: httpx.Response) -> str:
    return page.text.partition("<main")[2]


async def events(sessions: async_sessionmaker[AsyncSession], action: str) -> list[AuditEvent]:
    async with sessions() as session:
        return list(await session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


async def test_pages_send_a_stranger_to_the_login_form_and_back(desk: Desk) -> None:
    async with client(desk.app) as browser:
        first = await browser.get("/desk/queue")
        assert first.status_code == 303
        assert first.headers["location"] == "/login?next=/desk/queue"
        logged_in = await log_in(browser, "anna")
        assert logged_in.headers["location"] == "/desk/queue"
        cookie = logged_in.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "Secure" in cookie
        assert "SameSite=strict" in cookie
        queue = await browser.get("/desk/queue")
        assert queue.status_code == 200
        assert "Анна П." in queue.text  # an operator sees the name masked
        assert "Петрова" not in queue.text
    assert len(await events(desk.sessions, "desk:login")) == 1


async def test_a_login_link_cannot_send_staff_to_another_site(desk: Desk) -> None:
    async with client(desk.app) as browser:
        form = await browser.get("/login", params={"next": "https://evil.example/x"})
        response = await browser.post(
            "/login",
            data={
                "username": "anna",
                "password": "correct horse battery",
                "csrf": csrf_of(form),
                "next": "//evil.example/x",
            },
        )
        assert response.headers["location"] == "/desk"
    for target in ("/\\evil.example", "https://evil.example", "desk", "/desk/queue"):
        async with client(desk.app) as browser:
            form = await browser.get("/login", params={"next": target})
            assert (
                f'name="next" value="{"/desk/queue" if target == "/desk/queue" else "/desk"}"'
                in form.text
            )


async def test_a_login_without_the_forms_token_is_refused(desk: Desk) -> None:
    async with client(desk.app) as browser:
        response = await browser.post(
            "/login", data={"username": "anna", "password": "correct horse battery"}
        )
        assert response.status_code == 403
        assert "desk_session" not in response.headers.get("set-cookie", "")
    assert await events(desk.sessions, "desk:login_refused")


async def test_wrong_passwords_are_audited_and_the_account_waits(desk: Desk) -> None:
    async with client(desk.app) as browser:
        for _ in range(3):
            assert (await log_in(browser, "anna", "wrong password!")).status_code == 401
        # Now even the right password waits: the account is throttled.
        throttled = await log_in(browser, "anna")
        assert throttled.status_code == 429
        assert "Слишком много" in throttled.text
        assert int(throttled.headers["retry-after"]) > 0
    # ... from another address too, while another account is not held up.
    async with client(desk.app, address="10.0.0.2") as other:
        assert (await log_in(other, "anna")).status_code == 429
        assert (await log_in(other, "boris")).status_code == 303
    assert len(await events(desk.sessions, "desk:login_failed")) == 3
    assert await events(desk.sessions, "desk:login_throttled")


async def test_many_failures_from_one_address_hold_up_every_account(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await add_member(sessions, "anna")
    settings = desk_settings(admin={"plain_http": False, "failed_logins_per_minute": 4})
    app = desk_app(sessions, Clock(NOW), settings)
    async with client(app) as browser:
        for name in ("x1", "x2", "x3", "x4"):
            assert (await log_in(browser, name, "nothing at all")).status_code == 401
        assert (await log_in(browser, "anna")).status_code == 429


async def test_a_change_without_the_csrf_token_is_refused_and_audited(
    desk: Desk, anna: httpx.AsyncClient
) -> None:
    handover = desk.handovers["63"]
    for data in ({}, {"csrf": "forged"}):
        refused = await anna.post(f"/desk/queue/{handover}/claim", data=data)
        assert refused.status_code == 403
        assert "Форма устарела" in refused.text
    async with desk.sessions() as session:
        assert (await session.get(Handover, handover)).state == "queued"  # type: ignore[union-attr]
        calls = await session.scalars(select(AuditEvent).where(AuditEvent.subject == "csrf"))
        assert [c.details["status"] for c in calls] == [403, 403]


async def test_an_operator_takes_a_conversation_once(desk: Desk, anna: httpx.AsyncClient) -> None:
    handover = desk.handovers["63"]
    token = csrf_of(await anna.get("/desk/queue"))
    taken = await anna.post(f"/desk/queue/{handover}/claim", data={"csrf": token})
    assert taken.status_code == 303
    assert taken.headers["location"] == f"/desk/conversations/{handover}"
    async with client(desk.app) as boris:
        await log_in(boris, "boris")
        second = await boris.post(
            f"/desk/queue/{handover}/claim", data={"csrf": csrf_of(await boris.get("/desk/queue"))}
        )
        assert second.status_code == 409
        assert "уже взял(а) anna" in second.text


async def test_another_regions_conversation_is_not_found(
    desk: Desk, anna: httpx.AsyncClient
) -> None:
    outside = desk.handovers["50"]
    page = await anna.get(f"/desk/conversations/{outside}")
    missing = await anna.get("/desk/conversations/999999")
    assert page.status_code == missing.status_code == 404
    assert main_of(page) == main_of(missing)
    token = csrf_of(await anna.get("/desk/queue"))
    claim = await anna.post(f"/desk/queue/{outside}/claim", data={"csrf": token})
    assert claim.status_code == 404
    queue = await anna.get("/desk/queue")
    assert f"/desk/queue/{outside}/claim" not in queue.text
    async with desk.sessions() as session:
        calls = await session.scalars(select(AuditEvent).where(AuditEvent.actor == "staff:anna"))
        assert (f"/desk/conversations/{outside}", 404) in {
            (c.details.get("path"), c.details.get("status")) for c in calls
        }


async def test_an_operator_cannot_assign_conversations(
    desk: Desk, anna: httpx.AsyncClient
) -> None:
    token = csrf_of(await anna.get("/desk/queue"))
    refused = await anna.post(
        f"/desk/queue/{desk.handovers['63']}/assign", data={"csrf": token, "operator": "boris"}
    )
    assert refused.status_code == 403
    assert "нет доступа" in refused.text.lower()
    async with desk.sessions() as session:
        calls = await session.scalars(select(AuditEvent).where(AuditEvent.actor == "staff:anna"))
        assert any(
            c.details.get("status") == 403 and c.details["path"].endswith("/assign") for c in calls
        )


async def test_a_supervisor_assigns_a_conversation(desk: Desk) -> None:
    handover = desk.handovers["63"]
    async with client(desk.app) as chief:
        await log_in(chief, "chief")
        page = await chief.get(f"/desk/conversations/{handover}")
        assert "Назначить оператору" in page.text
        done = await chief.post(
            f"/desk/queue/{handover}/assign", data={"csrf": csrf_of(page), "operator": "boris"}
        )
        assert done.status_code == 303
    async with desk.sessions() as session:
        assert (await session.get(Handover, handover)).claimed_by == "boris"  # type: ignore[union-attr]


async def test_a_session_ends_after_idle_time_and_at_logout(
    desk: Desk, anna: httpx.AsyncClient
) -> None:
    desk.clock.now = NOW + timedelta(minutes=29)
    assert (await anna.get("/desk/queue")).status_code == 200  # the idle clock restarts
    desk.clock.now = NOW + timedelta(minutes=58)
    assert (await anna.get("/desk/queue")).status_code == 200
    desk.clock.now = NOW + timedelta(minutes=89)
    expired = await anna.get("/desk/queue")
    assert expired.status_code == 303
    assert expired.headers["location"].startswith("/login")

    await log_in(anna, "anna")
    token = csrf_of(await anna.get("/desk/queue"))
    assert (await anna.post("/logout", data={"csrf": token})).status_code == 303
    assert (await anna.get("/desk/queue")).status_code == 303
    async with desk.sessions() as session:
        ended = await session.scalars(select(DeskSession.ended_at))
        assert all(at is not None for at in ended)


async def test_deactivation_ends_the_session_at_once(desk: Desk, anna: httpx.AsyncClient) -> None:
    async with desk.sessions() as session:
        await accounts.deactivate(session, "anna", by="test")
        await session.commit()
    assert (await anna.get("/desk/queue")).status_code == 303
    assert (await log_in(anna, "anna")).status_code == 401


async def test_a_one_time_password_must_be_changed_first(desk: Desk) -> None:
    async with desk.sessions() as session:
        one_time = await accounts.set_password(session, "boris", None, by="test")
        await session.commit()
    assert one_time is not None
    async with client(desk.app) as boris:
        assert (await log_in(boris, "boris", one_time)).status_code == 303
        held = await boris.get("/desk/queue")
        assert held.headers["location"] == "/desk/password"
        form = await boris.get("/desk/password")
        short = await boris.post(
            "/desk/password",
            data={"csrf": csrf_of(form), "current": one_time, "new": "short", "again": "short"},
        )
        assert short.status_code == 422
        assert "не короче 12" in short.text
        new = "a much longer password"
        changed = await boris.post(
            "/desk/password",
            data={"csrf": csrf_of(form), "current": one_time, "new": new, "again": new},
        )
        assert changed.status_code == 303
        assert (await boris.get("/desk/queue")).status_code == 200
    async with client(desk.app) as again:
        assert (await log_in(again, "boris", one_time)).status_code == 401
        assert (await log_in(again, "boris", "a much longer password")).status_code == 303


async def test_every_desk_page_is_behind_the_login_and_declares_its_role(desk: Desk) -> None:
    """One declaration per route, as in the JSON API (`Operator`, `Supervisor`, `Admin`), and
    no page answers a stranger: GETs go to the login form, anything else is refused."""

    def checks(dependant: Any) -> list[str]:
        own = [getattr(dependant.call, "__qualname__", "")]
        return own + [name for sub in dependant.dependencies for name in checks(sub)]

    def flattened(routes: Sequence[BaseRoute]) -> list[APIRoute]:
        found: list[APIRoute] = []
        for route in routes:
            if isinstance(route, APIRoute):
                found.append(route)
            elif hasattr(route, "original_router"):  # FastAPI keeps included routers apart
                found += flattened(route.original_router.routes)
        return found

    pages = [
        route
        for route in flattened(desk.app.routes)
        if route.path.startswith("/desk/") and route.path != "/desk/password"
    ]
    assert len(pages) > 20
    async with client(desk.app) as stranger:
        for route in pages:
            assert any(name.startswith("role_required") for name in checks(route.dependant)), (
                route.path
            )
            path = re.sub(r"\{[^}]+\}", "1", route.path)
            for method in route.methods or ():
                answer = await stranger.request(method, path)
                expected = 303 if method == "GET" else 401
                assert answer.status_code == expected, (method, path)


async def test_an_operator_cannot_open_an_administrators_page(
    desk: Desk, anna: httpx.AsyncClient
) -> None:
    for path in ("/desk/staff", "/desk/report"):
        refused = await anna.get(path)
        assert refused.status_code == 403
        assert "У вашей роли нет доступа" in refused.text
    async with desk.sessions() as session:
        calls = await session.scalars(select(AuditEvent).where(AuditEvent.actor == "staff:anna"))
        refusals = {(c.details.get("path"), c.details.get("status")) for c in calls}
    assert {("/desk/staff", 403), ("/desk/report", 403)} <= refusals


async def test_an_operator_answers_notes_transfers_and_closes(
    desk: Desk, anna: httpx.AsyncClient
) -> None:
    handover = desk.handovers["63"]
    token = csrf_of(await anna.get("/desk/queue"))
    await anna.post(f"/desk/queue/{handover}/claim", data={"csrf": token})
    for action, text in (("reply", "Здравствуйте!"), ("note", "проверить"), ("reply", " ")):
        await anna.post(
            f"/desk/conversations/{handover}/{action}", data={"csrf": token, "text": text}
        )
    page = await anna.get(f"/desk/conversations/{handover}")
    assert "Здравствуйте!" in page.text
    assert "гражданин её не видит" in page.text
    assert (
        await anna.post(f"/desk/conversations/{handover}/transfer", data={"csrf": token})
    ).headers["location"] == "/desk/queue"
    async with desk.sessions() as session:
        moved = await session.get(Handover, handover)
        assert moved is not None
        assert (moved.state, moved.claimed_by) == ("queued", None)
        rows = await session.scalars(
            select(HandoverMessage).where(HandoverMessage.handover_id == handover)
        )
        kinds = [(m.direction, m.text) for m in rows if m.direction in ("operator", "note")]
        assert kinds == [("operator", "Здравствуйте!"), ("note", "проверить")]  # " ": refused
        mirrored = await session.scalars(
            select(HandoverMessage).where(HandoverMessage.template == "operator.desk_from_web")
        )
        # Both are shown in the conversation's topic of the Telegram group too.
        assert [(m.context["text"], m.context["note"]) for m in mirrored] == [
            ("Здравствуйте!", False),
            ("проверить", True),
        ]
    closing = await anna.post(f"/desk/conversations/{handover}/close", data={"csrf": token})
    assert closing.status_code == 409  # nobody holds it now
    await anna.post(f"/desk/queue/{handover}/claim", data={"csrf": token})
    assert (
        await anna.post(f"/desk/conversations/{handover}/close", data={"csrf": token})
    ).status_code == 303
    async with desk.sessions() as session:
        closed = await session.get(Handover, handover)
        assert closed is not None
        assert (closed.state, closed.closed_by) == ("closed", "anna")


async def test_photos_show_in_the_page_and_other_files_only_download(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await add_member(sessions, "anna")
    handover = await queued(sessions, "63", 1001)
    async with sessions() as session:
        for kind, file_id in (("photo", "p1"), ("document", "d1"), ("photo", "gone")):
            session.add(
                HandoverMessage(
                    handover_id=handover, direction="citizen", kind=kind, file_id=file_id
                )
            )
        await session.commit()
        ids = [
            m.id
            for m in await session.scalars(select(HandoverMessage).order_by(HandoverMessage.id))
        ]
    files = StoredFiles({"p1": (b"PNG!", "image/png"), "d1": (b"<script>", "text/html")})
    app = desk_app(sessions, Clock(NOW), desk_settings(admin={"plain_http": False}), files)
    async with client(app) as anna:
        await log_in(anna, "anna")
        photo = await anna.get(f"/desk/files/{ids[0]}")
        assert (photo.content, photo.headers["content-type"]) == (b"PNG!", "image/png")
        assert photo.headers["content-disposition"] == "inline"
        document = await anna.get(f"/desk/files/{ids[1]}")
        assert document.headers["content-type"] == "application/octet-stream"
        assert document.headers["content-disposition"] == "attachment"
        assert document.headers["x-content-type-options"] == "nosniff"
        assert (await anna.get(f"/desk/files/{ids[2]}")).status_code == 404


async def test_a_change_wakes_the_senders_and_nothing_else_does(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The bot's relay and reminder runner are woken after a change, so a reply or a decision
    reaches the citizen at once; pages read and refusals wake nothing."""
    await add_member(sessions, "anna")
    handover = await queued(sessions, "63", 1001)
    woken: list[str] = []
    settings = desk_settings(admin={"plain_http": False})
    app = desk_app(sessions, Clock(NOW), settings, nudges=[lambda: woken.append("now")])
    async with client(app) as anna:
        await log_in(anna, "anna")
        token = csrf_of(await anna.get("/desk/queue"))
        assert woken == []
        assert (await anna.post(f"/desk/queue/{handover}/claim", data={})).status_code == 403
        assert woken == []
        await anna.post(f"/desk/queue/{handover}/claim", data={"csrf": token})
        assert woken == ["now"]
