"""End to end: an administrator edits the main menu's text in a real browser (Chromium), sees
the live check and the preview, publishes; the running bot's next /menu shows the new text
without a restart, and a rollback brings the old one back. Both changes are in the audit log;
an operator cannot open the editor. On PostgreSQL, two bot processes both take a text
published from a third (the staff API served apart), woken by NOTIFY."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import select

from storage import wakeups
from storage.database import create_engine, create_session_factory
from storage.models import AuditEvent
from tests.e2e.test_e2e_desk import (
    PASSWORD,
    WAIT_MS,
    browser,
    cli,
    desk_answers,
    logged_in,
    served_apart,
    shot,
)
from tests.e2e.test_e2e_operator import citizen_sees, onboard, until
from tests.support.e2e import ROOT, StartBot
from tests.support.fake_telegram import FakeTelegram
from tests.support.rasa import free_port

pytestmark = pytest.mark.e2e
__all__ = ["browser"]  # the fixture, used by name

NEW_MENU = "Чем помочь? Выберите раздел ниже 👇"


async def audit_of(db_url: str) -> list[str]:
    engine = create_engine(db_url)
    try:
        async with create_session_factory(engine)() as session:
            found = await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.subject == "template:menu.main")
                .order_by(AuditEvent.id)
            )
            return [f"{event.actor} {event.action}" for event in found]
    finally:
        await engine.dispose()


async def test_an_administrator_changes_the_menu_text_and_rolls_it_back(
    telegram: FakeTelegram, start_bot: StartBot, db_url: str, browser: Browser
) -> None:
    await cli(db_url, "add", "Админ", "--role", "admin", "--regions", "all", "--password",
              stdin=PASSWORD + "\n")  # fmt: skip
    await cli(db_url, "add", "Ольга", "--role", "operator", "--regions", "63", "--password",
              stdin=PASSWORD + "\n")  # fmt: skip
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    await start_bot(ADMIN__ENABLED="true", ADMIN__PORT=str(port), ADMIN__PLAIN_HTTP="true")
    await desk_answers(base)
    await onboard(telegram)
    telegram.user_sends("/menu")
    await citizen_sees(telegram, "Главное меню", "the file's menu text")

    admin = await logged_in(browser, base, "Админ")
    await admin.get_by_role("link", name="Тексты бота").click()
    await admin.get_by_label("Поиск по ключу и тексту").fill("Главное меню")
    await admin.get_by_label("Поиск по ключу и тексту").press("Enter")
    await admin.get_by_role("link", name="menu.main").click()
    await expect(admin.get_by_role("heading", name="menu.main")).to_be_visible()

    source = admin.get_by_label("Шаблон (Jinja2)")
    await source.fill("{{ nobody }}")
    await expect(admin.locator("#problems")).to_contain_text(
        "переменной «nobody»", timeout=WAIT_MS
    )
    await source.fill(f"<b>{NEW_MENU}</b>")
    await expect(admin.locator("#problems")).to_contain_text("Ошибок нет", timeout=WAIT_MS)
    await expect(admin.locator("#previews .bubble").first).to_contain_text(NEW_MENU)
    await shot(admin, "text-editor")
    await admin.get_by_label("Комментарий к правке").fill("короче и дружелюбнее")
    await admin.get_by_role("button", name="Сохранить и опубликовать").click()
    await expect(admin.get_by_role("status")).to_contain_text("Ревизия 1 сохранена и опубликована")

    telegram.user_sends("/menu")
    await citizen_sees(telegram, NEW_MENU, "the published text, no restart")

    await admin.get_by_role("button", name="Вернуть текст по умолчанию").click()
    await expect(admin.get_by_role("status")).to_contain_text("Возвращён текст по умолчанию")
    sent_before = len(telegram.sent("sendMessage"))
    telegram.user_sends("/menu")

    def menu_again() -> list[str]:
        texts = [call["text"] for call in telegram.sent("sendMessage")[sent_before:]]
        return [text for text in texts if "Главное меню" in text]

    await until(telegram, menu_again, "the file's text back after the rollback")
    assert await audit_of(db_url) == [
        "staff:Админ template:revision",
        "staff:Админ template:publish",
        "staff:Админ template:rollback",
    ]

    olga = await logged_in(browser, base, "Ольга")
    response = await olga.goto(f"{base}/desk/texts/menu.main")
    assert response is not None
    assert response.status == 403


async def test_two_bot_processes_take_a_text_published_apart(
    telegram: FakeTelegram, start_bot: StartBot, db_url: str, tmp_path: Path
) -> None:
    """Their own checks are set to 5 minutes: only the NOTIFY can bring the text in time."""
    if not wakeups.is_postgres(db_url):
        pytest.skip("NOTIFY is PostgreSQL's")
    slow = {"TEMPLATES__REFRESH_SECONDS": "300"}
    await start_bot(**slow)
    await start_bot(**slow)
    token_out = await _admin_cli(db_url, "staff", "add", "editor", "--role", "admin",
                                 "--regions", "all")  # fmt: skip
    assert "added" in token_out
    token = (await _admin_cli(db_url, "token", "add", "editor")).strip()
    async with served_apart(db_url, tmp_path / "desk.log") as base:
        for bot in ("bot-0.log", "bot-1.log"):  # both have loaded the texts once
            await _log_shows(tmp_path / bot, r"published texts loaded: 0 keys")
        async with httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {token}"}
        ) as api:
            added = await api.post(
                "/templates/menu.main/revisions", json={"text": NEW_MENU, "comment": "e2e"}
            )
            assert added.status_code == 201, added.text
            published = await api.post("/templates/menu.main/publish", json={"revision": 1})
            assert published.status_code == 200, published.text
        for bot in ("bot-0.log", "bot-1.log"):
            await _log_shows(tmp_path / bot, r"published texts loaded: 1 keys")
        telegram.user_sends("/start")
        await citizen_sees(telegram, "Согласие", "a bot still answers")


async def _admin_cli(db_url: str, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "app", "admin", *args),
        cwd=ROOT,
        env={**os.environ, "DATABASE__URL": db_url, "ASSISTANT_CONFIG": str(ROOT / "config.yml")},
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    assert process.returncode == 0, out
    return out.decode()


async def _log_shows(path: Path, pattern: str, seconds: float = 20) -> None:
    for _ in range(int(seconds / 0.2)):
        text = await asyncio.to_thread(path.read_text, "utf-8", "replace")
        if re.search(pattern, text):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{path.name} never logged {pattern!r}")
