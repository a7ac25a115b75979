"""A turn's replies are as durable as the turn: they are written to the outbox (the reminders
table, `reminders.store.stage_replies`) in the turn's transaction, held by this process, and
sent by it right after the commit, each marked sent as it leaves; one Telegram does not take
goes back to the outbox, whose runner retries it at once. A process killed in between
leaves them pending: they go out before the answer to the citizen's next message, or from the
reminders runner once the hold lapses, whichever comes first."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.inbox_mark import holding_mark, release_with_next_commit
from bot.sender import Sender
from bot.sent_marks import SentMarks
from dialogs.types import RenderedButton, RenderedReply
from kernel.clock import utc_now
from kernel.metrics import DELIVERY_SECONDS
from reminders.store import (
    Staged,
    claim_owed_replies,
    finish,
    let_go_of_replies,
    mark_unreachable,
    postpone,
    stage_replies,
)

log = logging.getLogger(__name__)


def said(reply: RenderedReply) -> dict[str, Any]:
    """A rendered reply as the outbox keeps it (JSON)."""
    return {
        "text": reply.text,
        "buttons": [[[b.label, b.payload] for b in row] for row in reply.buttons],
    }


def rendered(record: Any) -> RenderedReply:
    """The outbox's record back as a rendered reply."""
    rows = record.get("buttons", ())
    return RenderedReply(
        str(record["text"]),
        tuple(tuple(RenderedButton(str(b[0]), str(b[1])) for b in row) for row in rows),
    )


class TurnReplies:
    def __init__(
        self,
        sender: Sender,
        hold: timedelta,
        owner: str,
        *,
        clock: Callable[[], datetime] = utc_now,
        wake_outbox: Callable[[], None] = lambda: None,
        marks: SentMarks | None = None,
    ) -> None:
        self._sender = sender
        self._wake_outbox = wake_outbox  # the reminders runner: it retries what did not leave
        self._hold = hold  # as long as the inbox holds the update (bot/inbox.py)
        self._clock = clock
        self.owner = owner  # this process, stable across its restarts (`process_name`)
        # Marks what left, several turns in one commit; without it each turn commits its own.
        self._marks = marks

    async def take_back(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """At start: replies this process held when it was killed go out with the citizen's
        next turn or from the runner at once, not after the hold."""
        try:
            async with sessions() as session:
                freed = await let_go_of_replies(session, self.owner)
                await session.commit()
        except Exception:  # the database is away: the hold lapses by itself
            log.warning("could not take back the replies held before a restart", exc_info=True)
            return
        if freed:
            log.info("%d reply(ies) held before a restart are due again", freed)

    async def owed(self, session: AsyncSession, citizen_id: int) -> list[Staged]:
        """Replies a dead process left unsent to this citizen, claimed for this process in
        the caller's transaction (they are sent with the turn's own, first)."""
        owed = await claim_owed_replies(session, citizen_id, self.owner, self._clock(), self._hold)
        if owed:
            log.info(
                "%d reply(ies) to citizen %s left by a process that died", len(owed), citizen_id
            )
        return owed

    async def stage(
        self, session: AsyncSession, citizen_id: int, replies: Sequence[RenderedReply]
    ) -> list[Staged]:
        """Into the turn's transaction (the caller commits)."""
        if not replies:
            return []
        records = [said(reply) for reply in replies]
        return await stage_replies(
            session, citizen_id, records, owner=self.owner, now=self._clock(), lease=self._hold
        )

    async def send(
        self, session: AsyncSession, citizen_id: int, chat_id: int, staged: Sequence[Staged]
    ) -> None:
        """Send committed replies in order, each marked sent as it leaves (bot/sent_marks.py:
        the marks of several turns share a commit); the last mark also ends the update's hold
        in the inbox (bot/inbox_mark.py). When the citizen has blocked the bot, the rest is
        cancelled with their other pending messages. When Telegram cannot be reached the rest
        is left to the reminders runner, which retries."""
        for index, item in enumerate(staged):
            try:
                delivered = await self._sender.send(chat_id, rendered(item.said))
            except Exception as exc:  # the turn is committed: what it says is not lost
                log.warning("reply to chat %s not sent (%r); the outbox retries it", chat_id, exc)
                for rest in staged[index:]:
                    await postpone(session, rest.id, self.owner, self._clock())
                release_with_next_commit(session)
                await session.commit()
                self._wake_outbox()
                return
            now = self._clock()
            if not delivered:
                await finish(session, item.id, self.owner, "failed", error="blocked")
                await mark_unreachable(session, citizen_id, now)
                release_with_next_commit(session)
                await session.commit()
                return
            last = index == len(staged) - 1
            if not await self._marked_together(session, item.id, now, last):
                await finish(session, item.id, self.owner, "sent", sent_at=now, attempted=True)
                if last:
                    release_with_next_commit(session)
                await session.commit()
            DELIVERY_SECONDS.labels("reply").observe((now - item.made_at).total_seconds())

    async def _marked_together(
        self, session: AsyncSession, reply: int, now: datetime, last: bool
    ) -> bool:
        """Marked sent in a commit shared with other turns (the last reply ends the update's
        hold with it); False when there is none, or it failed: the turn commits its own."""
        if self._marks is None:
            return False
        held = holding_mark(session) if last else None
        if not await self._marks.mark(reply, now, held.row if held else None):
            return False
        if held is not None:
            held.released = True
        return True


def process_name(configured: str | None, mode: str, port: int) -> str:
    """This process's name, the same after a restart: configured, or the host with the
    webhook's port (several webhook processes on one host) or "polling" (one per token)."""
    if configured:
        return configured
    return f"{socket.gethostname()}:{port if mode == 'webhook' else 'polling'}"[:64]
