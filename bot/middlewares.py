"""Update middlewares: flood control, per-citizen ordering with in-flight tracking, and one DB
session per update with de-duplication by stored update id."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.metrics import UPDATE_SECONDS, UPDATES
from storage.repositories import claim_update

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def sender_id(update: Update) -> int | None:
    event = update.message or update.callback_query
    user = event.from_user if event is not None else None
    return user.id if user is not None else None


class FloodGuard(BaseMiddleware):
    """One person sending more than `limit` updates within `window` seconds: the excess is
    dropped before it reaches the database or the NLU, and the person is told once per window
    to slow down (`warn`). Other people are not affected."""

    def __init__(
        self,
        limit: int,
        window: float,
        warn: Callable[[int], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._window = window
        self._warn = warn
        self._clock = clock
        self._recent: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}
        self.dropped = 0

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        chat = _private_chat(event)
        if chat is None:  # the operators' group and service updates are not limited
            return await handler(event, data)
        now = self._clock()
        recent = self._recent.setdefault(chat, deque())
        while recent and now - recent[0] >= self._window:
            recent.popleft()
        if len(recent) < self._limit:
            recent.append(now)
            self._forget_quiet(now)
            return await handler(event, data)
        self.dropped += 1
        UPDATES.labels(_kind(event), "flood").inc()
        if now - self._warned.get(chat, -self._window) >= self._window:
            self._warned[chat] = now
            try:
                await self._warn(chat)
            except Exception:  # the warning is a courtesy; dropping is what matters
                log.warning("could not warn chat %s about flooding", chat, exc_info=True)
        return None

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
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.warning("%d handler(s) still running at shutdown", self._in_flight)
            return False
        return True


class DatabaseSession(BaseMiddleware):
    """One AsyncSession per update. The update id is recorded in the same transaction as the
    handler's changes, so a redelivered update (webhook retry, restart) is dropped."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        bot: Bot = data["bot"]
        kind = _kind(event) if isinstance(event, Update) else "other"
        async with self._sessions() as session:
            if isinstance(event, Update) and not await claim_update(
                session, bot.id, event.update_id
            ):
                log.info("update %s was already processed; dropped", event.update_id)
                UPDATES.labels(kind, "duplicate").inc()
                return None
            data["session"] = session
            outcome = "failed"
            try:
                with UPDATE_SECONDS.time():
                    result = await handler(event, data)
                outcome = "handled"
                return result
            finally:
                UPDATES.labels(kind, outcome).inc()
