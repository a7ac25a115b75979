"""Writes made at the commit: they commit or roll back with their transaction, and on
PostgreSQL they go in the inbox mark's own statement. SQLite always, PostgreSQL when
TEST_POSTGRES_URL is set."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.inbox_mark import mark_on_commit
from storage import inbox
from storage.database import backend
from storage.inbox import Received
from storage.models import Citizen, InboxUpdate, TurnCount
from storage.repositories import SqlDialogStore
from storage.writes_at_commit import execute_with, take_waiting

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


async def test_writes_that_would_share_a_parameter_are_refused(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    citizen = await _citizen(sessions)
    async with sessions() as session:
        if backend(session) != "postgresql":
            pytest.skip("PostgreSQL only: elsewhere the writes go one by one")
        store = SqlDialogStore(session)
        await store.count_turn(citizen, DAY, None)
        [(count, values)] = take_waiting(session.sync_session)
        connection = await session.connection()
        with pytest.raises(ValueError, match="share parameters"):
            await connection.run_sync(
                lambda sync: execute_with(sync, count, values, [(count, values)])
            )
