"""The vacancy search in the chat, on a real database with the sample feed imported: only
what the profile lacks is asked, cards with reasons, pages, referral and save, bad input."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.build import renderer as build_renderer
from dialogs.flow import DialogConfig
from features.vacancies import catalogue as catalogue_module
from features.vacancies.catalogue import Catalogue, VacancyCatalogue
from features.vacancies.flow import parse_salary
from features.vacancies.importer import import_feed
from nlu.lemmas import nominative
from nlu.results import Entity
from storage.database import create_engine, create_session_factory
from storage.models import AuditEvent, JobProfile, Vacancy, VacancyRequest
from tests.dialogs.test_engine_nlu import ScriptedRecognizer, rasa
from tests.features.vacancies.test_vacancy_import import SAMPLE, sample_items, write_feed
from tests.features.vacancies.test_vacancy_ranking import (
    BAKERY,
    BUS,
    FORKLIFT,
    FORWARDER,
    TAXI,
    TRUCK_C,
    TRUCK_SYZRAN,
)
from tests.support.db_chat import DbChat

NEAR_SAMARA = {TRUCK_C, BUS, FORWARDER, TAXI, BAKERY}


@pytest.fixture
async def chat(sessions: async_sessionmaker[AsyncSession], dialog_config: DialogConfig) -> DbChat:
    await import_feed(sessions, SAMPLE)
    chat = DbChat(sessions, dialog_config, catalogue=VacancyCatalogue())
    await chat.start()
    return chat


async def current_of(
    catalogue: VacancyCatalogue, sessions: async_sessionmaker[AsyncSession]
) -> Catalogue:
    async with sessions() as session:
        return await catalogue.current(session)


async def test_a_search_takes_no_second_connection(
    db_url: str, dialog_config: DialogConfig
) -> None:
    """With a pool of one connection, a turn that opened another while holding its own would
    wait for the pool's timeout: as many turns at once as the pool has connections did."""
    engine = create_engine(db_url, pool_size=1, max_overflow=0, pool_timeout=2)
    try:
        sessions = create_session_factory(engine)
        await import_feed(sessions, SAMPLE)
        chat = DbChat(sessions, dialog_config, catalogue=VacancyCatalogue())
        await chat.start()
        await search_drivers_in_samara(chat)
        assert set(shown(chat)) == NEAR_SAMARA
    finally:
        await engine.dispose()


def shown(chat: DbChat) -> list[str]:
    """Vacancy ids on the results screen, in order, from its referral buttons."""
    return [b.payload.removeprefix("vac:ref:") for b in chat.offered() if "vac:ref:" in b.payload]


async def search_drivers_in_samara(chat: DbChat) -> None:
    await chat.send("/vacancies")
    assert chat.prompt == "vacancies.ask_profession"
    await chat.send("водителем")
    assert chat.prompt == "vacancies.ask_locality"
    await chat.send("в Самаре")
    assert chat.prompt == "vacancies.ask_salary"
    await chat.send("от 50 тыс")
    assert chat.prompt == "vacancies.results"


async def test_a_newcomer_finds_drivers_with_explanations(chat: DbChat) -> None:
    await search_drivers_in_samara(chat)
    result = chat.last[-1]
    assert set(shown(chat)) == NEAR_SAMARA
    assert result.context["total"] == len(NEAR_SAMARA)
    # Pay at or above the wished 50,000 and in Samara come first; the taxi (up to 40,000) later.
    assert shown(chat)[0] in {TRUCK_C, BUS}
    assert shown(chat).index(TAXI) > 1
    text = build_renderer(strict=True).reply(result).text
    assert "<b>1. Водитель" in text
    assert "💰 60\u00a0000–80\u00a0000 ₽" in text
    assert "км от дома" in text
    assert "зарплата не указана" in text  # the bakery's
    async with chat.sessions() as session:
        profile = (await session.scalars(select(JobProfile))).one()
    assert (profile.profession, profile.locality, profile.desired_salary) == (
        "водитель",  # typed «водителем»: read back in the nominative
        "в Самаре",
        50000,
    )

    # The profile is remembered: next time the results come at once.
    await chat.send("/vacancies")
    assert chat.templates() == ["vacancies.results"]
    assert set(shown(chat)) == NEAR_SAMARA


async def test_the_whole_region_and_a_shared_location(chat: DbChat) -> None:
    await chat.send("/vacancies")
    await chat.send("водитель")
    await chat.press("buttons.vacancy_any_place")
    await chat.press("buttons.vacancy_any_salary")
    assert chat.last[-1].context["total"] == len(NEAR_SAMARA | {FORKLIFT, TRUCK_SYZRAN})
    assert len(shown(chat)) == 5  # a page

    await chat.press("buttons.vacancy_change")
    await chat.send("водитель")
    await chat.send(location=(53.508, 49.420))  # Тольятти
    await chat.press("buttons.vacancy_any_salary")
    assert shown(chat) == [FORKLIFT]


async def test_typing_not_important_is_the_same_as_the_button(chat: DbChat) -> None:
    await chat.send("/vacancies")
    await chat.send("водитель")
    await chat.send("Любой")
    await chat.send("не важно!")
    assert chat.templates() == ["vacancies.results"]
    assert chat.last[-1].context["total"] == len(NEAR_SAMARA | {FORKLIFT, TRUCK_SYZRAN})


async def test_pages(
    sessions: async_sessionmaker[AsyncSession], dialog_config: DialogConfig
) -> None:
    await import_feed(sessions, SAMPLE)
    small_pages = dataclasses.replace(dialog_config, vacancy_page_size=2)
    chat = DbChat(sessions, small_pages, catalogue=VacancyCatalogue())
    await chat.start()
    await search_drivers_in_samara(chat)
    first = shown(chat)
    assert len(first) == 2
    assert "buttons.vacancy_previous" not in [b.label for b in chat.offered()]
    await chat.press("buttons.vacancy_next")
    second = shown(chat)
    await chat.press("buttons.vacancy_next")
    third = shown(chat)
    assert "buttons.vacancy_next" not in [b.label for b in chat.offered()]
    assert set(first + second + third) == NEAR_SAMARA
    assert chat.last[-1].context["first_number"] == 5
    await chat.press("buttons.vacancy_previous")
    assert shown(chat) == second


async def test_referral_and_save_are_stored_once_for_staff(chat: DbChat) -> None:
    await search_drivers_in_samara(chat)
    first = shown(chat)[0]
    await chat.press("buttons.vacancy_referral", n=1)
    assert chat.templates() == ["vacancies.referral"]
    await search_drivers_in_samara_again(chat)
    await chat.press("buttons.vacancy_referral", n=1)
    await search_drivers_in_samara_again(chat)
    await chat.press("buttons.vacancy_save", n=1)
    assert chat.templates() == ["vacancies.saved"]
    async with chat.sessions() as session:
        requests = (await session.scalars(select(VacancyRequest))).all()
        audit = (
            await session.scalars(
                select(AuditEvent.action).where(AuditEvent.action.like("vacancy:%"))
            )
        ).all()
    assert sorted((r.vacancy_id, r.kind) for r in requests) == [
        (first, "referral"),
        (first, "saved"),
    ]
    assert sorted(audit) == ["vacancy:referral", "vacancy:referral", "vacancy:saved"]


async def search_drivers_in_samara_again(chat: DbChat) -> None:
    await chat.send("/vacancies")
    assert chat.templates() == ["vacancies.results"]


async def test_a_closed_vacancy_is_said_to_be_closed(chat: DbChat) -> None:
    await search_drivers_in_samara(chat)
    first = shown(chat)[0]
    async with chat.sessions() as session:
        await session.execute(update(Vacancy).where(Vacancy.id == first).values(state="closed"))
        await session.commit()
    await chat.press("buttons.vacancy_save", n=1)
    assert chat.templates() == ["vacancies.closed"]
    await chat.send("/vacancies")
    assert first not in shown(chat)  # dropped at once, before the index is rebuilt
    assert len(shown(chat)) == len(NEAR_SAMARA) - 1


async def test_the_catalogue_is_rebuilt_after_an_import_once_the_recheck_is_due(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await import_feed(sessions, SAMPLE)
    seconds = [0.0]
    catalogue = VacancyCatalogue(recheck_seconds=30, clock=lambda: seconds[0])
    before = await current_of(catalogue, sessions)
    assert len(before.index) == 15
    await import_feed(sessions, write_feed(tmp_path / "less.json", sample_items()[:3]))
    seconds[0] = 29
    assert await current_of(catalogue, sessions) is before  # not asked yet
    seconds[0] = 31
    assert len((await current_of(catalogue, sessions)).index) == 3


async def test_while_the_index_rebuilds_other_searches_get_the_old_one(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await import_feed(sessions, SAMPLE)
    seconds = [0.0]
    catalogue = VacancyCatalogue(recheck_seconds=30, clock=lambda: seconds[0])
    before = await current_of(catalogue, sessions)
    await import_feed(sessions, write_feed(tmp_path / "less.json", sample_items()[:3]))
    started, release = asyncio.Event(), asyncio.Event()
    real_load = catalogue_module.load

    async def slow_load(session: AsyncSession) -> Catalogue:
        started.set()
        await release.wait()
        return await real_load(session)

    monkeypatch.setattr(catalogue_module, "load", slow_load)
    seconds[0] = 31
    rebuilding = asyncio.create_task(current_of(catalogue, sessions))
    await asyncio.wait_for(started.wait(), timeout=10)
    seconds[0] = 62
    assert (
        await asyncio.wait_for(current_of(catalogue, sessions), timeout=10) is before
    )  # not waiting
    release.set()
    assert len((await rebuilding).index) == 3
    assert len((await current_of(catalogue, sessions)).index) == 3


async def test_bad_input_gets_a_clear_answer_and_loses_nothing(chat: DbChat) -> None:
    await chat.send("/vacancies")
    await chat.send(attachment="photo")
    assert chat.templates() == ["vacancies.invalid_profession", "vacancies.ask_profession"]
    await chat.send("в" * 10_000)
    assert chat.templates() == ["vacancies.invalid_too_long", "vacancies.ask_profession"]
    await chat.send("!!! ???")
    assert chat.templates()[0] == "vacancies.invalid_profession"
    await chat.send("повар")
    await chat.send("12345")
    assert chat.templates() == ["vacancies.invalid_locality", "vacancies.ask_locality"]
    await chat.send("Самара")
    await chat.send("много")
    assert chat.templates() == ["vacancies.invalid_salary", "vacancies.ask_salary"]
    await chat.send("5")
    assert chat.templates() == ["vacancies.invalid_salary_range", "vacancies.ask_salary"]
    await chat.press("buttons.back")
    assert chat.prompt == "vacancies.ask_locality"
    await chat.send("Самара")
    await chat.send("40000")
    assert shown(chat) == ["a0000001-0000-4000-8000-000000000007"]  # the cook


async def test_what_the_citizen_said_is_not_asked_again(
    sessions: async_sessionmaker[AsyncSession], dialog_config: DialogConfig
) -> None:
    await import_feed(sessions, SAMPLE)
    recognizer = ScriptedRecognizer()
    text = "какие есть вакансии водителя в тольятти"
    recognizer.answers[text] = rasa(
        "search_vacancies",
        0.97,
        Entity("profession", "водитель", "водителя"),
        Entity("city", "Тольятти", "тольятти"),
    )
    chat = DbChat(sessions, dialog_config, catalogue=VacancyCatalogue(), recognizer=recognizer)
    await chat.start()
    await chat.send(text)
    assert chat.templates() == ["vacancies.ask_salary"]  # profession and town were heard
    await chat.press("buttons.vacancy_any_salary")
    assert shown(chat) == [FORKLIFT]


async def test_an_old_page_button_without_a_profile_has_expired(chat: DbChat) -> None:
    await chat.send(payload="vac:page:5")
    assert chat.templates()[0] == "common.button_expired"
    await chat.send(payload="vac:ref:no-such-vacancy")
    assert chat.templates()[0] == "common.button_expired"


async def test_withdrawing_consent_erases_the_profile_and_saved_vacancies(chat: DbChat) -> None:
    await search_drivers_in_samara(chat)
    await chat.press("buttons.vacancy_save", n=1)
    await chat.send("/menu")
    await chat.press("buttons.my_data")
    await chat.press("buttons.withdraw")
    await chat.press("buttons.withdraw_confirm")
    async with chat.sessions() as session:
        assert (await session.scalars(select(JobProfile))).all() == []
        assert (await session.scalars(select(VacancyRequest))).all() == []


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("50000", 50000),
        ("50 000 ₽", 50000),
        ("от 45 тыс", 45000),
        ("60к", 60000),
        ("1,5 тыс", 1500),
        ("не знаю", None),
    ],
)
def test_salary_words(text: str, amount: int | None) -> None:
    assert parse_salary(text) == amount


@pytest.mark.parametrize(
    ("typed", "named"),
    [
        ("водителем", "водитель"),
        ("Поваром", "Повар"),
        ("водителя категории C", "водитель категории C"),
        ("продавцом-консультантом", "продавец-консультант"),
        ("медсестрой в больницу", "медсестра в больницу"),
        ("водитель", "водитель"),
        ("хочу работать водителем", "хочу работать водителем"),  # not a noun first: as typed
        ("IT", "IT"),
    ],
)
def test_the_profession_is_read_back_in_the_nominative(typed: str, named: str) -> None:
    assert nominative(typed) == named
