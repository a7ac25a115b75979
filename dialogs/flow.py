"""Declarative flows: a flow is a sequence of steps; each step has a prompt template, a parser
that turns the citizen's input into a value (or raises InvalidInput with its own template) and
a rule for the next step. The engine stores the position and the values in the conversation, so
a flow survives restarts and can be walked back without losing what was entered."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from dialogs.ports import DialogStore
from dialogs.types import Button, Incoming, Keyboard, Reply
from kernel.regions import Region

if TYPE_CHECKING:
    from dialogs.registry import Registry
from storage.models import Citizen, Consent, Conversation


@dataclass(frozen=True)
class DialogConfig:
    consent_version: str
    regions: Mapping[str, Region]  # by region code, in menu order
    default_region: str
    working_hours: tuple[time, time] = (time(9), time(18))
    # Rasa confidence to act on an intent at once, and to ask "did you mean ...?" below that.
    accept_confidence: float = 0.7
    confirm_confidence: float = 0.4
    vacancy_page_size: int = 5

    @property
    def default_timezone(self) -> str:
        return self.regions[self.default_region].timezone


class StayOnStep(Exception):  # noqa: N818 - an outcome: the step took the input, wants more
    """The step took the input (a file added to a list) and stays open for more; the citizen
    sees `template` with the step's buttons instead of the next question."""

    def __init__(self, template: str, **context: Any) -> None:
        super().__init__(template)
        self.template = template
        self.context = context


class InvalidInput(Exception):  # noqa: N818 - it is an outcome, not a failure of ours
    """The input does not fit the step; the citizen is told why and asked again."""

    def __init__(self, template: str | None = None, **context: Any) -> None:
        super().__init__(template)
        self.template = template
        self.context = context


@dataclass
class Turn:
    """Everything one handling of one input may look at or change."""

    incoming: Incoming
    citizen: Citizen
    conversation: Conversation
    consent: Consent | None
    store: DialogStore
    config: DialogConfig
    now: datetime
    values: dict[str, Any] = field(default_factory=dict)  # answers of the active flow
    history: list[str] = field(default_factory=list)  # steps passed, for "back"
    registry: Registry | None = None  # the features of this installation
    # "Did you mean ...?": the intent proposed on the previous turn (a typed "да" takes it),
    # and the one proposed on this turn, kept for the next one only.
    pending_intent: str | None = None
    proposed_intent: str | None = None
    # The intent the citizen's words were taken as, when it opened a section: a section
    # several intents open tells them apart by it.
    intent: str | None = None
    # Free text the bot had to read: True when it knew what was asked, False when it could
    # only suggest or say it did not understand; None for buttons, commands and flow steps.
    understood: bool | None = None
    # Unfinished flows the citizen left for something else, by flow name: {step, values,
    # history}. Kept in the conversation, so they survive restarts too.
    drafts: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The domain services the features declared, by name, each on this turn's session.
    services: Mapping[str, object] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        """The citizen's region time zone."""
        region = self.config.regions.get(self.citizen.region_code or "")
        return ZoneInfo(region.timezone if region else self.config.default_timezone)

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    @property
    def has_consent(self) -> bool:
        return self.consent is not None

    def menu_keyboard(self, has_consent: bool | None = None) -> Keyboard:
        """The main menu's buttons, for the citizen as they are now unless told otherwise."""
        if self.registry is None:
            return ()
        return self.registry.menu_keyboard(
            self.has_consent if has_consent is None else has_consent
        )

    def audit(self, action: str, **details: Any) -> Awaitable[None]:
        return self.store.audit(
            f"citizen:{self.citizen.id}", action, f"citizen:{self.citizen.id}", details
        )


Parser = Callable[[Turn], Any]
Effect = Callable[[Turn, Any], Awaitable[None]]
NextStep = Callable[[Turn], str | None]
KeyboardFactory = Callable[[Turn], Keyboard]
ContextFactory = Callable[[Turn], Mapping[str, Any]]
Finish = Callable[[Turn], Awaitable[list[Reply]]]


def _no_buttons(_turn: Turn) -> Keyboard:
    return ()


def _no_context(_turn: Turn) -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True)
class Step:
    name: str
    prompt: str  # template key
    parse: Parser
    error: str  # template key shown when parse raises InvalidInput without its own
    next: NextStep = lambda _turn: None
    keyboard: KeyboardFactory = _no_buttons
    prompt_context: ContextFactory = _no_context
    effect: Effect | None = None  # runs once the value is accepted (e.g. record consent)
    # A step that takes free text (a name, a description) never sends it to the NLU; on a
    # button step, text the parser rejects may still be a request ("позовите оператора").
    free_input: bool = False


@dataclass(frozen=True)
class Flow:
    name: str
    steps: tuple[Step, ...]
    finish: Finish
    # Leaving the flow for another section keeps what was entered as a draft to resume;
    # only "cancel" throws it away.
    keeps_draft: bool = False

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(f"flow {self.name!r} has no step {name!r}")

    @property
    def first(self) -> Step:
        return self.steps[0]


def step_button(label: str, flow: str, step: str, value: str, **context: Any) -> Button:
    """A button answering a step; its payload is `flow:step:value`."""
    return Button(label, f"{flow}:{step}:{value}", context)


def choice(turn: Turn, flow: str, step: str) -> str | None:
    """The value of a pressed button of this step, if one was pressed."""
    payload = turn.incoming.payload
    prefix = f"{flow}:{step}:"
    if payload and payload.startswith(prefix):
        return payload[len(prefix) :]
    return None


def normalized_text(turn: Turn) -> str:
    return " ".join((turn.incoming.text or "").lower().replace("ё", "е").split())


def picked(turn: Turn, flow: str, step: str, ids: tuple[str, ...]) -> str | None:
    """The item of a closed list the citizen chose: its button pressed, or its number typed
    (1, 2, 3 as the buttons are shown); None for anything else."""
    pressed = choice(turn, flow, step)
    if pressed in ids:
        return pressed
    typed = normalized_text(turn).strip(".")
    if typed.isdigit() and 1 <= int(typed) <= len(ids):
        return ids[int(typed) - 1]
    return None


YES, NO = "yes", "no"


@dataclass(frozen=True)
class YesNo:
    """A two-button question that also understands the answer typed in words."""

    flow: str
    step: str
    yes_label: str
    no_label: str
    yes_words: frozenset[str]
    no_words: frozenset[str]

    def keyboard(self, _turn: Turn) -> Keyboard:
        return (
            (step_button(self.yes_label, self.flow, self.step, YES),),
            (step_button(self.no_label, self.flow, self.step, NO),),
        )

    def parse(self, turn: Turn) -> str:
        pressed = choice(turn, self.flow, self.step)
        if pressed in (YES, NO):
            return pressed
        text = normalized_text(turn).strip(".!")
        if text in self.yes_words:
            return YES
        if text in self.no_words:
            return NO
        raise InvalidInput()
