"""Delivers due reminders, exactly once across processes.

The `reminders` table is the truth. APScheduler (in memory, one scheduler per process, as its
FAQ requires) only wakes the delivery loop: one date job per moment at which pending reminders
fall due (reminders due at the same moment share it), all scheduled at start, and a periodic
sweep that picks up what other processes created or what fell due while this one was down.
APScheduler's own misfire handling would silently skip a job late by more than a second, so
the jobs carry no state worth keeping: a missed wake-up is caught by the sweep.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.clock import utc_now
from kernel.metrics import DELIVERY_SECONDS
from kernel.regions import Regions
from reminders.planning import QuietHours
from reminders.ports import Delivery, Notifier
from reminders.rules import Rule
from reminders.store import (
    REPLY,
    Claimed,
    claim_due,
    finish,
    mark_unreachable,
    pending_due_times,
    postpone,
    raise_alert,
)

log = logging.getLogger(__name__)
# What else must happen, in the same transaction, when a reminder of a rule reached the
# citizen (e.g. an offer's ranking term starts on receipt of the list, 001 ¶3.7.2).
SentHook = Callable[[AsyncSession, Claimed, datetime], Awaitable[None]]
# Upkeep of other tables that the process's periodic sweep does on the way (e.g. forgetting
# Telegram update ids older than a day); it runs in its own transaction.
Housekeeping = Callable[[AsyncSession, datetime], Awaitable[object]]


@dataclass(frozen=True)
class RunnerSettings:
    sweep_seconds: float = 30
    lease_seconds: float = 300  # a claim older than this is free again (a crashed process)
    batch: int = 50  # reminders claimed at a time; the sender paces them
    max_attempts: int = 5
    retry_seconds: float = 60  # first retry after a failed send; doubles each attempt
    housekeeping_seconds: float = 3600  # how often the sweep runs the housekeeping tasks


def watchdog_kind(before: int) -> str:
    return "due_soon" if before > 0 else "due_today" if before == 0 else "overdue"


class ReminderRunner:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        notifier: Notifier,
        regions: Regions,
        quiet: QuietHours,
        *,
        rules: Mapping[str, Rule],
        settings: RunnerSettings | None = None,
        now: Callable[[], datetime] = utc_now,
        on_sent: Mapping[str, SentHook] | None = None,
        housekeeping: Sequence[Housekeeping] = (),
    ) -> None:
        self._sessions = sessions
        self._notifier = notifier
        self._regions = regions
        self._quiet = quiet
        self._settings = settings or RunnerSettings()
        self._rules = rules
        self._now = now
        self._on_sent = dict(on_sent or {})
        self._housekeeping = tuple(housekeeping)
        self._housekept_at: datetime | None = None
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._wake = asyncio.Event()
        self._moments: set[datetime] = set()  # due times that have a wake-up job
        self._sweeping: asyncio.Task[Any] | None = None
        self._stopping = False
        self._worker: asyncio.Task[None] | None = None
        self._starting: asyncio.Task[int] | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def start_soon(self) -> None:
        """Start in the background: with many pending reminders scheduling takes seconds
        (bench/README.md), and the bot should answer citizens meanwhile."""
        self._starting = asyncio.create_task(self.start(), name="reminders-start")
        self._starting.add_done_callback(_report_failed_start)

    async def start(self) -> int:
        """Deliver what is due, schedule every pending reminder and start the sweep;
        returns how many wake-up moments were scheduled."""
        self._wake.set()  # what fell due while the process was down goes out at once
        self._worker = asyncio.create_task(self._work(), name="reminders")
        # Jobs added before the scheduler starts go into its job store in one pass; added to a
        # running scheduler, each would wake it up once.
        scheduled = await self.schedule_pending()
        if self._stopping:
            return scheduled
        self._scheduler.add_job(
            self._sweep,
            IntervalTrigger(seconds=self._settings.sweep_seconds, timezone=UTC),
            id="reminders-sweep",
            misfire_grace_time=None,
            coalesce=True,
        )
        self._scheduler.start()
        log.info("reminders: %d pending scheduled; this process is %s", scheduled, self.owner)
        return scheduled

    async def stop(self, timeout: float = 10) -> None:
        """Finish the sends under way (their outcome is recorded), then stop."""
        self._stopping = True
        self._wake.set()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        # A job task the scheduler has just created has not run yet: let it start and see
        # that we are stopping, rather than be cancelled when the event loop closes.
        await asyncio.sleep(0)
        tasks = (self._starting, self._worker, self._sweeping)
        running = [task for task in tasks if task is not None]
        if running:
            _, unfinished = await asyncio.wait(running, timeout=timeout)
            if unfinished:
                log.warning("reminders: sends still running at shutdown were abandoned")

    async def schedule_pending(self, until: datetime | None = None) -> int:
        """Make sure a wake-up is scheduled for every moment pending reminders fall due
        (up to `until`); returns how many new moments were scheduled."""
        async with self._sessions() as session:
            moments = await pending_due_times(session, until)
        scheduled = 0
        for index, due_at in enumerate(moments):
            scheduled += self._schedule(due_at)
            if index % 500 == 499:
                await asyncio.sleep(0)  # let citizens' messages through meanwhile
        return scheduled

    def _schedule(self, due_at: datetime) -> bool:
        if due_at in self._moments:
            return False
        self._moments.add(due_at)
        self._scheduler.add_job(
            self._wake_up,
            DateTrigger(run_date=due_at, timezone=UTC),
            args=(due_at,),
            misfire_grace_time=None,  # late is better than never: the row decides if expired
            coalesce=True,
        )
        return True

    def wake(self) -> None:
        """Something was just made due (a staff decision, an answer): deliver it now rather
        than at the next sweep."""
        self._wake.set()

    async def _wake_up(self, moment: datetime) -> None:
        self._moments.discard(moment)
        self._wake.set()

    async def _sweep(self) -> None:
        """Wake the loop, and schedule what other processes added for the next interval."""
        self._wake.set()
        if self._stopping:
            return
        self._sweeping = asyncio.current_task()
        horizon = self._now() + timedelta(seconds=self._settings.sweep_seconds)
        try:
            await self.schedule_pending(until=horizon)
            await self.housekeep()
        except Exception:  # the database is away; the next sweep tries again
            log.exception("reminders: sweep failed")
        finally:
            self._sweeping = None

    async def housekeep(self) -> bool:
        """Run the housekeeping tasks if `housekeeping_seconds` have passed since the last
        run; True if they ran."""
        now = self._now()
        every = timedelta(seconds=self._settings.housekeeping_seconds)
        if not self._housekeeping or (
            self._housekept_at is not None and now - self._housekept_at < every
        ):
            return False
        async with self._sessions() as session:
            for task in self._housekeeping:
                await task(session, now)
            await session.commit()
        self._housekept_at = now
        return True

    async def _work(self) -> None:
        while not self._stopping:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.deliver_due()
            except Exception:
                log.exception("reminders: delivery round failed; the next sweep retries")

    # --- delivery --------------------------------------------------------------------------

    async def deliver_due(self) -> int:
        """Deliver everything due now; returns how many reminders were handled. Claims keep
        about one batch in flight so that the sender's pace, not the claims, sets the rate."""
        batch = self._settings.batch
        in_flight: set[asyncio.Task[int]] = set()
        exhausted = False
        handled = 0
        while True:
            if not exhausted and not self._stopping and len(in_flight) <= batch // 2:
                wanted = batch - len(in_flight)
                claimed = await self._claim(wanted)
                # Fewer than wanted may only mean another process holds the rest for now.
                exhausted = not claimed
                in_flight |= {
                    asyncio.create_task(self._handle_in_order(items))
                    for items in _by_citizen(claimed)
                }
            if not in_flight:
                return handled
            done, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            handled += sum(task.result() for task in done)

    async def _claim(self, limit: int) -> list[Claimed]:
        lease = timedelta(seconds=self._settings.lease_seconds)
        async with self._sessions() as session:
            claimed = await claim_due(session, self._now(), limit, self.owner, lease)
            await session.commit()
        return claimed

    async def _handle_in_order(self, items: list[Claimed]) -> int:
        """One citizen's messages one after another, so they arrive in the order made."""
        for item in items:
            await self._handle(item)
        return len(items)

    async def _handle(self, item: Claimed) -> None:
        try:
            await self._handle_one(item)
        except Exception as exc:
            log.exception("reminders: reminder %s failed", item.id)
            async with self._sessions() as session:
                await finish(session, item.id, self.owner, "failed", error=repr(exc)[:256])
                raise_alert(session, "reminder_failed", item)
                await session.commit()

    async def _handle_one(self, item: Claimed) -> None:
        now = self._now()
        if item.audience == "staff":
            async with self._sessions() as session:
                if await finish(session, item.id, self.owner, "sent", sent_at=now):
                    raise_alert(session, watchdog_kind(item.before), item)
                await session.commit()
            return
        if item.unreachable:
            await self._close(item, "cancelled", "the citizen has blocked the bot")
            return
        if item.audience == REPLY:
            await self._say(item, now)
            return
        rule = self._rules.get(item.rule)
        if rule is None:
            await self._close(item, "failed", f"no deadline rule {item.rule!r}")
            return
        local = now.astimezone(self._regions.zone(item.region_code))
        allowed = self._quiet.next_allowed(local).astimezone(UTC)
        if now > item.expires_at or allowed > item.expires_at:
            await self._close(item, "expired", None, alert="reminder_expired")
            return
        if allowed > now:  # quiet hours in the citizen's region: wait for the morning
            await self._postpone(item, allowed)
            return
        result = await self._notifier.notify(item.chat_id, rule.template, self._context(item))
        await self._record(item, result)

    async def _say(self, item: Claimed, now: datetime) -> None:
        """A turn's reply its process did not send (it died): it answers what the citizen
        wrote, so quiet hours do not hold it; after a day it answers nothing any more."""
        if now > item.expires_at:
            await self._close(item, "expired", None)
            return
        await self._record(item, await self._notifier.say(item.chat_id, item.context))

    async def _record(self, item: Claimed, result: Delivery) -> None:
        now = self._now()  # the sender may have waited for its turn
        async with self._sessions() as session:
            if result is Delivery.SENT:
                if item.audience != REPLY:
                    late = (now - item.due_at).total_seconds()
                    DELIVERY_SECONDS.labels("reminder").observe(late)
                sent = await finish(
                    session, item.id, self.owner, "sent", sent_at=now, attempted=True
                )
                hook = self._on_sent.get(item.rule)
                if sent and hook is not None:
                    await hook(session, item, now)
            elif result is Delivery.BLOCKED:
                await finish(
                    session, item.id, self.owner, "failed", error="blocked", attempted=True
                )
                await mark_unreachable(session, item.citizen_id, now)
            else:
                await self._retry_or_give_up(session, item, now)
            await session.commit()

    async def _retry_or_give_up(self, session: AsyncSession, item: Claimed, now: datetime) -> None:
        retry_at = now + timedelta(seconds=self._settings.retry_seconds * 2**item.attempts)
        if retry_at > item.expires_at:
            status = "expired"
        elif item.attempts + 1 >= self._settings.max_attempts:
            status = "failed"
        else:
            await postpone(
                session, item.id, self.owner, retry_at, error="not delivered", attempted=True
            )
            self._schedule(retry_at)
            return
        await finish(session, item.id, self.owner, status, error="not delivered", attempted=True)
        raise_alert(session, f"reminder_{status}", item)

    def _context(self, item: Claimed) -> dict[str, Any]:
        return {
            **item.context,
            "deadline": item.deadline_on,
            "before": item.before,
            "late": item.before < 0,
        }

    async def _close(
        self, item: Claimed, status: str, error: str | None, alert: str | None = None
    ) -> None:
        async with self._sessions() as session:
            closed = await finish(session, item.id, self.owner, status, error=error)
            if closed and alert is not None:
                raise_alert(session, alert, item)
            await session.commit()

    async def _postpone(self, item: Claimed, due_at: datetime) -> None:
        async with self._sessions() as session:
            await postpone(session, item.id, self.owner, due_at)
            await session.commit()
        self._schedule(due_at)


def _by_citizen(claimed: list[Claimed]) -> list[list[Claimed]]:
    groups: dict[int, list[Claimed]] = {}
    for item in claimed:  # claims come in the order they are due
        groups.setdefault(item.citizen_id, []).append(item)
    return list(groups.values())


def _report_failed_start(task: asyncio.Task[int]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error(
            "reminders: start failed; nothing is scheduled until a restart",
            exc_info=task.exception(),
        )
