"""The reminder runner on a real migrated database (SQLite, and PostgreSQL when available),
with a recording notifier in place of Telegram."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.regions import Regions
from reminders.planning import QuietHours
from reminders.ports import Delivery, ReminderBook
from reminders.runner import ReminderRunner, RunnerSettings
from reminders.store import SqlReminderBook, set_calendar_day
from storage import inbox
from storage.models import Citizen, InboxUpdate, Reminder
from storage.repositories import SqlDialogStore
from tests.support.reminders import (
    Clock,
    RecordingNotifier,
    add_citizen,
    add_reminder,
    alerts,
    statuses,
)
from tests.support.wiring import RULES

REGIONS = Regions.of({"63": "Europe/Samara", "77": "Europe/Moscow"}, "63")
SAMARA = REGIONS.zone("63")


def runner(
    sessions: async_sessionmaker[AsyncSession],
    notifier: RecordingNotifier,
    clock: Clock,
    **settings: float,
) -> ReminderRunner:
    return ReminderRunner(
        sessions,
        notifier,
        REGIONS,
        QuietHours(),
        settings=RunnerSettings(**settings),  # type: ignore[arg-type]
        now=clock,
        rules=RULES,
    )


async def test_a_due_reminder_is_sent_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    clock, notifier = Clock(), RecordingNotifier()
    citizen = await add_citizen(sessions, 501)
    async with sessions() as session:
        due = await add_reminder(session, citizen, clock.now - timedelta(minutes=5))
        later = await add_reminder(session, citizen, clock.now + timedelta(hours=1))
        await session.commit()
    first = runner(sessions, notifier, clock)
    assert await first.deliver_due() == 1
    assert await first.deliver_due() == 0
    assert await runner(sessions, notifier, clock).deliver_due() == 0  # another process
    assert [(chat, template) for chat, template, _ in notifier.sent] == [
        (501, "reminders.interview_result")
    ]
    assert notifier.sent[0][2]["deadline"] == due.deadline_on
    assert await statuses(sessions) == {due.id: "sent", later.id: "pending"}
    async with sessions() as session:
        row = await session.get(Reminder, due.id)
        assert row is not None
        assert row.attempts == 1
        assert row.sent_at == clock.now
        assert row.claimed_until is None


async def test_overdue_beyond_grace_expires_and_is_shown_to_staff(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock, notifier = Clock(), RecordingNotifier()
    citizen = await add_citizen(sessions, 502)
    async with sessions() as session:
        stale = await add_reminder(
            session, citizen, clock.now - timedelta(days=2), grace=timedelta(hours=8)
        )
        await session.commit()
    assert await runner(sessions, notifier, clock).deliver_due() == 1
    assert notifier.sent == []
    assert await statuses(sessions) == {stale.id: "expired"}
    assert await alerts(sessions) == [("reminder_expired", "interview:1")]


async def test_quiet_hours_move_a_reminder_to_nine_in_the_citizens_region(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # 18:30 UTC is 22:30 in Samara (UTC+4) but 21:30 in Moscow (UTC+3): both quiet.
    clock, notifier = Clock(datetime(2026, 11, 23, 18, 30, tzinfo=UTC)), RecordingNotifier()
    samara = await add_citizen(sessions, 503, "63")
    async with sessions() as session:
        reminder = await add_reminder(
            session, samara, clock.now - timedelta(minutes=1), grace=timedelta(hours=24)
        )
        await session.commit()
    assert await runner(sessions, notifier, clock).deliver_due() == 1
    assert notifier.sent == []
    async with sessions() as session:
        row = await session.get(Reminder, reminder.id)
        assert row is not None
        assert row.status == "pending"
        assert row.due_at.astimezone(SAMARA) == datetime(2026, 11, 24, 9, 0, tzinfo=SAMARA)
    clock.now = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)  # 09:00 in Samara
    assert await runner(sessions, notifier, clock).deliver_due() == 1
    assert len(notifier.sent) == 1


async def test_a_reminder_whose_morning_is_past_its_grace_expires(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock, notifier = Clock(datetime(2026, 11, 23, 18, 30, tzinfo=UTC)), RecordingNotifier()
    citizen = await add_citizen(sessions, 504)
    async with sessions() as session:
        reminder = await add_reminder(session, citizen, clock.now, grace=timedelta(hours=2))
        await session.commit()
    await runner(sessions, notifier, clock).deliver_due()
    assert await statuses(sessions) == {reminder.id: "expired"}


async def test_a_blocked_citizen_is_marked_and_their_reminders_cancelled(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = Clock()
    notifier = RecordingNotifier(outcome={505: Delivery.BLOCKED})
    citizen = await add_citizen(sessions, 505)
    async with sessions() as session:
        due = await add_reminder(session, citizen, clock.now)
        later = await add_reminder(session, citizen, clock.now + timedelta(days=1), key="x:2")
        watch = await add_reminder(
            session, citizen, clock.now + timedelta(days=1), key="x:2", audience="staff"
        )
        await session.commit()
    await runner(sessions, notifier, clock).deliver_due()
    assert await statuses(sessions) == {
        due.id: "failed",
        later.id: "cancelled",
        watch.id: "pending",  # staff still need to see the centre's deadline
    }
    async with sessions() as session:
        row = await session.get(Citizen, citizen)
        assert row is not None
        assert row.unreachable_at == clock.now
        # Writing to the bot again makes the citizen reachable.
        await SqlDialogStore(session).citizen("telegram", "505", 505)
        await session.commit()
        await session.refresh(row)
        assert row.unreachable_at is None
    assert await alerts(sessions) == [("citizen_unreachable", None)]


async def test_a_failed_send_is_retried_then_given_up(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = Clock()
    notifier = RecordingNotifier(outcome={506: Delivery.FAILED})
    citizen = await add_citizen(sessions, 506)
    async with sessions() as session:
        reminder = await add_reminder(session, citizen, clock.now, grace=timedelta(days=1))
        await session.commit()
    tries = runner(sessions, notifier, clock, max_attempts=3, retry_seconds=60)
    await tries.deliver_due()
    async with sessions() as session:
        row = await session.get(Reminder, reminder.id)
        assert row is not None
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.due_at == clock.now + timedelta(seconds=60)
    assert await tries.deliver_due() == 0  # not due again yet
    clock.advance(seconds=60)
    await tries.deliver_due()
    clock.advance(seconds=120)
    await tries.deliver_due()
    assert await statuses(sessions) == {reminder.id: "failed"}
    assert await alerts(sessions) == [("reminder_failed", "interview:1")]


async def test_a_staff_watchdog_raises_an_alert_without_a_message(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock, notifier = Clock(), RecordingNotifier()
    citizen = await add_citizen(sessions, 507)
    async with sessions() as session:
        for before in (2, -1):
            await add_reminder(
                session,
                citizen,
                clock.now,
                rule="complaint_answer",
                key="complaint:42",
                audience="staff",
                before=before,
            )
        await session.commit()
    await runner(sessions, notifier, clock).deliver_due()
    assert notifier.sent == []
    assert await alerts(sessions) == [("due_soon", "complaint:42"), ("overdue", "complaint:42")]


async def test_a_claim_left_by_a_dead_process_is_taken_after_its_lease(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock, notifier = Clock(), RecordingNotifier()
    citizen = await add_citizen(sessions, 508)
    async with sessions() as session:
        reminder = await add_reminder(session, citizen, clock.now)
        reminder.claimed_by = "dead:1"
        reminder.claimed_until = clock.now + timedelta(seconds=100)
        await session.commit()
    assert await runner(sessions, notifier, clock).deliver_due() == 0
    clock.advance(seconds=101)
    assert await runner(sessions, notifier, clock).deliver_due() == 1
    assert len(notifier.sent) == 1


async def test_two_runners_send_each_reminder_exactly_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock, notifier = Clock(), RecordingNotifier()
    async with sessions() as session:
        for chat in range(1000, 1200):
            citizen = Citizen(channel="telegram", external_id=str(chat), chat_id=chat)
            session.add(citizen)
            await session.flush()
            await add_reminder(session, citizen.id, clock.now, key=f"k:{chat}")
        await session.commit()
    first, second = (runner(sessions, notifier, clock, batch=20) for _ in range(2))
    handled = await asyncio.gather(first.deliver_due(), second.deliver_due())
    assert sum(handled) == 200
    chats = [chat for chat, _, _ in notifier.sent]
    assert sorted(chats) == list(range(1000, 1200))
    assert set((await statuses(sessions)).values()) == {"sent"}


async def test_the_book_plans_replaces_and_cancels(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    citizen_id = await add_citizen(sessions, 509)
    registered = datetime(2026, 12, 29, 10, 0, tzinfo=SAMARA)
    async with sessions() as session:
        citizen = await session.get(Citizen, citizen_id)
        assert citizen is not None
        book: ReminderBook = SqlReminderBook(session, REGIONS, QuietHours(), RULES)
        term = await book.schedule(citizen, "complaint_answer", "complaint:7", registered)
        again = await book.schedule(citizen, "complaint_answer", "complaint:7", registered)
        await session.commit()
        assert term == again
        assert term.last_day == date(2027, 1, 28)
        assert term.ends_at == datetime(2027, 1, 29, 0, 0, tzinfo=SAMARA)
        rows = (await session.scalars(select(Reminder).order_by(Reminder.id))).all()
        pending = [r for r in rows if r.status == "pending"]
        assert len(rows) == 8
        assert len(pending) == 4
        moments = sorted((r.audience, r.due_at.astimezone(SAMARA)) for r in pending)
        assert moments == [
            ("citizen", datetime(2027, 1, 28, 12, 0, tzinfo=SAMARA)),
            ("citizen", datetime(2027, 1, 29, 12, 0, tzinfo=SAMARA)),
            ("staff", datetime(2027, 1, 26, 9, 0, tzinfo=SAMARA)),
            ("staff", datetime(2027, 1, 29, 9, 0, tzinfo=SAMARA)),
        ]
        assert await book.cancel("complaint:7") == 4
        await session.commit()
    assert set((await statuses(sessions)).values()) == {"cancelled"}


async def test_the_book_uses_the_regions_calendar_override(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    citizen_id = await add_citizen(sessions, 510, "77")
    async with sessions() as session:
        await set_calendar_day(session, "77", date(2026, 11, 24), False, changed_by="test")
        citizen = await session.get(Citizen, citizen_id)
        assert citizen is not None
        book = SqlReminderBook(session, REGIONS, QuietHours(), RULES)
        moscow = await book.schedule(
            citizen, "interview_result", "i:1", datetime(2026, 11, 23, 9, tzinfo=UTC)
        )
        citizen.region_code = "63"
        samara = await book.schedule(
            citizen, "interview_result", "i:2", datetime(2026, 11, 23, 9, tzinfo=UTC)
        )
    assert moscow.last_day == date(2026, 11, 27)
    assert samara.last_day == date(2026, 11, 26)


async def test_withdrawing_consent_cancels_pending_reminders_but_not_staff_watchdogs(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = Clock()
    citizen_id = await add_citizen(sessions, 511)
    async with sessions() as session:
        reminder = await add_reminder(session, citizen_id, clock.now + timedelta(hours=1))
        watchdog = await add_reminder(
            session, citizen_id, clock.now + timedelta(days=2), audience="staff"
        )
        citizen = await session.get(Citizen, citizen_id)
        assert citizen is not None
        await SqlDialogStore(session).withdraw_consent(citizen)
        await session.commit()
    # The centre still owes the answer to a filed complaint: staff keep being told.
    assert await statuses(sessions) == {reminder.id: "cancelled", watchdog.id: "pending"}


async def test_started_runner_sends_on_time_and_sweeps_up_new_rows(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    notifier = RecordingNotifier()
    citizen = await add_citizen(sessions, 512)
    now = datetime.now(UTC)
    async with sessions() as session:
        await add_reminder(session, citizen, now + timedelta(seconds=1), key="a:1")
        await session.commit()
    live = ReminderRunner(
        sessions,
        notifier,
        Regions.of({"63": "Etc/GMT-12"}, "63"),  # any hour of the day: quiet hours off
        QuietHours(start=datetime.min.time(), end=datetime.min.time()),
        settings=RunnerSettings(sweep_seconds=0.5),
        rules=RULES,
    )
    assert await live.start() == 1
    try:
        await _wait_for(lambda: len(notifier.sent) == 1)
        async with sessions() as session:  # created by "another process" after start
            await add_reminder(session, citizen, datetime.now(UTC), key="b:1")
            await session.commit()
        await _wait_for(lambda: len(notifier.sent) == 2)
    finally:
        await live.stop()
    assert set((await statuses(sessions)).values()) == {"sent"}


async def _wait_for(condition: object, timeout: float = 10) -> None:
    assert callable(condition)
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail("timed out")
        await asyncio.sleep(0.05)


def handled_update(update_id: int, received_at: datetime) -> InboxUpdate:
    return InboxUpdate(
        bot_id=7,
        update_id=update_id,
        payload={},
        received_at=received_at,
        handled_at=received_at,
        outcome="handled",
    )


async def test_the_sweep_forgets_handled_updates_older_than_a_day_once_an_hour(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = Clock(datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
    async with sessions() as session:
        ages = {1: timedelta(days=2), 2: timedelta(hours=25), 3: timedelta(hours=1)}
        for update_id, age in ages.items():
            session.add(handled_update(update_id, clock() - age))
        await session.commit()
    sweeper = ReminderRunner(
        sessions,
        RecordingNotifier(),
        REGIONS,
        QuietHours(),
        now=clock,
        housekeeping=(inbox.prune,),
        rules=RULES,
    )
    assert await sweeper.housekeep()
    assert await _update_ids(sessions) == [3]
    async with sessions() as session:
        old = clock() - timedelta(days=3)
        session.add(handled_update(4, old))
        # Never handled (its process died): kept, whatever its age, to be handled.
        session.add(InboxUpdate(bot_id=7, update_id=5, payload={}, received_at=old))
        await session.commit()
    clock.now += timedelta(minutes=30)
    assert not await sweeper.housekeep()  # at most once an hour
    clock.now += timedelta(minutes=31)
    assert await sweeper.housekeep()
    assert await _update_ids(sessions) == [3, 5]


async def _update_ids(sessions: async_sessionmaker[AsyncSession]) -> list[int]:
    async with sessions() as session:
        found = await session.scalars(select(InboxUpdate.update_id).order_by(InboxUpdate.id))
        return list(found)
