"""One renderer for every text a citizen sees: Jinja2 templates of the features
(`features/<x>/templates/`) and of the framework (`dialogs/templates/`).

A key `consent.ask` is the file `consent/ask.j2` in the first folder that has it. The loader is
a chain, so administrators' published revisions can later be put in front of the files. The
sandbox keeps administrator-edited templates (a later issue) from reaching Python internals;
StrictUndefined turns a missing variable into an error instead of an empty gap in a message to
a citizen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from dialogs.types import RenderedButton, RenderedReply, Reply

TEMPLATES_DIR = Path(__file__).with_name("templates")


def format_datetime(value: datetime) -> str:
    """Russian style, in whatever zone the engine already converted the value to."""
    return value.strftime("%d.%m.%Y %H:%M")


def format_date(value: date | str) -> str:
    """A date, or its ISO form (reminder contexts are JSON and keep dates as strings)."""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return value.strftime("%d.%m.%Y")


def format_rubles(value: int | float) -> str:
    """60000 -> "60 000" (a no-break space between thousands, as Russian writes money)."""
    return f"{int(value):,}".replace(",", "\u00a0")


def template_path(key: str) -> str:
    return key.replace(".", "/") + ".j2"


def template_loader(folders: Iterable[Path]) -> BaseLoader:
    """Features' folders first, the framework's last."""
    return ChoiceLoader([FileSystemLoader(folder) for folder in (*folders, TEMPLATES_DIR)])


class Renderer:
    def __init__(self, loader: BaseLoader | Path | None = None) -> None:
        if loader is None:
            loader = template_loader(())
        elif isinstance(loader, Path):
            loader = FileSystemLoader(loader)
        self.loader = loader
        self._env = SandboxedEnvironment(
            loader=loader,
            autoescape=True,  # Telegram HTML: citizen-typed text must not become markup
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters["datetime"] = format_datetime
        self._env.filters["date"] = format_date
        self._env.filters["rub"] = format_rubles

    def has(self, key: str) -> bool:
        return template_path(key) in self.loader.list_templates()

    def text(self, key: str, context: Mapping[str, Any] | None = None) -> str:
        template = self._env.get_template(template_path(key))
        return template.render(**(context or {})).strip()

    def reply(self, reply: Reply) -> RenderedReply:
        rows = tuple(
            tuple(
                RenderedButton(self.text(button.label, button.context), button.payload)
                for button in row
            )
            for row in reply.buttons
        )
        return RenderedReply(self.text(reply.template, reply.context), rows)
