"""Writes that nothing in a transaction reads back (a turn's count, the conversation's new
step), made at its commit, and on PostgreSQL together with the commit's other bookkeeping in
one statement.

A turn talks to the database in round trips that each cost the bot about 0.1–0.15 ms of CPU
(bench/README.md, "The whole bot"). A write whose result no one reads need not be one of
them: `write_at_commit` keeps it in the session's `info` until the commit, and
`write_at_commit_from` keeps a function that makes it then from what the transaction left (the
conversation, storage/repositories.py). The one who makes a statement of its own at that
moment (the inbox mark, bot/inbox_mark.py) takes the waiting writes with it
(`execute_together`): on PostgreSQL each becomes a data-modifying CTE of one statement
(SQLAlchemy's CTEs), one round trip for all, which answers how many rows each found; elsewhere
they run one after the other. What no one took is written by a listener just before the
commit, so a write always commits or rolls back with its transaction; a rollback forgets the
writes still waiting. A write that must find its row (`one_row`: optimistic locking) and does
not fails the commit with the ORM's own `StaleDataError`.

The statements are built once and given their values as parameters: writes whose parameters'
names meet (the same write twice) go in statements of their own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, event, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.dml import UpdateBase

from storage.driver_statements import fetch_one

_WAITING = "writes_at_commit"


@dataclass(frozen=True)
class Write:
    statement: UpdateBase
    parameters: Mapping[str, Any]
    # It must find its row: none found means another transaction changed it (a version
    # column), and the commit fails as the ORM's own flush would.
    one_row: bool = False


MakeWrite = Callable[[], "Write | None"]


def write_at_commit(
    session: AsyncSession, statement: UpdateBase, parameters: Mapping[str, Any]
) -> None:
    """`statement` runs in the session's transaction, at its next commit."""
    _waiting(session).append(Write(statement, parameters))


def write_at_commit_from(session: AsyncSession, make: MakeWrite) -> None:
    """At the session's next commit `make` is called, and the write it returns (if any) made
    in that transaction."""
    _waiting(session).append(make)


def _waiting(session: AsyncSession) -> list[Write | MakeWrite]:
    if not session.in_transaction():
        # Begun (no round trip: the connection comes with the first statement), so that a
        # rollback before that statement forgets the write too.
        session.sync_session.begin()
    waiting: list[Write | MakeWrite] = session.info.setdefault(_WAITING, [])
    return waiting


def take_waiting(session: Session) -> list[Write]:
    """The writes waiting for the session's commit; they are the caller's to make now."""
    writes: list[Write] = []
    for waiting in session.info.pop(_WAITING, None) or ():
        write = waiting() if callable(waiting) else waiting
        if write is not None:
            writes.append(write)
    return writes


def execute_together(connection: Connection, writes: Sequence[Write]) -> list[int]:
    """Makes the writes in order; returns how many rows each found. On PostgreSQL writes go
    in one statement as long as their parameters' names do not meet (two turns counted in
    one transaction bind the same names: they go in two)."""
    counts: list[int] = []
    for group in _without_shared_names(writes, connection.dialect.name == "postgresql"):
        if len(group) > 1:
            together = {name: value for write in group for name, value in write.parameters.items()}
            statement = _as_one(tuple(write.statement for write in group))
            counts += [int(count) for count in fetch_one(connection, statement, together)]
        else:
            [write] = group
            result = connection.execute(write.statement, write.parameters)
            counts.append(int(getattr(result, "rowcount", 0)))
    for write, count in zip(writes, counts, strict=True):
        if write.one_row and count != 1:
            raise StaleDataError(f"a write expected one row and found {count}: {write.statement}")
    return counts


def _without_shared_names(writes: Sequence[Write], combine: bool) -> list[list[Write]]:
    """The writes in order, in runs whose parameters' names are all different (each write
    alone when they are not to be combined)."""
    groups: list[list[Write]] = []
    names: set[str] = set()
    for write in writes:
        if not groups or not combine or names & write.parameters.keys():
            groups.append([])
            names = set()
        groups[-1].append(write)
        names |= write.parameters.keys()
    return groups


@functools.cache
def _as_one(statements: tuple[UpdateBase, ...]) -> Select[Any]:
    """Each statement a CTE whose rows are counted; built once for each combination (the
    statements are module-level constants or cached)."""
    ctes = [
        statement.returning(literal_column("1")).cte(f"write_{i}")
        for i, statement in enumerate(statements)
    ]
    return select(*(select(func.count()).select_from(cte).scalar_subquery() for cte in ctes))


def _write_what_waits(session: Session) -> None:
    writes = take_waiting(session)
    if writes:
        execute_together(session.connection(), writes)


def _forget_what_waits(session: Session, _previous: object) -> None:
    """A rolled-back transaction's writes are not made by the next one."""
    session.info.pop(_WAITING, None)


event.listen(Session, "before_commit", _write_what_waits)
event.listen(Session, "after_soft_rollback", _forget_what_waits)
