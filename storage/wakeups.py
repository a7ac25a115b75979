"""Waking other processes on the same PostgreSQL database: a staff action served by one
process (the web desk, the staff API) queues messages that another (the bot) sends. `announce`
sends a NOTIFY; a `Listener` in the bot process calls its callback for each one, so the sender
starts at once instead of at its next sweep. SQLite has no such thing: one process, or the
sweeps."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)
CHANNEL = "assistant_wakeup"
RECONNECT_SECONDS = 5.0


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


async def announce(engine: AsyncEngine) -> None:
    """Tell every listening process that something is waiting to be sent."""
    if engine.dialect.name != "postgresql":
        return
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f"NOTIFY {CHANNEL}"))
            await connection.commit()
    except Exception:  # the sweeps will send it; the change itself is committed
        log.warning("could not announce a wake-up to other processes", exc_info=True)


class Listener:
    """LISTENs on its own connection and calls `wake` for each notification; reconnects after
    an outage (and wakes once then, in case something was announced meanwhile)."""

    def __init__(self, url: str, wake: Callable[[], None]) -> None:
        self._dsn = make_url(url).set(drivername="postgresql").render_as_string(False)
        self._wake = wake
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="wakeup-listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            connection = None
            try:
                connection = await asyncpg.connect(self._dsn)
                await connection.add_listener(CHANNEL, self._notified)
                closed = asyncio.Event()
                connection.add_termination_listener(_setter(closed))
                self.listening.set()
                self._wake()
                await closed.wait()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("wake-up listener lost its connection; retrying", exc_info=True)
            finally:
                self.listening.clear()
                if connection is not None and not connection.is_closed():
                    with contextlib.suppress(Exception):
                        await connection.close()
            await asyncio.sleep(RECONNECT_SECONDS)

    def _notified(self, *_args: Any) -> None:
        self._wake()


def _setter(event: asyncio.Event) -> Callable[[Any], None]:
    return lambda _connection: event.set()
