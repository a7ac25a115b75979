"""End to end in a real browser: Chromium (Playwright) drives the web desk served by the real
bot process, which talks to the fake Bot API. A citizen asks for a person; an operator logged
in to the desk sees them in the queue without reloading, takes the conversation (a second
operator who tries too is told who has it), answers, sees the citizen's photo (fetched through
getFile), closes; the citizen rates the conversation, and the supervisor's weekly report
counts it. Screenshots go to build/screenshots/ (or $DESK_SCREENSHOTS) for a reviewer."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from storage import wakeups
from tests.e2e.test_e2e_operator import citizen_sees, onboard
from tests.support.desk import csrf_of, log_in
from tests.support.e2e import ROOT, StartBot
from tests.support.fake_telegram import FakeTelegram
from tests.support.rasa import free_port

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD = "desk password for tests"
SCREENSHOTS = Path(os.environ.get("DESK_SCREENSHOTS", ROOT / "build" / "screenshots"))
WAIT_MS = 20_000


async def cli(db_url: str, *args: str, stdin: str = "") -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "app", "admin", "staff", *args),
        cwd=ROOT,
        env={**os.environ, "DATABASE__URL": db_url, "ASSISTANT_CONFIG": str(ROOT / "config.yml")},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate(stdin.encode())
    assert process.returncode == 0, out
    return out.decode()


async def staff(db_url: str) -> None:
    """Ольга with a password at once; Борис gets one with `staff password --stdin`."""
    await cli(db_url, "add", "Ольга", "--role", "operator", "--regions", "63", "--password",
              stdin=PASSWORD + "\n")  # fmt: skip
    await cli(db_url, "add", "Борис", "--role", "operator", "--regions", "63")
    assert "password set" in await cli(db_url, "password", "Борис", "--stdin", stdin=PASSWORD)
    await cli(db_url, "add", "Вера", "--role", "supervisor", "--regions", "63", "--password",
              stdin=PASSWORD + "\n")  # fmt: skip


async def desk_answers(base: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while True:
            try:
                if (await client.get(f"{base}/login")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the desk did not start"
            await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def served_apart(db_url: str, log_path: Path, **settings: str) -> AsyncIterator[str]:
    """The staff app in a process of its own (`python -m app admin serve`); yields its URL."""
    port = free_port()
    env = {**os.environ, "DATABASE__URL": db_url, "ASSISTANT_CONFIG": str(ROOT / "config.yml")}
    log = await asyncio.to_thread(log_path.open, "wb")
    served = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app", "admin", "serve", "--port", str(port),
        cwd=ROOT, env={**env, **settings}, stdout=log, stderr=log,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        await desk_answers(base)
        yield base
    finally:
        served.terminate()
        await served.wait()
        log.close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"]
        )
        yield launched
        await launched.close()


async def logged_in(browser: Browser, base: str, name: str) -> Page:
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="ru-RU")
    page = await context.new_page()
    await page.goto(f"{base}/desk/queue")  # a stranger is sent to the login form
    await page.get_by_label("Имя сотрудника").fill(name)
    await page.get_by_label("Пароль").fill(PASSWORD)
    await page.get_by_label("Пароль").press("Enter")  # the keyboard is enough
    await expect(page.get_by_role("heading", name="Очередь")).to_be_visible()
    return page


async def shot(page: Page, name: str) -> None:
    await asyncio.to_thread(SCREENSHOTS.mkdir, parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def answers_and_sees_a_photo(olga: Page, telegram: FakeTelegram) -> None:
    """The operator answers from the desk and sees the citizen's words and photo arrive."""
    await olga.get_by_label("Ответ гражданину").fill("Здравствуйте! Пришлите фото отказа.")
    await olga.get_by_role("button", name="Отправить").click()
    await citizen_sees(telegram, "Пришлите фото отказа", "the desk's answer")
    await olga.get_by_label("Заметка для коллег (гражданин не увидит)").fill("проверить в ЕЦП")
    await olga.get_by_role("button", name="Сохранить заметку").click()

    telegram.user_sends("Вот фото")
    telegram.user_sends_file("photo", "refusal-photo")
    picture = olga.get_by_role("img", name="Фото от гражданина")
    await expect(picture).to_be_visible(timeout=WAIT_MS)  # live, through getFile
    await expect(olga.locator(".history")).to_contain_text("Вот фото")
    await expect(olga.locator(".history")).to_contain_text("проверить в ЕЦП")
    width = await picture.evaluate("image => image.complete && image.naturalWidth")
    assert width == 8, "the picture did not load through getFile"
    assert telegram.sent("getFile")
    await shot(olga, "conversation")


async def test_an_operator_answers_a_citizen_from_the_web_desk(
    telegram: FakeTelegram, start_bot: StartBot, db_url: str, browser: Browser
) -> None:
    await staff(db_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    desk_env = {"ADMIN__ENABLED": "true", "ADMIN__PORT": str(port), "ADMIN__PLAIN_HTTP": "true"}
    await start_bot(OPERATORS__SCHEDULE="always", **desk_env)  # no Telegram group: the web only
    await desk_answers(base)
    olga = await logged_in(browser, base, "Ольга")
    boris = await logged_in(browser, base, "Борис")

    await onboard(telegram)
    telegram.user_sends("/operator")
    row = olga.locator("tr", has_text="Анна П.")
    await expect(row).to_be_visible(timeout=WAIT_MS)  # the queue is live: no reload
    await expect(row).to_contain_text("Самарская область")
    await expect(row).to_contain_text("командой /operator")
    handover = await row.get_attribute("data-handover")
    await shot(olga, "queue")
    await olga.set_viewport_size({"width": 390, "height": 844})  # a phone: one column
    await expect(row.get_by_role("button", name=re.compile("Взять"))).to_be_visible()
    await shot(olga, "queue-phone")
    await olga.set_viewport_size({"width": 1280, "height": 800})

    # Борис opens the same conversation before Ольга takes it.
    await boris.goto(f"{base}/desk/conversations/{handover}")
    await row.get_by_role("button", name=re.compile("Взять")).click()
    await expect(olga).to_have_url(re.compile(rf"/desk/conversations/{handover}$"))
    await citizen_sees(telegram, "Оператор Ольга подключил", "the citizen told who answers")
    await boris.get_by_role("button", name="Взять").click()
    await expect(boris.get_by_role("alert")).to_contain_text("уже взял(а) Ольга")

    await answers_and_sees_a_photo(olga, telegram)

    await olga.get_by_role("button", name="Закрыть разговор").click()
    await expect(olga.get_by_role("heading", name="Очередь")).to_be_visible()
    await citizen_sees(telegram, "Оцените, пожалуйста", "the rating question")
    telegram.user_presses("5 ⭐")
    await citizen_sees(telegram, "Спасибо за оценку", "the rating taken")

    vera = await logged_in(browser, base, "Вера")
    await vera.goto(f"{base}/desk/report")
    operators = vera.get_by_role("table", name="Операторы")
    await expect(operators.locator("tr", has_text="Ольга")).to_contain_text("5,0")
    await expect(vera.get_by_role("table", name="Разговоры")).to_contain_text("Передано оператору")
    await shot(vera, "report")


async def test_a_desk_served_apart_wakes_the_bot_through_postgresql(
    telegram: FakeTelegram, start_bot: StartBot, db_url: str, tmp_path: Path
) -> None:
    """The desk in a process of its own (`admin serve`): what an operator does there reaches
    the citizen through the bot process, woken by NOTIFY; its own sweeps are set to 10 minutes,
    so nothing else could deliver it during the test."""
    if not wakeups.is_postgres(db_url):
        pytest.skip("NOTIFY is PostgreSQL's")
    await staff(db_url)
    slow = {"OPERATORS__RELAY_SWEEP_SECONDS": "600", "REMINDERS__SWEEP_SECONDS": "600"}
    await start_bot(OPERATORS__SCHEDULE="always", **slow)
    desk_settings = {"ADMIN__PLAIN_HTTP": "true", "OPERATORS__SCHEDULE": "always"}
    async with served_apart(db_url, tmp_path / "desk.log", **desk_settings) as base:
        await onboard(telegram)
        telegram.user_sends("/operator")
        await citizen_sees(telegram, "Вы в очереди к оператору", "the place in the queue")
        async with httpx.AsyncClient(base_url=base) as olga:
            await log_in(olga, "Ольга", PASSWORD)
            queue = await olga.get("/desk/queue")
            handover = re.search(r"/desk/queue/(\d+)/claim", queue.text)
            assert handover is not None
            token = csrf_of(queue)
            await olga.post(f"/desk/queue/{handover[1]}/claim", data={"csrf": token})
            await citizen_sees(telegram, "Оператор Ольга подключил", "the claim, woken by NOTIFY")
            await olga.post(
                f"/desk/conversations/{handover[1]}/reply",
                data={"csrf": token, "text": "Ответ из отдельного пульта"},
            )
            await citizen_sees(telegram, "Ответ из отдельного пульта", "the reply")
