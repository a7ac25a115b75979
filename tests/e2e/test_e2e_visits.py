"""End to end: staff set a visit through the staff API, the bot tells the citizen in Telegram
with buttons (the real bot process against the fake Bot API), the citizen asks for another
time in words, staff move it, and the citizen confirms the new time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from kernel.calendar import WorkingCalendar
from tests.e2e.test_e2e_complaints import Citizen, issue_token, wait_for_api
from tests.e2e.test_e2e_operator import onboard
from tests.e2e.test_e2e_reminders import REMINDER_ENV
from tests.support.e2e import StartBot
from tests.support.fake_telegram import FakeTelegram, buttons
from tests.support.rasa import free_port

pytestmark = pytest.mark.e2e
SAMARA = ZoneInfo("Europe/Samara")


def next_working_mornings(count: int) -> list[datetime]:
    """10:00 in Samara on the next `count` working days from Monday to Thursday (000 p.9)."""
    calendar = WorkingCalendar()
    found: list[datetime] = []
    day = datetime.now(SAMARA).date()
    while len(found) < count:
        day += timedelta(days=1)
        if calendar.is_working(day) and day.weekday() < 4:
            found.append(datetime(day.year, day.month, day.day, 10, tzinfo=SAMARA))
    return found


async def test_a_visit_is_told_moved_at_the_citizen_s_words_and_confirmed(
    telegram: FakeTelegram, start_bot: StartBot, db_url: str
) -> None:
    port = free_port()
    await start_bot(**REMINDER_ENV, ADMIN__ENABLED="true", ADMIN__PORT=str(port))
    await onboard(telegram)
    citizen = Citizen(telegram)
    citizen.seen = len(telegram.sent())
    first, second = next_working_mornings(2)
    token = await issue_token(db_url)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}
    ) as staff:
        await wait_for_api(staff)
        [person] = (await staff.get("/citizens", params={"q": "анна"})).json()
        created = await staff.post(
            "/visits",
            json={
                "citizen_id": person["id"],
                "kind": "video_mfc",
                "place": "МФЦ, г. Самара, ул. Ленина, 2",
                "purpose": "Согласование плана поиска работы",
                "starts_at": first.isoformat(),
            },
        )
        assert created.status_code == 201, created.text
        notice = await citizen.receives()
        assert "Центр занятости назначил вам визит" in notice["text"]
        assert f"{first:%d.%m.%Y} в 10:00" in notice["text"]
        assert buttons(notice)[:2] == ["✅ Подтверждаю", "🕒 Нужно другое время"]

        ask = await citizen.presses("🕒 Нужно другое время")
        assert "Когда вам удобно прийти?" in ask["text"]
        sent = await citizen.says(f"{second:%d.%m} в 10")
        assert f"Я понял это как {second:%d.%m.%Y} в 10:00" in sent["text"]
        visit = (await staff.get(f"/visits/{created.json()['id']}")).json()
        assert visit["state"] == "change_requested"
        assert datetime.fromisoformat(visit["change_to"]) == second.astimezone(UTC)

        moved = await staff.post(
            f"/visits/{visit['id']}/transitions",
            json={"to": "moved", "starts_at": visit["change_to"]},
        )
        assert moved.status_code == 200, moved.text
        again = await citizen.receives()
        assert "Время визита изменено" in again["text"]
        confirmed = await citizen.presses("✅ Подтверждаю")
        assert "визит подтверждён" in confirmed["text"]
        assert (await staff.get(f"/visits/{visit['id']}")).json()["state"] == "confirmed"


async def test_a_consultation_slot_is_booked_moved_and_cancelled_in_telegram(
    telegram: FakeTelegram, start_bot: StartBot, db_url: str
) -> None:
    await start_bot(**REMINDER_ENV)
    await onboard(telegram)
    citizen = Citizen(telegram)
    citizen.seen = len(telegram.sent())
    none = await citizen.presses("🗓 Запись на приём")
    assert "🗓 Записаться на консультацию" in buttons(none)
    offered = await citizen.presses("🗓 Записаться на консультацию")
    assert "Вот ближайшие свободные" in offered["text"]
    slots = buttons(offered)[:-1]  # the last one goes back to the menu
    assert len(slots) == 6
    # Each a working day's time within the hours of 000 p.9, from an hour ahead on.
    calendar = WorkingCalendar()
    for label in slots:
        moment = datetime.strptime(label, "%d.%m.%Y, %H:%M").replace(tzinfo=SAMARA)
        assert calendar.is_working(moment.date())
        assert moment > datetime.now(SAMARA) + timedelta(minutes=55)  # the bot asked earlier
        closing = (16, 45) if moment.weekday() == 4 else (18, 0)
        assert (9, 0) <= (moment.hour, moment.minute) < closing
    booked = await citizen.presses(slots[0])
    day, at = slots[0].split(", ")
    assert f"Вы записаны на консультацию: {day} в {at}" in booked["text"]
    assert "паспорт" in booked["text"]  # the checklist of 000 p.5
    assert buttons(booked)[:2] == ["🔁 Перенести", "✖ Отменить запись"]

    await citizen.says("/menu")
    again = await citizen.presses("🗓 Запись на приём")  # one booking at a time
    assert f"<b>Запись на консультацию</b>\n{day} в {at}" in again["text"]
    assert "🗓 Записаться на консультацию" not in buttons(again)
    offered = await citizen.presses("🔁 Перенести")
    assert "На какое время перенести?" in offered["text"]
    later = buttons(offered)[1]
    moved = await citizen.presses(later)
    day, at = later.split(", ")
    assert f"Вы записаны на консультацию: {day} в {at}" in moved["text"]
    await citizen.says("/status", replies=2)
    assert f"{day} в {at}" in telegram.sent()[-2]["text"]
    cancelled = await citizen.presses("✖ Отменить запись")
    assert f"Запись на {day} в {at} отменена" in cancelled["text"]
    assert "🗓 Записаться на консультацию" in buttons(cancelled)
