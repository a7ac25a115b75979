"""Update middlewares: flood control, per-citizen ordering with in-flight tracking, and one DB
session per update that marks its inbox row handled in the handler's own transaction."""

from __future__ import annotations

import asyncio
import bisect
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.inbox_mark import InboxMark, mark_on_commit
from kernel.clock import utc_now
from kernel.metrics import UPDATE_SECONDS, UPDATES
from kernel.waiting import until_set
from storage.inbox import finish, release

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def sender_id(update: Update) -> int | None:
    event = update.message or update.callback_query
    user = event.from_user if event is not None else None
    return user.id if user is not None else None


class FloodGuard:
    """One person sending more than `limit` updates within `window` seconds: the excess is
    dropped before it is stored (so before the database and the NLU), and the person is told
    once per window to slow down (`warn`). Other people are not affected.

    A message counts at the time Telegram stamped it, not when it arrived: after downtime the
    backlog of an ordinary conversation arrives at once and must not look like a flood. An
    update Telegram delivers again gets the verdict it had."""

    def __init__(
        self,
        limit: int,
        window: float,
        warn: Callable[[int], Awaitable[None]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._limit = limit
        self._window = window
        self._warn = warn
        self._clock = clock
        self._recent: dict[int, list[float]] = {}
        self._warned: dict[int, float] = {}
        self._verdicts: dict[int, bool] = {}  # update id -> admitted
        self.dropped = 0

    async def admit(self, update: Update) -> bool:
        """False for an update to drop (its sender is told once per window to wait)."""
        chat = _private_chat(update)
        if chat is None:  # the operators' group and service updates are not limited
            return True
        if update.update_id in self._verdicts:
            return self._verdicts[update.update_id]
        admitted = await self._judge(update, chat)
        if len(self._verdicts) > 10_000:
            self._verdicts.clear()
        self._verdicts[update.update_id] = admitted
        return admitted

    async def _judge(self, update: Update, chat: int) -> bool:
        now = self._clock()
        sent = update.message.date.timestamp() if update.message is not None else now
        recent = [t for t in self._recent.get(chat, []) if abs(sent - t) < self._window]
        self._recent[chat] = recent
        if len(recent) < self._limit:
            bisect.insort(recent, sent)
            self._forget_quiet(now)
            return True
        self.dropped += 1
        UPDATES.labels(_kind(update), "flood").inc()
        if now - self._warned.get(chat, -self._window) >= self._window:
            self._warned[chat] = now
            try:
                await self._warn(chat)
            except Exception:  # the warning is a courtesy; dropping is what matters
                log.warning("could not warn chat %s about flooding", chat, exc_info=True)
        return False

    def _forget_quiet(self, now: float) -> None:
        if len(self._recent) > 10_000:
            self._recent = {
                k: d for k, d in self._recent.items() if d and now - d[-1] < self._window
            }
            self._warned = {k: t for k, t in self._warned.items() if now - t < self._window}


def _kind(update: Update) -> str:
    return "message" if update.message else "callback" if update.callback_query else "other"


def _private_chat(update: Update) -> int | None:
    """The chat of a person writing to the bot (a message or a button in a private chat)."""
    message = update.message or (
        update.callback_query.message if update.callback_query is not None else None
    )
    if message is None or message.chat.type != "private":
        return None
    return message.chat.id


class OrderAndTrack(BaseMiddleware):
    """aiogram runs updates concurrently, even one user's (aiogram #1317): two quick presses
    would race on the same conversation. A per-user lock keeps each citizen's updates in
    arrival order; the in-flight count lets shutdown wait for handlers still running."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        key = sender_id(event) if isinstance(event, Update) else None
        self._in_flight += 1
        self._idle.clear()
        try:
            if key is None:
                return await handler(event, data)
            # No await before acquire(): tasks reach the lock in the order they were created.
            lock = self._locks.setdefault(key, asyncio.Lock())
            self._waiting[key] = self._waiting.get(key, 0) + 1
            try:
                async with lock:
                    return await handler(event, data)
            finally:
                self._waiting[key] -= 1
                if not self._waiting[key]:
                    del self._waiting[key]
                    del self._locks[key]
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()

    async def drain(self, timeout: float) -> bool:
        """Wait for running handlers; False if some were still running after `timeout`."""
        if not await until_set(self._idle, timeout):
            log.warning("%d handler(s) still running at shutdown", self._in_flight)
            return False
        return True


class DatabaseSession(BaseMiddleware):
    """One AsyncSession per update. The update's inbox row (bot/inbox.py) is marked handled by
    the handler's first commit, in the same transaction as its changes: a crash before it
    leaves the update waiting in the inbox, a crash after it cannot handle it again. A handler
    that commits nothing marks it afterwards; one that fails marks it failed (the citizen was
    told, and a failing update must not come back forever)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        hold: timedelta,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._sessions = sessions
        self._hold = hold
        self._clock = clock

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        kind = _kind(event) if isinstance(event, Update) else "other"
        row: int | None = data.pop("inbox_row", None)
        outcome = "failed"
        mark: InboxMark | None = None
        try:
            async with self._sessions() as session:
                if row is not None:
                    mark = mark_on_commit(session, row, self._clock, self._hold)
                data["session"] = session
                with UPDATE_SECONDS.time():
                    result = await handler(event, data)
                outcome = "handled"
                return result
        finally:
            # After the handler's session is closed: on SQLite a failed handler's open write
            # would lock the database against the settling write.
            UPDATES.labels(kind, outcome).inc()
            if mark is not None and not mark.released:
                await _settle(self._sessions, mark.row, self._clock(), outcome, mark.handled)


async def _settle(
    sessions: async_sessionmaker[AsyncSession],
    row: int,
    now: datetime,
    outcome: str,
    marked: bool,
) -> None:
    """After the handler: release a handled update (its replies have left), or mark one whose
    handler committed nothing."""
    try:
        async with sessions() as session:
            if marked:
                await release(session, row)
            else:
                await finish(session, row, now, outcome)
    except Exception:  # the database is away: the hold lapses, or the update comes again
        log.warning("could not settle inbox row %s (%s)", row, outcome, exc_info=True)
