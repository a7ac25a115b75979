"""End to end: staff send a citizen an offer through the staff API the bot process serves,
the reminder runner delivers it through the fake Bot API with its button, the citizen ranks
it with buttons and sends it, and staff read the stored ranking with its deadline."""

from __future__ import annotations

import asyncio
import os
import sys

import httpx
import pytest

from tests.e2e.test_e2e_complaints import Citizen, issue_token, wait_for_api
from tests.e2e.test_e2e_reminders import REMINDER_ENV
from tests.features.vacancies.test_vacancy_import import SAMPLE
from tests.features.vacancies.test_vacancy_ranking import BUS, TAXI, TRUCK_C
from tests.support.e2e import ROOT, StartBot
from tests.support.fake_telegram import FakeTelegram, buttons
from tests.support.rasa import free_port

pytestmark = pytest.mark.e2e


async def import_sample(db_url: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "vacancies",
        "import",
        str(SAMPLE),
        cwd=ROOT,
        env={**os.environ, "DATABASE__URL": db_url, "ASSISTANT_CONFIG": str(ROOT / "config.yml")},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert "new: 15" in out.decode()


async def test_a_citizen_ranks_the_centres_offer_in_telegram(
    telegram: FakeTelegram, start_bot: StartBot, db_url: str
) -> None:
    await import_sample(db_url)
    port = free_port()
    await start_bot(**REMINDER_ENV, ADMIN__ENABLED="true", ADMIN__PORT=str(port))
    citizen = Citizen(telegram)
    await citizen.says("/start")
    await citizen.presses("✅ Согласен")
    await citizen.presses("Самарская область")
    await citizen.says("/vacancies")
    await citizen.says("водитель")
    await citizen.says("Самара")
    found = await citizen.says("не важно")
    assert "Вакансии по запросу «водитель»" in found["text"]

    token = await issue_token(db_url)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}
    ) as staff:
        await wait_for_api(staff)
        [anna] = (await staff.get("/citizens", params={"q": "anna_p"})).json()
        created = await staff.post(
            "/offers",
            json={
                "citizen_id": anna["id"],
                "citizen_status": "unemployed",
                "vacancy_ids": [TAXI, BUS, TRUCK_C],
            },
        )
        assert created.status_code == 201, created.text
        offer_id = created.json()["id"]

        notice = await citizen.receives()
        assert "Центр занятости подобрал для вас 3 вакансии" in notice["text"]
        assert "📋 Открыть список" in buttons(notice)
        listed = await citizen.presses("📋 Открыть список")
        assert "Вакансии от центра занятости" in listed["text"]
        assert "⬇️ 1" in buttons(listed)
        assert "✖️ 3" in buttons(listed)
        moved = await citizen.presses("⬇️ 1")
        assert "⬆️ 2" in buttons(moved)
        confirm = await citizen.presses("📨 Отправить центру")
        assert "Отправить список центру занятости?" in confirm["text"]
        sent = await citizen.presses("✅ Да, отправить")
        assert "Список отправлен центру занятости" in sent["text"]

        stored = (await staff.get(f"/offers/{offer_id}")).json()
        assert stored["state"] == "submitted"
        assert stored["due_on"] is not None  # the term started on delivery
        suggested = sorted(stored["items"], key=lambda item: item["suggested_rank"])
        ranked = [item["vacancy_id"] for item in stored["items"]]
        assert ranked[:2] == [suggested[1]["vacancy_id"], suggested[0]["vacancy_id"]]
        assert [item["chosen"] for item in stored["items"]] == [True, True, False]
