"""End to end: a citizen finds out in Telegram which application fits and how to file it (the
real bot process against the fake Bot API)."""

from __future__ import annotations

import pytest

from tests.e2e.test_e2e_complaints import Citizen
from tests.e2e.test_e2e_operator import onboard
from tests.support.e2e import StartBot
from tests.support.fake_telegram import FakeTelegram, buttons

pytestmark = pytest.mark.e2e


async def test_a_disabled_job_seeker_learns_the_route_and_comes_back_for_another(
    telegram: FakeTelegram, start_bot: StartBot
) -> None:
    await start_bot()
    citizen = Citizen(telegram)
    await onboard(telegram)
    citizen.seen = len(telegram.sent())
    choose = await citizen.presses("📝 Заявления")
    assert "Какая услуга вам нужна?" in choose["text"]
    ask = await citizen.presses("♿ Сопровождение при трудоустройстве")
    assert "У вас есть инвалидность и ИПРА?" in ask["text"]
    assert "я его не сохраняю" in ask["text"]
    ask = await citizen.presses("Да, инвалидность и ИПРА есть")
    assert "Вы сейчас работаете?" in ask["text"]
    assert buttons(ask)[-1] == "✖ Отмена"
    ask = await citizen.says("что-то не то", replies=2)  # neither a button nor a number
    assert "Выберите ответ кнопкой" in telegram.sent()[-2]["text"]
    assert "Вы сейчас работаете?" in ask["text"]  # asked again
    ask = await citizen.presses("Нет, не работаю")
    assert "Нужна ли вам помощь при трудоустройстве" in ask["text"]
    route = await citizen.presses("Не знаю")
    assert "Нужна ли вам помощь, решат в центре" in route["text"]
    assert "центр сам запросит сведения в МСЭ" in route["text"]
    assert "📝 Заявления" in buttons(route)
    again = await citizen.presses("📝 Заявления")
    assert "Какая услуга вам нужна?" in again["text"]
