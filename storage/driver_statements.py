"""A fixed Core statement run on asyncpg's own connection, in the transaction SQLAlchemy began.

Every turn commits with one statement (storage/writes_at_commit.py), and every batch of sent
replies is marked with one. SQLAlchemy's execution path builds an execution context, converts
the parameters and wraps the result at each run, though the statement never changes: the
turn's commit statement cost the bot 136-150 µs of CPU that way and 82-84 µs here (bench/
README.md, "The whole bot", eighth sitting). Here it is compiled once, by SQLAlchemy's own
compiler, so the SQL and the parameters' conversions are SQLAlchemy's; each run binds its
values and sends it.

It runs this way only where the result is the same: on asyncpg; inside a transaction already
begun on that connection, or on one that commits each statement by itself (AUTOCOMMIT: the
sent marks, bot/sent_marks.py); for a statement with no expanding parameters; and while
nobody watches the statements. With `database.echo` on, or a listener for SQLAlchemy's
statement events (a test counting round trips), it goes SQLAlchemy's way, as on SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Dialect
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import await_only


@dataclass(frozen=True)
class _Ready:
    sql: str
    names: tuple[str, ...]  # the parameters in the order of $1, $2, ...
    fixed: Mapping[str, Any]  # values written in the statement itself
    # SQLAlchemy's conversion of each parameter by its type, in the same order (None: as is)
    conversions: tuple[Callable[[Any], Any] | None, ...]


_ready: dict[tuple[Executable, str], _Ready | None] = {}


def _prepared(statement: Executable, dialect: Dialect) -> _Ready | None:
    """The statement compiled for `dialect`, once; None when it cannot be sent as it is."""
    key = (statement, dialect.name)
    if key not in _ready:
        compiled = cast(ClauseElement, statement).compile(dialect=dialect)
        _ready[key] = None
        if (
            isinstance(compiled, SQLCompiler)
            and compiled.positional
            and compiled.positiontup is not None
            and not compiled.post_compile_params
            and not compiled.literal_execute_params
        ):
            # The execution context reads this same mapping (engine/default.py); a sequence
            # in it is a tuple's conversions, which the statements made here never need.
            by_name = compiled._bind_processors
            if all(callable(convert) for convert in by_name.values()):
                names = tuple(compiled.positiontup)
                _ready[key] = _Ready(
                    sql=compiled.string,
                    names=names,
                    fixed={name: b.effective_value for b, name in compiled.bind_names.items()},
                    conversions=tuple(
                        cast("Callable[[Any], Any] | None", by_name.get(name)) for name in names
                    ),
                )
    return _ready[key]


def _unobserved(connection: Connection) -> bool:
    """On asyncpg, and no one watches the statements (`database.echo`, a listener for them):
    what goes past SQLAlchemy's path they would not see."""
    return (
        connection.dialect.driver == "asyncpg"
        and not connection.engine.echo
        and not connection.dispatch.before_cursor_execute
        and not connection.dispatch.after_cursor_execute
    )


def _inside_transaction(connection: Connection, driver: Any) -> bool:
    """The statement would run in the transaction SQLAlchemy began, or the connection commits
    each statement by itself (AUTOCOMMIT) anyway."""
    return bool(
        driver.is_in_transaction()
        or connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
    )


def fetch_one(
    connection: Connection, statement: Executable, parameters: Mapping[str, Any]
) -> Sequence[Any]:
    """The one row `statement` answers, in the connection's transaction. `statement` must be
    built once and kept (a module constant or cached): each one is compiled once."""
    driver: Any = connection.connection.driver_connection
    ready = _prepared(statement, connection.dialect) if _unobserved(connection) else None
    if ready is None or driver is None or not _inside_transaction(connection, driver):
        return connection.execute(statement, parameters).one()
    values = (
        parameters[name] if name in parameters else ready.fixed[name] for name in ready.names
    )
    converted = [
        value if convert is None else convert(value)
        for value, convert in zip(values, ready.conversions, strict=True)
    ]
    row = await_only(driver.fetchrow(ready.sql, *converted))
    if row is None:
        raise ValueError(f"the statement answered no row: {ready.sql}")
    return tuple(row)
