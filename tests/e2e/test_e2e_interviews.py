"""End to end: staff send two notices through the staff API; the citizen (the real bot
process against the fake Bot API) gets both with their buttons, agrees a meeting for one in
words and declines the other after the warning; a third is refused; the citizen reports being
hired with a photo of the referral, and staff read it all through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from storage.models import Reminder
from tests.e2e.test_e2e_complaints import Citizen, issue_token, wait_for_api
from tests.e2e.test_e2e_operator import onboard
from tests.e2e.test_e2e_reminders import REMINDER_ENV
from tests.e2e.test_e2e_visits import next_working_mornings
from tests.support.e2e import StartBot
from tests.support.fake_telegram import FakeTelegram, buttons
from tests.support.rasa import free_port

pytestmark = pytest.mark.e2e


async def meeting_reminders(db_url: str, notice_id: int) -> list[datetime]:
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(Reminder.due_at).where(
                    Reminder.key == f"interview:{notice_id}", Reminder.rule == "interview_meeting"
                )
            )
            return [moment.replace(tzinfo=moment.tzinfo or UTC) for (moment,) in rows]
    finally:
        await engine.dispose()


def notice(citizen_id: int, employer: str, **extra: str) -> dict[str, object]:
    return {
        "citizen_id": citizen_id,
        "kind": "notification",
        "employer": employer,
        "vacancy": "Кладовщик",
        "address": "г. Самара, ул. Заводская, 5",
        "contact_name": "Ирина Петровна",
        "contact_phone": "+7 846 200-00-00",
        **extra,
    }


async def test_two_notices_are_answered_and_the_hire_reported_with_a_photo(
    telegram: FakeTelegram, start_bot: StartBot, db_url: str
) -> None:
    port = free_port()
    await start_bot(**REMINDER_ENV, ADMIN__ENABLED="true", ADMIN__PORT=str(port))
    await onboard(telegram)
    citizen = Citizen(telegram)
    citizen.seen = len(telegram.sent())
    [meeting] = next_working_mornings(1)
    token = await issue_token(db_url)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}
    ) as staff:
        await wait_for_api(staff)
        [person] = (await staff.get("/citizens", params={"q": "анна"})).json()
        first = await staff.post(
            "/interviews",
            json=notice(person["id"], "ООО «Волга»", kind="referral", referral_number="63-7"),
        )
        assert first.status_code == 201, first.text
        told = await citizen.receives()
        assert "Направление на работу № 63-7" in told["text"]
        assert buttons(told)[0] == "✅ Договорился(ась) о встрече"
        second = await staff.post("/interviews", json=notice(person["id"], "АО «Кама»"))
        assert second.status_code == 201, second.text
        other = await citizen.receives()
        assert "АО «Кама»" in other["text"]
        third = await staff.post("/interviews", json=notice(person["id"], "ООО «Третий»"))
        assert third.status_code == 409

        # The newest notice shows the buttons last: answer the second (Кама) first.
        warning = await citizen.presses("🚫 Отказываюсь")
        assert "Прежде чем отказаться" in warning["text"]
        await citizen.presses("🚫 Всё равно отказаться")
        declined = await citizen.says("Слишком далеко от дома")
        assert "Записал ваш отказ" in declined["text"]

        telegram.user_presses_data(f"intv:{first.json()['id']}:agree")
        asked = await citizen.receives()
        assert "Когда встреча" in asked["text"]
        agreed = await citizen.says(f"{meeting:%d.%m} в 10")
        assert f"{meeting:%d.%m.%Y} в 10:00" in agreed["text"]

        # The meeting is reminded two hours before (quiet hours are off in this run) and,
        # when that is still ahead, the day before at 12:00, local time.
        reminders = await meeting_reminders(db_url, first.json()["id"])
        assert meeting - timedelta(hours=2) in reminders
        noon = (meeting - timedelta(days=1)).replace(hour=12)
        assert (noon in reminders) is (noon > datetime.now(UTC))

        telegram.user_presses_data(f"intv:{first.json()['id']}:report")
        await citizen.receives()
        await citizen.presses("🎉 Меня взяли на работу")
        await citizen.presses("С завтрашнего дня")
        reported = await citizen.sends_file("photo", "marked-referral")
        assert "Поздравляю" in reported["text"]

        hired = (await staff.get(f"/interviews/{first.json()['id']}")).json()
        assert hired["state"] == "hired"
        assert hired["evidence"]["file_id"] == "marked-referral"
        assert hired["report_due_on"] is not None  # the term ran from delivery
        assert [e["action"] for e in hired["history"]][-3:] == [
            "interview:received",
            "interview:agreed",
            "interview:reported",
        ]
        refused = (await staff.get(f"/interviews/{second.json()['id']}")).json()
        assert (refused["state"], refused["reason"]) == ("declined", "Слишком далеко от дома")
