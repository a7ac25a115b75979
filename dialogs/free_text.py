"""Free text outside a step: a proposal answered with "да", a confident intent acted on, a
likely one offered for confirmation, else the likeliest sections and the way to a person."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from dialogs.feature import Section
from dialogs.flow import DialogConfig, Step, Turn, normalized_text
from dialogs.flow_control import FlowControl
from dialogs.intents import NO_WORDS, SMALL_TALK, YES_WORDS
from dialogs.menu import section_button, to_menu_row
from dialogs.payloads import IntentPress
from dialogs.ports import IntentRecognizer
from dialogs.types import Button, Reply
from kernel.metrics import NLU
from nlu.dates import parse_when
from nlu.results import Understanding

log = logging.getLogger(__name__)
ENTITY_NAMES = ("profession", "city", "salary", "case_number")


class FreeText(FlowControl):
    _config: DialogConfig
    _recognizer: IntentRecognizer | None

    async def open_section(
        self, turn: Turn, section: str, understood: Mapping[str, Any] | None = None
    ) -> list[Reply]:
        raise NotImplementedError

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
        turn.understood = sure is not None
        if understanding is None:
            NLU.labels("unavailable").inc()
            return [Reply("common.not_understood", buttons=turn.menu_keyboard())]
        if sure is not None:
            NLU.labels("acted").inc()
            return await self._act_on_intent(turn, sure, understanding)
        guess = understanding.intent
        if (
            understanding.source == "rasa"
            and guess in self.registry.offerable
            and understanding.confidence >= self._config.confirm_confidence
        ):
            turn.proposed_intent = guess
            NLU.labels("confirm").inc()
            return [self._confirmation(guess)]
        NLU.labels("fallback").inc()
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
            turn.intent = intent
            if not section.keeps_flow:
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
