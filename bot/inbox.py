"""No update lost on a crash: every update is stored before Telegram is told it was received,
and handled from the store.

- Polling (`Poller`): `getUpdates` confirms everything below the offset it is called with, so
  the offset advances only past updates already committed to the inbox. When the database is
  away, nothing advances: Telegram keeps the updates and sends them again.
- Webhook (`webhook_handler`): the answer is 200 only once the update is stored; otherwise
  Telegram retries.
- `Worker` leases stored updates in arrival order and feeds them to the dispatcher, one at a
  time per person, many people at once. Updates just received are stored and leased in one
  transaction (`Worker.keep`); the worker's own round takes what waits after that (a
  person's next update, once the one before it is done; what another process let go). The
  handler's transaction marks the update handled (bot/middlewares.py), so a crash before its
  commit leaves it waiting, and it is handled after the restart; a crash after it cannot
  handle it twice.

The flood guard runs before storing: an excess message never reaches the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramRetryAfter
from aiogram.types import Update
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.middlewares import FloodGuard, sender_id
from kernel.clock import utc_now
from kernel.waiting import until_set
from storage import inbox
from storage.inbox import Received

log = logging.getLogger(__name__)

RETRY_SECONDS = 2.0  # after a failed store or a failed getUpdates
POLL_TIMEOUT = 25  # seconds a getUpdates call waits for news (long polling)
WORKERS = 64  # people handled at once
PARSED_MEMORY = 10_000  # updates kept parsed for the worker (`Worker.remember`)


def received(update: Update) -> Received:
    return Received(
        update.update_id, sender_id(update), update.model_dump(mode="json", exclude_none=True)
    )


class Worker:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        dispatcher: Dispatcher,
        bot: Bot,
        *,
        name: str | None = None,  # this process, stable across its restarts
        hold_seconds: float = 30.0,  # an update held by a process that died is handled after
        sweep_seconds: float = 1.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._sessions = sessions
        self._dispatcher = dispatcher
        self._bot = bot
        self._sweep = sweep_seconds
        self._hold = hold_seconds
        self._name = name
        self._clock = clock
        self._woken = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._running: dict[int, asyncio.Task[None]] = {}  # sender -> their update in hand
        # Senders a lease passed over while they were in hand: their next update may wait.
        self._passed_over: set[int] = set()
        self._slots = asyncio.Semaphore(WORKERS)
        # Updates this process stored, already parsed: taken from here, not parsed again.
        self._parsed: dict[int, Update] = {}

    async def keep(self, updates: list[Update]) -> None:
        """Stores updates just received and, in the same transaction, takes those that may be
        handled now: one transaction a batch instead of a store and a lease (at one update a
        batch, as when people write independently, that was two of a turn's eleven round
        trips to the database). Raises when they could not be stored (nothing was)."""
        if not updates:
            return
        stored = [received(u) for u in updates]
        senders = {r.sender for r in stored if r.sender is not None}
        async with self._sessions() as session:
            await inbox.add(session, self._bot.id, stored)
            rows = await self._lease(session, senders)  # commits the updates with the lease
        self._remember(updates)
        self._start(rows)
        if len(senders) < len(stored):  # an update without a sender: the worker's round
            self.wake()

    def _remember(self, updates: list[Update]) -> None:
        """Updates just stored, as parsed: when this process takes them from the inbox it
        need not parse the stored copy again (about a twentieth of a turn's CPU). Another
        process may take them: the memory is bounded."""
        if len(self._parsed) > PARSED_MEMORY:
            self._parsed.clear()
        for update in updates:
            self._parsed[update.update_id] = update

    def wake(self) -> None:
        self._woken.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="inbox-worker")

    async def stop(self, timeout: float) -> None:
        """Stops taking updates; waits up to `timeout` for those being handled (the rest stay
        in the inbox for the next start)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        running = list(self._running.values())
        if running:
            _, pending = await asyncio.wait(running, timeout=timeout)
            for task in pending:
                task.cancel()

    async def _run(self) -> None:
        await self._take_back()
        while True:
            try:
                await self._take()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is away: the updates wait in the inbox
                log.warning("could not read the inbox; retrying", exc_info=True)
            await until_set(self._woken, self._sweep)
            self._woken.clear()

    async def _take_back(self) -> None:
        """What this process held when it was killed waits for nobody (in its previous life
        it cannot be handling it any more)."""
        if self._name is None:
            return
        while True:
            try:
                async with self._sessions() as session:
                    freed = await inbox.let_go(session, self._name)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is away: try again, nothing is lost meanwhile
                log.warning("could not read the inbox; retrying", exc_info=True)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            if freed:
                log.info("%d update(s) held before a restart taken back", freed)
            return

    async def _take(self) -> None:
        async with self._sessions() as session:
            rows = await self._lease(session)
        self._start(rows)

    async def _lease(
        self, session: AsyncSession, senders: set[int] | None = None
    ) -> list[inbox.Leased]:
        """Leases (and commits) each waiting person's next update (of `senders` only, when
        given), but not of people whose update is in hand here."""
        busy = set(self._running)
        behind: set[int] = set()
        rows = await inbox.lease(
            session,
            self._clock(),
            self._hold,
            busy,
            holder=self._name,
            senders=senders,
            behind=behind,
        )
        still = behind & self._running.keys()
        self._passed_over |= still
        if behind - still:  # done while the lease ran: their next update is waiting
            self.wake()
        return rows

    def _start(self, rows: list[inbox.Leased]) -> None:
        for row in rows:
            update = self._parsed.pop(row.update_id, None) or Update.model_validate(
                row.payload, context={"bot": self._bot}
            )
            key = inbox.sender_key(row.sender, row.id)
            self._running[key] = asyncio.create_task(self._handle(key, row.id, update))

    async def _handle(self, key: int, row_id: int, update: Update) -> None:
        try:
            async with self._slots:
                await self._dispatcher.feed_update(self._bot, update, inbox_row=row_id)
        except Exception:  # logged by the dispatcher; marked failed by the session middleware
            log.exception("update %s failed", update.update_id)
        finally:
            del self._running[key]
            if key in self._passed_over:  # their next update came meanwhile: take it now
                self._passed_over.discard(key)
                self.wake()


class Poller:
    """Long polling that confirms only what is stored."""

    def __init__(
        self, bot: Bot, worker: Worker, flood: FloodGuard, allowed_updates: list[str]
    ) -> None:
        self._bot = bot
        self._worker = worker
        self._flood = flood
        self._allowed = allowed_updates
        self.offset: int | None = None

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            fetch = asyncio.ensure_future(
                self._bot.get_updates(
                    offset=self.offset, timeout=POLL_TIMEOUT, allowed_updates=self._allowed
                )
            )
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not fetch.done():  # asked to stop: what was not fetched stays in Telegram
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await fetch
                break
            stopping.cancel()
            try:
                updates = fetch.result()
            except TelegramRetryAfter as exc:
                await _sleep(stop, exc.retry_after)
                continue
            except Exception:  # Telegram or the network is away: polling goes on
                log.warning("getUpdates failed; retrying", exc_info=True)
                await _sleep(stop, RETRY_SECONDS)
                continue
            if updates and await self._keep(updates):
                self.offset = updates[-1].update_id + 1
            elif updates:
                await _sleep(stop, RETRY_SECONDS)  # not stored: fetched again, not confirmed

    async def _keep(self, updates: list[Update]) -> bool:
        admitted = [u for u in updates if await self._flood.admit(u)]
        try:
            await self._worker.keep(admitted)
        except Exception:
            log.warning("could not store %d update(s); Telegram keeps them", len(updates),
                        exc_info=True)  # fmt: skip
            return False
        return True


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    await until_set(stop, seconds)


def webhook_handler(
    bot: Bot, worker: Worker, flood: FloodGuard, secret: str
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Telegram's POST: 401 without the secret token, 200 once the update is stored (500
    when it cannot be: Telegram sends it again)."""

    async def handle(request: web.Request) -> web.Response:
        sent = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(sent.encode(), secret.encode()):
            return web.Response(status=401, text="wrong secret token")
        try:
            update = Update.model_validate(await request.json(), context={"bot": bot})
        except Exception:
            return web.Response(status=400, text="not an update")
        if await flood.admit(update):
            try:
                await worker.keep([update])
            except Exception:
                log.warning("could not store update %s", update.update_id, exc_info=True)
                return web.Response(status=500, text="try again")
        return web.Response(text="ok")

    return handle
