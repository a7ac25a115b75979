"""Every template the code can ask for exists and renders; texts are safe Telegram HTML."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from dialogs.menu import GUEST_SECTIONS, SECTIONS
from dialogs.render import TEMPLATES_DIR, Renderer
from dialogs.types import Button, Reply

CODE_DIRS = [Path("dialogs"), Path("bot")]
KEY = re.compile(r'"((?:[a-z_]+)\.[a-z_]+)"')


def referenced_keys() -> set[str]:
    root = TEMPLATES_DIR.parent.parent
    keys: set[str] = set()
    for directory in CODE_DIRS:
        for path in (root / directory).rglob("*.py"):
            keys |= {
                key
                for key in KEY.findall(path.read_text())
                if (TEMPLATES_DIR / (key.replace(".", "/") + ".j2")).parent.is_dir()
            }
    keys |= {f"buttons.{section}" for section in (*SECTIONS, *GUEST_SECTIONS)}
    return keys


def test_every_referenced_template_exists() -> None:
    missing = [
        key
        for key in referenced_keys()
        if not (TEMPLATES_DIR / (key.replace(".", "/") + ".j2")).is_file()
    ]
    assert missing == []
    assert len(referenced_keys()) > 30


def test_citizen_text_is_escaped() -> None:
    renderer = Renderer()
    text = renderer.text("onboarding.done", {"name": "<b>Иван</b> & Co", "region": "Москва"})
    assert "&lt;b&gt;Иван&lt;/b&gt; &amp; Co" in text


def test_missing_variable_is_an_error_not_a_gap() -> None:
    with pytest.raises(UndefinedError):
        Renderer().text("onboarding.done", {"name": "Иван"})


def test_sandbox_blocks_python_internals(tmp_path: Path) -> None:
    (tmp_path / "evil.j2").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(Exception, match=r"unsafe|undefined"):
        Renderer(tmp_path).text("evil")


def test_buttons_are_rendered_and_payload_limit_enforced() -> None:
    reply = Renderer().reply(
        Reply("common.cancelled", buttons=((Button("buttons.menu", "nav:menu"),),))
    )
    assert reply.buttons[0][0].label == "☰ Главное меню"
    with pytest.raises(ValueError, match="64 bytes"):
        Button("buttons.menu", "ж" * 33)


@pytest.mark.parametrize("section", sorted(set(SECTIONS) - {"my_data"}))
def test_coming_soon_names_each_section(section: str) -> None:
    text = Renderer().text("menu.coming_soon", {"section": section})
    assert "ещё готовится" in text
    assert "«»" not in text
