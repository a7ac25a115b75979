"""The guided draft of an application and résumé on a real database: every answer's check,
the three-region limit, edit from the summary, the draft kept across leaving, submission with
its number, term and job profile; applications filed elsewhere tracked by their ЕЦП number;
the status screen."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.build import renderer as build_renderer
from dialogs.flow import DialogConfig
from dialogs.render import Renderer
from kernel.regions import Region
from storage.models import Application, AuditEvent, JobProfile, Reminder
from tests.support.db_chat import DbChat


@pytest.fixture
def four_regions(dialog_config: DialogConfig) -> DialogConfig:
    regions = {
        **dialog_config.regions,
        "50": Region("Московская область", "Europe/Moscow"),
        "51": Region("Мурманская область", "Europe/Moscow"),
    }
    return DialogConfig(
        consent_version=dialog_config.consent_version,
        regions=regions,
        default_region=dialog_config.default_region,
    )


@pytest.fixture
async def chat(sessions: async_sessionmaker[AsyncSession], four_regions: DialogConfig) -> DbChat:
    chat = DbChat(sessions, four_regions)
    await chat.start()
    return chat


@pytest.fixture(scope="module")
def strict() -> Renderer:
    return build_renderer(strict=True)


def shown(renderer: Renderer, chat: DbChat) -> str:
    return "\n".join(renderer.reply(reply).text for reply in chat.last)


async def answer(chat: DbChat, question: str, value: str) -> None:
    await chat.press("buttons.application_draft_answer", question=question, answer=value)


async def route_to_draft(chat: DbChat) -> None:
    """A claimant to unemployed status filing away from home, up to the draft's first
    question."""
    await chat.press("buttons.applications")
    await chat.press("buttons.application_service", service="unemployment")
    await chat.press("buttons.application_answer", question="residence", answer="no")
    await chat.press("buttons.application_answer", question="group", answer="none")
    assert chat.templates() == ["application.route_job_search"]
    await chat.press("buttons.application_draft", service="unemployment")
    assert chat.prompt == "application_draft.ask_address"


async def answer_everything(chat: DbChat, strict: Renderer) -> None:
    """Every question of the draft, with bad answers on the way, up to the summary."""
    text = shown(strict, chat)
    assert "адрес места жительства" in text
    assert "Паспортные данные, ИНН и СНИЛС не спрашиваю" in text
    # A photo where text is expected, and 10,000 characters: told why, asked again.
    await chat.send(attachment="photo", file_id="p1")
    assert chat.templates() == [
        "application_draft.invalid_not_text",
        "application_draft.ask_address",
    ]
    await chat.send("д" * 10_000)
    assert chat.templates() == [
        "application_draft.invalid_too_long",
        "application_draft.ask_address",
    ]
    await chat.send("г. Самара, ул. Ленина, д. 1, кв. 2")
    await chat.press("buttons.application_draft_skip", question="last_job")
    await chat.send("123")
    assert chat.templates()[0] == "application_draft.invalid_not_a_phone"
    await chat.send("8 (900) 123-45-67")

    # Regions: the citizen's own is chosen already; a fourth is refused (001 ¶2.6.1(1)(15)).
    assert chat.prompt == "application_draft.ask_regions"
    assert chat.last[-1].context["chosen"] == ["Самарская область"]
    await chat.press("buttons.application_region", name="Москва")
    await chat.press("buttons.application_region", name="Мурманская область")
    assert chat.last[-1].context["chosen"] == ["Самарская область", "Москва", "Мурманская область"]
    await chat.press("buttons.application_region", name="Московская область")
    assert chat.templates()[0] == "application_draft.invalid_too_many_regions"
    await chat.press("buttons.application_region", name="Мурманская область", chosen=True)
    assert chat.last[-1].context["chosen"] == ["Самарская область", "Москва"]
    await chat.press("buttons.application_regions_done")

    # A claimant is asked how the benefit is paid (001 ¶2.6.1(1)(16)).
    assert chat.prompt == "application_draft.ask_benefit"
    await answer(chat, "benefit", "bank")
    await chat.send("водитель категории C")
    await chat.send("много")
    assert chat.templates()[0] == "application_draft.invalid_salary"
    await chat.send("от 60 тыс")
    await chat.send("2")  # the second schedule, typed
    await answer(chat, "employment", "full")
    await answer(chat, "relocate", "no")
    await answer(chat, "education", "vocational")
    await chat.send("Водитель грузовика 7 лет, категории B и C")
    await chat.send("01.01.2020")
    assert chat.templates()[0] == "application_draft.invalid_start"
    await chat.send("15.12")


async def test_a_claimant_drafts_checks_changes_and_submits_an_application(
    chat: DbChat, sessions: async_sessionmaker[AsyncSession], strict: Renderer
) -> None:
    await route_to_draft(chat)
    await answer_everything(chat, strict)
    assert chat.prompt == "application_draft.summary"
    summary = chat.last[-1].context
    assert summary["salary"] == 60000
    assert summary["schedule"] == "shift"
    assert summary["start_on"] == date(2026, 12, 15)
    text = shown(strict, chat)
    for part in ("Самарская область, Москва", "60\u00a0000 ₽", "Сменный график", "15.12.2026"):
        assert part in text

    # Change one answer: straight back to the summary.
    await chat.press("buttons.application_edit")
    await chat.press("buttons.application_field", field="salary")
    await chat.send("70000")
    assert chat.prompt == "application_draft.summary"
    assert chat.last[-1].context["salary"] == 70000
    await chat.press("buttons.application_submit")

    assert chat.templates() == ["application_draft.submitted"]
    submitted = chat.last[0].context
    assert submitted["number"] == "З-2026-000001"
    # Submitted on Monday 23.11.2026: the centre looks at it within 5 working days.
    assert submitted["due_on"] == date(2026, 11, 30)
    async with sessions() as session:
        [application] = list(await session.scalars(select(Application)))
        assert (application.service, application.state) == ("unemployment", "submitted")
        assert application.answers["desired_salary"] == 70000
        assert application.answers["away"] is True
        assert application.answers["phone"] == "+79001234567"
        rules = set(await session.scalars(select(Reminder.rule)))
        assert rules == {"application_acceptance"}
        profile = await session.get_one(JobProfile, application.citizen_id)
        assert profile.profession == "водитель категории C"
        assert profile.regions == ["63", "77"]
        assert (profile.desired_salary, profile.schedule, profile.employment) == (
            70000,
            "Сменный график",
            "Полная занятость",
        )
        assert profile.relocate is False
        actions = list(await session.scalars(select(AuditEvent.action)))
        assert "application:submitted" in actions

    # The status screen lists it; its number typed opens its card.
    await chat.send("/status")
    assert chat.templates() == ["application_status.list", "status.list"]
    await chat.send("з-2026-1")
    assert chat.templates() == ["application_status.card"]
    assert "отправлено в центр" in shown(strict, chat)


def test_no_passport_inn_or_snils_field_exists_in_the_schema() -> None:
    columns = {column.name for column in Application.__table__.columns}
    for forbidden in ("passport", "inn", "snils", "document_number", "series"):
        assert not any(forbidden in column for column in columns), columns


async def test_a_draft_left_for_the_menu_is_offered_again(chat: DbChat) -> None:
    await route_to_draft(chat)
    await chat.send("г. Самара, ул. Ленина, д. 1, кв. 2")
    assert chat.prompt == "application_draft.ask_last_job"
    await chat.send("/menu")
    # Every message of DbChat runs on a new engine and session, as after a restart.
    await chat.press("buttons.applications")
    assert chat.templates() == ["application_draft.draft_found"]
    await chat.press("buttons.draft_resume")
    assert chat.prompt == "application_draft.ask_last_job"
    await chat.press("buttons.back")
    assert chat.prompt == "application_draft.ask_address"


async def test_a_draft_started_anew_asks_the_service_and_the_claimant_question(
    chat: DbChat,
) -> None:
    await route_to_draft(chat)
    await chat.send("г. Самара, ул. Ленина, д. 1, кв. 2")
    await chat.send("/menu")
    await chat.press("buttons.applications")
    await chat.press("buttons.draft_new")
    assert chat.prompt == "application_draft.ask_service"
    await answer(chat, "service", "job_search")
    assert chat.prompt == "application_draft.ask_claimant"
    await answer(chat, "claimant", "no")
    assert chat.prompt == "application_draft.ask_address"
    assert chat.last[-1].context == {"service": "job_search", "claimant": False}


async def test_an_application_filed_elsewhere_is_tracked_from_its_registration(
    chat: DbChat, sessions: async_sessionmaker[AsyncSession], strict: Renderer
) -> None:
    chat.clock.now = datetime(2026, 12, 30, 8, tzinfo=UTC)  # Wednesday before the holidays
    await chat.press("buttons.applications")
    await chat.press("buttons.application_track")
    await chat.press("buttons.application_service", service="job_search")
    await chat.send("!!")
    assert chat.templates()[0] == "application_track.invalid_number"
    await chat.send("2026-0012345")
    await chat.send("01.01.2027")  # not yet
    assert chat.templates()[0] == "application_track.invalid_day"
    await chat.press("buttons.application_day", ago=0)
    assert chat.templates() == ["application_track.tracked"]
    tracked = chat.last[0].context
    # 1 working day for the vacancy list (001 ¶3.6.8): 31.12.2026 and 1-10.01.2027 are off.
    assert (tracked["due_on"], tracked["due_rule"]) == (
        date(2027, 1, 11),
        "application_vacancy_list",
    )
    assert "11.01.2027" in shown(strict, chat)
    async with sessions() as session:
        [application] = list(await session.scalars(select(Application)))
        assert (application.source, application.state) == ("elsewhere", "registered")
        assert application.ecp_number == "2026-0012345"
        terms = {
            reminder.rule: reminder.deadline_on
            for reminder in await session.scalars(select(Reminder))
        }
        # 25 working days in all (001 ¶2.4).
        assert terms == {
            "application_vacancy_list": date(2027, 1, 11),
            "service_total": date(2027, 2, 12),
        }
