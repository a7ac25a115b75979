"""The inbox worker on a real database, with a dispatcher of our own: a person's updates one at
a time and in order, the next taken as soon as the one in hand is done (not at the sweep)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram import Bot
from aiogram.types import Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.inbox import Worker, received
from kernel.clock import utc_now
from storage import inbox

BOT = Bot("123456:TEST-token")
PERSON = {"id": 4242, "is_bot": False, "first_name": "Анна"}


def update(update_id: int, text: str) -> Update:
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 1_764_400_000 + update_id,
                "chat": {"id": PERSON["id"], "type": "private"},
                "from": PERSON,
                "text": text,
            },
        }
    )


class Dispatcher:
    """Holds the first update until told, marks each handled as the real middleware does."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self.handled: list[int] = []
        self.fed: list[Update] = []
        self.first_in_hand = asyncio.Event()
        self.let_first_go = asyncio.Event()
        self.in_hand = 0
        self.most_in_hand = 0

    async def feed_update(self, _bot: Bot, update: Update, inbox_row: int, **_: Any) -> None:
        self.fed.append(update)
        self.in_hand += 1
        self.most_in_hand = max(self.most_in_hand, self.in_hand)
        if not self.handled:
            self.first_in_hand.set()
            await self.let_first_go.wait()
        async with self.sessions() as session:
            await inbox.finish(session, inbox_row, utc_now(), "handled")
        self.handled.append(update.update_id)
        self.in_hand -= 1


async def test_updates_kept_are_taken_at_once_and_a_persons_next_once_the_one_in_hand_is_done(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    dispatcher = Dispatcher(sessions)
    # A sweep far beyond the test's patience: only `keep` and wake-ups can take an update.
    worker = Worker(sessions, dispatcher, BOT, sweep_seconds=600)  # type: ignore[arg-type]
    worker.start()
    try:
        await worker.keep([update(1, "первое")])  # stored and taken in one go, no wake-up
        await asyncio.wait_for(dispatcher.first_in_hand.wait(), 10)
        await worker.keep([update(2, "второе")])  # while the first is in hand
        async with sessions() as session:
            assert await inbox.backlog(session) == 2  # both stored
        await asyncio.sleep(0.3)
        assert dispatcher.handled == []  # the second waits for the first
        dispatcher.let_first_go.set()
        for _ in range(100):
            if len(dispatcher.handled) == 2:
                break
            await asyncio.sleep(0.05)
        assert dispatcher.handled == [1, 2]
        assert dispatcher.most_in_hand == 1
    finally:
        await worker.stop(timeout=5)


async def test_an_update_this_process_stored_is_fed_as_parsed_and_others_from_the_store(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    dispatcher = Dispatcher(sessions)
    dispatcher.let_first_go.set()
    worker = Worker(sessions, dispatcher, BOT, sweep_seconds=600)  # type: ignore[arg-type]
    mine, stored_elsewhere = update(1, "первое"), update(2, "второе")
    await worker.keep([mine])
    async with sessions() as session:
        await inbox.store(session, BOT.id, [received(stored_elsewhere)])
    worker.start()
    try:
        for _ in range(100):
            if len(dispatcher.handled) == 2:
                break
            worker.wake()  # one person's: the second is taken once the first is done
            await asyncio.sleep(0.05)
        assert dispatcher.handled == [1, 2]
        assert dispatcher.fed[0] is mine  # not parsed again
        assert dispatcher.fed[1] is not stored_elsewhere
        assert dispatcher.fed[1].message is not None
        assert dispatcher.fed[1].message.text == "второе"  # parsed from the stored copy
    finally:
        await worker.stop(timeout=5)


async def test_nothing_is_kept_or_taken_when_the_lease_fails(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    dispatcher = Dispatcher(sessions)
    worker = Worker(sessions, dispatcher, BOT, sweep_seconds=600)  # type: ignore[arg-type]

    async def broken_lease(*_args: Any, **_kwargs: Any) -> list[inbox.Leased]:
        raise ConnectionError("the database went away")

    monkeypatch.setattr(inbox, "lease", broken_lease)
    with pytest.raises(ConnectionError):
        await worker.keep([update(1, "первое")])
    async with sessions() as session:  # the store rolled back with it: Telegram keeps it
        assert await inbox.backlog(session) == 0
    assert dispatcher.fed == []
