"""A fixed statement on asyncpg's own connection answers what SQLAlchemy's path answers, with
SQLAlchemy's conversions of the values, inside the transaction begun; anywhere else, and
whenever the statements are watched, it goes SQLAlchemy's way. SQLite always, PostgreSQL when
TEST_POSTGRES_URL is set."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import JSON, Connection, String, bindparam, cast, event, literal, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.driver_statements import fetch_one
from storage.models import Citizen

# A value written in the statement, a JSON parameter that SQLAlchemy serialises, a plain one.
STATEMENT = select(
    literal("fixed"),
    cast(bindparam("document", type_=JSON), String),
    bindparam("number", type_=String) + literal("!"),
)
PARAMETERS = {"document": {"slots": ["Самара", 50000]}, "number": "7"}


@pytest.fixture
def sqlalchemy_path_taken(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Records each statement that went SQLAlchemy's way."""
    taken: list[object] = []
    execute = Connection.execute

    def recording(self: Connection, statement: Any, *args: Any, **kwargs: Any) -> Any:
        taken.append(statement)
        return execute(self, statement, *args, **kwargs)

    monkeypatch.setattr(Connection, "execute", recording)
    return taken


def _answer(connection: Connection) -> tuple[Any, ...]:
    return tuple(fetch_one(connection, STATEMENT, PARAMETERS))


async def test_the_answer_is_sqlalchemy_s_and_on_postgresql_it_goes_past_its_path(
    sessions: async_sessionmaker[AsyncSession], sqlalchemy_path_taken: list[object]
) -> None:
    async with sessions() as session:
        await session.get(Citizen, 1)  # the transaction is begun on the connection
        connection = await session.connection()
        answer = await connection.run_sync(_answer)
        expected = tuple((await session.execute(STATEMENT, PARAMETERS)).one())
    assert answer == expected
    assert answer[0] == "fixed"
    assert answer[2] == "7!"
    assert '"Самара"' in answer[1] or "\\u0421" in answer[1]  # the JSON text of the document
    went_past = connection.dialect.name == "postgresql"
    assert sqlalchemy_path_taken.count(STATEMENT) == (1 if went_past else 2)


async def test_before_the_transaction_begins_it_goes_sqlalchemy_s_way(
    db_engine: AsyncEngine, sqlalchemy_path_taken: list[object]
) -> None:
    """The first statement of a transaction begins it: SQLAlchemy's to do."""
    async with db_engine.connect() as connection:
        answer = await connection.run_sync(_answer)
        assert connection.in_transaction()
    assert answer[0] == "fixed"
    assert sqlalchemy_path_taken.count(STATEMENT) == 1


async def test_on_an_autocommit_connection_it_goes_past_on_postgresql(
    db_engine: AsyncEngine, sqlalchemy_path_taken: list[object]
) -> None:
    async with db_engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        answer = await autocommit.run_sync(_answer)
    assert answer[2] == "7!"
    went_past = db_engine.dialect.name == "postgresql"
    assert sqlalchemy_path_taken.count(STATEMENT) == (0 if went_past else 1)


async def test_watched_statements_go_sqlalchemy_s_way(
    db_engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    sqlalchemy_path_taken: list[object],
) -> None:
    seen: list[str] = []

    def watch(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(db_engine.sync_engine, "before_cursor_execute", watch)
    try:
        async with sessions() as session:
            await session.get(Citizen, 1)
            seen.clear()
            await (await session.connection()).run_sync(_answer)
    finally:
        event.remove(db_engine.sync_engine, "before_cursor_execute", watch)
    assert sqlalchemy_path_taken.count(STATEMENT) == 1
    assert len(seen) == 1
    assert "CAST" in seen[0]
