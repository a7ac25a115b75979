"""How the engine acts on what the NLU understood: at once, after a confirmation, or by
offering sections and the operator. The recognizer here is a fake that returns set answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from dialogs.engine import Engine
from dialogs.feature import Chat, Controls, Section
from dialogs.flow import DialogConfig, Turn
from dialogs.types import Reply
from nlu.results import Entity, Understanding
from tests.support import wiring
from tests.support.chat import EngineChat
from tests.support.fakes import InMemoryStore


@dataclass
class ScriptedRecognizer:
    answers: dict[str, Understanding] = field(default_factory=dict)
    heard: list[str] = field(default_factory=list)
    broken: bool = False

    async def understand(self, text: str) -> Understanding:
        self.heard.append(text)
        if self.broken:
            raise RuntimeError("boom")
        return self.answers.get(text, Understanding("local"))


def rasa(intent: str, confidence: float, *entities: Entity) -> Understanding:
    return Understanding("rasa", intent, confidence, entities)


@pytest.fixture
def recognizer() -> ScriptedRecognizer:
    return ScriptedRecognizer()


@pytest.fixture
def chat(dialog_config: DialogConfig, recognizer: ScriptedRecognizer) -> EngineChat:
    # Monday 2026-11-23, 10:00 in Samara
    engine = wiring.engine(
        dialog_config,
        recognizer=recognizer,
        clock=lambda: datetime(2026, 11, 23, 6, 0, tzinfo=UTC),
    )
    return EngineChat(engine, InMemoryStore())


async def consented(chat: EngineChat) -> None:
    await chat.send("/start")
    await chat.press("buttons.consent_accept")
    await chat.press("buttons.region", name="Самарская область")


async def test_a_sure_intent_opens_its_section_with_what_was_heard(
    chat: EngineChat, recognizer: ScriptedRecognizer
) -> None:
    await consented(chat)
    text = "какие есть вакансии водителя в самаре"
    recognizer.answers[text] = rasa(
        "search_vacancies",
        0.97,
        Entity("profession", "водитель", "водителя"),
        Entity("city", "Самара", "самаре"),
    )
    await chat.send(text)
    # No vacancy desk in this engine: the section says it is unavailable (the search itself,
    # with these entities, is in test_vacancy_search.py).
    assert chat.templates() == ["vacancies.unavailable"]

    text = "хочу узнать статус Ж-2026-000001"
    recognizer.answers[text] = rasa(
        "check_status", 0.95, Entity("case_number", "Ж-2026-000001", "Ж-2026-000001")
    )
    await chat.send(text)
    assert chat.templates() == ["status.not_found"]


async def _echo(turn: Turn, controls: Controls, understood: Mapping[str, Any]) -> list[Reply]:
    return [Reply("toy.section", {"understood": dict(understood)})]


async def test_a_date_in_the_text_is_read_in_the_region_zone(
    dialog_config: DialogConfig, recognizer: ScriptedRecognizer
) -> None:
    """A section of dated intents gets the day and time read in the citizen's zone (Samara,
    UTC+4; Friday after Monday 23.11.2026)."""
    dated = Section(
        "interviews",
        _echo,
        intents=("reschedule_interview",),
        dated_intents=frozenset({"reschedule_interview"}),
    )
    chats = tuple(c for c in wiring.CHATS if "interviews" not in {s.name for s in c.sections})
    engine = Engine(
        dialog_config,
        (*chats, Chat(sections=(dated,))),
        clock=lambda: datetime(2026, 11, 23, 6, 0, tzinfo=UTC),
        recognizer=recognizer,
    )
    chat = EngineChat(engine, InMemoryStore())
    await consented(chat)
    text = "перенесите собеседование на пятницу в 10"
    recognizer.answers[text] = rasa("reschedule_interview", 0.9)
    await chat.send(text)
    understood = chat.last[0].context["understood"]
    assert understood == {"day": date(2026, 11, 27), "time": time(10, 0)}


async def test_a_middling_intent_is_confirmed_by_button(
    chat: EngineChat, recognizer: ScriptedRecognizer
) -> None:
    await consented(chat)
    recognizer.answers["жалобу хочу наверно"] = rasa("file_complaint", 0.55)
    await chat.send("жалобу хочу наверно")
    assert chat.templates() == ["nlu.confirm"]
    labels = [b.label for b in chat.offered()]
    assert labels == ["buttons.intent_yes", "buttons.menu", "buttons.operator"]
    await chat.press("buttons.intent_yes")
    assert chat.templates() == ["complaint.ask_ground"]


async def test_a_typed_yes_accepts_the_offer_once(
    chat: EngineChat, recognizer: ScriptedRecognizer
) -> None:
    await consented(chat)
    recognizer.answers["жалобу хочу наверно"] = rasa("file_complaint", 0.55)
    await chat.send("жалобу хочу наверно")
    await chat.send("да")
    assert chat.templates() == ["complaint.ask_ground"]
    await chat.send("да")  # the offer was used up: "да" is no answer to the flow's question
    assert chat.templates() == ["complaint.choose_button", "complaint.ask_ground"]


async def test_a_typed_no_declines_the_offer(
    chat: EngineChat, recognizer: ScriptedRecognizer
) -> None:
    await consented(chat)
    recognizer.answers["жалобу хочу наверно"] = rasa("file_complaint", 0.55)
    await chat.send("жалобу хочу наверно")
    await chat.send("нет")
    assert chat.templates() == ["menu.main"]


async def test_low_confidence_offers_local_suggestions_and_the_operator(
    chat: EngineChat, recognizer: ScriptedRecognizer
) -> None:
    await consented(chat)
    recognizer.answers["ну это самое"] = Understanding(
        "rasa", "help", 0.2, suggestions=("file_complaint", "check_status")
    )
    await chat.send("ну это самое")
    assert chat.templates() == ["nlu.suggest"]
    payloads = [b.payload for b in chat.offered()]
    assert payloads == [
        "intent:file_complaint",
        "intent:check_status",
        "menu:operator",
        "nav:menu",
    ]


async def test_without_rasa_the_local_suggestions_still_lead_somewhere(
    chat: EngineChat, recognizer: ScriptedRecognizer
) -> None:
    await consented(chat)
    recognizer.answers["жалобв"] = Understanding("local", suggestions=("file_complaint",))
    await chat.send("жалобв")
    await chat.press("buttons.intent")
    assert chat.templates() == ["complaint.ask_ground"]


async def test_nothing_recognised_still_gets_the_operator_and_the_menu(
    chat: EngineChat, recognizer: ScriptedRecognizer
) -> None:
    await consented(chat)
    await chat.send("ыва ыва")
    assert chat.templates() == ["common.not_understood"]
    assert [b.payload for b in chat.offered()] == ["menu:operator", "nav:menu"]


async def test_a_broken_recognizer_is_not_the_citizens_problem(
    chat: EngineChat, recognizer: ScriptedRecognizer
) -> None:
    await consented(chat)
    recognizer.broken = True
    await chat.send("хочу работу")
    assert chat.templates() == ["common.not_understood"]


async def test_information_is_answered_without_consent(
    chat: EngineChat, recognizer: ScriptedRecognizer
) -> None:
    recognizer.answers["какие нужны документы"] = rasa("ask_documents", 0.95)
    await chat.send("какие нужны документы")
    assert chat.templates() == ["info.documents"]


async def test_sections_still_need_consent(
    chat: EngineChat, recognizer: ScriptedRecognizer
) -> None:
    recognizer.answers["хочу пожаловаться"] = rasa("file_complaint", 0.95)
    await chat.send("хочу пожаловаться")
    assert chat.templates() == ["consent.required"]


async def test_delete_my_data_without_consent_says_nothing_is_kept(
    chat: EngineChat, recognizer: ScriptedRecognizer
) -> None:
    recognizer.answers["удалите мои данные"] = rasa("delete_my_data", 0.95)
    await chat.send("удалите мои данные")
    assert chat.templates() == ["my_data.nothing_stored"]


async def test_delete_my_data_with_consent_asks_to_confirm(
    chat: EngineChat, recognizer: ScriptedRecognizer
) -> None:
    await consented(chat)
    recognizer.answers["удалите мои данные"] = rasa("delete_my_data", 0.95)
    await chat.send("удалите мои данные")
    assert chat.templates() == ["my_data.confirm_withdraw"]


@pytest.mark.parametrize(
    ("intent", "template"),
    [
        ("greet", "nlu.greet"),
        ("thank", "nlu.thank"),
        ("goodbye", "nlu.goodbye"),
        ("out_of_scope", "nlu.out_of_scope"),
        ("affirm", "nlu.no_question"),
        ("help", "common.help"),
        ("cancel", "common.nothing_to_cancel"),
    ],
)
async def test_conversational_intents_get_short_answers(
    chat: EngineChat, recognizer: ScriptedRecognizer, intent: str, template: str
) -> None:
    await consented(chat)
    recognizer.answers["text"] = rasa(intent, 0.9)
    await chat.send("text")
    assert chat.templates() == [template]


async def test_a_request_inside_a_button_step_is_acted_on(
    chat: EngineChat, recognizer: ScriptedRecognizer
) -> None:
    await chat.send("/start")
    recognizer.answers["какие нужны документы"] = rasa("ask_documents", 0.95)
    await chat.send("какие нужны документы")
    # answered, and the consent question is asked again: the flow goes on
    assert chat.templates() == ["info.documents", "consent.ask"]
    await chat.send("позовите оператора")  # unknown to the script: the step asks again
    assert chat.templates() == ["consent.invalid", "consent.ask"]


async def test_consent_is_never_taken_from_a_guess(
    chat: EngineChat, recognizer: ScriptedRecognizer
) -> None:
    await chat.send("/start")
    recognizer.answers["ну давай уже"] = rasa("affirm", 0.99)
    await chat.send("ну давай уже")
    assert chat.templates() == ["consent.invalid", "consent.ask"]


async def test_buttons_and_commands_never_reach_the_nlu(
    chat: EngineChat, recognizer: ScriptedRecognizer
) -> None:
    await consented(chat)
    await chat.send("/menu")
    await chat.press("buttons.my_data")
    assert recognizer.heard == []


async def test_an_unknown_intent_button_is_expired(chat: EngineChat) -> None:
    await consented(chat)
    await chat.press_payload("intent:greet")
    assert chat.templates()[0] == "common.button_expired"


async def test_the_same_offer_made_twice_is_still_open(
    chat: EngineChat, recognizer: ScriptedRecognizer
) -> None:
    await consented(chat)
    recognizer.answers["жалобу хочу наверно"] = rasa("file_complaint", 0.55)
    await chat.send("жалобу хочу наверно")
    await chat.send("жалобу хочу наверно")
    assert chat.templates() == ["nlu.confirm"]
    await chat.send("да")
    assert chat.templates() == ["complaint.ask_ground"]
