"""Administrators edit the data staff own beside the texts in the desk: canned answers, crisis
lines, operator hours and calendar corrections; the bot uses each change at once, and an
earlier version can be brought back."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from features.operator import owned
from reminders.store import region_calendar
from storage.models import AuditEvent
from tests.support.db_chat import Clock
from tests.support.desk import add_member, client, csrf_of, desk_app, log_in, logged_in_admin

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)
HOURS = (time(9), time(18))


@pytest.fixture
async def root(sessions: async_sessionmaker[AsyncSession]) -> httpx.AsyncClient:
    return await logged_in_admin(sessions, Clock(NOW))


async def post(browser: httpx.AsyncClient, path: str, **form: str) -> httpx.Response:
    page = await browser.get("/desk/settings")
    return await browser.post(path, data={"csrf": csrf_of(page), **form})


async def test_canned_answers_are_added_changed_removed_and_restored(
    sessions: async_sessionmaker[AsyncSession], root: httpx.AsyncClient
) -> None:
    page = await root.get("/desk/settings")
    assert page.status_code == 200
    assert "Готовые ответы операторов" in page.text
    assert "hello" in page.text  # the file's answers until the first change

    added = await post(root, "/desk/settings/canned", name="Адрес", text="Мы на Ленина, 1.")
    assert added.status_code == 303
    async with sessions() as db:
        answers = await owned.canned_answers(db)
    assert answers["адрес"] == "Мы на Ленина, 1."
    assert "hello" in answers

    refused = await post(root, "/desk/settings/canned", name="два слова", text="x")
    assert refused.status_code == 422
    assert "без пробелов" in refused.text

    assert (await post(root, "/desk/settings/canned/delete", name="адрес")).status_code == 303
    async with sessions() as db:
        assert "адрес" not in await owned.canned_answers(db)
    page = await root.get("/desk/settings")
    earlier = re.findall(r'name="name" value="canned_answers"><input type="hidden" '
                         r'name="revision" value="(\d+)"', page.text)  # fmt: skip
    assert earlier, "the earlier version is offered"
    restored = await post(
        root, "/desk/settings/restore", name="canned_answers", revision=earlier[0]
    )
    assert restored.status_code == 303
    async with sessions() as db:
        assert (await owned.canned_answers(db))["адрес"] == "Мы на Ленина, 1."


async def test_crisis_lines_and_hours(
    sessions: async_sessionmaker[AsyncSession], root: httpx.AsyncClient
) -> None:
    saved = await post(
        root, "/desk/settings/crisis", lines="112 — экстренные службы\n\n051 — помощь\n"
    )
    assert saved.status_code == 303
    async with sessions() as db:
        assert await owned.crisis_lines(db, ["default"]) == [
            "112 — экстренные службы",
            "051 — помощь",
        ]
    assert (await post(root, "/desk/settings/crisis", lines="  ")).status_code == 422

    assert (
        await post(root, "/desk/settings/hours", region="63", start="08:30", end="17:00")
    ).status_code == 303
    backwards = await post(root, "/desk/settings/hours", region="63", start="18:00", end="09:00")
    assert backwards.status_code == 422
    assert "раньше конца" in backwards.text
    async with sessions() as db:
        assert await owned.working_hours(db, "63", HOURS) == (time(8, 30), time(17))
        assert await owned.working_hours(db, "50", HOURS) == HOURS


async def test_calendar_corrections(
    sessions: async_sessionmaker[AsyncSession], root: httpx.AsyncClient
) -> None:
    day = date(2026, 12, 16)  # a Wednesday
    added = await post(root, "/desk/settings/calendar", region="63", day=day.isoformat(),
                       state="off", note="перенос")  # fmt: skip
    assert added.status_code == 303
    async with sessions() as db:
        assert not (await region_calendar(db, "63")).is_working(day)
        assert (await region_calendar(db, "50")).is_working(day)
        audited = await db.scalar(select(AuditEvent).where(AuditEvent.action == "calendar.day"))
    assert audited is not None
    assert audited.actor == "staff:root"
    page = await root.get("/desk/settings")
    assert "16.12.2026" in page.text
    cleared = await post(
        root, "/desk/settings/calendar", region="63", day=day.isoformat(), state="clear"
    )
    assert cleared.status_code == 303
    async with sessions() as db:
        assert (await region_calendar(db, "63")).is_working(day)
    far = await post(root, "/desk/settings/calendar", region="63", day="2040-01-01", state="off")
    assert far.status_code == 422


async def test_only_administrators_open_the_page(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await add_member(sessions, "chief", role="supervisor")
    async with client(desk_app(sessions, Clock(NOW))) as browser:
        await log_in(browser, "chief")
        assert (await browser.get("/desk/settings")).status_code == 403
