"""Writes made at the commit: they commit or roll back with their transaction, and on
PostgreSQL they go in one statement with the inbox mark; the conversation's changes among
them, its version checked. SQLite always, PostgreSQL when TEST_POSTGRES_URL is set."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from bot.inbox_mark import mark_on_commit
from reminders.store import stage_replies
from storage import inbox
from storage.database import backend
from storage.inbox import Received
from storage.models import Citizen, Conversation, InboxUpdate, Reminder, TurnCount
from storage.repositories import SqlDialogStore
from storage.reserved_ids import ReservedIds
from storage.writes_at_commit import take_waiting

NOW = datetime(2026, 12, 6, 9, tzinfo=UTC)
DAY = date(2026, 12, 6)


async def _citizen(sessions: async_sessionmaker[AsyncSession]) -> Citizen:
    async with sessions() as session:
        citizen = await SqlDialogStore(session).citizen("telegram", "5", 5)
        await session.commit()
        return citizen


async def _messages(sessions: async_sessionmaker[AsyncSession]) -> list[int]:
    async with sessions() as session:
        return list(await session.scalars(select(TurnCount.messages)))


async def test_a_write_at_commit_commits_or_rolls_back_with_its_transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    citizen = await _citizen(sessions)
    async with sessions() as session:
        await SqlDialogStore(session).count_turn(citizen, DAY, None)
        assert await _messages(sessions) == []  # not before the commit
        await session.rollback()
        await session.commit()
    assert await _messages(sessions) == []  # rolled back with its transaction, not left over
    async with sessions() as session:
        await SqlDialogStore(session).count_turn(citizen, DAY, None)
        await session.commit()
    assert await _messages(sessions) == [1]


async def test_the_count_goes_with_the_inbox_mark(
    db_engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """On PostgreSQL one statement marks the update handled and counts the turn."""
    citizen = await _citizen(sessions)
    async with sessions() as session:
        await inbox.store(session, 42, [Received(7, 5, {})])
        [taken] = await inbox.lease(session, NOW, 60, set())
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement.split(maxsplit=1)[0].upper())

    event.listen(db_engine.sync_engine, "before_cursor_execute", record)
    try:
        async with sessions() as session:
            mark_on_commit(session, taken.id, lambda: NOW, timedelta(seconds=30))
            await SqlDialogStore(session).count_turn(citizen, DAY, None)
            await session.commit()
            one_statement = backend(session) == "postgresql"
    finally:
        event.remove(db_engine.sync_engine, "before_cursor_execute", record)

    assert statements == (["WITH"] if one_statement else ["INSERT", "UPDATE"])
    assert await _messages(sessions) == [1]
    async with sessions() as session:
        row = await session.get(InboxUpdate, taken.id)
        assert row is not None
        assert row.handled_at is not None
        assert row.outcome == "handled"


async def test_a_handled_update_is_still_told_apart_when_writes_go_with_the_mark(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The result is the mark's own: no row marked when the update was handled already."""
    citizen = await _citizen(sessions)
    async with sessions() as session:
        await inbox.store(session, 42, [Received(7, 5, {})])
        [taken] = await inbox.lease(session, NOW, 60, set())
        store = SqlDialogStore(session)
        await store.count_turn(citizen, DAY, None)
        writes = take_waiting(session.sync_session)
        connection = await session.connection()
        first = await connection.run_sync(
            lambda sync: inbox.mark_handled(sync, taken.id, NOW, "handled", None, together=writes)
        )
        again = await connection.run_sync(
            lambda sync: inbox.mark_handled(sync, taken.id, NOW, "handled", None)
        )
        await session.commit()
    assert (first, again) == (True, False)
    assert await _messages(sessions) == [1]


async def test_writes_that_would_share_a_parameter_go_apart(
    db_engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Two turns of one citizen counted in one transaction bind the same names: on
    PostgreSQL they cannot be one statement, so they are two, and both count."""
    citizen = await _citizen(sessions)
    with _Statements(db_engine) as statements:
        async with sessions() as session:
            store = SqlDialogStore(session)
            await store.count_turn(citizen, DAY, None)
            await store.count_turn(citizen, DAY, False)
            await session.commit()
    assert [s for s in statements.seen if not s.startswith("SELECT")] == [
        "INSERT INTO TURN_COUNTS",
        "INSERT INTO TURN_COUNTS",
    ]
    assert await _messages(sessions) == [2]


class _Statements:
    """The first word of each statement the engine sends, while recording."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.sync_engine
        self.seen: list[str] = []

    def _record(self, _conn: object, _cursor: object, statement: str, *_args: object) -> None:
        self.seen.append(" ".join(statement.split()[:3]).upper())

    def __enter__(self) -> _Statements:
        event.listen(self._engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._record)


async def _conversation_row(sessions: async_sessionmaker[AsyncSession]) -> Conversation:
    async with sessions() as session:
        row: Conversation | None = await session.scalar(select(Conversation))
        assert row is not None
        return row


async def _stored_update(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        await inbox.store(session, 42, [Received(7, 5, {})])
        [taken] = await inbox.lease(session, NOW, 60, set())
        return taken.id


async def test_the_conversation_goes_with_the_inbox_mark(
    db_engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A turn's change of step and slots is written at the commit, with the count and the
    mark (on PostgreSQL in one statement), its version raised by one."""
    citizen = await _citizen(sessions)
    async with sessions() as session:
        await SqlDialogStore(session).conversation(citizen)
        await session.commit()
    before = await _conversation_row(sessions)
    row = await _stored_update(sessions)
    with _Statements(db_engine) as statements:
        async with sessions() as session:
            mark_on_commit(session, row, lambda: NOW, timedelta(seconds=30))
            store = SqlDialogStore(session)
            found = await store.citizen("telegram", "5", 5)
            conversation = await store.conversation(found)
            conversation.step = "town"
            conversation.slots = {"profession": "повар"}
            await store.count_turn(found, DAY, None)
            await session.commit()
            one_statement = backend(session) == "postgresql"
            assert conversation.version == before.version + 1  # as committed
    writes = [s for s in statements.seen if not s.startswith("SELECT")]
    if one_statement:
        assert writes == ["WITH WRITE_0 AS"]
    else:
        assert writes == [
            "UPDATE CONVERSATIONS SET",
            "INSERT INTO TURN_COUNTS",
            "UPDATE INBOX_UPDATES SET",
        ]
    after = await _conversation_row(sessions)
    assert (after.step, after.slots) == ("town", {"profession": "повар"})
    assert after.version == before.version + 1
    assert after.updated_at > before.updated_at
    assert await _messages(sessions) == [1]


async def test_a_conversation_changed_meanwhile_fails_the_commit(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Optimistic locking as the ORM does it: the turn that read the older version fails,
    and nothing of it is committed (not its count, not its inbox mark)."""
    citizen = await _citizen(sessions)
    async with sessions() as session:
        await SqlDialogStore(session).conversation(citizen)
        await session.commit()
    row = await _stored_update(sessions)
    async with sessions() as first, sessions() as second:
        mark_on_commit(second, row, lambda: NOW, timedelta(seconds=30))
        late = SqlDialogStore(second)
        late_conversation = await late.conversation(await late.citizen("telegram", "5", 5))
        early = SqlDialogStore(first)
        (await early.conversation(await early.citizen("telegram", "5", 5))).step = "first"
        await first.commit()
        late_conversation.step = "second"
        await late.count_turn(citizen, DAY, None)
        with pytest.raises(StaleDataError):
            await second.commit()
    assert (await _conversation_row(sessions)).step == "first"
    assert await _messages(sessions) == []
    async with sessions() as session:
        update = await session.get(InboxUpdate, row)
        assert update is not None
        assert update.handled_at is None


async def test_an_unchanged_conversation_is_not_written(
    db_engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    citizen = await _citizen(sessions)
    async with sessions() as session:
        await SqlDialogStore(session).conversation(citizen)
        await session.commit()
    before = await _conversation_row(sessions)
    with _Statements(db_engine) as statements:
        async with sessions() as session:
            store = SqlDialogStore(session)
            conversation = await store.conversation(await store.citizen("telegram", "5", 5))
            conversation.flow = None  # as it was
            await session.commit()
    assert not [s for s in statements.seen if s.startswith("UPDATE")]
    assert (await _conversation_row(sessions)).version == before.version


async def test_a_conversation_flushed_before_the_commit_is_written_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A query after the change flushes it (the query must see it); the commit then has
    nothing more to write."""
    citizen = await _citizen(sessions)
    async with sessions() as session:
        await SqlDialogStore(session).conversation(citizen)
        await session.commit()
    before = await _conversation_row(sessions)
    async with sessions() as session:
        store = SqlDialogStore(session)
        conversation = await store.conversation(await store.citizen("telegram", "5", 5))
        conversation.mode = "queued"
        queued = await session.scalar(select(Conversation.id).where(Conversation.mode == "queued"))
        assert queued == conversation.id
        await session.commit()
    after = await _conversation_row(sessions)
    assert (after.mode, after.version) == ("queued", before.version + 1)


async def test_a_turns_replies_go_with_the_inbox_mark(
    db_engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """On PostgreSQL the replies' ids are reserved ahead and their INSERT made with the mark:
    staging them sends no write of its own; the ids given are the rows'."""
    citizen = await _citizen(sessions)
    row = await _stored_update(sessions)
    said: list[dict[str, Any]] = [
        {"text": "первый", "buttons": []},
        {"text": "второй", "buttons": [[["Да", "y"]]]},
    ]
    with _Statements(db_engine) as statements:
        async with sessions() as session:
            mark_on_commit(session, row, lambda: NOW, timedelta(seconds=30))
            staged = await stage_replies(
                session, citizen.id, said, owner="bot", now=NOW, lease=timedelta(seconds=30)
            )
            staged_before_commit = [s for s in statements.seen if not s.startswith("SELECT")]
            await session.commit()
            together = backend(session) == "postgresql"
    if together:
        assert staged_before_commit == []
        assert [s for s in statements.seen if not s.startswith("SELECT")] == ["WITH WRITE_0 AS"]
    async with sessions() as session:
        stored = await session.execute(select(Reminder.id, Reminder.context).order_by(Reminder.id))
        assert [tuple(r) for r in stored] == [(s.id, s.said) for s in staged]
        assert [s.said for s in staged] == said


async def test_replies_staged_in_a_turn_rolled_back_are_not_written(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    citizen = await _citizen(sessions)
    async with sessions() as session:
        await stage_replies(
            session, citizen.id, [{"text": "нет"}], owner="bot", now=NOW, lease=timedelta(30)
        )
        await session.rollback()
        await session.commit()
    async with sessions() as session:
        assert list(await session.scalars(select(Reminder.id))) == []


async def test_reserved_ids_are_never_given_to_other_rows(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A reply added the usual way (the runner's reminders, a test) takes its id from the same
    sequence: never one reserved for a turn's reply."""
    citizen = await _citizen(sessions)
    async with sessions() as session:
        if backend(session) != "postgresql":
            pytest.skip("PostgreSQL only: SQLite has no sequences and stages as before")
        reserved = await ReservedIds("reminders").take(session, 3)
        other = Reminder(
            citizen_id=citizen.id,
            rule="r",
            key="k",
            deadline_on=DAY,
            due_at=NOW,
            expires_at=NOW,
        )
        session.add(other)
        await session.flush()
        assert len(set(reserved)) == 3
        assert other.id not in reserved
        assert other.id > max(reserved)
