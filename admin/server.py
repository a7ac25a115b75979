"""Serving the staff API: alone (`python -m app admin serve`) or inside the bot process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

log = logging.getLogger(__name__)


class EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handling: the host process (aiogram's polling loop or
    aiohttp's webhook server) owns SIGINT/SIGTERM and stops this server on shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Embedded:
    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            lifespan="off",
            access_log=False,
            log_config=None,  # the process's logging: JSON lines, personal data masked
            # The desk's live pages hold connections open: they must not keep the bot from
            # stopping.
            timeout_graceful_shutdown=2,
        )
        self._server = EmbeddedServer(config)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._serve(), name="staff-api")

    async def _serve(self) -> None:
        config = self._server.config
        log.info("staff API on http://%s:%s", config.host, config.port)
        try:
            await self._server.serve()
        except SystemExit:  # uvicorn exits when it cannot bind: the bot must go on answering
            log.error(
                "staff API could not start on %s:%s; the bot runs without it",
                config.host,
                config.port,
            )

    async def stop(self) -> None:
        if self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
