"""Each citizen's messages are counted per day for the staff's weekly report: all of them,
the free text the bot had to read, and the free text it did not understand."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import date

from prometheus_client import REGISTRY
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from dialogs.flow import DialogConfig
from nlu.results import Understanding
from storage.models import Conversation, TurnCount
from storage.repositories import SqlDialogStore
from tests.support.db_chat import DbChat


class Recognizer:
    """Knows that "хочу пожаловаться" is a complaint; nothing else."""

    async def understand(self, text: str) -> Understanding:
        if "пожаловаться" in text:
            return Understanding(intent="file_complaint", confidence=0.99, source="rasa")
        return Understanding(intent="nlu_fallback", confidence=0.1, source="rasa")


async def counts(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[int, int, int, str]]:
    async with sessions() as session:
        rows = await session.scalars(select(TurnCount))
        return [(r.messages, r.free_text, r.not_understood, str(r.region_code)) for r in rows]


async def test_messages_free_text_and_misunderstandings_are_counted(
    sessions: async_sessionmaker[AsyncSession], dialog_config: DialogConfig
) -> None:
    def read(outcome: str) -> float:
        return REGISTRY.get_sample_value("assistant_free_text_total", {"outcome": outcome}) or 0

    def nlu(outcome: str) -> float:
        return REGISTRY.get_sample_value("assistant_nlu_total", {"outcome": outcome}) or 0

    before = read("understood"), read("not_understood")
    nlu_before = nlu("acted"), nlu("fallback")
    chat = DbChat(sessions, dialog_config, recognizer=Recognizer())
    await chat.start()  # /start, a button, a button: no free text
    assert await counts(sessions) == [(3, 0, 0, "63")]
    await chat.send("ывапролд джзщ")
    await chat.send("хочу пожаловаться на центр")
    await chat.send("/menu")
    assert await counts(sessions) == [(6, 2, 1, "63")]
    assert (read("understood"), read("not_understood")) == (before[0] + 1, before[1] + 1)
    assert (nlu("acted"), nlu("fallback")) == (nlu_before[0] + 1, nlu_before[1] + 1)
    chat.clock.now = chat.clock.now.replace(day=chat.clock.now.day + 1)
    await chat.send("/menu")  # a new day: a new conversation
    assert sorted(await counts(sessions)) == [(1, 0, 0, "63"), (6, 2, 1, "63")]


async def test_two_turns_of_one_citizen_at_once_are_both_counted(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        citizen = await SqlDialogStore(session).citizen("telegram", "7", 7)
        citizen.region_code = "63"
        await session.commit()
    day = date(2026, 12, 4)
    async with sessions() as first, sessions() as second:
        one, other = SqlDialogStore(first), SqlDialogStore(second)
        await one.count_turn(await one.citizen("telegram", "7", 7), day, None)

        async def the_other_turn() -> None:
            await other.count_turn(await other.citizen("telegram", "7", 7), day, False)
            await second.commit()

        # The other turn starts while the first is still open; it waits for the first's
        # commit (a lock on the row, or SQLite's one writer) and adds to its count.
        racing = asyncio.create_task(the_other_turn())
        await asyncio.sleep(0.2)
        await first.commit()
        await racing
    assert await counts(sessions) == [(2, 1, 1, "63")]


async def test_a_turn_writes_its_conversation_once(
    db_engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], dialog_config: DialogConfig
) -> None:
    """The turn count is written last: counted before the slots, its statement flushed the new
    step, and the slots went in a second UPDATE."""
    written: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        # On its own or within the commit's one statement (storage/writes_at_commit.py)
        written.extend(["conversations"] * statement.upper().count("UPDATE CONVERSATIONS"))

    event.listen(db_engine.sync_engine, "before_cursor_execute", record)
    chat = DbChat(sessions, dialog_config)
    await chat.start()

    async def writes(turn: Awaitable[object]) -> int:
        written.clear()
        await turn
        return len(written)

    per_turn = [
        await writes(chat.send("/complaint")),
        await writes(chat.press("buttons.complaint_ground", ground="documents_refused")),
        await writes(chat.press("buttons.complaint_respondent", respondent="centre")),
    ]
    assert per_turn == [1, 1, 1]  # the flow, its step and its answers change in each


async def test_a_turn_that_changes_nothing_flushes_nothing(
    sessions: async_sessionmaker[AsyncSession], dialog_config: DialogConfig
) -> None:
    """Opening the menu outside any flow leaves the conversation as it was: nothing is set on
    it, so the commit has nothing to flush (the ORM's flush cost about 0.2 ms a turn). A turn
    that changes the conversation writes it at the commit (storage/writes_at_commit.py), and
    leaves the ORM's flush nothing to do either."""
    flushes: list[object] = []

    def record(session: Session, *_args: object) -> None:
        flushes.append(session)

    chat = DbChat(sessions, dialog_config)
    await chat.start()
    event.listen(Session, "before_flush", record)
    try:
        await chat.send("/menu")
        await chat.send("/menu")
        assert flushes == []
        await chat.send("/complaint")  # a flow starts: the conversation is written
        assert flushes == []
    finally:
        event.remove(Session, "before_flush", record)
    async with sessions() as session:
        assert await session.scalar(select(Conversation.flow)) == "complaint"
