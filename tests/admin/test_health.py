"""Liveness, readiness and metrics of the staff app: no token needed, no personal data, and
readiness says what is wrong."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import HandoverMessage
from tests.admin.test_desk import NOW, queued
from tests.support.db_chat import Clock
from tests.support.desk import client, desk_app


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
