"""Visits the centre sets, on a real database: staff set one through the API, the citizen is
told with buttons, confirms or asks for another time in words, staff move it and record how
it went; the visiting hours of 000 p.9 on the region's calendar; forged buttons."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.build import renderer as build_renderer
from dialogs.flow import DialogConfig
from features.appointments.ports import VisitPress
from storage.models import Citizen, Reminder, StaffAlert, Visit
from tests.support.db_chat import REGIONS, DbChat, quiet_hours
from tests.support.staff import staff_token
from tests.support.wiring import staff_app

PLACE = "МФЦ, г. Самара, ул. Ленина, 2"


@pytest.fixture
async def chat(sessions: async_sessionmaker[AsyncSession], dialog_config: DialogConfig) -> DbChat:
    chat = DbChat(sessions, dialog_config)  # Monday 23.11.2026, 13:00 in Samara
    await chat.start()
    return chat


@pytest.fixture
async def api(
    sessions: async_sessionmaker[AsyncSession], chat: DbChat
) -> AsyncIterator[httpx.AsyncClient]:
    app = staff_app(sessions, REGIONS, quiet_hours(), clock=chat.clock)
    token = await staff_token(sessions)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://staff",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        yield client


async def citizen_id(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return await session.scalar(select(Citizen.id).where(Citizen.external_id == "5001")) or 0


async def set_visit(
    api: httpx.AsyncClient, who: int, starts_at: str, kind: str = "video_mfc"
) -> httpx.Response:
    return await api.post(
        "/visits",
        json={
            "citizen_id": who,
            "kind": kind,
            "place": PLACE,
            "purpose": "Согласование плана поиска работы",
            "starts_at": starts_at,
        },
    )


async def reminders_of(sessions: async_sessionmaker[AsyncSession], key: str) -> list[Reminder]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Reminder).where(Reminder.key == key).order_by(Reminder.id)
        )
        return list(rows)


async def test_the_citizen_is_told_confirms_and_is_reminded_with_what_to_bring(
    chat: DbChat, api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    created = await set_visit(api, await citizen_id(sessions), "2026-11-25T10:00:00+04:00")
    assert created.status_code == 201, created.text
    assert created.json()["state"] == "set"
    notice, *reminders = await reminders_of(sessions, "visit:1")
    assert (notice.rule, notice.status) == ("visit_notice", "pending")
    context: dict[str, Any] = dict(notice.context)
    assert (context["day"], context["at"], context["place"]) == ("2026-11-25", "10:00", PLACE)
    text = build_renderer(strict=True).text(
        "reminders.visit_notice",
        {**context, "before": 0, "deadline": notice.deadline_on, "late": False},
    )
    for part in ("25.11.2026 в 10:00", "видеоконференция", "паспорт", "согласие", "30 минут"):
        assert part in text
    # The day before at noon and two hours before, in Samara time (UTC+4): 08:00 is quiet,
    # so the second waits for 09:00.
    assert [(r.rule, r.before, r.due_at) for r in reminders] == [
        ("visit_reminder", 1, datetime(2026, 11, 24, 8, 0, tzinfo=UTC)),
        ("visit_reminder", 0, datetime(2026, 11, 25, 5, 0, tzinfo=UTC)),
    ]

    confirm = context["actions"][0]["payload"]
    await chat.send(payload=confirm)
    assert chat.templates() == ["visit.confirmed"]
    assert (await api.get("/visits/1")).json()["state"] == "confirmed"
    # Pressed again after the visit was recorded: the button has expired.
    attended = await api.post("/visits/1/transitions", json={"to": "attended", "stages_done": 1})
    assert (attended.json()["state"], attended.json()["stages_done"]) == ("confirmed", 1)
    attended = await api.post("/visits/1/transitions", json={"to": "attended"})
    assert attended.json()["state"] == "attended"  # both stages (000 p.8)
    assert [r.status for r in (await reminders_of(sessions, "visit:1"))[1:]] == [
        "cancelled",
        "cancelled",
    ]
    await chat.send(payload=confirm)
    assert chat.templates()[0] == "common.button_expired"


async def test_another_time_asked_in_words_reaches_staff_who_move_the_visit(
    chat: DbChat, api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await set_visit(api, await citizen_id(sessions), "2026-11-25T15:00:00+04:00", "in_person")
    await chat.send(payload=VisitPress(1, "move").pack())
    assert chat.prompt == "visit.ask_time"
    await chat.send(attachment="photo", file_id="p1")
    assert chat.templates() == ["visit.invalid_not_text", "visit.ask_time"]
    await chat.send("в пятницу в 10")
    assert chat.templates() == ["visit.change_sent"]
    assert chat.last[0].context["at"] == "10:00"
    [asked] = (await api.get("/visits", params={"state": "change_requested"})).json()
    assert asked["change_text"] == "в пятницу в 10"
    assert asked["change_to"] == "2026-11-27T06:00:00Z"  # Friday 10:00 in Samara
    async with sessions() as session:
        [alert] = await session.scalars(select(StaffAlert))
        assert (alert.kind, alert.resolved_at) == ("visit_change_requested", None)

    moved = await api.post(
        "/visits/1/transitions", json={"to": "moved", "starts_at": "2026-11-27T10:00:00+04:00"}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["state"] == "set"
    async with sessions() as session:
        [alert] = await session.scalars(select(StaffAlert))
        assert alert.resolved_at is not None
    rows = await reminders_of(sessions, "visit:1")
    notices = [r for r in rows if r.rule == "visit_notice"]
    assert [n.context["change"] for n in notices] == ["set", "moved"]
    pending = [
        (r.before, r.due_at) for r in rows if r.rule == "visit_reminder" and r.status == "pending"
    ]
    assert pending == [
        (1, datetime(2026, 11, 26, 8, 0, tzinfo=UTC)),
        (0, datetime(2026, 11, 27, 5, 0, tzinfo=UTC)),  # 08:00 is quiet: 09:00 Samara
    ]

    missed = await api.post("/visits/1/transitions", json={"to": "no_show"})
    assert missed.json()["state"] == "no_show"
    outcome = (await reminders_of(sessions, "visit:1"))[-1]
    assert (outcome.rule, outcome.context["change"]) == ("visit_outcome", "no_show")
    text = build_renderer(strict=True).text(
        "reminders.visit_outcome",
        {**outcome.context, "before": 0, "deadline": outcome.deadline_on, "late": False},
    )
    assert "уважительной причине" in text  # 000 p.20


async def test_a_technical_failure_rebooks_the_visit_and_the_citizen_gets_the_new_time(
    chat: DbChat, api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await set_visit(api, await citizen_id(sessions), "2026-11-25T10:00:00+04:00")
    rebooked = await api.post(
        "/visits/1/transitions",
        json={"to": "rebooked", "starts_at": "2026-11-26T11:00:00+04:00", "note": "Нет связи"},
    )
    assert rebooked.status_code == 200, rebooked.text
    assert (rebooked.json()["state"], rebooked.json()["replaced_by"]) == ("rebooked", 2)
    [notice] = [r for r in await reminders_of(sessions, "visit:2") if r.rule == "visit_notice"]
    assert (notice.context["change"], notice.context["day"]) == ("rebooked", "2026-11-26")
    await chat.send("/status")
    assert chat.templates()[0] == "visit.list"
    assert chat.last[0].context["visits"][0]["at"] == "11:00"


@pytest.mark.parametrize(
    "starts_at",
    [
        "2026-11-28T10:00:00+04:00",  # Saturday
        "2026-11-27T16:30:00+04:00",  # Friday: ends after 16:45
        "2026-11-26T17:45:00+04:00",  # Thursday: ends after 18:00
        "2026-11-24T08:30:00+04:00",  # before 09:00
        "2026-12-31T10:00:00+04:00",  # a day off of the production calendar
        "2026-11-20T10:00:00+04:00",  # past
    ],
)
async def test_a_visit_outside_the_visiting_hours_is_refused(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], starts_at: str
) -> None:
    refused = await set_visit(api, await citizen_id(sessions), starts_at)
    assert refused.status_code == 409, refused.text
    async with sessions() as session:
        assert list(await session.scalars(select(Visit))) == []


async def test_another_citizen_cannot_answer_the_visit_with_a_forged_button(
    chat: DbChat,
    api: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    dialog_config: DialogConfig,
) -> None:
    await set_visit(api, await citizen_id(sessions), "2026-11-25T10:00:00+04:00")
    stranger = DbChat(sessions, dialog_config, clock=chat.clock, external_id="5002")
    await stranger.start()
    for action in ("ok", "move", "drop"):
        await stranger.send(payload=VisitPress(1, action).pack())
        assert stranger.templates()[0] == "common.button_expired"
    await stranger.send(payload="visit:99999999999999999999:ok")
    assert stranger.templates()[0] == "common.button_expired"
    assert (await api.get("/visits/1")).json()["state"] == "set"
