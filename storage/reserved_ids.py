"""Ids taken from a table's sequence ahead of the rows, many in one round trip (PostgreSQL).

A row whose id is needed before its transaction commits (a turn's reply: it is sent, then
marked sent, by its id) would need its `INSERT … RETURNING` to run in the turn, a round trip
of its own. With the id known in advance the INSERT can wait for the commit and go with the
commit's other writes in one statement (storage/writes_at_commit.py). The sequence is the
table's own, so rows inserted elsewhere take other ids; ids reserved and never used leave
gaps, as rolled-back inserts do.
"""

from __future__ import annotations

import weakref

from sqlalchemy import Engine, text
from sqlalchemy.ext.asyncio import AsyncSession

BLOCK = 200  # ids taken at a time: one round trip for about a hundred turns

_NEXT_VALUES = text(
    "SELECT nextval(pg_get_serial_sequence(:table, :column)) FROM generate_series(1, :count)"
)


class ReservedIds:
    def __init__(self, table: str, column: str = "id") -> None:
        self._table = table
        self._column = column
        # Each database has its own sequence: the ids are kept by engine.
        self._free: weakref.WeakKeyDictionary[Engine, list[int]] = weakref.WeakKeyDictionary()

    async def take(self, session: AsyncSession, count: int) -> list[int]:
        """`count` ids no other row has or will be given."""
        engine = session.get_bind()
        assert isinstance(engine, Engine)
        free = self._free.setdefault(engine, [])
        if len(free) < count:
            connection = await session.connection()
            more = await connection.execute(
                _NEXT_VALUES,
                {"table": self._table, "column": self._column, "count": max(BLOCK, count)},
            )
            free.extend(int(value) for value in more.scalars())
        taken = free[:count]
        del free[:count]
        return taken
