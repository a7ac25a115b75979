"""End to end: a job seeker drafts an application in Telegram (the real bot process against
the fake Bot API), staff accept and register it through the staff API, the citizen hears each
step, and /status shows the term counted over a holiday."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.test_e2e_complaints import Citizen, issue_token, wait_for_api
from tests.e2e.test_e2e_operator import onboard
from tests.e2e.test_e2e_reminders import REMINDER_ENV
from tests.support.e2e import StartBot
from tests.support.fake_telegram import FakeTelegram, buttons
from tests.support.rasa import free_port

pytestmark = pytest.mark.e2e


async def draft_and_submit(citizen: Citizen) -> str:
    """Job search, not a claimant, every optional answer skipped with its button."""
    await citizen.presses("📝 Заявления")
    await citizen.presses("🔎 Помощь в поиске работы")
    await citizen.presses("Нет, только помощь в поиске")
    route = await citizen.presses("Ни то ни другое")
    assert buttons(route)[0] == "📝 Подготовить заявление"
    ask = await citizen.presses("📝 Подготовить заявление")
    assert "адрес места жительства или пребывания" in ask["text"]
    refused = await citizen.sends_file("photo", "ph-1")
    assert "Здесь нужен ответ текстом" in refused["text"]
    again = await citizen.receives()
    assert "адрес места жительства или пребывания" in again["text"]
    await citizen.says("г. Самара, ул. Ленина, д. 1, кв. 2")
    await citizen.presses("Ещё не работал(а)")
    ask = await citizen.presses("Только через Telegram")
    assert "✅ Самарская область" in buttons(ask)
    await citizen.presses("Готово")
    await citizen.says("программист")
    await citizen.presses("Не важно")
    await citizen.presses("Удалённая работа")
    await citizen.presses("Любая")
    await citizen.presses("Нет, только рядом с домом")
    await citizen.presses("Высшее")
    await citizen.presses("Нет опыта")
    summary = await citizen.presses("Сразу")
    assert "<b>Профессия:</b> программист" in summary["text"]
    assert "<b>График:</b> Удалённая работа" in summary["text"]
    submitted = await citizen.presses("✅ Отправить в центр занятости")
    assert "Черновик отправлен в центр занятости" in submitted["text"]
    return str(submitted["text"]).split("Номер: <b>")[1].split("</b>")[0]


async def test_a_drafted_application_is_accepted_registered_and_tracked(
    telegram: FakeTelegram, start_bot: StartBot, db_url: str
) -> None:
    port = free_port()
    await start_bot(**REMINDER_ENV, ADMIN__ENABLED="true", ADMIN__PORT=str(port))
    await onboard(telegram)
    citizen = Citizen(telegram)
    citizen.seen = len(telegram.sent())
    number = await draft_and_submit(citizen)
    assert number.startswith("З-")

    token = await issue_token(db_url)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}
    ) as staff:
        await wait_for_api(staff)
        [listed] = (await staff.get("/applications", params={"state": "submitted"})).json()
        assert (listed["number"], listed["service"]) == (number, "job_search")
        detail = (await staff.get(f"/applications/{number}")).json()
        assert detail["answers"]["profession"] == "программист"
        url = f"/applications/{number}/transitions"
        assert (await staff.post(url, json={"to": "accepted"})).status_code == 200
        accepted = await citizen.receives()
        assert f"проверил ваш черновик {number}" in accepted["text"]
        # Registered on Tuesday 03.11.2026; 04.11 is a holiday, so the vacancy list is due
        # on 05.11 (001 ¶3.6.8: the next working day).
        registered = await staff.post(
            url,
            json={"to": "registered", "ecp_number": "2026-0042", "registered_on": "2026-11-03"},
        )
        assert registered.status_code == 200, registered.text
        assert registered.json()["due_on"] == "2026-11-05"
        told = await citizen.receives()
        assert "зарегистрировано: № 2026-0042 от 03.11.2026" in told["text"]

    status = await citizen.says("/status", replies=2)
    listing = telegram.sent()[-2]["text"]
    assert f"<b>{number}</b>" in listing
    assert "срок истёк 05.11.2026: центр пришлёт перечень вакансий" in listing
    assert "Ваши жалобы" not in status["text"]
