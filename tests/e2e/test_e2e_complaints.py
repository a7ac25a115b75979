"""End to end: a citizen files a complaint in Telegram (the real bot process against the fake
Bot API), staff answer it through the staff API the same process serves, and the citizen
receives the answer."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from typing import Any

import httpx
import pytest

from tests.e2e.test_e2e_reminders import REMINDER_ENV
from tests.support.e2e import ROOT, StartBot
from tests.support.fake_telegram import FakeTelegram, buttons
from tests.support.rasa import free_port

pytestmark = pytest.mark.e2e


class Citizen:
    """Plays the citizen and returns what the bot said back."""

    def __init__(self, telegram: FakeTelegram) -> None:
        self.telegram = telegram
        self.seen = 0

    async def _replies(self, count: int) -> list[dict[str, Any]]:
        sent = await self.telegram.wait_for("sendMessage", self.seen + count)
        new = sent[self.seen : self.seen + count]
        self.seen += count
        return new

    async def says(self, text: str, replies: int = 1) -> dict[str, Any]:
        self.telegram.user_sends(text)
        return (await self._replies(replies))[-1]

    async def presses(self, label: str, replies: int = 1) -> dict[str, Any]:
        self.telegram.user_presses(label)
        return (await self._replies(replies))[-1]

    async def sends_file(self, kind: str, file_id: str, **extra: Any) -> dict[str, Any]:
        self.telegram.user_sends_file(kind, file_id, **extra)
        return (await self._replies(1))[-1]

    async def receives(self) -> dict[str, Any]:
        return (await self._replies(1))[-1]


async def admin_command(db_url: str, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "admin",
        *args,
        cwd=ROOT,
        env={**os.environ, "DATABASE__URL": db_url, "ASSISTANT_CONFIG": str(ROOT / "config.yml")},
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    assert process.returncode == 0
    return out.decode().strip()


async def issue_token(db_url: str) -> str:
    """A supervisor of Samara region (63), added and given a token as an administrator would."""
    added = await admin_command(
        db_url, "staff", "add", "inspector", "--role", "supervisor", "--regions", "63"
    )
    assert added.startswith("added: inspector\tsupervisor\t63\tactive")
    return await admin_command(db_url, "token", "add", "inspector")


async def wait_for_api(client: httpx.AsyncClient) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if (await client.get("/openapi.json")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the staff API did not come up"
        await asyncio.sleep(0.2)


async def file_complaint(citizen: Citizen) -> str:
    """Every question of the flow, answered as a citizen would; returns the number."""
    ask = await citizen.says("/complaint")
    assert "Шаг 1. Что вы обжалуете?" in ask["text"]
    assert "Отказали в приёме документов" in buttons(ask)
    ask = await citizen.presses("Отказали в приёме документов")
    assert "На кого вы жалуетесь?" in ask["text"]
    ask = await citizen.presses("Центр занятости или его работник")
    assert "Жалобу рассмотрит: <b>директор центра занятости</b>" in ask["text"]
    await citizen.presses("Не знаю")
    await citizen.says("Инспектор отказался принять заявление и диплом")
    await citizen.presses("Вчера")
    await citizen.says("Документы были в порядке, прошу принять заявление.")
    assert "Файл принят (всего 1 из 10)" in (await citizen.sends_file("photo", "ph-1"))["text"]
    added = await citizen.sends_file(
        "document", "pdf-1", file_name="отказ.pdf", mime_type="application/pdf"
    )
    assert "всего 2 из 10" in added["text"]
    await citizen.presses("Готово (2)")
    await citizen.says("Петрова")
    await citizen.says("Анна")
    await citizen.presses("Нет отчества")
    await citizen.says("г. Самара, ул. Ленина, д. 1")
    refused = await citizen.says("123", replies=2)
    assert "Контактный телефон" in refused["text"]
    await citizen.says("+7 900 123-45-67")
    await citizen.presses("Нет e-mail")
    await citizen.presses("Совпадает с местом жительства")
    summary = await citizen.presses("Ответ в Telegram")
    assert "<b>Проверьте жалобу</b>" in summary["text"]
    assert "Петрова Анна" in summary["text"]
    assert "Файлы:</b> 2" in summary["text"]
    registered = await citizen.presses("✅ Отправить жалобу")
    assert "Жалоба зарегистрирована" in registered["text"]
    assert "Номер: <b>Ж-20" in registered["text"]
    number = str(registered["text"]).split("Номер: <b>")[1].split("</b>")[0]
    assert "Ответ — не позднее <b>" in registered["text"]
    return number


async def test_a_citizen_files_a_complaint_and_receives_the_staff_answer(
    telegram: FakeTelegram, start_bot: StartBot, db_url: str
) -> None:
    port = free_port()
    await start_bot(**REMINDER_ENV, ADMIN__ENABLED="true", ADMIN__PORT=str(port))
    citizen = Citizen(telegram)
    await citizen.says("/start")
    await citizen.presses("✅ Согласен")
    await citizen.presses("Самарская область")

    number = await file_complaint(citizen)

    token = await issue_token(db_url)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}
    ) as staff:
        await wait_for_api(staff)
        [listed] = (await staff.get("/complaints", params={"state": "registered"})).json()
        assert listed["number"] == number
        detail = (await staff.get(f"/complaints/{number}")).json()
        assert [item["file_id"] for item in detail["attachments"]] == ["ph-1", "pdf-1"]
        url = f"/complaints/{number}/transitions"
        assert (await staff.post(url, json={"to": "in_review"})).status_code == 200
        decided = await staff.post(
            url, json={"to": "upheld", "answer": "Документы приняты, заявление зарегистрировано."}
        )
        assert decided.status_code == 200

    answer = await citizen.receives()
    assert f"Ответ на жалобу № {number}" in answer["text"]
    assert "Решение: <b>удовлетворена</b>" in answer["text"]
    assert "Документы приняты, заявление зарегистрировано." in answer["text"]
    assert "Нарушение должны устранить не позднее" in answer["text"]

    status = await citizen.says("/status")
    assert f"<b>{number}</b>" in status["text"]
    assert "удовлетворена" in status["text"]
