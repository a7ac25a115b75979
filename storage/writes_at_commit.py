"""Writes that nothing in a transaction reads back (a turn's count), made at its commit, and
on PostgreSQL together with the commit's other bookkeeping in one statement.

A turn talks to the database in round trips that each cost the bot about 0.1–0.15 ms of CPU
(bench/README.md, "The whole bot"). A write whose result no one reads need not be one of
them: `write_at_commit` keeps it in the session's `info` until the commit. The one who makes
a statement of its own at that moment (the inbox mark, bot/inbox_mark.py) takes the waiting
writes with it (`execute_with`): on PostgreSQL each becomes a data-modifying CTE of that
statement (SQLAlchemy's `add_cte`), one round trip for all; elsewhere they run one after the
other. What no one took is written by a listener just before the commit, so a write always
commits or rolls back with its transaction; a rollback forgets the writes still waiting.

The statements are built once and given their values as parameters, so their names must not
meet: each write's parameters are its own (`count_turn` and the inbox mark share none).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, CursorResult, event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import UpdateBase

_WAITING = "writes_at_commit"

Write = tuple[UpdateBase, Mapping[str, Any]]


def write_at_commit(
    session: AsyncSession, statement: UpdateBase, parameters: Mapping[str, Any]
) -> None:
    """`statement` runs in the session's transaction, at its next commit."""
    if not session.in_transaction():
        # Begun (no round trip: the connection comes with the first statement), so that a
        # rollback before that statement forgets the write too.
        session.sync_session.begin()
    session.info.setdefault(_WAITING, []).append((statement, parameters))


def take_waiting(session: Session) -> list[Write]:
    """The writes waiting for the session's commit; they are the caller's to make now."""
    waiting: list[Write] = session.info.pop(_WAITING, None) or []
    return waiting


def execute_with(
    connection: Connection,
    statement: UpdateBase,
    parameters: Mapping[str, Any],
    writes: Sequence[Write],
) -> CursorResult[Any]:
    """`statement` and the `writes` before it; the result is the statement's own."""
    if writes and connection.dialect.name == "postgresql":
        together = dict(parameters)
        for _write, values in writes:
            if together.keys() & values.keys():
                raise ValueError(f"writes made together share parameters: {sorted(values)}")
            together.update(values)
        combined = _with_ctes(statement, tuple(write for write, _values in writes))
        return connection.execute(combined, together)
    for write, values in writes:
        connection.execute(write, values)
    return connection.execute(statement, parameters)


@functools.cache
def _with_ctes(statement: UpdateBase, writes: tuple[UpdateBase, ...]) -> UpdateBase:
    """Built once for each combination (the statements are module-level constants)."""
    return statement.add_cte(*(write.cte(f"write_{i}") for i, write in enumerate(writes)))


def _write_what_waits(session: Session) -> None:
    writes = take_waiting(session)
    if writes:
        connection = session.connection()
        for write, values in writes:
            connection.execute(write, values)


def _forget_what_waits(session: Session, _previous: object) -> None:
    """A rolled-back transaction's writes are not made by the next one."""
    session.info.pop(_WAITING, None)


event.listen(Session, "before_commit", _write_what_waits)
event.listen(Session, "after_soft_rollback", _forget_what_waits)
