"""Flow tests on the engine with an in-memory store."""

from __future__ import annotations

import pytest

from dialogs.engine import MAX_INPUT_CHARS, Engine
from dialogs.flow import DialogConfig
from tests.support import wiring
from tests.support.chat import EngineChat
from tests.support.fakes import InMemoryStore


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def chat(dialog_config: DialogConfig, store: InMemoryStore) -> EngineChat:
    return EngineChat(wiring.engine(dialog_config), store)


async def test_start_greets_and_asks_for_consent_storing_nothing_personal(
    chat: EngineChat, store: InMemoryStore
) -> None:
    await chat.send("/start")
    assert chat.templates() == ["start.greeting", "consent.ask"]
    assert chat.last[1].context == {"version": "test-1"}
    labels = [b.label for b in chat.offered()]
    assert labels == ["buttons.consent_accept", "buttons.consent_decline", "buttons.cancel"]
    citizen = store.citizens[("telegram", "1001")]
    assert citizen.display_name is None
    assert citizen.username is None
    assert store.consents == []


async def test_accepting_consent_records_it_then_asks_region_then_menu(
    chat: EngineChat, store: InMemoryStore
) -> None:
    await chat.send("/start")
    await chat.press("buttons.consent_accept")
    assert chat.templates() == ["onboarding.ask_region"]
    assert len(store.consents) == 1
    assert store.consents[0].text_version == "test-1"
    assert [r.action for r in store.audit_log] == ["consent:given"]
    citizen = store.citizens[("telegram", "1001")]
    assert citizen.display_name == "Анна Петрова"

    await chat.press("buttons.region", name="Москва")
    assert chat.templates() == ["onboarding.done"]
    assert chat.last[0].context == {"name": "Анна Петрова", "region": "Москва"}
    assert citizen.region_code == "77"
    assert "buttons.my_data" in [b.label for b in chat.offered()]
    assert store.conversations[citizen.id].flow is None


async def test_declining_consent_leaves_general_information_only(
    chat: EngineChat, store: InMemoryStore
) -> None:
    await chat.send("/start")
    await chat.press("buttons.consent_decline")
    assert chat.templates() == ["consent.declined"]
    assert [b.label for b in chat.offered()] == ["buttons.info", "buttons.consent", "buttons.help"]
    assert store.consents == []
    assert store.citizens[("telegram", "1001")].display_name is None

    await chat.press("buttons.info")
    assert chat.templates() == ["info.general"]
    # A section that needs personal data asks for consent instead.
    await chat.press_payload("menu:vacancies")
    assert chat.templates() == ["consent.required"]
    await chat.press("buttons.consent")
    assert chat.templates() == ["consent.ask"]


async def test_consent_can_be_typed_in_words(chat: EngineChat, store: InMemoryStore) -> None:
    await chat.send("/start")
    await chat.send("Согласна!")
    assert chat.templates() == ["onboarding.ask_region"]
    await chat.send("самарская")
    assert chat.templates() == ["onboarding.done"]
    assert store.citizens[("telegram", "1001")].region_code == "63"


@pytest.mark.parametrize(
    "bad_input",
    [
        {"text": "может быть"},
        {"text": "x" * 10_000},
        {"attachment": "photo"},
        {"text": None, "contact_phone": "+79001234567"},
    ],
)
async def test_invalid_answer_is_explained_and_asked_again(
    chat: EngineChat, store: InMemoryStore, bad_input: dict[str, object]
) -> None:
    await chat.send("/start")
    text = bad_input.pop("text", None)
    await chat.send(text, **bad_input)  # type: ignore[arg-type]
    assert chat.templates() == ["consent.invalid", "consent.ask"]
    assert store.consents == []
    conversation = next(iter(store.conversations.values()))
    assert (conversation.flow, conversation.step) == ("onboarding", "consent")


async def test_back_returns_to_previous_step_keeping_what_was_entered(
    chat: EngineChat, store: InMemoryStore
) -> None:
    await chat.send("/start")
    await chat.press("buttons.consent_accept")
    assert "buttons.back" in [b.label for b in chat.offered()]
    await chat.press("buttons.back")
    assert chat.templates() == ["consent.ask"]
    conversation = next(iter(store.conversations.values()))
    assert conversation.step == "consent"
    assert conversation.slots["values"] == {"consent": "yes"}
    # Answering again does not record a second consent.
    await chat.press("buttons.consent_accept")
    assert chat.templates() == ["onboarding.ask_region"]
    assert len(store.consents) == 1


async def test_cancel_leaves_the_flow_at_any_step(chat: EngineChat, store: InMemoryStore) -> None:
    await chat.send("/start")
    await chat.press("buttons.consent_accept")
    await chat.send("/cancel")
    assert chat.templates() == ["common.cancelled"]
    conversation = next(iter(store.conversations.values()))
    assert (conversation.flow, conversation.step, conversation.slots) == (None, None, {})
    await chat.send("/cancel")
    assert chat.templates() == ["common.nothing_to_cancel"]


async def test_cancel_button_and_menu_command(chat: EngineChat) -> None:
    await chat.send("/start")
    await chat.press("buttons.cancel")
    assert chat.templates() == ["common.cancelled"]
    await chat.send("/start")
    await chat.send("/menu")
    assert chat.templates() == ["menu.main"]


async def test_help_at_a_step_repeats_the_question(chat: EngineChat) -> None:
    await chat.send("/start")
    await chat.send("/help")
    assert chat.templates() == ["common.help", "consent.ask"]
    await chat.send("/HELP@SomeBot")
    assert chat.templates() == ["common.help", "consent.ask"]


async def test_unknown_text_and_commands_get_an_answer_with_the_menu(chat: EngineChat) -> None:
    await chat.send("как дела")
    assert chat.templates() == ["common.not_understood"]
    assert chat.offered()
    await chat.send("/foo")
    assert chat.templates() == ["common.unknown_command"]
    await chat.send(None, attachment="sticker")
    assert chat.templates() == ["common.unsupported"]
    await chat.send("/")
    assert chat.templates() == ["common.unknown_command"]


async def test_expired_button_is_explained_and_current_question_repeated(
    chat: EngineChat,
) -> None:
    await chat.send("/start")
    old_accept = chat.button("buttons.consent_accept").payload
    await chat.press("buttons.consent_accept")
    await chat.press_payload(old_accept)
    assert chat.templates() == ["common.button_expired", "onboarding.ask_region"]
    await chat.press_payload("nonsense:payload")
    assert chat.templates() == ["common.button_expired", "onboarding.ask_region"]


async def test_interviews_without_a_notice_say_how_one_comes(chat: EngineChat) -> None:
    await chat.send("/start")
    await chat.press("buttons.consent_accept")
    await chat.press("buttons.region", name="Москва")
    await chat.press("buttons.interviews")
    assert chat.templates() == ["interview.none"]
    await chat.press("buttons.menu")
    assert chat.templates() == ["menu.main"]


async def test_my_data_shows_what_is_stored_and_withdrawal_erases_it(
    chat: EngineChat, store: InMemoryStore
) -> None:
    await chat.send("/start")
    await chat.press("buttons.consent_accept")
    await chat.press("buttons.region", name="Самарская область")
    await chat.press("buttons.my_data")
    assert chat.templates() == ["my_data.show"]
    shown = chat.last[0].context
    assert shown["name"] == "Анна Петрова"
    assert shown["region"] == "Самарская область"
    assert shown["consent_version"] == "test-1"
    assert str(shown["consent_given_at"].tzinfo) == "Europe/Samara"

    await chat.press("buttons.withdraw")
    assert chat.templates() == ["my_data.confirm_withdraw"]
    await chat.send("может")
    assert chat.templates() == ["my_data.invalid_confirm", "my_data.confirm_withdraw"]
    await chat.press("buttons.withdraw_confirm")
    assert chat.templates() == ["my_data.withdrawn"]
    citizen = store.citizens[("telegram", "1001")]
    assert citizen.display_name is None
    assert citizen.username is None
    assert citizen.erased_at is not None
    assert store.consents[0].withdrawn_at is not None
    assert [r.action for r in store.audit_log][-1] == "consent:withdrawn"
    # After withdrawal: general information only.
    await chat.press_payload("menu:my_data")
    assert chat.templates() == ["consent.required"]


async def test_keeping_consent(chat: EngineChat, store: InMemoryStore) -> None:
    await chat.send("/start")
    await chat.send("да")
    await chat.send("Москва")
    await chat.press("buttons.my_data")
    await chat.press("buttons.withdraw")
    await chat.press("buttons.withdraw_keep")
    assert chat.templates() == ["my_data.kept"]
    assert store.consents[0].withdrawn_at is None


async def test_start_again_with_consent_welcomes_back(chat: EngineChat) -> None:
    await chat.send("/start")
    await chat.send("да")
    await chat.send("Москва")
    await chat.send("/start")
    assert chat.templates() == ["start.welcome_back"]


async def test_input_is_capped_and_stripped_of_nul(
    dialog_config: DialogConfig, store: InMemoryStore
) -> None:
    seen: list[str] = []

    class Spy(Engine):
        async def _dispatch(self, turn):  # type: ignore[no-untyped-def]
            seen.append(turn.incoming.text)
            return []

    spy = EngineChat(Spy(dialog_config, wiring.CHATS), store)
    await spy.send("a\x00b" + "c" * 20_000)
    assert seen[0].startswith("abc")
    assert len(seen[0]) == MAX_INPUT_CHARS
