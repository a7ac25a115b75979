"""Is the process alive, is it ready, and its metrics: for the monitoring of an installation.

`/healthz`: the process answers. `/readyz`: the database answers, and neither the inbox of
Telegram updates nor the outbox to citizens is backed up (503 with the reasons otherwise).
`/metrics`: Prometheus text format; what waits in the database (Telegram updates, queued
citizens, messages to relay, reminders by state) is counted when it is read.
No personal data in any of them, so they need no token; serve the staff app on an address only
the monitoring reaches."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.metrics import WAITING
from reminders.store import REPLY
from storage import inbox
from storage.models import Handover, HandoverMessage, InboxUpdate, Reminder

PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
STALE = timedelta(minutes=5)  # a message still not relayed after this: something is stuck


async def _waiting(db: AsyncSession) -> dict[str, int]:
    queued = await db.scalar(select(func.count(Handover.id)).where(Handover.state == "queued"))
    unrelayed = await db.scalar(
        select(func.count(HandoverMessage.id)).where(
            HandoverMessage.relayed_at.is_(None),
            HandoverMessage.failed.is_(False),
            HandoverMessage.direction.in_(("operator", "to_citizen")),
        )
    )
    counts = {
        "queued_for_operator": int(queued or 0),
        "to_relay": int(unrelayed or 0),
        "inbox": await inbox.backlog(db),  # updates stored and not yet handled
    }
    rows = await db.execute(
        select(Reminder.audience == REPLY, Reminder.status, func.count(Reminder.id))
        .where(or_(Reminder.audience != REPLY, Reminder.status == "pending"))
        .group_by(Reminder.audience == REPLY, Reminder.status)
    )
    for is_reply, status, count in rows.all():
        # Replies are sent within the turn; pending ones wait for a process that died.
        counts["replies_pending" if is_reply else f"reminders_{status}"] = int(count)
    return counts


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @routes.get("/readyz")
    async def readyz(request: Request) -> Response:
        problems = []
        try:
            async with request.app.state.sessions() as db:
                await db.execute(text("SELECT 1"))
                stale_before = request.app.state.clock() - STALE
                stuck = await db.scalar(
                    select(func.count(HandoverMessage.id)).where(
                        HandoverMessage.relayed_at.is_(None),
                        HandoverMessage.failed.is_(False),
                        HandoverMessage.direction.in_(("operator", "to_citizen")),
                        HandoverMessage.at < stale_before,
                    )
                )
                unhandled = await db.scalar(
                    select(func.count(InboxUpdate.id)).where(
                        InboxUpdate.handled_at.is_(None), InboxUpdate.received_at < stale_before
                    )
                )
                # Due and neither sent nor claimed: no process delivers reminders (quiet hours
                # move `due_at` to the morning, so they do not count here).
                late = await db.scalar(
                    select(func.count(Reminder.id)).where(
                        Reminder.status == "pending",
                        Reminder.due_at < stale_before,
                        or_(
                            Reminder.claimed_until.is_(None),
                            Reminder.claimed_until < stale_before,
                        ),
                    )
                )
        except Exception:
            problems.append("the database does not answer")
        else:
            if stuck:
                problems.append(f"{stuck} message(s) to citizens not relayed for 5 minutes")
            if unhandled:
                problems.append(f"{unhandled} update(s) from Telegram not handled for 5 minutes")
            if late:
                problems.append(f"{late} reminder(s) or reply(ies) due 5 minutes ago not sent")
        status = 503 if problems else 200
        return JSONResponse({"ready": not problems, "problems": problems}, status_code=status)

    @routes.get("/metrics")
    async def metrics(request: Request) -> Response:
        try:
            async with request.app.state.sessions() as db:
                for what, count in (await _waiting(db)).items():
                    WAITING.labels(what).set(count)
        except Exception:  # the counters still tell a lot without the database
            pass
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return routes
