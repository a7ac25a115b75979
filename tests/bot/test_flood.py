"""Flood control: one person's excess updates are dropped before they reach the handlers (and
so the database), with one request to wait per window; other people and the operators' group
are not affected."""

from __future__ import annotations

from typing import Any

from aiogram.types import Update

from bot.middlewares import FloodGuard


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def message(update_id: int, chat_id: int, chat_type: str = "private") -> Update:
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": chat_id, "type": chat_type},
                "from": {"id": abs(chat_id), "is_bot": False, "first_name": "Анна"},
                "text": f"сообщение {update_id}",
            },
        }
    )


async def test_the_excess_is_dropped_and_the_person_asked_once_to_wait() -> None:
    clock = Clock()
    warned: list[int] = []
    handled: list[int] = []

    async def warn(chat_id: int) -> None:
        warned.append(chat_id)

    async def handler(event: Any, _data: dict[str, Any]) -> None:
        handled.append(event.update_id)

    guard = FloodGuard(limit=3, window=10, warn=warn, clock=clock)
    for n in range(6):
        await guard(handler, message(n, 101), {})
        clock.now += 0.5
    await guard(handler, message(100, 202), {})  # someone else: not affected
    for n in range(3):  # the operators' group: never limited
        await guard(handler, message(200 + n, -100500, "supergroup"), {})
    assert handled == [0, 1, 2, 100, 200, 201, 202]
    assert warned == [101]
    assert guard.dropped == 3

    clock.now = 10.1  # the first messages left the window
    await guard(handler, message(7, 101), {})
    assert handled[-1] == 7
    clock.now = 12.0
    for n in range(8, 12):  # over the limit again, a window after the warning: asked again
        await guard(handler, message(n, 101), {})
    assert handled[-2:] == [8, 9]
    assert warned == [101, 101]
