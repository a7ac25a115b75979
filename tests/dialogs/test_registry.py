"""A feature plugs into the engine by declaration alone: its section, command, button prefix
and flow are routed, its notice shown, and a clash with another feature refused at start-up.
Typed button payloads keep to Telegram's 64 bytes and turn anything foreign into None."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from dialogs.engine import Engine
from dialogs.feature import Chat, Command, Controls, Section
from dialogs.flow import DialogConfig, Flow, Step, Turn
from dialogs.payloads import MenuPress, Payload
from dialogs.registry import Registry
from dialogs.types import Button, Reply
from tests.support import wiring
from tests.support.chat import EngineChat
from tests.support.fakes import InMemoryStore


@dataclass(frozen=True)
class ToyPress(Payload, prefix="toy"):
    toy_id: int
    action: str
    note: str | None = None


async def _open(turn: Turn, controls: Controls, understood: Mapping[str, Any]) -> list[Reply]:
    return [Reply("toy.section", {"understood": dict(understood)})]


async def _command(turn: Turn, controls: Controls) -> list[Reply]:
    return controls.start_flow(turn, "toy_flow")


async def _pressed(turn: Turn, controls: Controls, data: str) -> list[Reply]:
    press = ToyPress.unpack(data)
    if press is None:
        return controls.expired(turn)
    return [Reply("toy.pressed", {"id": press.toy_id, "action": press.action})]


async def _notice(turn: Turn) -> Reply | None:
    return Reply("toy.notice")


async def _finish(turn: Turn) -> list[Reply]:
    return [Reply("toy.done", {"name": turn.values["name"]})]


TOY_FLOW = Flow(
    name="toy_flow",
    steps=(Step("name", "toy.ask_name", lambda turn: turn.incoming.text, "toy.invalid"),),
    finish=_finish,
)
TOY = Chat(
    sections=(Section("toy", _open, place=95, with_notices=True),),
    commands=(Command("toy", _command, order=50),),
    buttons={ToyPress.prefix: _pressed},
    flows=(TOY_FLOW,),
    notices=(_notice,),
)


@pytest.fixture
async def chat(dialog_config: DialogConfig) -> EngineChat:
    engine = Engine(dialog_config, (*wiring.CHATS, TOY))
    chat = EngineChat(engine, InMemoryStore())
    await chat.send("/start")
    await chat.press("buttons.consent_accept")
    await chat.press("buttons.region", name="Самарская область")
    return chat


async def test_a_new_features_command_flow_section_and_buttons_are_routed(
    chat: EngineChat,
) -> None:
    assert "toy" in chat.engine.commands
    assert chat.engine.commands.index("toy") == chat.engine.commands.index("status") + 1
    assert "buttons.toy" in [b.label for b in chat.offered()]  # in the menu, at its place

    await chat.send("/toy")
    assert chat.templates() == ["toy.ask_name"]
    await chat.send("Юла")
    assert chat.templates() == ["toy.done"]
    assert chat.last[0].context == {"name": "Юла"}

    await chat.press_payload(MenuPress("toy").pack())
    assert chat.templates() == ["toy.notice", "toy.section"]

    await chat.press_payload(ToyPress(7, "spin").pack())
    assert chat.templates() == ["toy.pressed"]
    assert chat.last[0].context == {"id": 7, "action": "spin"}

    await chat.press_payload("toy:seven:spin")  # a forged number
    assert chat.templates()[0] == "common.button_expired"


def test_a_clash_between_features_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="section 'toy' is declared twice"):
        Registry((TOY, Chat(sections=(Section("toy", _open),))))
    with pytest.raises(ValueError, match="command 'toy' is declared twice"):
        Registry((TOY, Chat(commands=(Command("toy", _command, order=1),))))
    with pytest.raises(ValueError, match="button prefix 'toy' is declared twice"):
        Registry((TOY, Chat(buttons={"toy": _pressed})))
    with pytest.raises(ValueError, match="the engine's own"):
        Registry((Chat(buttons={"nav": _pressed}),), reserved_prefixes=("nav",))
    with pytest.raises(ValueError, match="intent 'ask' both opens a section and is answered"):
        Registry(
            (
                Chat(sections=(Section("a", _open, intents=("ask",)),)),
                Chat(answers={"ask": lambda turn: Reply("x.y")}),
            )
        )


def test_payloads_round_trip_and_refuse_what_is_not_theirs() -> None:
    assert ToyPress(7, "spin").pack() == "toy:7:spin"
    assert ToyPress(7, "spin", "x").pack() == "toy:7:spin:x"
    assert ToyPress.unpack("toy:7:spin") == ToyPress(7, "spin", None)
    assert ToyPress.unpack("toy:7:spin:x") == ToyPress(7, "spin", "x")
    assert ToyPress.unpack("toy:7") is None  # a required field missing
    assert ToyPress.unpack("toy:-1:spin") is None
    assert ToyPress.unpack(f"toy:{2**63}:spin") is None  # past what SQL integers hold
    assert ToyPress.unpack("toy:7:spin:x:y") is None
    assert ToyPress.unpack("off:7:spin") is None
    assert ToyPress.unpack(None) is None
    with pytest.raises(ValueError, match="1-64 bytes"):
        ToyPress(7, "ж" * 40).pack()
    with pytest.raises(ValueError, match="':' in a payload field"):
        ToyPress(7, "a:b").pack()
    with pytest.raises(ValueError, match="1-64 bytes"):
        Button("buttons.menu", "x" * 65)


def test_a_payload_prefix_belongs_to_one_class() -> None:
    with pytest.raises(ValueError, match="taken"):

        @dataclass(frozen=True)
        class Other(Payload, prefix="toy"):
            value: str
