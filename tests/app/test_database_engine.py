"""The database's connection pool is sized by `database.pool_size` and `.max_overflow`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.pool import QueuePool

from app.build import database_engine
from kernel.settings import DatabaseSettings


async def test_the_pool_holds_what_the_settings_say(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}"
    engine = database_engine(DatabaseSettings(url=url, pool_size=2, max_overflow=1))
    try:
        assert isinstance(engine.pool, QueuePool)
        assert engine.pool.size() == 2
        held = [await engine.connect() for _ in range(3)]  # two kept, one beyond them
        for connection in held:
            await connection.execute(text("SELECT 1"))
        with pytest.raises(TimeoutError):  # a fourth waits for one of them
            await asyncio.wait_for(engine.connect(), 0.5)
        for connection in held:
            await connection.close()
    finally:
        await engine.dispose()
