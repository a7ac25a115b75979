"""End to end in a real browser: a supervisor sets a visit in the web desk (Chromium through
Playwright, the desk served by the real bot process against the fake Bot API), the citizen is
told in Telegram and asks for another time in words, the desk shows the words and the time
read from them already filled in, and the supervisor moves the visit to it with one press."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from storage.models import Citizen
from tests.e2e.test_e2e_complaints import Citizen as TelegramCitizen
from tests.e2e.test_e2e_desk import (
    PASSWORD,
    WAIT_MS,
    browser,
    cli,
    desk_answers,
    logged_in,
    shot,
)
from tests.e2e.test_e2e_operator import onboard
from tests.e2e.test_e2e_reminders import REMINDER_ENV
from tests.e2e.test_e2e_visits import next_working_mornings
from tests.support.e2e import StartBot
from tests.support.fake_telegram import FakeTelegram
from tests.support.rasa import free_port

pytestmark = pytest.mark.e2e
__all__ = ["browser"]  # the fixture


async def citizen_id(db_url: str) -> int:
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(select(Citizen.id))).scalar_one())
    finally:
        await engine.dispose()


async def test_a_supervisor_sets_a_visit_in_the_desk_and_moves_it_at_the_citizen_s_words(
    telegram: FakeTelegram, start_bot: StartBot, db_url: str, browser: Browser
) -> None:
    await cli(db_url, "add", "Вера", "--role", "supervisor", "--regions", "63", "--password",
              stdin=PASSWORD + "\n")  # fmt: skip
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    desk_env = {"ADMIN__ENABLED": "true", "ADMIN__PORT": str(port), "ADMIN__PLAIN_HTTP": "true"}
    await start_bot(**REMINDER_ENV, **desk_env)  # no quiet hours: the notice goes at once
    await desk_answers(base)
    await onboard(telegram)
    citizen = TelegramCitizen(telegram)
    citizen.seen = len(telegram.sent())
    first, second = next_working_mornings(2)

    vera = await logged_in(browser, base, "Вера")
    await vera.goto(f"{base}/desk/citizens/{await citizen_id(db_url)}")
    await vera.get_by_role("link", name="Все визиты гражданина и назначить новый").click()
    await vera.get_by_text("Назначить визит").click()
    await vera.get_by_label("Как").select_option(label="видеоконференция в МФЦ")
    await vera.get_by_label("Адрес центра или МФЦ").fill("МФЦ, г. Самара, ул. Ленина, 2")
    await vera.get_by_label("Цель визита").fill("Согласование плана поиска работы")
    await vera.get_by_label("Дата и время (местное время гражданина)").fill(
        first.strftime("%Y-%m-%dT%H:%M")
    )
    await vera.get_by_role("button", name="Назначить").click()
    await expect(vera.get_by_role("heading", level=1)).to_have_text(
        f"Визит {first:%d.%m.%Y} 10:00", timeout=WAIT_MS
    )
    notice = await citizen.receives()
    assert f"{first:%d.%m.%Y} в 10:00" in notice["text"]

    await citizen.presses("🕒 Нужно другое время")
    await citizen.says(f"{second:%d.%m} в 10")
    await vera.reload()
    await expect(vera.locator("dl")).to_contain_text(f"«{second:%d.%m} в 10»")
    await expect(vera.locator("dl")).to_contain_text(f"понято как {second:%d.%m.%Y} 10:00")
    await shot(vera, "visit-change-requested")
    await expect(vera.get_by_label("Новое время (для переноса; местное)")).to_have_value(
        second.strftime("%Y-%m-%dT%H:%M")
    )
    await vera.get_by_role("button", name="Записать").click()  # "перенести" is the first
    await expect(vera.locator("dl")).to_contain_text(f"{second:%d.%m.%Y} 10:00 по местному")
    moved = await citizen.receives()
    assert "Время визита изменено" in moved["text"]
    assert f"{second:%d.%m.%Y} в 10:00" in moved["text"]
