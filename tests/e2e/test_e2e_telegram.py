"""End to end: the real bot process, polling a local fake Telegram Bot API server over HTTP.
The test plays a citizen and asserts on the exact requests the bot made."""

from __future__ import annotations

import asyncio
import signal

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from storage.database import create_engine
from tests.support.e2e import CITIZEN_ID, StartBot
from tests.support.fake_telegram import FakeTelegram, buttons

pytestmark = pytest.mark.e2e


async def test_consent_menu_my_data_withdraw(telegram: FakeTelegram, start_bot: StartBot) -> None:
    await start_bot()
    await telegram.wait_for("getUpdates", 1)
    assert [r.method for r in telegram.requests][:1] == ["deleteWebhook"] or "getMe" in [
        r.method for r in telegram.requests
    ]
    commands = (await telegram.wait_for("setMyCommands", 1))[0]["commands"]
    assert [c["command"] for c in commands] == [
        "start",
        "menu",
        "vacancies",
        "complaint",
        "status",
        "operator",
        "help",
        "cancel",
    ]

    telegram.user_sends("/start")
    # The greeting and the consent question in one message, its buttons under it.
    [consent] = await telegram.wait_for("sendMessage", 1)
    assert int(consent["chat_id"]) == CITIZEN_ID
    assert consent["parse_mode"] == "HTML"
    assert consent["text"].startswith("Здравствуйте!")
    assert "<b>Согласие на обработку персональных данных</b>" in consent["text"]
    assert "Редакция текста согласия: 2026-11-01" in consent["text"]
    assert buttons(consent) == ["✅ Согласен", "Не согласен", "✖ Отмена"]

    telegram.user_presses("✅ Согласен")
    region = (await telegram.wait_for("sendMessage", 2))[-1]
    assert telegram.sent("answerCallbackQuery")
    edited = telegram.sent("editMessageText")[-1]
    assert edited["text"].endswith("<i>→ ✅ Согласен</i>")
    assert "Согласие на обработку" in edited["text"]
    assert "В каком регионе" in region["text"]
    assert "Самарская область" in buttons(region)
    assert buttons(region)[-2:] == ["← Назад", "✖ Отмена"]

    telegram.user_presses("Самарская область")
    done = (await telegram.wait_for("sendMessage", 3))[-1]
    assert done["text"].startswith("Готово, Анна Петрова!")
    assert "🔒 Мои данные" in buttons(done)

    telegram.user_presses("📝 Заявления")
    choose = (await telegram.wait_for("sendMessage", 4))[-1]
    assert "Какая услуга вам нужна?" in choose["text"]
    assert "💬 Психологическая поддержка" in buttons(choose)
    telegram.user_presses("✖ Отмена")
    await telegram.wait_for("sendMessage", 5)

    my_data_payload = telegram.user_presses("🔒 Мои данные")
    my_data = (await telegram.wait_for("sendMessage", 6))[-1]
    assert f"Идентификатор в Telegram: {CITIZEN_ID}" in my_data["text"]
    assert "Имя: Анна Петрова" in my_data["text"]
    assert "@anna_p" in my_data["text"]
    assert "редакция 2026-11-01" in my_data["text"]

    telegram.user_presses("Отозвать согласие")
    confirm = (await telegram.wait_for("sendMessage", 7))[-1]
    assert buttons(confirm) == ["Да, отозвать и удалить", "Нет, оставить", "✖ Отмена"]
    telegram.user_presses("Да, отозвать и удалить")
    withdrawn = (await telegram.wait_for("sendMessage", 8))[-1]
    assert withdrawn["text"].startswith("Согласие отозвано")
    assert buttons(withdrawn) == ["ℹ️ Общая информация", "✅ Дать согласие", "Помощь"]

    telegram.user_presses_data(my_data_payload)  # an old button: the section now needs consent
    refused = (await telegram.wait_for("sendMessage", 9))[-1]
    assert "нужно ваше согласие" in refused["text"]
    # Every reply went to the citizen's chat, nowhere else.
    assert {int(m["chat_id"]) for m in telegram.sent()} == {CITIZEN_ID}


async def test_sigterm_mid_conversation_then_restart_continues_at_the_same_step(
    telegram: FakeTelegram, start_bot: StartBot
) -> None:
    bot = await start_bot()
    telegram.user_sends("/start")
    await telegram.wait_for("sendMessage", 1)
    telegram.send_delay = 1.5  # the next reply is slow: SIGTERM arrives while it is in flight
    telegram.user_presses("✅ Согласен")
    await telegram.wait_for("answerCallbackQuery", 1)
    await asyncio.sleep(0.3)
    bot.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(bot.wait(), 20) == 0
    # The handler was drained: the region question reached the citizen before exit.
    assert "В каком регионе" in telegram.sent()[-1]["text"]
    telegram.send_delay = 0

    sent_before = len(telegram.sent())
    await start_bot()
    telegram.user_sends("Москва")  # typed: the new process must know we are at the region step
    done = (await telegram.wait_for("sendMessage", sent_before + 1))[-1]
    assert done["text"].startswith("Готово, Анна Петрова! Ваш регион: Москва.")


async def test_the_bot_api_dropping_its_connections_and_coming_back_loses_nothing(
    telegram: FakeTelegram, start_bot: StartBot
) -> None:
    """The bot's kept connections (bot/http_connections.py) are closed under it and new ones
    refused for a while: the poller tries again, and the next message is answered."""
    await start_bot()
    telegram.user_sends("/start")
    await telegram.wait_for("sendMessage", 1)
    await telegram.restart(away_seconds=3)
    sent_before = len(telegram.sent())
    telegram.user_presses("✅ Согласен")
    await telegram.wait_for("sendMessage", sent_before + 1)
    assert "В каком регионе" in telegram.sent()[-1]["text"]


async def test_long_reply_is_split_and_unknown_input_is_answered(
    telegram: FakeTelegram, start_bot: StartBot
) -> None:
    await start_bot()
    telegram.user_sends("x" * 10_000)
    reply = (await telegram.wait_for("sendMessage", 1))[0]
    assert reply["text"].startswith("Извините, я не понял")
    assert buttons(reply)


async def test_a_send_telegram_refuses_is_retried_from_the_outbox(
    telegram: FakeTelegram, start_bot: StartBot
) -> None:
    await start_bot()
    await telegram.wait_for("getUpdates", 1)
    telegram.failing_sends = 1  # the greeting fails on Telegram's side (500)
    telegram.user_sends("/start")
    attempts = await telegram.wait_for("sendMessage", 2)
    # The turn is done: what it says goes out again, and nothing else.
    assert attempts[0]["text"] == attempts[1]["text"]
    assert attempts[1]["text"].startswith("Здравствуйте!")
    assert "Согласие на обработку" in attempts[1]["text"]
    await asyncio.sleep(1)
    assert len(telegram.sent()) == 2


async def test_a_failure_is_logged_and_the_citizen_gets_a_polite_answer(
    telegram: FakeTelegram, start_bot: StartBot, db_url: str
) -> None:
    await start_bot()
    await telegram.wait_for("getUpdates", 1)
    await rename_table(db_url, "turn_counts", "turn_counts_away")  # every turn fails
    telegram.user_sends("/start")
    [answer] = await telegram.wait_for("sendMessage", 1)
    assert answer["text"].startswith("Извините, что-то пошло не так")
    await rename_table(db_url, "turn_counts_away", "turn_counts")
    # Nothing is stuck: /start again shows the greeting and the consent question.
    telegram.user_sends("/start")
    greeting = (await telegram.wait_for("sendMessage", 2))[1]
    assert greeting["text"].startswith("Здравствуйте!")
    assert "Согласие на обработку" in greeting["text"]


async def rename_table(db_url: str, old: str, new: str) -> None:
    engine = create_engine(db_url)
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql(f"ALTER TABLE {old} RENAME TO {new}")
    finally:
        await engine.dispose()


async def test_webhook_checks_the_secret_token(
    telegram: FakeTelegram, start_bot: StartBot, unused_tcp_port: int
) -> None:
    secret = "s3cret-token_value"
    await start_bot(
        BOT__MODE="webhook",
        BOT__WEBHOOK__URL="https://bot.example.test/tg",
        BOT__WEBHOOK__SECRET=secret,
        BOT__WEBHOOK__PORT=str(unused_tcp_port),
        BOT__WEBHOOK__PATH="/tg",
    )
    registered = (await telegram.wait_for("setWebhook", 1))[0]
    assert registered["url"] == "https://bot.example.test/tg"
    assert registered["secret_token"] == secret

    update = {
        "update_id": 5,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": CITIZEN_ID, "type": "private"},
            "from": telegram.citizen,
            "text": "/start",
        },
    }
    url = f"http://127.0.0.1:{unused_tcp_port}/tg"
    async with aiohttp.ClientSession() as http:
        await _wait_listening(http, url)
        async with http.post(url, json=update) as response:
            assert response.status == 401
        async with http.post(
            url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
        ) as response:
            assert response.status == 401
        assert telegram.sent() == []
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
        async with http.post(url, json=update, headers=headers) as response:
            assert response.status == 200
        await telegram.wait_for("sendMessage", 1)
        # Telegram re-sends an update it thinks was lost: it is handled once.
        async with http.post(url, json=update, headers=headers) as response:
            assert response.status == 200
    await asyncio.sleep(1.0)
    assert len(telegram.sent()) == 1


async def _wait_listening(http: aiohttp.ClientSession, url: str, timeout: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            async with http.get(url):
                return
        except aiohttp.ClientConnectorError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.1)


async def test_a_stale_button_press_is_still_handled(
    telegram: FakeTelegram, start_bot: StartBot
) -> None:
    await start_bot()
    telegram.user_sends("/start")
    await telegram.wait_for("sendMessage", 1)
    # After downtime Telegram refuses to stop the spinner of an old press (400): the press
    # itself must still be taken.
    telegram.stale_callbacks = True
    telegram.user_presses("✅ Согласен")
    region = (await telegram.wait_for("sendMessage", 2))[-1]
    assert telegram.sent("answerCallbackQuery")
    assert "В каком регионе" in region["text"]


async def test_a_429_on_marking_the_choice_is_waited_out_and_retried(
    telegram: FakeTelegram, start_bot: StartBot
) -> None:
    await start_bot()
    telegram.user_sends("/start")
    await telegram.wait_for("sendMessage", 1)
    telegram.rate_limited_edits = 1
    telegram.user_presses("✅ Согласен")
    region = (await telegram.wait_for("sendMessage", 2))[-1]
    assert "В каком регионе" in region["text"]
    edits = await telegram.wait_for("editMessageText", 2)
    assert telegram.too_many == 1
    assert edits[-1]["text"].endswith("<i>→ ✅ Согласен</i>")


async def test_a_flood_is_dropped_before_the_database_with_one_request_to_wait(
    telegram: FakeTelegram, start_bot: StartBot, db_url: str
) -> None:
    await start_bot(BOT__FLOOD_MESSAGES="3", BOT__FLOOD_SECONDS="60")
    for n in range(8):
        telegram.user_sends(f"сообщение {n}")
    await telegram.wait_for("sendMessage", 4)
    await asyncio.sleep(1.5)  # nothing else comes
    texts = [r["text"] for r in telegram.to_chat(CITIZEN_ID)]
    assert len(texts) == 4
    assert sum("слишком быстро" in text for text in texts) == 1
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as connection:
            stored = await connection.scalar(text("SELECT count(*) FROM inbox_updates"))
    finally:
        await engine.dispose()
    assert stored == 3  # the other five never reached the database
