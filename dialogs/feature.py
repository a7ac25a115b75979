"""What a feature adds to the conversation, declared as data: its menu sections and their
places, commands, intents, button prefixes, flows, notices and hooks. The engine routes
through a `Registry` of these and names no feature itself.

Handlers get the `Turn` and the engine's `Controls` (start a flow, open a section, the menu),
and return the replies to send.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from dialogs.flow import Flow, Turn
from dialogs.types import Reply


class Controls(Protocol):
    """What the engine lets a feature's handler do to the conversation."""

    def start_flow(
        self,
        turn: Turn,
        flow: str,
        values: Mapping[str, Any] | None = None,
        step: str | None = None,
    ) -> list[Reply]:
        """Start the named flow, at `step` with the answers already known in `values`."""

    def resume_or_start(self, turn: Turn, flow: str) -> list[Reply]:
        """Offer the citizen's unfinished draft of the flow, or start it."""

    def leave_flow(self, turn: Turn) -> None:
        """Leave the active flow (a flow that keeps drafts keeps what was entered)."""

    async def open_section(
        self, turn: Turn, section: str, understood: Mapping[str, Any] | None = None
    ) -> list[Reply]: ...

    def menu(self, turn: Turn) -> Reply: ...

    def expired(self, turn: Turn) -> list[Reply]:
        """The button's question is no longer open: say so and repeat what is."""

    def current(self, turn: Turn) -> list[Reply]:
        """The question of the active flow step again, or the menu when there is none."""


SectionOpener = Callable[[Turn, Controls, Mapping[str, Any]], Awaitable[list[Reply]]]
CommandHandler = Callable[[Turn, Controls], Awaitable[list[Reply]]]
ButtonHandler = Callable[[Turn, Controls, str], Awaitable[list[Reply]]]
TextShortcut = Callable[[Turn, Controls, str], Awaitable[list[Reply] | None]]
Notice = Callable[[Turn], Awaitable[Reply | None]]
# A feature's records on the citizen's status screen (their state and next term); None when it
# has nothing to show.
StatusPart = Callable[[Turn], Awaitable[Reply | None]]
Answer = Callable[[Turn], Reply]
Hook = Callable[[Turn], Awaitable[None]]
# Every input of a conversation in a feature's mode (a person holds it): the replies, or None
# when the conversation is back with the bot and the input should be handled as usual.
ModeHandler = Callable[[Turn, Controls], Awaitable[list[Reply] | None]]


@dataclass(frozen=True)
class Section:
    """A screen of the menu: `open` gets what the citizen's words already said (entities,
    a day and time) when an intent opened it."""

    name: str
    open: SectionOpener
    place: int | None = None  # order in the citizen's menu (two a row); None: not listed
    footer: bool = False  # in the citizen menu's last row instead (information, help)
    guest_place: int | None = None  # order in the menu of a citizen without consent
    # Opens without consent: general information needs no personal data (002 ¶14).
    guest: bool = False
    intents: tuple[str, ...] = ()  # recognised intents that open it
    # Intents whose text may name a day and time worth repeating back ("в пятницу в 10").
    dated_intents: frozenset[str] = frozenset()
    with_notices: bool = False  # the features' notices go above it (a term running out)
    gives_consent: bool = False  # where a guest is sent to give consent
    human: bool = False  # the way to a person, offered wherever the bot did not understand
    # Opening it leaves the active flow where it is (a person helps, then the citizen goes on
    # from the same step); other sections close the flow.
    keeps_flow: bool = False


@dataclass(frozen=True)
class Command:
    name: str  # without the slash
    run: CommandHandler
    order: int  # place in the list Telegram shows


@dataclass(frozen=True)
class Chat:
    """A feature's part of the conversation. Every name it declares must be unique across
    features; the registry refuses a clash at start-up."""

    sections: tuple[Section, ...] = ()
    commands: tuple[Command, ...] = ()
    # Button prefix -> handler of the whole payload; they need the citizen's consent.
    buttons: Mapping[str, ButtonHandler] = field(default_factory=dict)
    flows: tuple[Flow, ...] = ()
    # Intents answered in place, without personal data (contacts, documents).
    answers: Mapping[str, Answer] = field(default_factory=dict)
    # Free text recognised before the NLU (a case number); None: not ours.
    shortcuts: tuple[TextShortcut, ...] = ()
    # Text checked before anything else, inside a flow step and without consent too: words
    # that must never wait (acute distress). None: not such words.
    alerts: tuple[TextShortcut, ...] = ()
    notices: tuple[Notice, ...] = ()
    # What the feature shows on the status screen, above the screen owner's own list.
    status: tuple[StatusPart, ...] = ()
    # Erase what the feature keeps about the citizen, in the same unit of work.
    on_consent_withdrawn: tuple[Hook, ...] = ()
    # Conversation modes the feature owns ("queued", "operator"), by name: while a
    # conversation is in one, every input goes to its handler and nothing else runs (no NLU,
    # no flow); the flow and step stay as they were, for when the bot gets it back.
    modes: Mapping[str, ModeHandler] = field(default_factory=dict)
