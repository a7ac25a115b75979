"""A turn's replies in the outbox (reminders/store.py): held by the process that handles the
turn, then the runner's or the next turn's when that process died; in order, never held by
quiet hours, and kept for a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.regions import Regions
from reminders.planning import QuietHours
from reminders.runner import ReminderRunner, RunnerSettings
from reminders.store import (
    claim_due,
    claim_owed_replies,
    finish,
    let_go_of_replies,
    prune_replies,
    stage_replies,
)
from tests.support.reminders import Clock, RecordingNotifier, add_citizen, statuses
from tests.support.wiring import RULES

HOLD = timedelta(seconds=30)
NIGHT = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)  # midnight in Samara: quiet hours


def said(text: str) -> dict[str, object]:
    return {"text": text, "buttons": [[["Да", "yes"]]]}


def runner(
    sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> tuple[ReminderRunner, RecordingNotifier]:
    notifier = RecordingNotifier()
    regions = Regions.of({"63": "Europe/Samara"}, "63")
    return (
        ReminderRunner(
            sessions, notifier, regions, QuietHours(), settings=RunnerSettings(), now=clock,
            rules=RULES,
        ),
        notifier,
    )  # fmt: skip


async def stage(
    sessions: async_sessionmaker[AsyncSession], citizen: int, now: datetime, *texts: str
) -> list[int]:
    async with sessions() as session:
        staged = await stage_replies(
            session, citizen, [said(t) for t in texts], owner="turn", now=now, lease=HOLD
        )
        await session.commit()
        return [s.id for s in staged]


async def test_the_runner_leaves_a_held_reply_to_its_turn_and_sends_it_when_the_hold_lapses(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = Clock(now=NIGHT)
    citizen = await add_citizen(sessions, 601)
    ids = await stage(sessions, citizen, clock.now, "первый", "второй", "третий")
    outbox, notifier = runner(sessions, clock)
    assert await outbox.deliver_due() == 0  # the turn's process is sending them
    clock.advance(seconds=31)  # it died: the hold lapsed
    assert await outbox.deliver_due() == 3
    # In the order said, at night too: it answers what the citizen just wrote.
    assert [(chat, c["text"]) for chat, _, c in notifier.sent] == [
        (601, "первый"),
        (601, "второй"),
        (601, "третий"),
    ]
    assert notifier.sent[0][2]["buttons"] == [[["Да", "yes"]]]
    assert await statuses(sessions) == dict.fromkeys(ids, "sent")


async def test_replies_sent_by_their_turn_are_not_sent_again(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = Clock()
    citizen = await add_citizen(sessions, 602)
    sent, _ = await stage(sessions, citizen, clock.now, "ушёл", "не ушёл")
    async with sessions() as session:
        assert await finish(session, sent, "turn", "sent", sent_at=clock.now)
        await session.commit()
    clock.advance(seconds=31)
    outbox, notifier = runner(sessions, clock)
    assert await outbox.deliver_due() == 1
    assert [c["text"] for _, _, c in notifier.sent] == ["не ушёл"]


async def test_the_citizen_s_next_turn_takes_over_what_a_dead_process_owed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = Clock()
    citizen = await add_citizen(sessions, 603)
    other = await add_citizen(sessions, 604)
    first, second = await stage(sessions, citizen, clock.now, "первый", "второй")
    await stage(sessions, other, clock.now, "чужой")
    async with sessions() as session:
        assert await claim_owed_replies(session, citizen, "next", clock.now, HOLD) == []  # held
        later = clock.now + HOLD + timedelta(seconds=1)
        owed = await claim_owed_replies(session, citizen, "next", later, HOLD)
        await session.commit()
    assert [(o.id, o.said["text"]) for o in owed] == [(first, "первый"), (second, "второй")]
    async with sessions() as session:  # now the next turn's, not the runner's
        assert await claim_owed_replies(session, citizen, "runner", later, HOLD) == []


async def test_a_reply_undelivered_for_a_day_expires_and_settled_ones_are_forgotten(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = Clock()
    citizen = await add_citizen(sessions, 605)
    (stale,) = await stage(sessions, citizen, clock.now, "вчерашний")
    clock.advance(days=1, minutes=1)
    outbox, notifier = runner(sessions, clock)
    assert await outbox.deliver_due() == 1
    assert notifier.sent == []
    assert await statuses(sessions) == {stale: "expired"}
    (fresh,) = await stage(sessions, citizen, clock.now, "свежий")
    async with sessions() as session:
        assert await prune_replies(session, clock.now + timedelta(hours=1)) == 0  # too recent
        # The settled reply is forgotten a day after it was made; the pending one stays.
        assert await prune_replies(session, datetime.now(UTC) + timedelta(days=2)) == 1
        await session.commit()
    assert await statuses(sessions) == {fresh: "pending"}


async def test_a_reply_the_runner_was_sending_when_it_died_is_free_again_soon(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = Clock()
    citizen = await add_citizen(sessions, 606)
    (reply,) = await stage(sessions, citizen, clock.now, "ответ")
    clock.advance(seconds=31)
    async with sessions() as session:  # a runner takes it, and dies sending it
        taken = await claim_due(session, clock.now, 10, "dead", timedelta(minutes=5))
        await session.commit()
    assert [t.id for t in taken] == [reply]
    clock.advance(seconds=31)  # not a reminder's five minutes
    outbox, notifier = runner(sessions, clock)
    assert await outbox.deliver_due() == 1
    assert [c["text"] for _, _, c in notifier.sent] == ["ответ"]


async def test_replies_a_killed_process_held_are_due_at_once_when_it_starts_again(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = Clock(now=datetime.now(UTC))
    citizen = await add_citizen(sessions, 607)
    (mine,) = await stage(sessions, citizen, clock.now, "мой")
    async with sessions() as session:
        await stage_replies(
            session, citizen, [said("чужой")], owner="other", now=clock.now, lease=HOLD
        )
        assert await let_go_of_replies(session, "turn") == 1  # `stage` holds as "turn"
        await session.commit()
    clock.advance(seconds=1)
    async with sessions() as session:
        owed = await claim_owed_replies(session, citizen, "turn", clock.now, HOLD)
    assert [o.id for o in owed] == [mine]  # the other process's reply is still its own
