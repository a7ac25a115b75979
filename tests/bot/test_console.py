"""The console chat: same engine and database, buttons as numbered choices."""

from __future__ import annotations

import io
import re

import pytest

from app.build import Application, dialog_config
from app.build import renderer as build_renderer
from bot.console import chat, plain_text
from bot.parts import Parts
from features.vacancies.importer import import_feed
from kernel.settings import load_settings
from nlu.local_matcher import LocalMatcher
from nlu.recognizer import Recognizer
from storage.database import create_engine, create_session_factory
from storage.migrate import upgrade
from tests.features.vacancies.test_vacancy_import import SAMPLE
from tests.support import wiring


def test_plain_text_strips_tags_and_entities() -> None:
    assert plain_text("<b>Жалоба</b> &amp; &lt;ответ&gt;") == "Жалоба & <ответ>"


def console_parts(db_url: str) -> Parts:
    engine = create_engine(db_url)
    sessions = create_session_factory(engine)
    settings = load_settings()
    return Parts(
        engine=wiring.engine(dialog_config(settings)),
        renderer=build_renderer(strict=True),
        db=engine,
        sessions=sessions,
        recognizer=Recognizer(None, LocalMatcher.from_file()),
        services=Application(settings, sessions).services,
    )


async def test_consent_to_menu_in_the_console(db_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("BOT__TOKEN", raising=False)
    parts = console_parts(db_url)
    engine = parts.db
    # /start is sent automatically; [1] accepts consent, then the region by name, then my data.
    typed = io.StringIO("1\nМосква\n9\n")
    out = io.StringIO()
    await chat(parts, stdin=typed, out=out)
    await engine.dispose()
    screen = out.getvalue()
    assert "Согласие на обработку персональных данных" in screen
    assert "[1] ✅ Согласен" in screen
    assert "Ваш регион: Москва." in screen
    assert "[9] 🔒 Мои данные" in screen
    assert "Мои данные\n\nЧто я храню о вас:" in screen
    assert "<b>" not in screen


async def test_a_newcomer_files_a_complaint_in_the_console(db_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("BOT__TOKEN", raising=False)
    parts = console_parts(db_url)
    answers = [
        "1",  # consent
        "Москва",
        "/complaint",
        "4",  # Отказали в приёме документов
        "1",  # Центр занятости или его работник
        "1",  # Не знаю
        "Не приняли заявление о содействии в поиске работы",
        "1",  # Сегодня
        "Все документы были, отказ ничем не объяснили.",
        "1",  # Без файлов
        "Петрова",
        "Анна",
        "1",  # Нет отчества
        "г. Москва, ул. Тверская, д. 1, кв. 1",
        "89001234567",
        "1",  # Нет e-mail
        "1",  # Совпадает с местом жительства
        "1",  # Ответ в Telegram
        "1",  # Отправить
    ]
    out = io.StringIO()
    await chat(parts, stdin=io.StringIO("\n".join(answers) + "\n"), out=out)
    await parts.db.dispose()
    screen = out.getvalue()
    assert "Жалобу рассмотрит: директор центра занятости." in screen
    assert "Проверьте жалобу" in screen
    assert "Телефон: +79001234567" in screen
    assert "Жалоба зарегистрирована" in screen
    assert re.search(r"Номер: Ж-\d{4}-000001\n", screen)
    assert "(5 рабочих дней)" in screen


async def test_a_newcomer_finds_drivers_in_the_console(db_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("BOT__TOKEN", raising=False)
    parts = console_parts(db_url)
    await upgrade(db_url)
    await import_feed(parts.sessions, SAMPLE)
    answers = ["1", "Самарская область", "/vacancies", "водитель", "Самара", "не важно"]
    out = io.StringIO()
    await chat(parts, stdin=io.StringIO("\n".join(answers) + "\n"), out=out)
    await parts.db.dispose()
    screen = out.getvalue()
    assert "Вакансии по запросу «водитель»" in screen
    assert "1. Водитель" in screen
    assert "💡 4 км от дома" in screen  # the explanation under each card
    assert "[1] 📨 1 — хочу направление" in screen
    assert "<b>" not in screen


async def test_a_citizen_of_tver_region_picks_it_from_the_shipped_config(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Regulation 002 is Tver's: its region is one line of config.yml, no code.
    monkeypatch.delenv("BOT__TOKEN", raising=False)
    assert load_settings().regions["69"].name == "Тверская область"
    parts = console_parts(db_url)
    out = io.StringIO()
    await chat(parts, stdin=io.StringIO("1\nТверская область\n"), out=out)
    await parts.db.dispose()
    assert "Ваш регион: Тверская область." in out.getvalue()
