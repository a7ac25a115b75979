"""End to end: the real bot process against the fake Bot API with an operators' forum group.
A citizen in the middle of a complaint asks for a person; the bot opens a topic with the case
card; an operator claims it; messages go both ways (text and a photo, copied); a note stays in
the topic; /close gives the conversation back, the citizen rates it and goes on with the
complaint at the same step."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.e2e.test_e2e_reminders import REMINDER_ENV
from tests.support.e2e import CITIZEN_ID, ROOT, StartBot
from tests.support.fake_telegram import FakeTelegram, buttons

pytestmark = pytest.mark.e2e

GROUP = -1001234567890
ANNA = {"id": 9001, "is_bot": False, "first_name": "Анна"}
STRANGER = {"id": 9999, "is_bot": False, "first_name": "Гость"}
OPERATOR_ENV = {"OPERATORS__CHAT_ID": str(GROUP), "OPERATORS__SCHEDULE": "always"}


async def add_operator(db_url: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "app", "admin", "staff", "add", "Анна", "--role", "operator"),
        *("--regions", "63", "--telegram-id", str(ANNA["id"])),
        cwd=ROOT,
        env={**os.environ, "DATABASE__URL": db_url, "ASSISTANT_CONFIG": str(ROOT / "config.yml")},
        stdout=asyncio.subprocess.PIPE,
    )
    await process.communicate()
    assert process.returncode == 0


async def until(
    telegram: FakeTelegram, found: Callable[[], Any], what: str, timeout: float = 20
) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := found()):
        assert time.monotonic() < deadline, f"waited {timeout}s for {what}"
        await asyncio.sleep(0.05)
    return result


async def wait_for_card_recorded(db_url: str, timeout: float = 20) -> None:
    """Until the card's message id is in the database (the relay's last step for it)."""
    engine = create_async_engine(db_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            async with engine.connect() as connection:
                query = text("SELECT 1 FROM handovers WHERE card_message_id IS NOT NULL")
                if (await connection.execute(query)).first():
                    return
            assert time.monotonic() < deadline, "the card was not recorded"
            await asyncio.sleep(0.05)
    finally:
        await engine.dispose()


def to_citizen(telegram: FakeTelegram) -> list[dict[str, Any]]:
    return telegram.to_chat(CITIZEN_ID)


async def citizen_sees(telegram: FakeTelegram, fragment: str, what: str) -> Any:
    """The messages to the citizen that contain `fragment`, once there is one."""
    return await until(
        telegram, lambda: [m for m in to_citizen(telegram) if fragment in m["text"]], what
    )


async def onboard(telegram: FakeTelegram) -> None:
    telegram.user_sends("/start")
    await telegram.wait_for("sendMessage", 1)
    telegram.user_presses("✅ Согласен")
    await telegram.wait_for("sendMessage", 2)
    telegram.user_presses("Самарская область")
    await telegram.wait_for("sendMessage", 3)


async def comes_back_to_the_same_topic(telegram: FakeTelegram, thread: int) -> None:
    """Later the citizen asks again: the same topic is reopened, with a new card."""
    telegram.user_sends("/operator")
    await until(telegram, lambda: telegram.sent("reopenForumTopic"), "the topic reopened")
    assert len(telegram.sent("createForumTopic")) == 1
    cards = await until(
        telegram,
        lambda: [m for m in telegram.to_chat(GROUP) if "✋ Взять" in buttons(m)][1:],
        "a second card",
    )
    assert int(cards[0]["message_thread_id"]) == thread


async def test_a_citizen_reaches_an_operator_in_the_forum_group_and_goes_on(
    telegram: FakeTelegram, start_bot: StartBot, db_url: str
) -> None:
    await add_operator(db_url)
    await start_bot(**OPERATOR_ENV)
    await onboard(telegram)
    telegram.user_sends("/complaint")
    await telegram.wait_for("sendMessage", 4)
    telegram.user_presses("Отказали в приёме документов")
    asked = (await telegram.wait_for("sendMessage", 5))[-1]
    assert "На кого вы жалуетесь?" in asked["text"]

    telegram.user_sends("/operator")
    requested = await citizen_sees(telegram, "Передаю разговор оператору", "the request's answer")
    assert requested
    status = await citizen_sees(telegram, "Вы в очереди к оператору", "the place in the queue")
    assert "1-й" in status[0]["text"]
    assert buttons(status[0]) == ["🚪 Выйти из очереди"]
    [topic] = await telegram.wait_for("createForumTopic", 1)
    assert topic["name"] == "Анна П., Самарская область, жалоба"
    card = await until(
        telegram,
        lambda: [m for m in telegram.to_chat(GROUP) if "✋ Взять" in buttons(m)],
        "the card",
    )
    assert "Анна П." in card[0]["text"]
    assert "Петрова" not in card[0]["text"]  # operators see names masked

    telegram.user_sends("Мне отказали в приёме документов, что делать?")
    copied = await until(telegram, lambda: telegram.to_chat(GROUP, "copyMessage"), "the relay")
    assert int(copied[0]["from_chat_id"]) == CITIZEN_ID
    thread = int(copied[0]["message_thread_id"])

    # Someone in the group who is not staff is ignored, and told so once.
    telegram.member_sends(GROUP, STRANGER, "я тоже хочу ответить", thread)
    telegram.member_sends(GROUP, STRANGER, "и ещё раз", thread)
    await until(
        telegram,
        lambda: [m for m in telegram.to_chat(GROUP) if "не являются сотрудниками" in m["text"]],
        "the warning",
    )

    telegram.member_presses(GROUP, ANNA, "✋ Взять")
    await citizen_sees(telegram, "Оператор Анна подключил", "the citizen told who answers")
    answer_id = telegram.member_sends(GROUP, ANNA, "Здравствуйте! Пришлите фото отказа.", thread)
    await until(
        telegram,
        lambda: [
            c
            for c in telegram.to_chat(CITIZEN_ID, "copyMessage")
            if int(c["message_id"]) == answer_id
        ],
        "the operator's answer copied to the citizen",
    )
    telegram.member_sends(GROUP, ANNA, "/t hello", thread)
    await citizen_sees(telegram, "Меня зовут Анна", "the canned answer")
    telegram.member_sends(GROUP, ANNA, "!проверить в ЕЦП", thread)
    telegram.user_sends_file("photo", "refusal-photo")
    await until(
        telegram, lambda: len(telegram.to_chat(GROUP, "copyMessage")) == 2, "the photo relayed"
    )
    assert len(telegram.to_chat(CITIZEN_ID, "copyMessage")) == 1  # the note stayed

    telegram.member_sends(GROUP, ANNA, "/close", thread)
    closed = await citizen_sees(telegram, "Оцените, пожалуйста", "the rating question")
    assert buttons(closed[0])[:5] == ["1", "2", "3", "4", "5 ⭐"]
    await until(telegram, lambda: telegram.sent("closeForumTopic"), "the topic closed")
    telegram.user_presses("5 ⭐")
    resumed = await until(
        telegram,
        lambda: [m for m in to_citizen(telegram) if "На кого вы жалуетесь?" in m["text"]][1:],
        "the complaint's question again",
    )
    assert resumed
    assert any("Спасибо за оценку" in m["text"] for m in to_citizen(telegram))
    telegram.user_presses("Центр занятости или его работник")
    await citizen_sees(telegram, "Жалобу рассмотрит", "the complaint going on")

    await comes_back_to_the_same_topic(telegram, thread)


async def test_a_queued_request_survives_a_crash_and_is_claimed_after_the_restart(
    telegram: FakeTelegram, start_bot: StartBot, db_url: str
) -> None:
    await add_operator(db_url)
    bot = await start_bot(**OPERATOR_ENV)
    await onboard(telegram)
    telegram.user_sends("/operator")
    await until(
        telegram,
        lambda: [m for m in telegram.to_chat(GROUP) if "✋ Взять" in buttons(m)],
        "the card",
    )
    await wait_for_card_recorded(db_url)
    bot.kill()  # SIGKILL: no shutdown of any kind
    await bot.wait()
    telegram.user_sends("Я ещё здесь, жду")  # while no bot runs
    await start_bot(**OPERATOR_ENV)
    copied = await until(
        telegram, lambda: telegram.to_chat(GROUP, "copyMessage"), "the message relayed"
    )
    assert len(copied) == 1
    assert len(telegram.sent("createForumTopic")) == 1  # the same topic, not a new one
    telegram.member_presses(GROUP, ANNA, "✋ Взять")
    await citizen_sees(telegram, "Оператор Анна подключил", "the claim after the restart")


async def test_with_nobody_on_duty_a_written_question_is_answered_from_its_topic(
    telegram: FakeTelegram, start_bot: StartBot, db_url: str
) -> None:
    await start_bot(**OPERATOR_ENV, **REMINDER_ENV)
    await onboard(telegram)
    telegram.user_sends("/operator")
    unavailable = await citizen_sees(telegram, "операторов нет на связи", "no operator on duty")
    assert "Или задайте вопрос письменно" in unavailable[0]["text"]
    assert "❓ Задать вопрос" in buttons(unavailable[0])
    telegram.user_presses("❓ Задать вопрос")
    await citizen_sees(telegram, "Письменный вопрос", "the question asked for")
    telegram.user_sends("Как встать на учёт, если я работаю по договору ГПХ?")
    registered = await citizen_sees(telegram, "Вопрос принят", "the question's number")
    assert "В-2026-000001" in registered[0]["text"] or "В-20" in registered[0]["text"]
    [topic] = await telegram.wait_for("createForumTopic", 1)
    assert topic["name"].startswith("В-20")
    card = await until(
        telegram,
        lambda: [m for m in telegram.to_chat(GROUP) if "Письменный вопрос" in m["text"]],
        "the question's card",
    )
    thread = int(card[0]["message_thread_id"])
    await add_operator(db_url)
    telegram.member_sends(GROUP, ANNA, "!уточнить у юриста", thread)  # a note, not the answer
    telegram.member_sends(GROUP, ANNA, "Договор ГПХ считается занятостью.", thread)
    answer = await citizen_sees(telegram, "Ответ на ваш вопрос", "the answer delivered")
    assert "Договор ГПХ считается занятостью." in answer[0]["text"]
    assert "уточнить у юриста" not in answer[0]["text"]
    await until(telegram, lambda: telegram.sent("closeForumTopic"), "the topic closed")
