"""Replies that have left, marked sent by many turns in one transaction (a group commit).

A turn's reply is marked sent as soon as it leaves, and the last one ends the hold on the
turn's inbox row (bot/replies.py, bot/inbox_mark.py). Done turn by turn, that was a
transaction of its own for every update. Here the marks of every turn whose reply left
meanwhile share one: while one batch commits, the next one gathers. A turn waits for the
commit of the batch that holds its mark, so what follows it (its next reply, the citizen's
next update) finds the mark committed, as before; alone, a turn waits for its own commit, as
it did, and under load many turns share one (bench/README.md, "The whole bot").

A batch is one statement (the replies and the rows as arrays, storage/writes_at_commit.py),
committed by itself: no transaction around it, so one round trip to the database, not four.

On PostgreSQL only: SQLite takes one writer at a time, so the shared commit there is one more
writer queueing for the lock, and at 200 citizens starting at once a turn waited past the
busy timeout (bot/telegram.py leaves each turn its own commit on SQLite).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reminders.store import marked_sent
from storage.inbox import holds_ended
from storage.writes_at_commit import execute_together

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Waiting:
    reply: int
    sent_at: datetime
    release: int | None  # the inbox row whose hold ends with this mark
    committed: asyncio.Future[bool]


class SentMarks:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], owner: str) -> None:
        self._sessions = sessions
        self.owner = owner  # this process: only replies it holds are marked
        self._waiting: list[_Waiting] = []
        self._committer: asyncio.Task[None] | None = None

    async def mark(self, reply: int, sent_at: datetime, release: int | None = None) -> bool:
        """Mark the reply sent (and end the hold on the inbox row `release`); returns once
        that is committed, True, or False when the batch could not be (the database is away:
        the caller tries in its own transaction)."""
        committed: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(reply, sent_at, release, committed))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_waiting(), name="sent-marks")
        return await committed

    async def _commit_waiting(self) -> None:
        """Runs while marks wait: each round commits all that came during the last one."""
        while self._waiting:
            batch, self._waiting = self._waiting, []
            done = False
            try:
                async with self._sessions() as session:
                    # One statement, atomic by itself: no BEGIN and COMMIT round trips.
                    connection = await session.connection(
                        execution_options={"isolation_level": "AUTOCOMMIT"}
                    )
                    writes = [marked_sent(self.owner, [(w.reply, w.sent_at) for w in batch])]
                    released = [w.release for w in batch if w.release is not None]
                    if released:
                        writes.append(holds_ended(released))
                    await connection.run_sync(execute_together, writes)
                done = True
            except Exception:
                log.warning(
                    "could not mark %d sent reply(ies) together", len(batch), exc_info=True
                )
            finally:  # cancelled at shutdown too: no turn is left waiting
                for waiting in batch:
                    if not waiting.committed.done():  # its turn may be cancelled meanwhile
                        waiting.committed.set_result(done)
