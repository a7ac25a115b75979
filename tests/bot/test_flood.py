"""Flood control: one person's excess updates are dropped before they are stored in the inbox
(so before the database and the handlers), with one request to wait per window; other people
and the operators' group are not affected."""

from __future__ import annotations

from aiogram.types import Update

from bot.middlewares import FloodGuard


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def message(update_id: int, chat_id: int, chat_type: str = "private", at: float = 0) -> Update:
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": int(at),  # Telegram stamps messages in whole seconds
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

    async def offer(update: Update) -> None:
        if await guard.admit(update):
            handled.append(update.update_id)

    guard = FloodGuard(limit=3, window=10, warn=warn, clock=clock)
    for n in range(6):
        await offer(message(n, 101, at=clock.now))
        clock.now += 0.5
    await offer(message(100, 202, at=clock.now))  # someone else: not affected
    for n in range(3):  # the operators' group: never limited
        await offer(message(200 + n, -100500, "supergroup", at=clock.now))
    assert handled == [0, 1, 2, 100, 200, 201, 202]
    assert warned == [101]
    assert guard.dropped == 3

    clock.now = 10.1  # the first messages left the window
    await offer(message(7, 101, at=clock.now))
    assert handled[-1] == 7
    clock.now = 12.0
    for n in range(8, 12):  # over the limit again, a window after the warning: asked again
        await offer(message(n, 101, at=clock.now))
    assert handled[-2:] == [8, 9]
    assert warned == [101, 101]


async def test_a_backlog_after_downtime_is_not_a_flood_and_a_redelivery_not_counted() -> None:
    """After an outage Telegram hands over a minute of ordinary conversation at once: each
    message counts at the time it was sent. An update delivered again keeps its verdict."""
    clock = Clock()
    clock.now = 1000.0

    async def warn(_chat_id: int) -> None:
        raise AssertionError("nobody flooded")

    guard = FloodGuard(limit=3, window=10, warn=warn, clock=clock)
    backlog = [message(n, 101, at=900 + 6 * n) for n in range(10)]  # one every 6 s
    assert [await guard.admit(update) for update in backlog] == [True] * 10
    assert [await guard.admit(update) for update in backlog] == [True] * 10  # again: same
    assert guard.dropped == 0
