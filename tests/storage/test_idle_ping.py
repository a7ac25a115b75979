"""A PostgreSQL connection that died while it waited in the pool is replaced before a turn
uses it, once it has waited longer than the engine's `idle_before_ping`; one given back a
moment ago is used as it is (no ping: that is the round trips saved)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import create_engine

pytestmark = pytest.mark.postgres


async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def kill(engine: AsyncEngine, pid: int) -> None:
    """From a connection of its own, outside the engine's pool of one."""
    other = create_engine(engine.url.render_as_string(hide_password=False))
    try:
        async with other.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await other.dispose()


async def test_an_idle_connection_that_died_is_replaced(empty_postgres_url: str) -> None:
    engine = create_engine(empty_postgres_url, idle_before_ping=0.2, pool_size=1, max_overflow=0)
    try:
        first = await backend_pid(engine)
        await kill(engine, first)
        await asyncio.sleep(0.3)
        second = await backend_pid(engine)  # pinged, found dead, replaced: no error
        assert second != first
    finally:
        await engine.dispose()


async def test_a_connection_given_back_a_moment_ago_is_not_pinged(empty_postgres_url: str) -> None:
    engine = create_engine(empty_postgres_url, idle_before_ping=3600, pool_size=1, max_overflow=0)
    try:
        first = await backend_pid(engine)
        await kill(engine, first)
        with pytest.raises(DBAPIError):  # used unchecked, so its death shows
            await backend_pid(engine)
        # SQLAlchemy recognised the disconnect and dropped the connection: the next one is new.
        assert await backend_pid(engine) != first
    finally:
        await engine.dispose()
