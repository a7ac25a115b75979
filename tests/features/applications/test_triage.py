"""Choosing an application and its route (features/applications/triage.py), on the engine with
an in-memory store; the texts rendered strictly against their declared contexts."""

from __future__ import annotations

import pytest

from app.build import renderer
from dialogs.flow import DialogConfig
from dialogs.render import Renderer
from nlu.results import Understanding
from tests.support import wiring
from tests.support.chat import EngineChat
from tests.support.fakes import InMemoryStore


class Recognizer:
    """Rasa, sure of one intent for one phrase."""

    def __init__(self, phrases: dict[str, str]) -> None:
        self._phrases = phrases

    async def understand(self, text: str) -> Understanding:
        intent = self._phrases.get(text, "nlu_fallback")
        return Understanding(intent=intent, confidence=0.95, source="rasa")


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture(scope="module")
def strict_renderer() -> Renderer:
    return renderer(strict=True)


async def ready(chat: EngineChat) -> None:
    await chat.send("/start")
    await chat.press("buttons.consent_accept")
    await chat.press("buttons.region", name="Самарская область")


async def answer(chat: EngineChat, question: str, value: str) -> None:
    await chat.press("buttons.application_answer", question=question, answer=value)


def rendered(renderer: Renderer, chat: EngineChat) -> str:
    return "\n".join(renderer.reply(reply).text for reply in chat.last)


async def test_job_search_for_a_claimant_filing_away_from_home(
    dialog_config: DialogConfig, store: InMemoryStore, strict_renderer: Renderer
) -> None:
    chat = EngineChat(wiring.engine(dialog_config), store)
    await ready(chat)
    await chat.press("buttons.applications")
    assert chat.templates() == ["application.ask_service"]
    services = [b.context["service"] for b in chat.offered() if "service" in b.context]
    assert services == ["job_search", "unemployment", "disability_support", "psych_support"]
    await chat.press("buttons.application_service", service="job_search")
    assert chat.templates() == ["application.ask_claimant"]
    await answer(chat, "claimant", "yes")
    assert chat.templates() == ["application.ask_residence"]
    await answer(chat, "residence", "no")
    await answer(chat, "group", "none")
    assert chat.templates() == ["application.route_job_search"]
    route = chat.last[0].context
    assert (route["claimant"], route["residence"], route["group"]) == ("yes", "no", "none")
    text = rendered(strict_renderer, chat)
    assert "адрес места жительства — претенденту на статус безработного он обязателен" in text
    assert "в течение 5 рабочих дней" in text  # 001 ¶2.7
    assert "за 2 календарных дня" in text  # 001 ¶3.7.2, a claimant
    assert "ИНН и СНИЛС вносите только на портале" in text
    labels = [b.label for b in chat.offered()]
    # The route ends in the guided draft, the way back to the services, and the menu.
    assert labels[:2] == ["buttons.application_draft", "buttons.applications"]
    assert labels[-1] == "buttons.menu"
    # The answers are not kept once the route is shown.
    conversation = next(iter(store.conversations.values()))
    assert conversation.flow is None
    assert "claimant" not in str(conversation.slots)


async def test_a_job_seeker_not_claiming_is_not_asked_for_the_residence(
    dialog_config: DialogConfig, store: InMemoryStore, strict_renderer: Renderer
) -> None:
    chat = EngineChat(wiring.engine(dialog_config), store)
    await ready(chat)
    await chat.press("buttons.applications")
    await chat.press("buttons.application_service", service="job_search")
    await answer(chat, "claimant", "no")
    assert chat.templates() == ["application.ask_group"]
    await chat.send("2")  # the answer's number typed: a pensioner
    text = rendered(strict_renderer, chat)
    assert "неработающему пенсионеру по старости" in text
    assert "адрес места жительства" not in text
    assert "в срок из уведомления" in text


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ([("disability", "none")], "только для людей с инвалидностью"),
        ([("disability", "no_ipra")], "Для этой услуги нужна ИПРА"),
        ([("disability", "ipra"), ("employed", "yes")], "которые сейчас не работают"),
        (
            [("disability", "ipra"), ("employed", "no"), ("support", "no")],
            "Если сопровождающий вам не нужен",
        ),
        (
            [("disability", "ipra"), ("employed", "no"), ("support", "unsure")],
            "ИПРА — по желанию: если её не принести, центр сам запросит сведения в МСЭ",
        ),
    ],
)
async def test_support_of_a_disabled_job_seeker_says_who_it_is_for(
    dialog_config: DialogConfig,
    store: InMemoryStore,
    strict_renderer: Renderer,
    answers: list[tuple[str, str]],
    expected: str,
) -> None:
    chat = EngineChat(wiring.engine(dialog_config), store)
    await ready(chat)
    await chat.press("buttons.applications")
    await chat.press("buttons.application_service", service="disability_support")
    for question, value in answers:
        assert chat.templates() == [f"application.ask_{question}"]
        await answer(chat, question, value)
    assert chat.templates() == ["application.route_disability"]
    assert expected in rendered(strict_renderer, chat)
    # A disability is health data: nothing of the answers stays in the conversation.
    assert "disability" not in str(next(iter(store.conversations.values())).slots)


async def test_psychological_support_only_for_the_unemployed_named_in_words(
    dialog_config: DialogConfig, store: InMemoryStore, strict_renderer: Renderer
) -> None:
    recognizer = Recognizer({"нужна помощь психолога": "apply_psych_support"})
    chat = EngineChat(wiring.engine(dialog_config, recognizer=recognizer), store)
    await ready(chat)
    await chat.send("нужна помощь психолога")
    assert chat.templates() == ["application.ask_unemployed"]  # straight to its question
    await chat.send("что-то непонятное")
    assert chat.templates() == ["application.pick_answer", "application.ask_unemployed"]
    await answer(chat, "unemployed", "no")
    text = rendered(strict_renderer, chat)
    assert "для граждан, признанных безработными" in text
    await chat.send("нужна помощь психолога")
    await answer(chat, "unemployed", "yes")
    text = rendered(strict_renderer, chat)
    assert "паспорт или другой документ" in text
    assert "в центр можно прийти и без записи" in text  # 004 §2.11.5


async def test_asking_to_be_recognised_as_unemployed_skips_the_claimant_question(
    dialog_config: DialogConfig, store: InMemoryStore
) -> None:
    recognizer = Recognizer({"хочу встать на учёт как безработный": "apply_unemployment"})
    chat = EngineChat(wiring.engine(dialog_config, recognizer=recognizer), store)
    await ready(chat)
    await chat.send("хочу встать на учёт как безработный")
    assert chat.templates() == ["application.ask_residence"]
    await chat.press("buttons.cancel")
    assert chat.templates() == ["common.cancelled"]
