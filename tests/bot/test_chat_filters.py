"""The routers pick updates by chat with coroutine filters: aiogram runs any other filter (a
magic `F` filter too) in a worker thread, once per update."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.dispatcher.event.telegram import TelegramEventObserver
from aiogram.types import CallbackQuery, Message, Update

from bot.chat_filters import button_in, message_in, private_button, private_message
from bot.handlers import get_router

GROUP = -1001234567890


def _message(update_id: int, chat_id: int, chat_type: str) -> dict[str, Any]:
    return {
        "message_id": update_id,
        "date": 0,
        "chat": {"id": chat_id, "type": chat_type},
        "from": {"id": 7, "is_bot": False, "first_name": "Анна"},
        "text": "текст",
    }


def message_update(update_id: int, chat_id: int, chat_type: str) -> Update:
    return Update.model_validate(
        {"update_id": update_id, "message": _message(update_id, chat_id, chat_type)}
    )


def button_update(update_id: int, chat_id: int, chat_type: str) -> Update:
    press = {
        "id": str(update_id),
        "from": {"id": 7, "is_bot": False, "first_name": "Анна"},
        "chat_instance": "1",
        "data": "x",
        "message": _message(update_id, chat_id, chat_type),
    }
    return Update.model_validate({"update_id": update_id, "callback_query": press})


def filters_of(observer: TelegramEventObserver) -> list[Any]:
    return [f for handler in observer.handlers for f in handler.filters or []]


def test_the_citizens_router_filters_are_coroutines() -> None:
    anything = cast(Any, None)
    router = get_router(anything, anything, anything, anything, turn_replies=anything)
    found = [*filters_of(router.message), *filters_of(router.callback_query)]
    assert len(found) == 2
    assert all(f.awaitable for f in found)


async def test_updates_reach_the_router_of_their_chat_without_a_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def no_thread(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a filter ran in a worker thread")

    monkeypatch.setattr(asyncio, "to_thread", no_thread)
    seen: list[tuple[str, int]] = []
    group = Router(name="group")
    group.message.filter(message_in(GROUP))
    group.callback_query.filter(button_in(GROUP))
    citizens = Router(name="citizens")

    @group.message()
    async def in_group(message: Message) -> None:
        seen.append(("group message", message.message_id))

    @group.callback_query()
    async def pressed_in_group(callback: CallbackQuery) -> None:
        seen.append(("group button", int(callback.id)))

    @citizens.message(private_message)
    async def in_private(message: Message) -> None:
        seen.append(("private message", message.message_id))

    @citizens.callback_query(private_button)
    async def pressed_in_private(callback: CallbackQuery) -> None:
        seen.append(("private button", int(callback.id)))

    dispatcher = Dispatcher()
    dispatcher.include_routers(group, citizens)
    bot = Bot("42:TEST")
    for update in (
        message_update(1, 7, "private"),
        message_update(2, GROUP, "supergroup"),
        message_update(3, -555, "group"),  # another group: nobody's
        button_update(4, 7, "private"),
        button_update(5, GROUP, "supergroup"),
    ):
        await dispatcher.feed_update(bot, update)
    await bot.session.close()
    assert seen == [
        ("private message", 1),
        ("group message", 2),
        ("private button", 4),
        ("group button", 5),
    ]
