"""The durable inbox's reads and writes (storage/models/inbox.py). Storing commits on its own
(it must be durable before Telegram is told); handling marks an update in the handler's own
transaction (`mark_handled`, from a before-commit hook), so the mark and the changes it stands
for commit together or not at all."""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Integer, any_, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningInsert

from storage.database import backend, insert_for
from storage.models import InboxUpdate
from storage.writes_at_commit import Write, execute_together

# Telegram keeps an unconfirmed update for at most 24 hours (pitfalls: Telegram Bot API), so a
# handled update older than that will not come again and its row is only weight.
UPDATE_MEMORY = timedelta(days=1)


@dataclass(frozen=True)
class Received:
    update_id: int
    sender: int | None
    payload: dict[str, Any]


async def store(session: AsyncSession, bot_id: int, received: Sequence[Received]) -> int:
    """Adds what is new (a redelivered update is ignored) and commits; returns how many."""
    added = await add(session, bot_id, received)
    await session.commit()
    return added


async def add(session: AsyncSession, bot_id: int, received: Sequence[Received]) -> int:
    """`store` in the caller's transaction (the caller commits)."""
    if not received:
        return 0
    rows = [
        {"bot_id": bot_id, "update_id": r.update_id, "sender": r.sender, "payload": r.payload}
        for r in received
    ]
    # On the connection: the ORM's bulk-insert handling of a mapped class is not needed here.
    connection = await session.connection()
    added = await connection.execute(_store_statement(backend(session)), rows)
    return len(added.all())


@functools.cache
def _store_statement(backend: str) -> ReturningInsert[tuple[int]]:
    """Built once per backend and given the rows as parameters: SQLAlchemy sends them as one
    multi-row INSERT (its "insertmanyvalues"), and the statement stays in its compiled cache.
    Rows written into the statement itself (`.values(rows)`) are never cached: it was compiled
    again for every batch of updates. RETURNING counts what was new."""
    return insert_for(backend, InboxUpdate).on_conflict_do_nothing().returning(InboxUpdate.id)


@dataclass(frozen=True)
class Leased:
    """A stored update now held by this process."""

    id: int
    update_id: int
    sender: int | None
    payload: dict[str, Any]


def sender_key(sender: int | None, row_id: int) -> int:
    """Whose updates must keep their order (an update without a sender is on its own)."""
    return sender if sender is not None else -row_id


async def lease(
    session: AsyncSession,
    now: datetime,
    seconds: float,
    busy: set[int],
    *,
    holder: str | None = None,
    limit: int = 500,
    senders: Collection[int] | None = None,
    behind: set[int] | None = None,
) -> list[Leased]:
    """For each sender, their oldest waiting update, now held by this process for `seconds`;
    commits. A sender is skipped while one of their updates is in hand (`busy`, here; or held
    by another live process, until its replies have left too — `mark_handled`): their next
    update is taken only after it, so each person's updates are handled one at a time and in
    order, by whichever process.

    Two statements whatever the backlog: the choice reads no payloads, and one UPDATE takes
    the chosen rows, re-checking that no other process took one meanwhile. `senders` limits
    the choice to these people's updates (those just received): the choice reads every
    update in hand or waiting, and under load that is hundreds of rows. `behind`, when
    given, gets the `busy` senders seen with an update waiting behind the one in hand (all
    of them when the choice was cut at `limit`): theirs may be taken once it is done."""
    connection = await session.connection()  # plain rows: no ORM handling needed
    choice, values = _WAITING, {"now": now, "limit": limit}
    if senders is not None:
        choice, values["senders"] = _WAITING_OF_SENDERS, list(senders)
    waiting = await connection.execute(choice, values)
    chosen = []
    seen: set[int] = set()
    found = waiting.all()
    if behind is not None and len(found) >= limit:
        behind |= busy  # what the choice did not read may wait behind any of them
    for row_id, sender, handled_at, leased_until in found:
        key = sender_key(sender, row_id)
        free = handled_at is None and (leased_until is None or leased_until < now)
        if key in busy:  # in hand here: their next update is taken after it
            if free and behind is not None:
                behind.add(key)
            continue
        if key in seen:
            continue  # not their oldest update in hand or waiting
        seen.add(key)
        if free:  # not handled (its replies still on their way) nor held elsewhere
            chosen.append(row_id)
    taken: list[Leased] = []
    if chosen:
        until = now + timedelta(seconds=seconds)
        result = await connection.execute(
            _TAKE, {"chosen": chosen, "now": now, "until": until, "holder": holder}
        )
        taken = sorted((Leased(*row) for row in result.all()), key=lambda row: row.id)
    await session.commit()
    return taken


# The lease's statements, built once and given their values as parameters: every batch of
# updates and every round of the worker leases. Built at each call, a lease that chose nothing
# (its session, the SELECT, the commit) cost 1.0–1.2 ms of CPU, built once 0.5–0.65 ms: the
# building and SQLAlchemy's cache key of what was built were the rest (bench/README.md, "The
# seventh sitting").
_WAITING = (
    select(InboxUpdate.id, InboxUpdate.sender, InboxUpdate.handled_at, InboxUpdate.leased_until)
    .where(or_(InboxUpdate.handled_at.is_(None), InboxUpdate.leased_until >= bindparam("now")))
    .order_by(InboxUpdate.id)
    .limit(bindparam("limit", type_=Integer))
)
_WAITING_OF_SENDERS = _WAITING.where(InboxUpdate.sender.in_(bindparam("senders", expanding=True)))
_TAKE = (
    update(InboxUpdate)
    .where(
        InboxUpdate.id.in_(bindparam("chosen", expanding=True)),
        InboxUpdate.handled_at.is_(None),
        or_(InboxUpdate.leased_until.is_(None), InboxUpdate.leased_until < bindparam("now")),
    )
    .values(
        leased_until=bindparam("until"),
        leased_by=bindparam("holder"),
        attempts=InboxUpdate.attempts + 1,
    )
    .returning(InboxUpdate.id, InboxUpdate.update_id, InboxUpdate.sender, InboxUpdate.payload)
)


# Built once: they run in every turn, and building one took about 0.1 ms.
_MARK_HANDLED = (
    update(InboxUpdate)
    .where(InboxUpdate.id == bindparam("row"), InboxUpdate.handled_at.is_(None))
    .values(
        handled_at=bindparam("now"), outcome=bindparam("result"), leased_until=bindparam("held")
    )
)
_END_HOLD = update(InboxUpdate).where(InboxUpdate.id == bindparam("row")).values(leased_until=None)


def mark_handled(
    connection: Connection,
    row_id: int,
    now: datetime,
    outcome: str,
    hold: timedelta | None,
    *,
    together: Sequence[Write] = (),
) -> bool:
    """In the handler's transaction; False when the update was handled already. The hold is
    renewed for `hold`, while the turn's replies are sent (`release` ends it): the sender's
    next update waits for them, whichever process takes it. No hold: nothing to wait for.
    `together`: the transaction's writes at commit, made with the mark (storage/
    writes_at_commit.py)."""
    held = None if hold is None else now + hold
    values = {"row": row_id, "now": now, "result": outcome, "held": held}
    *_, marked = execute_together(connection, [*together, Write(_MARK_HANDLED, values)])
    return marked == 1


async def finish(session: AsyncSession, row_id: int, now: datetime, outcome: str) -> None:
    """Marks an update handled in a transaction of its own (nothing else to commit with it)."""
    await session.run_sync(lambda s: mark_handled(s.connection(), row_id, now, outcome, None))
    await session.commit()


def end_hold(connection: Connection, row_id: int) -> None:
    """In the caller's transaction: the update's replies have left, its sender's next update
    may be taken."""
    connection.execute(_END_HOLD, {"row": row_id})


def holds_ended(row_ids: Sequence[int]) -> Write:
    """PostgreSQL: `end_hold` of several rows by one statement whatever their number (an
    array), to be made with others (storage/writes_at_commit.py)."""
    return Write(_END_HOLDS, {"ended_rows": list(row_ids)})


_END_HOLDS = (
    update(InboxUpdate)
    .where(InboxUpdate.id == any_(bindparam("ended_rows", type_=ARRAY(Integer))))
    .values(leased_until=None)
)


async def release(session: AsyncSession, row_id: int) -> None:
    """`end_hold` in a transaction of its own."""
    await session.run_sync(lambda s: end_hold(s.connection(), row_id))
    await session.commit()


async def let_go(session: AsyncSession, holder: str) -> int:
    """At start: what this process held in its previous life (it was killed) is free again at
    once; commits. Returns how many updates."""
    result = await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.leased_by == holder, InboxUpdate.leased_until.is_not(None))
        .values(leased_until=None)
    )
    await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


async def backlog(session: AsyncSession) -> int:
    """Updates stored and not yet handled (for /readyz and the metrics)."""
    found = await session.scalar(
        select(func.count()).select_from(InboxUpdate).where(InboxUpdate.handled_at.is_(None))
    )
    return int(found or 0)


async def prune(session: AsyncSession, now: datetime) -> int:
    """Forget updates handled more than a day before `now`; returns how many."""
    result = await session.execute(
        delete(InboxUpdate).where(
            InboxUpdate.handled_at.is_not(None), InboxUpdate.received_at < now - UPDATE_MEMORY
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
