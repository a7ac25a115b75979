"""One renderer for every text a citizen sees: Jinja2 templates of the features
(`features/<x>/templates/`) and of the framework (`dialogs/templates/`).

A key `consent.ask` is the file `consent/ask.j2` in the first folder that has it. In front of
the files stand the administrators' published revisions (`publish`), replaced as a whole when
a publication changes (bot/template_refresh.py). A published text that fails anyway (a case
its samples missed) does not leave the citizen without an answer: the file's text is sent
instead and `on_fallback` raises the alarm.

The environment is a hardened sandbox (dialogs/sandbox.py); StrictUndefined turns a missing
variable into an error instead of an empty gap in a message to a citizen. With `strict`, a
key rendered with other variables than its declaration (dialogs/contexts.py) is an error: the
tests run so, and keep the declarations true.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, ChoiceLoader, DictLoader, FileSystemLoader

from dialogs.contexts import Declaration, load_declarations
from dialogs.sandbox import environment, format_date, format_datetime, format_rubles
from dialogs.template_check import key_of, template_path
from dialogs.types import RenderedButton, RenderedReply, Reply

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).with_name("templates")
__all__ = [
    "ContextMismatchError",
    "Renderer",
    "TemplateFiles",
    "format_date",
    "format_datetime",
    "format_rubles",
    "template_files",
    "template_loader",
    "template_path",
]


class ContextMismatchError(ValueError):
    """Code rendered a key with other variables than the key declares."""


def template_loader(folders: Iterable[Path]) -> BaseLoader:
    """Features' folders first, the framework's last."""
    return ChoiceLoader([FileSystemLoader(folder) for folder in (*folders, TEMPLATES_DIR)])


@dataclass(frozen=True)
class TemplateFiles:
    """The shipped texts: the files of each feature (by name) and of the framework, and what
    each key receives."""

    folders: Mapping[str, Path]  # feature name -> its templates folder; "common" for dialogs/
    declarations: Mapping[str, Declaration] = field(default_factory=dict)

    @property
    def loader(self) -> BaseLoader:
        return ChoiceLoader([FileSystemLoader(folder) for folder in self.folders.values()])

    def every_key(self) -> list[str]:
        return sorted(key_of(p) for p in self.loader.list_templates() if p.endswith(".j2"))

    def source(self, key: str) -> str | None:
        for folder in self.folders.values():
            path = folder / template_path(key)
            if path.is_file():
                return path.read_text("utf-8")
        return None

    def group(self, key: str) -> str:
        """The feature whose folder has the key (the first, as the loader picks)."""
        for name, folder in self.folders.items():
            if (folder / template_path(key)).is_file():
                return name
        return "common"


def template_files(folders: Mapping[str, Path]) -> TemplateFiles:
    every = {**folders, "common": TEMPLATES_DIR}
    return TemplateFiles(every, load_declarations(every.values()))


class Renderer:
    def __init__(
        self,
        loader: BaseLoader | Path | TemplateFiles | None = None,
        *,
        strict: bool = False,
        on_fallback: Callable[[str, Exception], None] | None = None,
    ) -> None:
        self.declarations: Mapping[str, Declaration] = {}
        if loader is None:
            loader = template_loader(())
        elif isinstance(loader, Path):
            loader = FileSystemLoader(loader)
        elif isinstance(loader, TemplateFiles):
            self.declarations = loader.declarations
            loader = loader.loader
        self.loader = loader
        self.strict = strict
        self.on_fallback = on_fallback
        self.published: dict[str, str] = {}
        self._files_env = environment(loader)
        self._published_loader = DictLoader({})
        self._env = environment(ChoiceLoader([self._published_loader, loader]))
        self._labels: dict[str, str] = {}  # key -> label, for labels without variables

    def publish(self, texts: Mapping[str, str]) -> None:
        """Administrators' published texts by key, in front of the files from now on."""
        self.published = dict(texts)
        self._published_loader.mapping = {template_path(k): v for k, v in texts.items()}
        self._labels.clear()
        if self._env.cache is not None:  # a cached file template may now be overridden
            self._env.cache.clear()

    def has(self, key: str) -> bool:
        return template_path(key) in self.loader.list_templates()

    def text(self, key: str, context: Mapping[str, Any] | None = None) -> str:
        return self._render(key, context or {})[0]

    def _render(self, key: str, context: Mapping[str, Any]) -> tuple[str, bool]:
        """The text, and False when it is the file's because the published one failed."""
        if self.strict:
            self._check_context(key, context)
        path = template_path(key)
        try:
            return self._env.get_template(path).render(**context).strip(), True
        except Exception as exc:
            if not self.published:
                raise
            try:  # a published text (or a partial it imports) failed: the file's text then
                shown = self._files_env.get_template(path).render(**context).strip()
            except Exception:
                raise exc from None
            log.error("published template %s failed; sent the file's text", key, exc_info=exc)
            if self.on_fallback is not None:
                self.on_fallback(key, exc)
            return shown, False

    def _check_context(self, key: str, context: Mapping[str, Any]) -> None:
        mismatch = self.declarations.get(key, Declaration(key)).mismatch(set(context))
        if mismatch is not None:
            raise ContextMismatchError(mismatch)

    def button(self, key: str, context: Mapping[str, Any] | None = None) -> str:
        """A button's label: plain text (Telegram shows no markup there), so what autoescape
        made an entity is a character again. A label without variables is the same every
        time until texts are published: it is rendered once (a turn shows a dozen labels).
        One whose published text failed is not kept, so each use raises the alarm."""
        if context:
            return html.unescape(self.text(key, context))
        label = self._labels.get(key)
        if label is None:
            text, as_published = self._render(key, {})
            label = html.unescape(text)
            if as_published:
                self._labels[key] = label
        return label

    def replies(self, replies: Sequence[Reply]) -> list[RenderedReply]:
        """A turn's replies as the messages to send: a reply that joins the next one (and has
        no buttons of its own) is said at the head of it."""
        messages: list[RenderedReply] = []
        lead: list[str] = []
        for index, reply in enumerate(replies):
            message = self.reply(reply)
            if reply.joins_next and not message.buttons and index + 1 < len(replies):
                lead.append(message.text)
                continue
            if lead:
                message = RenderedReply("\n\n".join((*lead, message.text)), message.buttons)
                lead = []
            messages.append(message)
        return messages

    def reply(self, reply: Reply) -> RenderedReply:
        rows = tuple(
            tuple(
                RenderedButton(self.button(button.label, button.context), button.payload)
                for button in row
            )
            for row in reply.buttons
        )
        return RenderedReply(self.text(reply.template, reply.context), rows)
