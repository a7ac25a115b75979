"""Which chat an update comes from, as coroutine filters.

aiogram awaits a filter that is a coroutine function, but runs any other callable — a magic
`F` filter included — in a worker thread (`asyncio.to_thread` in
`aiogram.dispatcher.event.handler.CallableObject.call`): a thread hop, and a wake-up of the
event loop through its self-pipe, for every update and every such filter on its way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram.types import CallbackQuery, Message


async def private_message(message: Message) -> bool:
    return message.chat.type == "private"


async def private_button(callback: CallbackQuery) -> bool:
    return callback.message is not None and callback.message.chat.type == "private"


def message_in(chat_id: int) -> Callable[[Message], Awaitable[bool]]:
    async def check(message: Message) -> bool:
        return message.chat.id == chat_id

    return check


def button_in(chat_id: int) -> Callable[[CallbackQuery], Awaitable[bool]]:
    async def check(callback: CallbackQuery) -> bool:
        return callback.message is not None and callback.message.chat.id == chat_id

    return check
