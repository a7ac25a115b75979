"""The conversation engine: one Incoming in, the Replies to send out.

It runs inside the caller's unit of work: the caller commits, then renders and sends the
replies, so a citizen is never told about something that was rolled back.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dialogs.flow import DialogConfig, Flow, InvalidInput, StayOnStep, Step, Turn, normalized_text
from dialogs.flows import all_flows
from dialogs.intents import (
    ANSWER_OF_INTENT,
    NO_WORDS,
    OFFERABLE,
    SECTION_OF_INTENT,
    SMALL_TALK,
    YES_WORDS,
)
from dialogs.menu import SECTIONS, menu_keyboard, section_button, to_menu_row
from dialogs.ports import Desks, DialogStore, IntentRecognizer
from dialogs.types import Button, Incoming, Keyboard, Reply
from features.complaints.flow import COMPLAINT
from features.complaints.status import complaint_card, status_list
from features.consent.onboarding import ONBOARDING
from features.consent.withdraw import WITHDRAW
from features.offers.screens import offer_button, open_offer_notice
from features.vacancies.flow import VACANCY_SEARCH, first_missing
from features.vacancies.flow import answers as vacancy_answers
from features.vacancies.screens import request as vacancy_request
from features.vacancies.screens import results as vacancy_results
from kernel import case_numbers
from kernel.clock import utc_now
from nlu.dates import parse_when
from nlu.results import Understanding

log = logging.getLogger(__name__)
NO_DESKS = Desks()

# Longer input is cut before it reaches a parser; no step expects more (Telegram's own
# message limit is 4096 characters).
MAX_INPUT_CHARS = 4096
# Commands the engine answers at any step, in the order Telegram shows them.
COMMANDS = ("start", "menu", "vacancies", "complaint", "status", "help", "cancel")
SECTION_OF_COMMAND = {"vacancies": "vacancies", "complaint": "complaints", "status": "status"}
# Intents whose text may name a day and time worth repeating back ("в пятницу в 10").
DATED_INTENTS = frozenset({"book_appointment", "reschedule_interview", "confirm_interview"})
ENTITY_NAMES = ("profession", "city", "salary", "case_number")


class Engine:
    def __init__(
        self,
        config: DialogConfig,
        flows: Mapping[str, Flow] | None = None,
        clock: Callable[[], datetime] = utc_now,
        recognizer: IntentRecognizer | None = None,
    ) -> None:
        self._config = config
        self._flows = dict(flows) if flows is not None else all_flows()
        self._clock = clock
        self._recognizer = recognizer

    async def handle(
        self,
        store: DialogStore,
        incoming: Incoming,
        desks: Desks = NO_DESKS,
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
            values=dict(saved.get("values", {})),
            history=list(saved.get("history", [])),
            offered=saved.get("offer"),
            drafts=dict(saved.get("drafts", {})),
            complaints=desks.complaints,
            vacancies=desks.vacancies,
            offers=desks.offers,
        )
        replies = await self._dispatch(turn)
        new_slots: dict[str, Any] = {}
        if conversation.flow:
            new_slots = {"values": turn.values, "history": turn.history}
        elif turn.offer:
            new_slots = {"offer": turn.offer}
        if turn.drafts:
            new_slots["drafts"] = turn.drafts
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
        number = case_numbers.parse(text)
        if number is not None and number.startswith("Ж") and turn.has_consent:
            return [await complaint_card(turn, number)]
        return await self._free_text(turn, text)

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
        if command in SECTION_OF_COMMAND:
            self._leave_flow(turn)
            return await self._section(turn, SECTION_OF_COMMAND[command])
        return [Reply("common.unknown_command", buttons=menu_keyboard(turn.has_consent))]

    async def _button(self, turn: Turn, payload: str) -> list[Reply]:
        kind, _, rest = payload.partition(":")
        if kind == "nav":
            return self._navigate(turn, rest)
        if kind == "menu":
            self._leave_flow(turn)
            return await self._section(turn, rest)
        if kind == "intent" and rest in OFFERABLE:
            return await self._act_on_intent(turn, rest, None)
        if kind == "draft" and turn.has_consent:
            return self._draft(turn, rest)
        if kind == "vac" and turn.has_consent:
            return await self._vacancy_button(turn, rest)
        if kind == "off" and turn.has_consent:
            self._leave_flow(turn)
            return await offer_button(turn, rest)
        if kind == "status" and turn.has_consent:
            self._leave_flow(turn)
            return [await complaint_card(turn, rest)]
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

    async def _section(
        self, turn: Turn, section: str, understood: Mapping[str, Any] | None = None
    ) -> list[Reply]:
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
        if section == "complaints":
            return self._offer_draft_or_start(turn, COMPLAINT)
        if section == "vacancies":
            return await self._with_offer_notice(
                turn, await self._vacancies(turn, understood or {})
            )
        if section == "status":
            number = case_numbers.parse(str((understood or {}).get("case_number", "")))
            if number is not None and number.startswith("Ж"):
                return [await complaint_card(turn, number)]
            return await self._with_offer_notice(turn, [await status_list(turn)])
        # Not built yet: say so plainly (README lists these sections as coming).
        return [
            Reply(
                "menu.coming_soon",
                {"section": section, "understood": understood or {}},
                buttons=(to_menu_row(),),
            )
        ]

    # --- vacancies -----------------------------------------------------------------------

    @staticmethod
    async def _with_offer_notice(turn: Turn, replies: list[Reply]) -> list[Reply]:
        """An offer waiting for the citizen's ranking is named first: it has a deadline."""
        notice = await open_offer_notice(turn)
        return replies if notice is None else [notice, *replies]

    async def _vacancies(self, turn: Turn, understood: Mapping[str, Any]) -> list[Reply]:
        """Search with what the profile and the citizen's words already say; ask the rest."""
        if turn.vacancies is None:
            return [Reply("vacancies.unavailable", buttons=(to_menu_row(),))]
        profile = await turn.vacancies.profile(turn.citizen)
        values: dict[str, Any] = {}
        if profile is not None:
            values = {"profession": profile.profession, "desired_salary": profile.desired_salary}
            if profile.locality is not None:
                values["locality"] = {"locality": profile.locality}
        if understood.get("profession"):
            values["profession"] = str(understood["profession"])
        if understood.get("city"):
            values["locality"] = {"locality": str(understood["city"])}
        missing = first_missing(values)
        if missing is not None:
            return self._start_flow(turn, VACANCY_SEARCH, values, missing)
        if profile is None or understood:
            profile = await turn.vacancies.save_profile(turn.citizen, vacancy_answers(values))
        return [await vacancy_results(turn, profile, 0)]

    async def _vacancy_button(self, turn: Turn, what: str) -> list[Reply]:
        action, _, argument = what.partition(":")
        if action == "edit":
            self._leave_flow(turn)
            return self._start_flow(turn, VACANCY_SEARCH)
        profile = await turn.vacancies.profile(turn.citizen) if turn.vacancies else None
        if profile is None:
            return [Reply("common.button_expired"), *self._current_prompt_or_menu(turn)]
        if action == "page" and argument.isdigit():
            self._leave_flow(turn)
            return [await vacancy_results(turn, profile, int(argument))]
        if action in ("ref", "save") and argument:
            return [await vacancy_request(turn, action, argument)]
        return [Reply("common.button_expired"), *self._current_prompt_or_menu(turn)]

    # --- flows ---------------------------------------------------------------------------

    def _offer_draft_or_start(self, turn: Turn, flow: Flow) -> list[Reply]:
        if flow.name not in turn.drafts:
            return self._start_flow(turn, flow)
        return [
            Reply(
                f"{flow.name}.draft_found",
                buttons=(
                    (Button("buttons.draft_resume", f"draft:resume:{flow.name}"),),
                    (Button("buttons.draft_new", f"draft:new:{flow.name}"),),
                    to_menu_row(),
                ),
            )
        ]

    def _draft(self, turn: Turn, what: str) -> list[Reply]:
        action, _, name = what.partition(":")
        flow = self._flows.get(name)
        if flow is None or action not in ("resume", "new") or name not in turn.drafts:
            return [Reply("common.button_expired"), *self._current_prompt_or_menu(turn)]
        draft = turn.drafts.pop(name)
        self._leave_flow(turn)
        if action == "new":
            return self._start_flow(turn, flow)
        turn.conversation.flow = flow.name
        turn.values = dict(draft.get("values", {}))
        turn.history = list(draft.get("history", []))
        turn.conversation.step = draft.get("step") or flow.first.name
        return [self._prompt(turn)]

    def _start_flow(
        self,
        turn: Turn,
        flow: Flow,
        values: Mapping[str, Any] | None = None,
        step: str | None = None,
    ) -> list[Reply]:
        """Start `flow`, at `step` with the answers already known in `values` if given."""
        turn.conversation.flow = flow.name
        turn.conversation.step = step or flow.first.name
        turn.values = dict(values or {})
        turn.history = []
        return [self._prompt(turn)]

    async def _answer_step(self, turn: Turn) -> list[Reply]:
        flow = self._active_flow(turn)
        step = self._active_step(turn)
        if flow is None or step is None:
            return [self._menu(turn)]
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
            return self._menu(turn)
        navigation = [Button("buttons.back", "nav:back")] if turn.history else []
        navigation.append(Button("buttons.cancel", "nav:cancel"))
        keyboard: Keyboard = (*step.keyboard(turn), tuple(navigation))
        return Reply(step.prompt, step.prompt_context(turn), keyboard)

    def _cancel(self, turn: Turn) -> list[Reply]:
        if self._active_flow(turn) is None:
            return [Reply("common.nothing_to_cancel", buttons=menu_keyboard(turn.has_consent))]
        self._leave_flow(turn, keep_draft=False)
        return [Reply("common.cancelled", buttons=menu_keyboard(turn.has_consent))]

    def _current_prompt_or_menu(self, turn: Turn) -> list[Reply]:
        if self._active_step(turn) is not None:
            return [self._prompt(turn)]
        return [self._menu(turn)]

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
        return self._flows.get(name) if name else None

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
        answers_offer = turn.offered is not None and typed in YES_WORDS | NO_WORDS
        understanding = None if answers_offer else await self._understand(text)
        sure = self._sure_intent(understanding)
        if turn.offered is not None:
            if typed in YES_WORDS or sure == "affirm":
                return await self._act_on_intent(turn, turn.offered, None)
            if typed in NO_WORDS or sure == "deny":
                return [self._menu(turn)]
        if understanding is None:
            return [Reply("common.not_understood", buttons=menu_keyboard(turn.has_consent))]
        if sure is not None:
            return await self._act_on_intent(turn, sure, understanding)
        guess = understanding.intent
        if (
            understanding.source == "rasa"
            and guess in OFFERABLE
            and understanding.confidence >= self._config.confirm_confidence
        ):
            turn.offer = guess
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
        if intent in ANSWER_OF_INTENT:
            return [self._answer(turn, intent), self._prompt(turn)]
        if intent in SECTION_OF_INTENT:
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
        if intent in SECTION_OF_INTENT:
            self._leave_flow(turn)
            section = SECTION_OF_INTENT[intent]
            if section == "withdraw" and not turn.has_consent:
                return [Reply("my_data.nothing_stored", buttons=menu_keyboard(False))]
            return await self._section(
                turn, section, self._understood(turn, intent, understanding)
            )
        if intent in ANSWER_OF_INTENT:
            return [self._answer(turn, intent)]
        if intent in SMALL_TALK:
            return [Reply(SMALL_TALK[intent], buttons=menu_keyboard(turn.has_consent))]
        if intent == "help":
            return [Reply("common.help", buttons=menu_keyboard(turn.has_consent))]
        if intent == "cancel":
            return self._cancel(turn)
        # "да" or "нет" with no question open
        return [Reply("nlu.no_question", buttons=menu_keyboard(turn.has_consent))]

    def _understood(
        self, turn: Turn, intent: str, understanding: Understanding | None
    ) -> dict[str, Any]:
        """What the citizen's words already told us, repeated back so they see it was heard."""
        if understanding is None:
            return {}
        understood: dict[str, Any] = {
            name: value for name in ENTITY_NAMES if (value := understanding.entity(name))
        }
        if intent in DATED_INTENTS:
            when = parse_when(turn.incoming.text or "", self._timezone(turn), turn.now)
            if when is not None:
                understood["day"] = when.day
                understood["time"] = when.at
        return understood

    @staticmethod
    def _confirmation(intent: str) -> Reply:
        return Reply(
            "nlu.confirm",
            {"intent": intent},
            buttons=(
                (Button("buttons.intent_yes", f"intent:{intent}", {"intent": intent}),),
                (*to_menu_row(), section_button("operator")),
            ),
        )

    def _suggestions(self, turn: Turn, understanding: Understanding) -> Reply:
        offers = [intent for intent in understanding.suggestions if intent in OFFERABLE][:3]
        rows: list[tuple[Button, ...]] = [
            (Button("buttons.intent", f"intent:{intent}", {"intent": intent}),)
            for intent in offers
        ]
        rows.append((section_button("operator"),))
        rows.append(to_menu_row())
        template = "nlu.suggest" if offers else "common.not_understood"
        return Reply(template, {"has_consent": turn.has_consent}, tuple(rows))

    def _answer(self, turn: Turn, intent: str) -> Reply:
        region = self._config.regions.get(turn.citizen.region_code or "")
        start, end = self._config.working_hours
        context = {
            "region": region,
            "hours_start": start,
            "hours_end": end,
        }
        return Reply(
            ANSWER_OF_INTENT[intent],
            context,
            buttons=((section_button("operator"),), to_menu_row()),
        )

    def _timezone(self, turn: Turn) -> str:
        region = self._config.regions.get(turn.citizen.region_code or "")
        return region.timezone if region else self._config.default_timezone

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
        zone = ZoneInfo(self._timezone(turn))
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
