"""An application to correct a typo in a document of the centre (001 ¶3.15), on a real
database: the questions with their checks, the summary and starting again, submission with its
number and acceptance term; registered by staff, the check (2 WD) and correction (5 WD) terms
counted over the New Year holidays; the answer "no error" reaches the citizen with the way to
appeal."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.build import renderer as build_renderer
from dialogs.flow import DialogConfig
from dialogs.render import Renderer
from features.applications.service import SqlApplications
from storage.models import Application, Reminder
from tests.support.db_chat import REGIONS, DbChat, quiet_hours


@pytest.fixture
async def chat(sessions: async_sessionmaker[AsyncSession], dialog_config: DialogConfig) -> DbChat:
    chat = DbChat(sessions, dialog_config)
    await chat.start()
    return chat


@pytest.fixture(scope="module")
def strict() -> Renderer:
    return build_renderer(strict=True)


def shown(renderer: Renderer, chat: DbChat) -> str:
    return "\n".join(renderer.reply(reply).text for reply in chat.last)


async def report_typo_from_the_document(chat: DbChat) -> None:
    """From the choice of document on: the referral, its wrong name, the right date."""
    await chat.press("buttons.correction_document", document="referral")
    await chat.send("Фамилия Иванова")
    await chat.send("25.11.2026")  # a date alone is a fair answer
    await chat.send("+7 900 123-45-67")
    await chat.send("отправить")


async def test_a_typo_is_reported_with_every_answer_checked(
    chat: DbChat, sessions: async_sessionmaker[AsyncSession], strict: Renderer
) -> None:
    await chat.press("buttons.applications")
    await chat.press("buttons.application_correction")
    assert chat.prompt == "application_correction.ask_document"
    await chat.send("Паспорт")  # not one of the list
    assert chat.templates() == [
        "application_draft.pick_answer",
        "application_correction.ask_document",
    ]
    await chat.send("2")  # the second document by its number
    assert chat.prompt == "application_correction.ask_wrong"
    await chat.send(attachment="photo", file_id="p1")
    assert chat.templates()[0] == "application_draft.invalid_not_text"
    await chat.send("ж" * 1001)
    assert chat.templates()[0] == "application_draft.invalid_too_long"
    await chat.send("В направлении на работу от 25.11.2026 фамилия Иванова")
    await chat.send("Иванов")
    assert chat.prompt == "application_correction.ask_phone"
    await chat.send("позвоните мне")
    assert chat.templates()[0] == "application_draft.invalid_not_a_phone"
    await chat.press("buttons.application_draft_skip", question="phone")
    assert chat.prompt == "application_correction.summary"
    text = shown(strict, chat)
    assert "Уведомление о переговорах или направление на работу" in text
    assert "фамилия Иванова" in text
    assert "только через Telegram" in text
    await chat.press("buttons.correction_again")  # start again: the document first
    assert chat.prompt == "application_correction.ask_document"
    await report_typo_from_the_document(chat)
    assert chat.templates() == ["application_correction.submitted"]
    assert "не дольше 2 рабочих дней" in shown(strict, chat)
    async with sessions() as session:
        [application] = list(await session.scalars(select(Application)))
        assert (application.service, application.state) == ("typo_correction", "submitted")
        assert application.answers == {
            "document": "referral",
            "wrong": "Фамилия Иванова",
            "right": "25.11.2026",
            "phone": "+79001234567",
        }
        assert application.due_rule == "application_acceptance"


async def test_a_registered_correction_is_tracked_and_its_answer_reaches_the_citizen(
    chat: DbChat, sessions: async_sessionmaker[AsyncSession], strict: Renderer
) -> None:
    await chat.press("buttons.applications")
    await chat.press("buttons.application_correction")
    await report_typo_from_the_document(chat)
    async with sessions() as session:
        [application] = list(await session.scalars(select(Application)))
        number = application.number
        assert number is not None
        applications = SqlApplications(session, REGIONS, quiet_hours())
        # Registered on the Wednesday before the holidays: 31.12 and 1-10.01 are off.
        await applications.move(
            number,
            "registered",
            actor="staff:chief",
            now=datetime(2026, 12, 30, 10, tzinfo=UTC),
            ecp_number="63-15",
            registered_on=date(2026, 12, 30),
        )
        await session.commit()
    async with sessions() as session:
        terms = {
            reminder.rule: reminder.deadline_on
            for reminder in await session.scalars(
                select(Reminder).where(Reminder.rule.like("typo_%"))
            )
        }
        # 001 ¶3.15.2: 2 working days; ¶3.15.3, ¶3.15.4: 5 working days.
        assert terms == {"typo_check": date(2027, 1, 12), "typo_correction": date(2027, 1, 15)}
        application = await session.get_one(Application, application.id)
        assert (application.due_on, application.due_rule) == (date(2027, 1, 12), "typo_check")
        applications = SqlApplications(session, REGIONS, quiet_hours())
        await applications.move(
            number,
            "refused",
            actor="staff:chief",
            now=datetime(2027, 1, 12, 10, tzinfo=UTC),
            reason="Фамилия указана верно, как в паспорте",
        )
        await session.commit()
        told = list(
            await session.scalars(
                select(Reminder).where(Reminder.rule == "application_update").order_by(Reminder.id)
            )
        )
    context = {**told[-1].context, "before": 0, "deadline": date(2027, 1, 12), "late": False}
    text = strict.text("reminders.application_update", context)
    assert "не нашёл опечатки или ошибки" in text
    assert "за 5 рабочих дней" in text  # 001 ¶5.10: how a refusal is appealed
    await chat.send("/status")
    assert "Исправление опечатки" in shown(strict, chat)
