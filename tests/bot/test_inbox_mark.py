"""The inbox row rides on the turn's own commits: the first marks it handled and holds the
sender, the one after `release_with_next_commit` ends the hold; a failed commit counts for
nothing. SQLite always, PostgreSQL when TEST_POSTGRES_URL is set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from bot.inbox_mark import mark_on_commit, release_with_next_commit
from storage import inbox
from storage.inbox import Received
from storage.models import InboxUpdate

NOW = datetime(2026, 12, 3, 9, tzinfo=UTC)
HOLD = timedelta(seconds=30)


async def _taken(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        await inbox.store(session, 42, [Received(7, 1, {}), Received(8, 1, {})])
        return (await inbox.lease(session, NOW, 60, set()))[0].id


async def _state(sessions: async_sessionmaker[AsyncSession], row: int) -> tuple[bool, bool]:
    """(handled, held) of the row."""
    async with sessions() as session:
        found = await session.scalar(select(InboxUpdate).where(InboxUpdate.id == row))
        assert found is not None
        return found.handled_at is not None, found.leased_until is not None


async def test_the_turns_commits_mark_the_row_handled_then_release_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    row = await _taken(sessions)
    async with sessions() as session:
        mark = mark_on_commit(session, row, lambda: NOW, HOLD)
        await session.commit()  # the turn
        assert (mark.handled, mark.released) == (True, False)
        assert await _state(sessions, row) == (True, True)  # held while the replies go out
        await session.commit()  # a reply marked sent, not the last one
        assert await _state(sessions, row) == (True, True)
        release_with_next_commit(session)
        await session.commit()  # the last reply
        assert mark.released
    assert await _state(sessions, row) == (True, False)
    async with sessions() as session:  # the sender's next update may be taken at once
        soon = NOW + timedelta(seconds=1)
        assert [r.update_id for r in await inbox.lease(session, soon, 60, set())] == [8]


async def test_a_commit_that_fails_does_not_count(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    row = await _taken(sessions)
    async with sessions() as session:
        mark = mark_on_commit(session, row, lambda: NOW, HOLD)

        # The commit fails on its way (as when the database goes away): nothing of it stays.
        def refuse(_session: Session) -> None:
            raise ConnectionError("the database went away")

        event.listen(session.sync_session, "before_commit", refuse)
        with pytest.raises(ConnectionError):
            await session.commit()
        await session.rollback()
        assert not mark.handled
    assert await _state(sessions, row) == (False, True)


async def test_a_session_without_a_mark_is_left_alone(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    row = await _taken(sessions)
    async with sessions() as session:
        release_with_next_commit(session)
        await session.commit()
    assert await _state(sessions, row) == (False, True)
