"""The conversation engine: one Incoming in, the Replies to send out.

It routes through the features' registry: a conversation in a feature's mode (a person
holds it) goes to that feature alone; otherwise a command, then a button prefix, then the active
flow's step, then free text (a feature's shortcut such as a case number, else the NLU's
intent). It runs inside the caller's unit of work: the caller commits, then renders and sends
the replies, so a citizen is never told about something that was rolled back.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from dialogs.feature import Chat, Command, Section, TextShortcut
from dialogs.flow import DialogConfig, Turn
from dialogs.free_text import FreeText
from dialogs.menu import section_button, to_menu_row
from dialogs.payloads import DraftPress, IntentPress, MenuPress, NavPress, prefix_of
from dialogs.ports import DialogStore, IntentRecognizer
from dialogs.registry import BOT_MODE, Registry
from dialogs.types import Incoming, Reply
from kernel.clock import utc_now
from kernel.metrics import FREE_TEXT

# Longer input is cut before it reaches a parser; no step expects more (Telegram's own
# message limit is 4096 characters).
MAX_INPUT_CHARS = 4096
PROPOSED_INTENT = "proposed_intent"  # the conversation slot of a "did you mean ...?"
ENGINE_PREFIXES = (NavPress.prefix, MenuPress.prefix, IntentPress.prefix, DraftPress.prefix)


async def _help(turn: Turn, _controls: Any, _understood: Mapping[str, Any]) -> list[Reply]:
    return [Reply("common.help", buttons=turn.menu_keyboard())]


# The engine's own parts of the conversation: help, the menu, cancel.
HELP = Section("help", _help, place=2, footer=True, guest_place=99, guest=True)


class Engine(FreeText):
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
            # Conversations saved before the slot's rename call it "offer".
            pending_intent=saved.get(PROPOSED_INTENT, saved.get("offer")),
            drafts=dict(saved.get("drafts", {})),
            services=services or {},
        )
        replies = await self._dispatch(turn)
        new_slots: dict[str, Any] = {}
        if conversation.flow:
            new_slots = {"values": turn.values, "history": turn.history}
        elif turn.proposed_intent:
            new_slots = {PROPOSED_INTENT: turn.proposed_intent}
        if turn.drafts:
            new_slots["drafts"] = turn.drafts
        if new_slots != saved:
            conversation.slots = new_slots
        # Counted once the conversation is complete: a count that flushed it before the slots
        # were set made its step and its slots two UPDATEs; now the commit writes it once.
        await store.count_turn(citizen, turn.now.date(), turn.understood)
        if turn.understood is not None:
            FREE_TEXT.labels("understood" if turn.understood else "not_understood").inc()
        return replies

    # --- routing: command, button prefix, active flow, free text ---------------------------

    async def _dispatch(self, turn: Turn) -> list[Reply]:
        held = await self._in_a_mode(turn)
        if held is not None:
            return held
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
        alarmed = await self._first_match(turn, text, self.registry.alerts)
        if alarmed is not None:
            return alarmed
        if self._active_flow(turn) is not None:
            return await self._answer_step(turn)
        if not text:
            return [Reply("common.unsupported", buttons=turn.menu_keyboard())]
        if turn.has_consent:
            shortcut = await self._first_match(turn, text, self.registry.shortcuts)
            if shortcut is not None:
                return shortcut
        return await self._free_text(turn, text)

    async def _in_a_mode(self, turn: Turn) -> list[Reply] | None:
        """A conversation in a feature's mode is that feature's alone (None: the bot's)."""
        mode = turn.conversation.mode or BOT_MODE
        if mode == BOT_MODE:
            return None
        handler = self.registry.modes.get(mode)
        if handler is None:  # its feature is gone: the bot takes the conversation back
            turn.conversation.mode = BOT_MODE
            return None
        return await handler(turn, self)

    async def _first_match(
        self, turn: Turn, text: str, checks: Iterable[TextShortcut]
    ) -> list[Reply] | None:
        if not text:
            return None
        for check in checks:
            replies = await check(turn, self, text)
            if replies is not None:
                return replies
        return None

    async def _button(self, turn: Turn, payload: str) -> list[Reply]:
        if (nav := NavPress.unpack(payload)) is not None:
            return self._navigate(turn, nav.where)
        if (menu := MenuPress.unpack(payload)) is not None:
            section = self.registry.sections.get(menu.section)
            if section is None or not section.keeps_flow:
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


def _sanitized(incoming: Incoming) -> Incoming:
    text = incoming.text
    if text is None:
        return incoming
    # PostgreSQL text rejects NUL; nothing a citizen means contains it.
    text = text.replace("\x00", "")[:MAX_INPUT_CHARS]
    return Incoming(**{**incoming.__dict__, "text": text})
