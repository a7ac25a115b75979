"""Engine and session factory for SQLite (embedded default) and PostgreSQL, and what a
session wrote."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import bindparam, event, exc, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session
from sqlalchemy.sql.selectable import TableValuedAlias
from sqlalchemy.types import TypeEngine

from kernel.json_text import json_text

SQLITE_BUSY_TIMEOUT_MS = 5000
# A pooled PostgreSQL connection idle longer than this is checked before use (see below).
IDLE_BEFORE_PING_SECONDS = 1.0


def create_engine(
    url: str,
    *,
    echo: bool = False,
    idle_before_ping: float = IDLE_BEFORE_PING_SECONDS,
    **options: Any,
) -> AsyncEngine:
    """`options` go to SQLAlchemy (a test sizes the pool with them)."""
    # The JSON columns (a conversation's slots, a reply's text and buttons, an update) are
    # written and read in every turn: orjson is about ten times faster than json at it.
    options.setdefault("json_serializer", json_text)
    options.setdefault("json_deserializer", orjson.loads)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_async_engine(url, echo=echo, **options)
        ping_when_idle(engine, idle_before_ping)
        return engine

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, echo=echo, **options)

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets readers work while one writer commits; the busy timeout makes a second
        # writer wait instead of failing at once with "database is locked".
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # SQLite's own lower() knows ASCII only; staff search citizens by Cyrillic names.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

    return engine


def ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """A connection that waited in the pool longer than `idle_seconds` is pinged before use;
    a dead one (PostgreSQL restarted, the network cut) is replaced instead of failing a turn.

    Not SQLAlchemy's `pool_pre_ping`: on asyncpg it pings every checkout with three round
    trips (BEGIN, a statement, ROLLBACK), and a turn checks a connection out once per
    transaction, so it was about a third of an update's round trips to the database
    (bench/README.md, "The whole bot"). A connection given back a moment ago was alive then;
    one idle since before an outage is idle for at least as long as the outage, so it is
    pinged, with one round trip."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _given_back(_dbapi_connection: Any, record: Any) -> None:
        record.info["given_back"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        given_back = record.info.pop("given_back", None)
        if given_back is None or time.monotonic() - given_back < idle_seconds:
            return  # new, or in use a moment ago
        try:
            dbapi_connection.run_async(lambda connection: connection.execute("SELECT 1"))
        except Exception as error:
            # The pool discards this connection and checks out another.
            raise exc.DisconnectionError("idle connection is gone") from error


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: replies are rendered from loaded objects after the commit.
    return async_sessionmaker(engine, expire_on_commit=False)


def backend(session: AsyncSession) -> str:
    """The session's dialect: "postgresql" or "sqlite"."""
    return session.get_bind().dialect.name


def rows_of_arrays(name: str, **columns: TypeEngine[Any]) -> TableValuedAlias:
    """PostgreSQL: rows made of arrays bound as parameters (`unnest`), one column each; the
    parameter of column `c` is `{name}_{c}`. A statement over them is the same whatever the
    number of rows, so SQLAlchemy compiles it once."""
    arrays = (bindparam(f"{name}_{column}", type_=ARRAY(of)) for column, of in columns.items())
    return func.unnest(*arrays).table_valued(*columns).render_derived(name=name)


def insert_for(backend: str, model: type[DeclarativeBase]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT of the backend's dialect, which knows `ON CONFLICT` (both backends)."""
    if backend == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


_TABLES_WRITTEN = "tables_written"


def tables_written(session: AsyncSession) -> set[str]:
    """The names of the tables the session writes from now on, filled in as it flushes objects
    or executes ORM insert, update and delete statements. The set lives in the session's
    `info`, filled by two listeners registered once for every session: listeners added per
    session cost about a fiftieth of a turn (bench/README.md, "The whole bot")."""
    written: set[str] = set()
    session.info[_TABLES_WRITTEN] = written
    return written


def _after_flush(flushed: Session, _context: object) -> None:
    written = flushed.info.get(_TABLES_WRITTEN)
    if written is None:
        return
    for instance in (*flushed.new, *flushed.dirty, *flushed.deleted):
        table = getattr(type(instance), "__tablename__", None)
        if isinstance(table, str):
            written.add(table)


def _on_execute(state: ORMExecuteState) -> None:
    written = state.session.info.get(_TABLES_WRITTEN)
    if written is None or not (state.is_insert or state.is_update or state.is_delete):
        return
    name = getattr(getattr(state.statement, "table", None), "name", None)
    if isinstance(name, str):
        written.add(name)


event.listen(Session, "after_flush", _after_flush)
event.listen(Session, "do_orm_execute", _on_execute)
