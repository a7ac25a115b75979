"""Replies that left, marked sent by many turns in one statement (bot/sent_marks.py): each
turn returns once its mark is committed, the inbox rows named are released with them, and a
batch that cannot commit says so to every turn in it. PostgreSQL only (TEST_POSTGRES_URL), as
the bot uses it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from bot.sent_marks import SentMarks
from reminders.store import stage_replies
from storage import inbox
from storage.inbox import Received
from storage.models import InboxUpdate, Reminder
from tests.support.reminders import add_citizen

NOW = datetime(2026, 12, 5, 9, tzinfo=UTC)
HOLD = timedelta(seconds=30)
OWNER = "bot-1"


@pytest.fixture(autouse=True)
def _postgres_only(db_url: str) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("the bot shares marks on PostgreSQL only (bot/telegram.py)")


async def _staged(sessions: async_sessionmaker[AsyncSession], count: int) -> list[int]:
    citizen = await add_citizen(sessions, 700)
    async with sessions() as session:
        staged = await stage_replies(
            session,
            citizen,
            [{"text": f"ответ {n}", "buttons": []} for n in range(count)],
            owner=OWNER,
            now=NOW,
            lease=HOLD,
        )
        await session.commit()
    return [s.id for s in staged]


async def _held_rows(sessions: async_sessionmaker[AsyncSession], count: int) -> list[int]:
    """Inbox rows handled and held while their replies go out (one per sender)."""
    async with sessions() as session:
        await inbox.store(session, 42, [Received(n, 100 + n, {}) for n in range(count)])
        rows = [row.id for row in await inbox.lease(session, NOW, 60, set())]

    def handled(session: Session) -> None:
        for row in rows:
            inbox.mark_handled(session.connection(), row, NOW, "handled", HOLD)

    async with sessions() as session:
        await session.run_sync(handled)
        await session.commit()
    return rows


def _count_statements(engine: AsyncEngine) -> list[str]:
    statements: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _executed(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    return statements


async def test_turns_marking_at_once_share_one_statement_and_release_their_rows(
    sessions: async_sessionmaker[AsyncSession], db_engine: AsyncEngine
) -> None:
    replies = await _staged(sessions, 6)
    rows = await _held_rows(sessions, 3)
    statements = _count_statements(db_engine)
    marks = SentMarks(sessions, OWNER)
    sent_at = NOW + timedelta(seconds=1)
    releases: list[int | None] = [rows[0], None, rows[1], None, None, rows[2]]
    outcomes = await asyncio.gather(
        *(
            marks.mark(reply, sent_at, release)
            for reply, release in zip(replies, releases, strict=True)
        )
    )
    assert outcomes == [True] * 6
    assert len(statements) == 1  # one statement for the six, not two per turn
    async with sessions() as session:
        found = (await session.execute(select(Reminder.status, Reminder.sent_at))).all()
        held = await session.scalars(select(InboxUpdate.leased_until))
        assert {status for status, _ in found} == {"sent"}
        assert {at for _, at in found} == {sent_at}
        assert list(held) == [None, None, None]


async def test_a_mark_made_alone_is_committed_before_it_returns(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    (reply,) = await _staged(sessions, 1)
    (row,) = await _held_rows(sessions, 1)
    assert await SentMarks(sessions, OWNER).mark(reply, NOW, row)
    async with sessions() as session:
        assert await session.scalar(select(Reminder.status)) == "sent"
        assert await session.scalar(select(InboxUpdate.leased_until)) is None


async def test_only_the_owners_replies_are_marked(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    (reply,) = await _staged(sessions, 1)
    assert await SentMarks(sessions, "another process").mark(reply, NOW)
    async with sessions() as session:
        assert await session.scalar(select(Reminder.status)) == "pending"


async def test_a_batch_that_cannot_commit_tells_every_turn_in_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    replies = await _staged(sessions, 3)

    def away() -> AsyncSession:
        raise ConnectionError("the database went away")

    marks = SentMarks(away, OWNER)  # type: ignore[arg-type]
    assert await asyncio.gather(*(marks.mark(reply, NOW) for reply in replies)) == [False] * 3
    async with sessions() as session:
        assert set(await session.scalars(select(Reminder.status))) == {"pending"}
