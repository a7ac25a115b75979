"""The console chat: same engine and database, buttons as numbered choices."""

from __future__ import annotations

import io

from bot.console import chat, plain_text
from bot.settings import load_settings
from bot.wiring import Parts, dialog_config
from dialogs.engine import Engine
from dialogs.render import Renderer
from nlu.local_matcher import LocalMatcher
from nlu.recognizer import Recognizer
from reminders.planning import QuietHours
from reminders.regions import Regions
from storage.database import create_engine, create_session_factory


def test_plain_text_strips_tags_and_entities() -> None:
    assert plain_text("<b>Жалоба</b> &amp; &lt;ответ&gt;") == "Жалоба & <ответ>"


async def test_consent_to_menu_in_the_console(db_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("BOT__TOKEN", raising=False)
    engine = create_engine(db_url)
    parts = Parts(
        engine=Engine(dialog_config(load_settings())),
        renderer=Renderer(),
        db=engine,
        sessions=create_session_factory(engine),
        recognizer=Recognizer(None, LocalMatcher.from_file()),
        regions=Regions.of({"63": "Europe/Samara"}, "63"),
        quiet_hours=QuietHours(),
        reminders=None,
    )
    # /start is sent automatically; [1] accepts consent, then the region by name, then my data.
    typed = io.StringIO("1\nМосква\n8\n")
    out = io.StringIO()
    await chat(parts, stdin=typed, out=out)
    await engine.dispose()
    screen = out.getvalue()
    assert "Согласие на обработку персональных данных" in screen
    assert "[1] ✅ Согласен" in screen
    assert "Ваш регион: Москва." in screen
    assert "[8] 🔒 Мои данные" in screen
    assert "Мои данные\n\nЧто я храню о вас:" in screen
    assert "<b>" not in screen
