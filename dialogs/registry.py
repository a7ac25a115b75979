"""The features' declarations merged into one lookup, checked for clashes at start-up."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from dialogs.feature import (
    Answer,
    ButtonHandler,
    Chat,
    Command,
    Hook,
    ModeHandler,
    Notice,
    Section,
    StatusPart,
    TextShortcut,
)
from dialogs.flow import Flow
from dialogs.menu import section_button
from dialogs.types import Keyboard

MENU_COLUMNS = 2
BOT_MODE = "bot"  # the conversation is the bot's: commands, buttons, flows, free text
T = TypeVar("T")


class Registry:
    def __init__(self, chats: Iterable[Chat], reserved_prefixes: Iterable[str] = ()) -> None:
        self.sections: dict[str, Section] = {}
        self.commands: dict[str, Command] = {}
        self.buttons: dict[str, ButtonHandler] = {}
        self.flows: dict[str, Flow] = {}
        self.answers: dict[str, Answer] = {}
        self.section_of_intent: dict[str, Section] = {}
        self.shortcuts: list[TextShortcut] = []
        self.alerts: list[TextShortcut] = []
        self.notices: list[Notice] = []
        self.status_parts: list[StatusPart] = []
        self.consent_hooks: list[Hook] = []
        self.modes: dict[str, ModeHandler] = {}
        reserved = set(reserved_prefixes)
        for chat in chats:
            for section in chat.sections:
                _add(self.sections, section.name, section, "section")
                for intent in section.intents:
                    _add(self.section_of_intent, intent, section, "intent")
            for command in chat.commands:
                _add(self.commands, command.name, command, "command")
            for prefix, handler in chat.buttons.items():
                if prefix in reserved:
                    raise ValueError(f"button prefix {prefix!r} is the engine's own")
                _add(self.buttons, prefix, handler, "button prefix")
            for flow in chat.flows:
                _add(self.flows, flow.name, flow, "flow")
            for intent, answer in chat.answers.items():
                _add(self.answers, intent, answer, "intent")
            self.shortcuts.extend(chat.shortcuts)
            self.alerts.extend(chat.alerts)
            self.notices.extend(chat.notices)
            self.status_parts.extend(chat.status)
            self.consent_hooks.extend(chat.on_consent_withdrawn)
            for mode, mode_handler in chat.modes.items():
                if mode == BOT_MODE:
                    raise ValueError(f"mode {mode!r} is the engine's own")
                _add(self.modes, mode, mode_handler, "conversation mode")
        for intent in self.section_of_intent:
            if intent in self.answers:
                raise ValueError(f"intent {intent!r} both opens a section and is answered")
        self.commands = dict(sorted(self.commands.items(), key=lambda item: item[1].order))

    @property
    def consent_section(self) -> str | None:
        """Where a citizen gives consent (the section a guest is sent to)."""
        return next((s.name for s in self.sections.values() if s.gives_consent), None)

    @property
    def human_section(self) -> str | None:
        """The way to a person, offered wherever the bot did not understand."""
        return next((s.name for s in self.sections.values() if s.human), None)

    @property
    def offerable(self) -> frozenset[str]:
        """Intents worth offering as a button ("did you mean ...?")."""
        return frozenset(self.section_of_intent) | frozenset(self.answers) | {"help"}

    def menu_keyboard(self, has_consent: bool) -> Keyboard:
        if not has_consent:
            guest = _ordered(self.sections.values(), guest=True)
            return tuple((section_button(section.name),) for section in guest)
        grid = [section_button(s.name) for s in _ordered(self.sections.values()) if not s.footer]
        rows = tuple(tuple(grid[i : i + MENU_COLUMNS]) for i in range(0, len(grid), MENU_COLUMNS))
        footer = tuple(
            section_button(s.name) for s in _ordered(self.sections.values()) if s.footer
        )
        return (*rows, footer) if footer else rows


def _ordered(sections: Iterable[Section], *, guest: bool = False) -> list[Section]:
    if guest:
        listed = [s for s in sections if s.guest_place is not None]
        return sorted(listed, key=lambda s: s.guest_place or 0)
    return sorted((s for s in sections if s.place is not None), key=lambda s: s.place or 0)


def _add(table: dict[str, T], name: str, value: T, what: str) -> None:
    if name in table:
        raise ValueError(f"{what} {name!r} is declared twice")
    table[name] = value
