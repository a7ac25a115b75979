"""End to end, for the three services the job-search test does not cover: recognition as
unemployed, support of a disabled job seeker and psychological support. Each through the real
bot process against the fake Bot API: the eligibility questions (a route that does not fit
says why and offers no draft), the draft to its summary, submission, staff accept and register
through the staff API, the service's own term counted over the 4 November holiday, /status."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from tests.e2e.test_e2e_complaints import Citizen, issue_token, wait_for_api
from tests.e2e.test_e2e_operator import onboard
from tests.e2e.test_e2e_reminders import REMINDER_ENV
from tests.support.e2e import StartBot
from tests.support.fake_telegram import FakeTelegram, buttons
from tests.support.rasa import free_port

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Service:
    id: str
    button: str
    route: tuple[str, ...]  # the eligibility answers, pressed in turn
    term: str  # how /status names the first term from registration


UNEMPLOYMENT = Service(
    "unemployment",
    "📄 Признание безработным",
    ("По месту жительства", "Ни то ни другое"),
    "центр пришлёт перечень вакансий",
)
DISABILITY = Service(
    "disability_support",
    "♿ Сопровождение при трудоустройстве",
    ("Да, инвалидность и ИПРА есть", "Нет, не работаю", "Не знаю"),
    "центр согласует с вами дату и время приёма",
)
PSYCH = Service(
    "psych_support",
    "💬 Психологическая поддержка",
    ("Да, признан(а) безработным",),
    "центр согласует с вами дату и время приёма",
)


async def draft(citizen: Citizen, service: Service) -> str:
    """The route, then the draft with typed answers where they are free, up to submission."""
    await citizen.presses("📝 Заявления")
    await citizen.presses(service.button)
    route: dict[str, object] = {}
    for answer in service.route:
        route = await citizen.presses(answer)
    assert buttons(route)[0] == "📝 Подготовить заявление"
    await citizen.presses("📝 Подготовить заявление")
    await citizen.says("г. Самара, ул. Садовая, д. 5")
    await citizen.says("ООО «Волга», кладовщик, до 10.2026")
    await citizen.says("8 (900) 123-45-67")
    await citizen.presses("Готово")
    if service.id == "unemployment":  # a claimant says how the benefit is paid
        await citizen.presses("Через почтовое отделение")
    await citizen.says("кладовщик")
    await citizen.says("от 40 тыс")
    await citizen.presses("Сменный график")
    await citizen.presses("Полная занятость")
    await citizen.presses("Нет, только рядом с домом")
    await citizen.presses("Среднее профессиональное")
    await citizen.says("Пять лет на складе, погрузчик")
    summary = await citizen.presses("Сразу")
    assert "<b>Профессия:</b> кладовщик" in summary["text"]
    assert "+79001234567" in summary["text"]
    assert ("Выплата пособия" in summary["text"]) is (service.id == "unemployment")
    submitted = await citizen.presses("✅ Отправить в центр занятости")
    assert "Черновик отправлен в центр занятости" in submitted["text"]
    return str(submitted["text"]).split("Номер: <b>")[1].split("</b>")[0]


@pytest.mark.parametrize("service", [UNEMPLOYMENT, DISABILITY, PSYCH], ids=lambda s: s.id)
async def test_each_service_is_drafted_accepted_registered_and_tracked(
    telegram: FakeTelegram, start_bot: StartBot, db_url: str, service: Service
) -> None:
    port = free_port()
    await start_bot(**REMINDER_ENV, ADMIN__ENABLED="true", ADMIN__PORT=str(port))
    await onboard(telegram)
    citizen = Citizen(telegram)
    citizen.seen = len(telegram.sent())
    if service is DISABILITY:  # without an ИПРА the service does not fit, and says why
        await citizen.presses("📝 Заявления")
        await citizen.presses(service.button)
        refused = await citizen.presses("Инвалидность есть, ИПРА нет")
        assert "нужна ИПРА" in refused["text"]
        assert "📝 Подготовить заявление" not in buttons(refused)
    number = await draft(citizen, service)

    token = await issue_token(db_url)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}
    ) as staff:
        await wait_for_api(staff)
        detail = (await staff.get(f"/applications/{number}")).json()
        assert (detail["service"], detail["answers"]["profession"]) == (service.id, "кладовщик")
        url = f"/applications/{number}/transitions"
        assert (await staff.post(url, json={"to": "accepted"})).status_code == 200
        accepted = await citizen.receives()
        assert f"проверил ваш черновик {number}" in accepted["text"]
        # Registered on Tuesday 03.11.2026; 04.11 is a holiday: each service's first term
        # (001 ¶3.6.8, 002 ¶76, 004 §3.2.4: the next working day) falls on 05.11.
        registered = await staff.post(
            url,
            json={"to": "registered", "ecp_number": "2026-0077", "registered_on": "2026-11-03"},
        )
        assert registered.status_code == 200, registered.text
        assert registered.json()["due_on"] == "2026-11-05"
        told = await citizen.receives()
        assert "зарегистрировано: № 2026-0077 от 03.11.2026" in told["text"]

    await citizen.says("/status", replies=2)
    listing = telegram.sent()[-2]["text"]
    assert f"<b>{number}</b>" in listing
    assert f"срок истёк 05.11.2026: {service.term}" in listing
