"""Every template the code can ask for exists and renders; texts are safe Telegram HTML."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from app.build import renderer as build_renderer
from app.features import FEATURES
from dialogs.render import TEMPLATES_DIR, ContextMismatchError, Renderer
from dialogs.types import Button, Reply
from kernel.regions import Region
from tests.support.wiring import GUEST_SECTIONS, REGISTRY, SECTIONS

ROOT = TEMPLATES_DIR.parent.parent
CODE_DIRS = [ROOT / "dialogs", ROOT / "bot", ROOT / "features", ROOT / "app", ROOT / "admin"]
KEY = re.compile(r'"((?:[a-z_]+)\.[a-z_]+)"')


def template_folders() -> set[str]:
    """The first part of every template key: a folder of some templates directory."""
    roots = [TEMPLATES_DIR, *(f.templates for f in FEATURES if f.templates is not None)]
    return {child.name for root in roots for child in root.iterdir() if child.is_dir()}


def referenced_keys() -> set[str]:
    """Every template key the code of any package names in a string."""
    folders = template_folders()
    keys: set[str] = set()
    for directory in CODE_DIRS:
        for path in directory.rglob("*.py"):
            found = KEY.findall(path.read_text(encoding="utf-8"))
            # "complaint.html" is a page of the web desk, not a template key of the bot.
            keys |= {
                key for key in found if key.split(".")[0] in folders and not key.endswith(".html")
            }
    keys |= {f"buttons.{section}" for section in (*SECTIONS, *GUEST_SECTIONS)}
    keys |= {f"commands.{name}" for name in ("start", "menu", "vacancies", "complaint")}
    return keys


def test_every_referenced_template_exists() -> None:
    rendering = build_renderer(strict=True)
    missing = sorted(key for key in referenced_keys() if not rendering.has(key))
    assert missing == []
    assert len(referenced_keys()) > 100


def test_citizen_text_is_escaped() -> None:
    renderer = build_renderer(strict=True)
    text = renderer.text("onboarding.done", {"name": "<b>Иван</b> & Co", "region": "Москва"})
    assert "&lt;b&gt;Иван&lt;/b&gt; &amp; Co" in text


def test_missing_variable_is_an_error_not_a_gap() -> None:
    with pytest.raises(UndefinedError):
        build_renderer().text("onboarding.done", {"name": "Иван"})


def test_strict_rendering_refuses_other_variables_than_declared() -> None:
    with pytest.raises(ContextMismatchError, match="missing \\['region'\\]"):
        build_renderer(strict=True).text("onboarding.done", {"name": "Иван"})
    with pytest.raises(ContextMismatchError, match="not declared \\['extra'\\]"):
        build_renderer(strict=True).text("menu.main", {"has_consent": True, "extra": 1})


def test_a_button_label_is_plain_text() -> None:
    """Telegram shows a button's text as is: an escaped ampersand must be one again."""
    reply = build_renderer(strict=True).reply(
        Reply(
            "menu.main",
            {"has_consent": True},
            ((Button("buttons.region", "r", {"name": "Рога & копыта"}),),),
        )
    )
    assert reply.buttons[0][0].label.endswith("Рога & копыта")


def test_sandbox_blocks_python_internals(tmp_path: Path) -> None:
    (tmp_path / "evil.j2").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(Exception, match=r"unsafe|undefined"):
        Renderer(tmp_path).text("evil")


def test_buttons_are_rendered_and_payload_limit_enforced() -> None:
    reply = build_renderer(strict=True).reply(
        Reply("common.cancelled", buttons=((Button("buttons.menu", "nav:menu"),),))
    )
    assert reply.buttons[0][0].label == "☰ Главное меню"
    with pytest.raises(ValueError, match="64 bytes"):
        Button("buttons.menu", "ж" * 33)


def test_a_reply_that_joins_the_next_is_said_in_one_message_with_it() -> None:
    renderer = build_renderer(strict=True)
    menu = ((Button("buttons.menu", "nav:menu"),),)
    greeting, cancelled = renderer.text("start.greeting"), renderer.text("common.cancelled")
    joined = renderer.replies(
        [Reply("start.greeting", joins_next=True), Reply("common.cancelled", buttons=menu)]
    )
    assert [m.text for m in joined] == [f"{greeting}\n\n{cancelled}"]
    assert joined[0].buttons[0][0].label == "☰ Главное меню"
    # One with buttons of its own, or with nothing after it, stays a message of its own.
    apart = renderer.replies(
        [Reply("common.cancelled", buttons=menu, joins_next=True), Reply("start.greeting")]
    )
    assert [m.text for m in apart] == [cancelled, greeting]
    last = renderer.replies([Reply("start.greeting", joins_next=True)])
    assert [m.text for m in last] == [greeting]


@pytest.mark.parametrize("intent", sorted(REGISTRY.offerable))
def test_every_offerable_intent_has_a_title(intent: str) -> None:
    label = build_renderer(strict=True).text("buttons.intent", {"intent": intent})
    assert label
    assert label != "Главное меню"
    assert (
        build_renderer(strict=True).text("nlu.confirm", {"intent": intent}).endswith(f"«{label}»?")
    )


def test_contacts_show_the_regions_phone_when_configured() -> None:
    renderer = build_renderer(strict=True)
    context = {"hours_start": time(9), "hours_end": time(18)}
    bare = renderer.text("info.contacts", {**context, "region": None})
    assert "с 09:00 до 18:00" in bare
    assert "Телефон" not in bare
    region = Region("Самарская область", "Europe/Samara", phone="+7 846 000-00-00")
    full = renderer.text("info.contacts", {**context, "region": region})
    assert "Самарская область" in full
    assert "Телефон: +7 846 000-00-00" in full
    assert "Адрес:" not in full


def test_a_label_without_variables_follows_publication(tmp_path: Path) -> None:
    """Such a label is rendered once; a publication replaces it, and one whose published text
    fails falls back to the file's text and raises the alarm at every use."""
    (tmp_path / "buttons").mkdir()
    (tmp_path / "buttons" / "yes.j2").write_text("Да &amp; верно", encoding="utf-8")
    alarms: list[str] = []
    renderer = Renderer(tmp_path, on_fallback=lambda key, _exc: alarms.append(key))

    assert renderer.button("buttons.yes") == "Да & верно"
    assert renderer.button("buttons.yes") == "Да & верно"
    renderer.publish({"buttons.yes": "Согласен"})
    assert renderer.button("buttons.yes") == "Согласен"
    renderer.publish({"buttons.yes": "{{ 1 / 0 }}"})
    assert [renderer.button("buttons.yes") for _ in range(2)] == ["Да & верно"] * 2
    assert alarms == ["buttons.yes", "buttons.yes"]
    renderer.publish({})
    assert renderer.button("buttons.yes") == "Да & верно"
