"""Keeps this process's texts in step with what administrators publish: a cheap read of the
publications' version every `seconds` (any database, any number of processes), and at once
when woken (a publication in this process, or a PostgreSQL NOTIFY from another). The renderer
gets the new texts as a whole; no restart.

A published text that fails at render time anyway raises a staff alert (`alert`), once per
key until staff resolve it."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialogs.render import Renderer
from kernel.waiting import until_set
from storage import template_store
from storage.models import StaffAlert

log = logging.getLogger(__name__)
ALERT_KIND = "template_failed"


class TemplateRefresh:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        renderer: Renderer,
        seconds: float = 2.0,
    ) -> None:
        self._sessions = sessions
        self._renderer = renderer
        self._seconds = seconds
        self._version = -1
        self._woken = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._alerts: set[asyncio.Task[None]] = set()

    async def load(self) -> bool:
        """Reads the published texts when they changed; True when they did."""
        async with self._sessions() as session:
            version = await template_store.version(session)
            if version == self._version:
                return False
            published = await template_store.published(session)
        self._renderer.publish({key: found.text for key, found in published.items()})
        self._version = version
        log.info("published texts loaded: %d keys, version %d", len(published), version)
        return True

    def wake(self) -> None:
        self._woken.set()

    def start(self) -> None:
        self._renderer.on_fallback = self.alert
        self._task = asyncio.create_task(self._run(), name="template-refresh")

    async def stop(self) -> None:
        for task in (self._task, *self._alerts):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _run(self) -> None:
        while True:
            try:
                await self.load()
            except Exception:  # the database is away: keep the texts we have
                log.warning("could not read the published texts", exc_info=True)
            await until_set(self._woken, self._seconds)
            self._woken.clear()

    def alert(self, key: str, error: Exception) -> None:
        """Called by the renderer (synchronously, inside a turn): the alert is written apart."""
        task = asyncio.get_running_loop().create_task(self._raise_alert(key))
        self._alerts.add(task)
        task.add_done_callback(self._alerts.discard)

    async def _raise_alert(self, key: str) -> None:
        try:
            async with self._sessions() as session:
                open_one = await session.scalar(
                    select(StaffAlert.id).where(
                        StaffAlert.kind == ALERT_KIND,
                        StaffAlert.key == key[:64],
                        StaffAlert.resolved_at.is_(None),
                    )
                )
                if open_one is None:
                    session.add(StaffAlert(kind=ALERT_KIND, key=key[:64]))
                    await session.commit()
        except Exception:
            log.exception("could not raise the alert for the failed template %s", key)
