"""The flow mechanics of the engine: starting, resuming, answering, walking back and leaving
a flow, with drafts of the flows that keep them; and the menu a flow falls back to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dialogs.flow import Flow, InvalidInput, StayOnStep, Step, Turn
from dialogs.menu import to_menu_row
from dialogs.payloads import DraftPress, NavPress
from dialogs.registry import Registry
from dialogs.types import Button, Keyboard, Reply


class FlowControl:
    registry: Registry

    async def _request_inside_step(self, turn: Turn, step: Step) -> list[Reply] | None:
        """Text a step could not take may be a request of its own (see FreeText)."""
        return None

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

    def current(self, turn: Turn) -> list[Reply]:
        return self._prompt_or_menu(turn)

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
        # Set only when there is a flow to close: an attribute set even to its own value
        # makes the conversation dirty, and the commit runs the ORM's flush for nothing.
        if turn.conversation.flow is not None or turn.conversation.step is not None:
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

    def menu(self, turn: Turn) -> Reply:
        return Reply("menu.main", {"has_consent": turn.has_consent}, turn.menu_keyboard())
