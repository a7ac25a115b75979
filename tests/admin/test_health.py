"""Liveness, readiness and metrics of the staff app: no token needed, no personal data, and
readiness says what is wrong."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reminders.store import stage_replies
from storage.models import HandoverMessage, InboxUpdate
from tests.admin.test_desk import NOW, queued
from tests.support.db_chat import Clock
from tests.support.desk import client, desk_app
from tests.support.reminders import add_citizen


async def test_health_readiness_and_metrics(sessions: async_sessionmaker[AsyncSession]) -> None:
    handover = await queued(sessions, "63", 1001)
    clock = Clock(NOW)
    app = desk_app(sessions, clock)
    async with client(app) as monitor:
        assert (await monitor.get("/healthz")).json() == {"status": "ok"}
        ready = await monitor.get("/readyz")
        assert (ready.status_code, ready.json()["ready"]) == (200, True)
        metrics = (await monitor.get("/metrics")).text
        assert 'assistant_waiting{what="queued_for_operator"} 1.0' in metrics
        assert "Петрова" not in metrics

        async with sessions() as session:
            session.add(
                HandoverMessage(
                    handover_id=handover,
                    direction="operator",
                    text="ответ",
                    at=NOW - timedelta(minutes=6),
                )
            )
            await session.commit()
        stuck = await monitor.get("/readyz")
        assert stuck.status_code == 503
        assert stuck.json()["problems"] == ["1 message(s) to citizens not relayed for 5 minutes"]
        metrics = (await monitor.get("/metrics")).text
        assert 'assistant_waiting{what="to_relay"} 1.0' in metrics


async def test_updates_waiting_in_the_inbox_are_counted_and_a_stuck_one_is_not_ready(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        session.add(InboxUpdate(bot_id=1, update_id=1, payload={}, received_at=NOW))
        session.add(InboxUpdate(bot_id=1, update_id=2, payload={}, received_at=NOW))
        await session.commit()
    clock = Clock(NOW)
    async with client(desk_app(sessions, clock)) as monitor:
        assert (await monitor.get("/readyz")).status_code == 200  # just arrived
        assert 'assistant_waiting{what="inbox"} 2.0' in (await monitor.get("/metrics")).text
        clock.now = NOW + timedelta(minutes=6)
        stuck = await monitor.get("/readyz")
        assert stuck.status_code == 503
        assert stuck.json()["problems"] == ["2 update(s) from Telegram not handled for 5 minutes"]


async def test_a_reply_a_dead_process_left_is_counted_and_unsent_due_messages_are_not_ready(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    citizen = await add_citizen(sessions, 1002)
    async with sessions() as session:
        await stage_replies(
            session,
            citizen,
            [{"text": "вопрос", "buttons": []}],
            owner="dead",
            now=NOW,
            lease=timedelta(seconds=30),
        )
        await session.commit()
    clock = Clock(NOW)
    async with client(desk_app(sessions, clock)) as monitor:
        assert (await monitor.get("/readyz")).status_code == 200  # its process is sending it
        metrics = (await monitor.get("/metrics")).text
        assert 'assistant_waiting{what="replies_pending"} 1.0' in metrics
        clock.now = NOW + timedelta(minutes=6)
        late = await monitor.get("/readyz")
        assert late.status_code == 503
        assert late.json()["problems"] == [
            "1 reminder(s) or reply(ies) due 5 minutes ago not sent"
        ]
