"""The conversation engine: one Incoming in, the Replies to send out.

It runs inside the caller's unit of work: the caller commits, then renders and sends the
replies, so a citizen is never told about something that was rolled back.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from dialogs.flow import DialogConfig, Flow, InvalidInput, Step, Turn
from dialogs.flows import all_flows
from dialogs.flows.onboarding import ONBOARDING
from dialogs.flows.withdraw import WITHDRAW
from dialogs.menu import SECTIONS, menu_keyboard, to_menu_row
from dialogs.ports import DialogStore
from dialogs.types import Button, Incoming, Keyboard, Reply
from storage.models import utc_now

# Longer input is cut before it reaches a parser; no step expects more (Telegram's own
# message limit is 4096 characters).
MAX_INPUT_CHARS = 4096
# Commands the engine answers at any step, in the order Telegram shows them.
COMMANDS = ("start", "menu", "help", "cancel")


class Engine:
    def __init__(
        self,
        config: DialogConfig,
        flows: Mapping[str, Flow] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._config = config
        self._flows = dict(flows) if flows is not None else all_flows()
        self._clock = clock

    async def handle(self, store: DialogStore, incoming: Incoming) -> list[Reply]:
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
            values=dict(saved.get("values", {})),
            history=list(saved.get("history", [])),
        )
        replies = await self._dispatch(turn)
        new_slots = {"values": turn.values, "history": turn.history} if conversation.flow else {}
        if new_slots != saved:
            conversation.slots = new_slots
        return replies

    # --- routing -------------------------------------------------------------------------

    async def _dispatch(self, turn: Turn) -> list[Reply]:
        incoming = turn.incoming
        text = (incoming.text or "").strip()
        if text.startswith("/"):
            command = text[1:].split(maxsplit=1)[0].split("@")[0].lower() if text[1:] else ""
            return await self._command(turn, command)
        if incoming.payload:
            return await self._button(turn, incoming.payload)
        if self._active_flow(turn) is not None:
            return await self._answer_step(turn)
        if not text:
            return [Reply("common.unsupported", buttons=menu_keyboard(turn.has_consent))]
        return [Reply("common.not_understood", buttons=menu_keyboard(turn.has_consent))]

    async def _command(self, turn: Turn, command: str) -> list[Reply]:
        if command == "start":
            if turn.has_consent:
                self._leave_flow(turn)
                return [
                    Reply(
                        "start.welcome_back",
                        {"name": turn.citizen.display_name},
                        buttons=menu_keyboard(has_consent=True),
                    )
                ]
            return [Reply("start.greeting"), *self._start_flow(turn, ONBOARDING)]
        if command == "help":
            return [Reply("common.help"), *self._current_prompt_or_menu(turn)]
        if command == "menu":
            self._leave_flow(turn)
            return [self._menu(turn)]
        if command == "cancel":
            return self._cancel(turn)
        return [Reply("common.unknown_command", buttons=menu_keyboard(turn.has_consent))]

    async def _button(self, turn: Turn, payload: str) -> list[Reply]:
        kind, _, rest = payload.partition(":")
        if kind == "nav":
            return self._navigate(turn, rest)
        if kind == "menu":
            self._leave_flow(turn)
            return await self._section(turn, rest)
        flow = self._active_flow(turn)
        step = self._active_step(turn)
        if (
            flow is not None
            and step is not None
            and payload.startswith(f"{flow.name}:{step.name}:")
        ):
            return await self._answer_step(turn)
        # A button from an older message: its question is no longer open.
        return [Reply("common.button_expired"), *self._current_prompt_or_menu(turn)]

    def _navigate(self, turn: Turn, where: str) -> list[Reply]:
        if where == "cancel":
            return self._cancel(turn)
        if where == "back" and self._active_flow(turn) is not None:
            if not turn.history:
                self._leave_flow(turn)
                return [self._menu(turn)]
            turn.conversation.step = turn.history.pop()
            return [self._prompt(turn)]
        self._leave_flow(turn)
        return [self._menu(turn)]

    async def _section(self, turn: Turn, section: str) -> list[Reply]:
        if section == "help":
            return [Reply("common.help", buttons=menu_keyboard(turn.has_consent))]
        if section == "info":
            return [Reply("info.general", buttons=(to_menu_row(),))]
        if section == "consent":
            if turn.has_consent:
                return [self._menu(turn)]
            return self._start_flow(turn, ONBOARDING)
        if section not in SECTIONS and section != "withdraw":
            return [Reply("common.button_expired"), self._menu(turn)]
        if not turn.has_consent:
            return [
                Reply(
                    "consent.required",
                    buttons=((Button("buttons.consent", "menu:consent"),), to_menu_row()),
                )
            ]
        if section == "my_data":
            return [self._my_data(turn)]
        if section == "withdraw":
            return self._start_flow(turn, WITHDRAW)
        # Not built yet: say so plainly (README lists these sections as coming).
        return [Reply("menu.coming_soon", {"section": section}, buttons=(to_menu_row(),))]

    # --- flows ---------------------------------------------------------------------------

    def _start_flow(self, turn: Turn, flow: Flow) -> list[Reply]:
        turn.conversation.flow = flow.name
        turn.conversation.step = flow.first.name
        turn.values = {}
        turn.history = []
        return [self._prompt(turn)]

    async def _answer_step(self, turn: Turn) -> list[Reply]:
        flow = self._active_flow(turn)
        step = self._active_step(turn)
        if flow is None or step is None:
            return [self._menu(turn)]
        try:
            value = step.parse(turn)
        except InvalidInput as invalid:
            error = Reply(invalid.template or step.error, invalid.context)
            return [error, self._prompt(turn)]
        turn.values[step.name] = value
        if step.effect is not None:
            await step.effect(turn, value)
        next_name = step.next(turn)
        if next_name is None:
            replies = await flow.finish(turn)  # it reads the answers: leave the flow after
            self._leave_flow(turn)
            return replies
        turn.history.append(step.name)
        turn.conversation.step = next_name
        return [self._prompt(turn)]

    def _prompt(self, turn: Turn) -> Reply:
        step = self._active_step(turn)
        if step is None:
            return self._menu(turn)
        navigation = [Button("buttons.back", "nav:back")] if turn.history else []
        navigation.append(Button("buttons.cancel", "nav:cancel"))
        keyboard: Keyboard = (*step.keyboard(turn), tuple(navigation))
        return Reply(step.prompt, step.prompt_context(turn), keyboard)

    def _cancel(self, turn: Turn) -> list[Reply]:
        if self._active_flow(turn) is None:
            return [Reply("common.nothing_to_cancel", buttons=menu_keyboard(turn.has_consent))]
        self._leave_flow(turn)
        return [Reply("common.cancelled", buttons=menu_keyboard(turn.has_consent))]

    def _current_prompt_or_menu(self, turn: Turn) -> list[Reply]:
        if self._active_step(turn) is not None:
            return [self._prompt(turn)]
        return [self._menu(turn)]

    @staticmethod
    def _leave_flow(turn: Turn) -> None:
        turn.conversation.flow = None
        turn.conversation.step = None
        turn.values = {}
        turn.history = []

    def _active_flow(self, turn: Turn) -> Flow | None:
        name = turn.conversation.flow
        return self._flows.get(name) if name else None

    def _active_step(self, turn: Turn) -> Step | None:
        flow = self._active_flow(turn)
        if flow is None or turn.conversation.step is None:
            return None
        try:
            return flow.step(turn.conversation.step)
        except KeyError:
            return None  # a step removed by an upgrade: fall back to the menu

    # --- screens -------------------------------------------------------------------------

    @staticmethod
    def _menu(turn: Turn) -> Reply:
        return Reply(
            "menu.main", {"has_consent": turn.has_consent}, menu_keyboard(turn.has_consent)
        )

    def _my_data(self, turn: Turn) -> Reply:
        citizen = turn.citizen
        consent = turn.consent
        region = self._config.regions.get(citizen.region_code or "")
        zone = ZoneInfo(region.timezone if region else self._config.default_timezone)
        context = {
            "channel": citizen.channel,
            "external_id": citizen.external_id,
            "name": citizen.display_name,
            "username": citizen.username,
            "region": region.name if region else None,
            "consent_version": consent.text_version if consent else None,
            "consent_given_at": consent.given_at.astimezone(zone) if consent else None,
        }
        buttons = (
            (Button("buttons.withdraw", "menu:withdraw"),),
            to_menu_row(),
        )
        return Reply("my_data.show", context, buttons)


def _sanitized(incoming: Incoming) -> Incoming:
    text = incoming.text
    if text is None:
        return incoming
    # PostgreSQL text rejects NUL; nothing a citizen means contains it.
    text = text.replace("\x00", "")[:MAX_INPUT_CHARS]
    return Incoming(**{**incoming.__dict__, "text": text})
