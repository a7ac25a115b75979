"""The conversation engine: one Incoming in, the Replies to send out.

It routes through the features' registry: a command, then a button prefix, then the active
flow's step, then free text (a feature's shortcut such as a case number, else the NLU's
intent). It runs inside the caller's unit of work: the caller commits, then renders and sends
the replies, so a citizen is never told about something that was rolled back.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from dialogs.feature import Chat, Command, Section
from dialogs.flow import DialogConfig, Flow, InvalidInput, StayOnStep, Step, Turn, normalized_text
from dialogs.intents import NO_WORDS, SMALL_TALK, YES_WORDS
from dialogs.menu import section_button, to_menu_row
from dialogs.payloads import DraftPress, IntentPress, MenuPress, NavPress, prefix_of
from dialogs.ports import DialogStore, IntentRecognizer
from dialogs.registry import Registry
from dialogs.types import Button, Incoming, Keyboard, Reply
from kernel.clock import utc_now
from nlu.dates import parse_when
from nlu.results import Understanding

log = logging.getLogger(__name__)

# Longer input is cut before it reaches a parser; no step expects more (Telegram's own
# message limit is 4096 characters).
MAX_INPUT_CHARS = 4096
ENTITY_NAMES = ("profession", "city", "salary", "case_number")
ENGINE_PREFIXES = (NavPress.prefix, MenuPress.prefix, IntentPress.prefix, DraftPress.prefix)


async def _help(turn: Turn, _controls: Any, _understood: Mapping[str, Any]) -> list[Reply]:
    return [Reply("common.help", buttons=turn.menu_keyboard())]


# The engine's own parts of the conversation: help, the menu, cancel.
HELP = Section("help", _help, place=2, footer=True, guest_place=99, guest=True)


class Engine:
    def __init__(
        self,
        config: DialogConfig,
        chats: Iterable[Chat],
        clock: Callable[[], datetime] = utc_now,
        recognizer: IntentRecognizer | None = None,
    ) -> None:
        self._config = config
        own = Chat(
            sections=(HELP,),
            commands=(
                Command("menu", self._menu_command, order=10),
                Command("help", self._help_command, order=90),
                Command("cancel", self._cancel_command, order=100),
            ),
        )
        self.registry = Registry((own, *chats), reserved_prefixes=ENGINE_PREFIXES)
        self._clock = clock
        self._recognizer = recognizer

    @property
    def commands(self) -> tuple[str, ...]:
        """The commands, in the order Telegram shows them."""
        return tuple(self.registry.commands)

    async def handle(
        self,
        store: DialogStore,
        incoming: Incoming,
        services: Mapping[str, object] | None = None,
    ) -> list[Reply]:
        incoming = _sanitized(incoming)
        citizen = await store.citizen(incoming.channel, incoming.external_id, incoming.chat_id)
        conversation = await store.conversation(citizen)
        saved = copy.deepcopy(conversation.slots or {})
        turn = Turn(
            incoming=incoming,
            citizen=citizen,
            conversation=conversation,
            consent=await store.active_consent(citizen),
            store=store,
            config=self._config,
            now=self._clock(),
            registry=self.registry,
            values=dict(saved.get("values", {})),
            history=list(saved.get("history", [])),
            pending_intent=saved.get("offer"),
            drafts=dict(saved.get("drafts", {})),
            services=services or {},
        )
        replies = await self._dispatch(turn)
        new_slots: dict[str, Any] = {}
        if conversation.flow:
            new_slots = {"values": turn.values, "history": turn.history}
        elif turn.proposed_intent:
            new_slots = {"offer": turn.proposed_intent}
        if turn.drafts:
            new_slots["drafts"] = turn.drafts
        if new_slots != saved:
            conversation.slots = new_slots
        return replies

    async def consent_withdrawn(self, turn: Turn) -> None:
        """Every feature erases what it keeps about the citizen."""
        for hook in self.registry.consent_hooks:
            await hook(turn)

    # --- routing: command, button prefix, active flow, free text ---------------------------

    async def _dispatch(self, turn: Turn) -> list[Reply]:
        incoming = turn.incoming
        text = (incoming.text or "").strip()
        if text.startswith("/"):
            name = text[1:].split(maxsplit=1)[0].split("@")[0].lower() if text[1:] else ""
            command = self.registry.commands.get(name)
            if command is None:
                return [Reply("common.unknown_command", buttons=turn.menu_keyboard())]
            return await command.run(turn, self)
        if incoming.payload:
            return await self._button(turn, incoming.payload)
        if self._active_flow(turn) is not None:
            return await self._answer_step(turn)
        if not text:
            return [Reply("common.unsupported", buttons=turn.menu_keyboard())]
        if turn.has_consent:
            for shortcut in self.registry.shortcuts:
                replies = await shortcut(turn, self, text)
                if replies is not None:
                    return replies
        return await self._free_text(turn, text)

    async def _button(self, turn: Turn, payload: str) -> list[Reply]:
        if (nav := NavPress.unpack(payload)) is not None:
            return self._navigate(turn, nav.where)
        if (menu := MenuPress.unpack(payload)) is not None:
            self._leave_flow(turn)
            return await self.open_section(turn, menu.section)
        intent = IntentPress.unpack(payload)
        if intent is not None and intent.intent in self.registry.offerable:
            return await self._act_on_intent(turn, intent.intent, None)
        if (draft := DraftPress.unpack(payload)) is not None and turn.has_consent:
            return self._draft(turn, draft)
        handler = self.registry.buttons.get(prefix_of(payload))
        if handler is not None and turn.has_consent:
            return await handler(turn, self, payload)
        flow = self._active_flow(turn)
        step = self._active_step(turn)
        if (
            flow is not None
            and step is not None
            and payload.startswith(f"{flow.name}:{step.name}:")
        ):
            return await self._answer_step(turn)
        return self.expired(turn)

    def _navigate(self, turn: Turn, where: str) -> list[Reply]:
        if where == "cancel":
            return self._cancel(turn)
        if where == "back" and self._active_flow(turn) is not None:
            if not turn.history:
                self._leave_flow(turn)
                return [self.menu(turn)]
            turn.conversation.step = turn.history.pop()
            return [self._prompt(turn)]
        self._leave_flow(turn)
        return [self.menu(turn)]

    async def open_section(
        self, turn: Turn, section: str, understood: Mapping[str, Any] | None = None
    ) -> list[Reply]:
        found = self.registry.sections.get(section)
        if found is None:
            return [Reply("common.button_expired"), self.menu(turn)]
        if not found.guest and not turn.has_consent:
            consent = self.registry.consent_section
            rows = ((section_button(consent),),) if consent else ()
            return [Reply("consent.required", buttons=(*rows, to_menu_row()))]
        replies = await found.open(turn, self, understood or {})
        if found.with_notices:
            notices = [notice for each in self.registry.notices if (notice := await each(turn))]
            replies = [*notices, *replies]
        return replies

    # --- the engine's commands -------------------------------------------------------------

    async def _menu_command(self, turn: Turn, _controls: Any) -> list[Reply]:
        self._leave_flow(turn)
        return [self.menu(turn)]

    async def _help_command(self, turn: Turn, _controls: Any) -> list[Reply]:
        return [Reply("common.help"), *self._prompt_or_menu(turn)]

    async def _cancel_command(self, turn: Turn, _controls: Any) -> list[Reply]:
        return self._cancel(turn)

    # --- flows ---------------------------------------------------------------------------

    def resume_or_start(self, turn: Turn, flow: str) -> list[Reply]:
        if flow not in turn.drafts:
            return self.start_flow(turn, flow)
        return [
            Reply(
                f"{flow}.draft_found",
                buttons=(
                    (Button("buttons.draft_resume", DraftPress("resume", flow).pack()),),
                    (Button("buttons.draft_new", DraftPress("new", flow).pack()),),
                    to_menu_row(),
                ),
            )
        ]

    def _draft(self, turn: Turn, press: DraftPress) -> list[Reply]:
        flow = self.registry.flows.get(press.flow)
        if flow is None or press.action not in ("resume", "new") or press.flow not in turn.drafts:
            return self.expired(turn)
        draft = turn.drafts.pop(flow.name)
        self._leave_flow(turn)
        if press.action == "new":
            return self.start_flow(turn, flow.name)
        turn.conversation.flow = flow.name
        turn.values = dict(draft.get("values", {}))
        turn.history = list(draft.get("history", []))
        turn.conversation.step = draft.get("step") or flow.first.name
        return [self._prompt(turn)]

    def start_flow(
        self,
        turn: Turn,
        flow: str,
        values: Mapping[str, Any] | None = None,
        step: str | None = None,
    ) -> list[Reply]:
        started = self.registry.flows[flow]
        turn.conversation.flow = started.name
        turn.conversation.step = step or started.first.name
        turn.values = dict(values or {})
        turn.history = []
        return [self._prompt(turn)]

    async def _answer_step(self, turn: Turn) -> list[Reply]:
        flow = self._active_flow(turn)
        step = self._active_step(turn)
        if flow is None or step is None:
            return [self.menu(turn)]
        try:
            value = step.parse(turn)
        except StayOnStep as stay:
            return [Reply(stay.template, stay.context, self._prompt(turn).buttons)]
        except InvalidInput as invalid:
            request = await self._request_inside_step(turn, step)
            if request is not None:
                return request
            error = Reply(invalid.template or step.error, invalid.context)
            return [error, self._prompt(turn)]
        turn.values[step.name] = value
        if step.effect is not None:
            await step.effect(turn, value)
        next_name = step.next(turn)
        if next_name is None:
            replies = await flow.finish(turn)  # it reads the answers: leave the flow after
            self._leave_flow(turn, keep_draft=False)
            return replies
        turn.history.append(step.name)
        turn.conversation.step = next_name
        return [self._prompt(turn)]

    def _prompt(self, turn: Turn) -> Reply:
        step = self._active_step(turn)
        if step is None:
            return self.menu(turn)
        navigation = [Button("buttons.back", NavPress("back").pack())] if turn.history else []
        navigation.append(Button("buttons.cancel", NavPress("cancel").pack()))
        keyboard: Keyboard = (*step.keyboard(turn), tuple(navigation))
        return Reply(step.prompt, step.prompt_context(turn), keyboard)

    def _cancel(self, turn: Turn) -> list[Reply]:
        if self._active_flow(turn) is None:
            return [Reply("common.nothing_to_cancel", buttons=turn.menu_keyboard())]
        self._leave_flow(turn, keep_draft=False)
        return [Reply("common.cancelled", buttons=turn.menu_keyboard())]

    def _prompt_or_menu(self, turn: Turn) -> list[Reply]:
        if self._active_step(turn) is not None:
            return [self._prompt(turn)]
        return [self.menu(turn)]

    def expired(self, turn: Turn) -> list[Reply]:
        # A button from an older message: its question is no longer open.
        return [Reply("common.button_expired"), *self._prompt_or_menu(turn)]

    def leave_flow(self, turn: Turn) -> None:
        self._leave_flow(turn)

    def _leave_flow(self, turn: Turn, *, keep_draft: bool = True) -> None:
        """Close the active flow. A flow that keeps drafts keeps what was entered, unless it
        was finished or cancelled."""
        flow = self._active_flow(turn)
        if flow is not None and flow.keeps_draft:
            if keep_draft and turn.values:
                turn.drafts[flow.name] = {
                    "step": turn.conversation.step,
                    "values": turn.values,
                    "history": turn.history,
                }
            elif not keep_draft:
                turn.drafts.pop(flow.name, None)
        turn.conversation.flow = None
        turn.conversation.step = None
        turn.values = {}
        turn.history = []

    def _active_flow(self, turn: Turn) -> Flow | None:
        name = turn.conversation.flow
        return self.registry.flows.get(name) if name else None

    def _active_step(self, turn: Turn) -> Step | None:
        flow = self._active_flow(turn)
        if flow is None or turn.conversation.step is None:
            return None
        try:
            return flow.step(turn.conversation.step)
        except KeyError:
            return None  # a step removed by an upgrade: fall back to the menu

    # --- free text ------------------------------------------------------------------------

    async def _free_text(self, turn: Turn, text: str) -> list[Reply]:
        typed = normalized_text(turn).strip(".!")
        pending = turn.pending_intent
        answers_proposal = pending is not None and typed in YES_WORDS | NO_WORDS
        understanding = None if answers_proposal else await self._understand(text)
        sure = self._sure_intent(understanding)
        if pending is not None:
            if typed in YES_WORDS or sure == "affirm":
                return await self._act_on_intent(turn, pending, None)
            if typed in NO_WORDS or sure == "deny":
                return [self.menu(turn)]
        if understanding is None:
            return [Reply("common.not_understood", buttons=turn.menu_keyboard())]
        if sure is not None:
            return await self._act_on_intent(turn, sure, understanding)
        guess = understanding.intent
        if (
            understanding.source == "rasa"
            and guess in self.registry.offerable
            and understanding.confidence >= self._config.confirm_confidence
        ):
            turn.proposed_intent = guess
            return [self._confirmation(guess)]
        return [self._suggestions(turn, understanding)]

    async def _request_inside_step(self, turn: Turn, step: Step) -> list[Reply] | None:
        """Text a button step could not take may be a request of its own: act on it when the
        NLU is sure, else let the step ask again (None)."""
        text = (turn.incoming.text or "").strip()
        if step.free_input or not text:
            return None
        understanding = await self._understand(text)
        intent = self._sure_intent(understanding)
        if intent is None:
            return None
        if intent == "cancel":
            return self._cancel(turn)
        if intent == "help":
            return [Reply("common.help"), self._prompt(turn)]
        if intent in self.registry.answers:
            return [self.registry.answers[intent](turn), self._prompt(turn)]
        if intent in self.registry.section_of_intent:
            return await self._act_on_intent(turn, intent, understanding)
        return None  # yes/no, greetings, small talk: the step's own question stands

    def _sure_intent(self, understanding: Understanding | None) -> str | None:
        """Rasa's intent when it is confident enough to act on without asking."""
        if (
            understanding is None
            or understanding.source != "rasa"
            or understanding.confidence < self._config.accept_confidence
        ):
            return None
        return understanding.intent

    async def _understand(self, text: str) -> Understanding | None:
        if self._recognizer is None:
            return None
        try:
            return await self._recognizer.understand(text)
        except Exception:  # the citizen still gets an answer, from the menu
            log.exception("intent recognition failed")
            return None

    async def _act_on_intent(
        self, turn: Turn, intent: str, understanding: Understanding | None
    ) -> list[Reply]:
        section = self.registry.section_of_intent.get(intent)
        if section is not None:
            self._leave_flow(turn)
            understood = self._understood(turn, section, intent, understanding)
            return await self.open_section(turn, section.name, understood)
        if intent in self.registry.answers:
            return [self.registry.answers[intent](turn)]
        if intent in SMALL_TALK:
            return [Reply(SMALL_TALK[intent], buttons=turn.menu_keyboard())]
        if intent == "help":
            return [Reply("common.help", buttons=turn.menu_keyboard())]
        if intent == "cancel":
            return self._cancel(turn)
        # "да" or "нет" with no question open
        return [Reply("nlu.no_question", buttons=turn.menu_keyboard())]

    @staticmethod
    def _understood(
        turn: Turn, section: Section, intent: str, understanding: Understanding | None
    ) -> dict[str, Any]:
        """What the citizen's words already told us, repeated back so they see it was heard."""
        if understanding is None:
            return {}
        understood: dict[str, Any] = {
            name: value for name in ENTITY_NAMES if (value := understanding.entity(name))
        }
        if intent in section.dated_intents:
            when = parse_when(turn.incoming.text or "", turn.zone.key, turn.now)
            if when is not None:
                understood["day"] = when.day
                understood["time"] = when.at
        return understood

    def _to_a_person(self) -> tuple[Button, ...]:
        human = self.registry.human_section
        return (section_button(human),) if human else ()

    def _confirmation(self, intent: str) -> Reply:
        return Reply(
            "nlu.confirm",
            {"intent": intent},
            buttons=(
                (Button("buttons.intent_yes", IntentPress(intent).pack(), {"intent": intent}),),
                (*to_menu_row(), *self._to_a_person()),
            ),
        )

    def _suggestions(self, turn: Turn, understanding: Understanding) -> Reply:
        offerable = self.registry.offerable
        proposals = [intent for intent in understanding.suggestions if intent in offerable][:3]
        rows: list[tuple[Button, ...]] = [
            (Button("buttons.intent", IntentPress(intent).pack(), {"intent": intent}),)
            for intent in proposals
        ]
        if self._to_a_person():
            rows.append(self._to_a_person())
        rows.append(to_menu_row())
        template = "nlu.suggest" if proposals else "common.not_understood"
        return Reply(template, {"has_consent": turn.has_consent}, tuple(rows))

    # --- screens -------------------------------------------------------------------------

    def menu(self, turn: Turn) -> Reply:
        return Reply("menu.main", {"has_consent": turn.has_consent}, turn.menu_keyboard())


def _sanitized(incoming: Incoming) -> Incoming:
    text = incoming.text
    if text is None:
        return incoming
    # PostgreSQL text rejects NUL; nothing a citizen means contains it.
    text = text.replace("\x00", "")[:MAX_INPUT_CHARS]
    return Incoming(**{**incoming.__dict__, "text": text})
