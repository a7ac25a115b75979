"""Reminder rows on SQLAlchemy: planning and cancelling (for flows), claiming and recording
outcomes (for the runner). Functions take the caller's session and never commit."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    BindParameter,
    DateTime,
    Integer,
    Text,
    Update,
    bindparam,
    case,
    cast,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.calendar import WorkingCalendar
from kernel.clock import utc_now
from kernel.json_text import json_text
from kernel.regions import Regions
from reminders.planning import Deadline, Planned, QuietHours, plan, plan_before
from reminders.rules import Rule
from storage.database import backend, rows_of_arrays
from storage.models import CalendarDay, Citizen, Reminder, StaffAlert, UtcDateTime
from storage.repositories import cancel_reminders
from storage.reserved_ids import ReservedIds
from storage.writes_at_commit import Write, write_at_commit


async def region_calendar(session: AsyncSession, region_code: str) -> WorkingCalendar:
    rows = await session.execute(
        select(CalendarDay.day, CalendarDay.is_working).where(
            CalendarDay.region_code == region_code
        )
    )
    return WorkingCalendar(dict(rows.all()))


async def set_calendar_day(
    session: AsyncSession,
    region_code: str,
    day: date,
    is_working: bool | None,
    *,
    changed_by: str,
    note: str | None = None,
) -> None:
    """Override one day of a region's calendar; `None` removes the override."""
    row = await session.scalar(
        select(CalendarDay).where(CalendarDay.region_code == region_code, CalendarDay.day == day)
    )
    if is_working is None:
        if row is not None:
            await session.delete(row)
        return
    if row is None:
        row = CalendarDay(region_code=region_code, day=day)
        session.add(row)
    row.is_working = is_working
    row.note = note
    row.changed_by = changed_by


class SqlReminderBook:
    """What flows use to set and clear reminders (structurally `reminders.ports.ReminderBook`)."""

    def __init__(
        self,
        session: AsyncSession,
        regions: Regions,
        quiet: QuietHours,
        rules: Mapping[str, Rule],
    ) -> None:
        self._session = session
        self._regions = regions
        self._quiet = quiet
        self._rules = rules

    async def schedule(
        self,
        citizen: Citizen,
        rule_id: str,
        key: str,
        event_at: datetime,
        context: Mapping[str, Any] | None = None,
    ) -> Deadline:
        """Compute the deadline of `rule_id` for an event and store its reminders; a second
        call for the same key and rule replaces the first one's pending reminders."""
        rule = self._rules[rule_id]
        region = self._regions.code(citizen.region_code)
        calendar = await region_calendar(self._session, region)
        term, planned = plan(rule, event_at, self._regions.zone(region), calendar, self._quiet)
        await self._replace(citizen, rule_id, key, term.last_day, planned, context=context)
        return term

    async def schedule_before(
        self,
        citizen: Citizen,
        rule_id: str,
        key: str,
        moment: datetime,
        *,
        now: datetime,
        context: Mapping[str, Any] | None = None,
    ) -> int:
        """Store the citizen's reminders of a moment (a visit) under `key`, replacing the
        pending ones of the same key and rule (the visit moved). Returns how many."""
        rule = self._rules[rule_id]
        zone = self._regions.zone(self._regions.code(citizen.region_code))
        planned = plan_before(rule, moment, now, zone, self._quiet)
        day = moment.astimezone(zone).date()
        await self._replace(citizen, rule_id, key, day, planned, context=context)
        return len(planned)

    async def _replace(
        self,
        citizen: Citizen,
        rule_id: str,
        key: str,
        deadline_on: date,
        planned: list[Planned],
        *,
        context: Mapping[str, Any] | None,
    ) -> None:
        """The pending reminders of `key` and `rule_id` become `planned`."""
        await self.cancel(key, rule_id)
        for item in planned:
            self._session.add(
                Reminder(
                    citizen_id=citizen.id,
                    rule=rule_id,
                    key=key,
                    audience=item.audience,
                    before=item.before,
                    deadline_on=deadline_on,
                    due_at=item.due_at,
                    expires_at=item.expires_at,
                    status="pending",
                    attempts=0,
                    context=dict(context or {}),
                )
            )
        await self._session.flush()

    async def notify_now(
        self, citizen: Citizen, rule_id: str, key: str, now: datetime, context: Mapping[str, Any]
    ) -> None:
        """A message that must reach the citizen now (an answer to their complaint) goes out
        through the reminders table: the runner retries it and holds it over quiet hours, and
        it survives a restart of the bot in between."""
        rule = self._rules[rule_id]
        self._session.add(
            Reminder(
                citizen_id=citizen.id,
                rule=rule_id,
                key=key,
                audience="citizen",
                before=0,
                deadline_on=now.astimezone(self._regions.zone(citizen.region_code)).date(),
                due_at=now,
                expires_at=now + timedelta(hours=rule.grace_hours),
                status="pending",
                attempts=0,
                context=dict(context),
            )
        )
        await self._session.flush()

    async def cancel(self, key: str, rule_id: str | None = None) -> int:
        """The citizen (or staff) did what `key` was about: drop its pending reminders and
        close its open watchdog items. Returns how many reminders were cancelled."""
        now = utc_now()
        alerts = update(StaffAlert).where(StaffAlert.key == key, StaffAlert.resolved_at.is_(None))
        matching = [Reminder.key == key]
        if rule_id is not None:
            matching.append(Reminder.rule == rule_id)
            alerts = alerts.where(StaffAlert.rule == rule_id)
        await self._session.execute(
            alerts.values(resolved_at=now), execution_options={"synchronize_session": False}
        )
        return await cancel_reminders(self._session, *matching)


# --- what the bot says in a turn ---------------------------------------------------------

# The audience of a turn's reply. It is written in the turn's transaction, held by the process
# that handles the turn (which sends it at once, in order) for `lease`, and only then due for the
# runner: so a reply lost to a crash between the commit and the send goes out after the
# restart, and the citizen is not left facing silence at a step that was saved.
REPLY = Reminder.REPLY_AUDIENCE
# A reply not delivered within a day answers nothing any more.
REPLY_MEMORY = timedelta(days=1)
# How long the runner holds a reply it sends (one message: seconds, unless Telegram is away).
REPLY_LEASE = timedelta(seconds=30)


@dataclass(frozen=True)
class Staged:
    id: int
    said: dict[str, Any]  # the rendered message: {"text": ..., "buttons": [[[label, payload]]]}
    made_at: datetime


async def stage_replies(
    session: AsyncSession,
    citizen_id: int,
    said: Sequence[Mapping[str, Any]],
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
) -> list[Staged]:
    """Add a turn's replies, held by `owner` (the caller commits them with the turn). One
    INSERT, not the unit of work's flush of new objects: it runs in every turn. On PostgreSQL
    their ids are reserved ahead (storage/reserved_ids.py) and the INSERT is made at the
    commit, in the commit's one statement: no round trip of its own."""
    rows = [
        {
            "citizen_id": citizen_id,
            "rule": REPLY,
            "key": f"{REPLY}:{citizen_id}",
            "audience": REPLY,
            "before": 0,
            "deadline_on": now.date(),
            "due_at": now + lease,
            "expires_at": now + REPLY_MEMORY,
            "status": "pending",
            "attempts": 0,
            "context": dict(message),
            "claimed_by": owner,
            "claimed_until": now + lease,
        }
        for message in said
    ]
    if not rows:
        return []
    if backend(session) == "postgresql":
        ids = await _REPLY_IDS.take(session, len(rows))
        same = {
            f"reply_{column}": value for column, value in rows[0].items() if column != "context"
        }
        contexts = [json_text(row["context"]) for row in rows]
        values = same | {"replies_id": ids, "replies_context": contexts, "reply_made": utc_now()}
        write_at_commit(session, _STAGE_AT_COMMIT, values)
    else:
        connection = await session.connection()
        ids = list((await connection.execute(_STAGE, rows)).scalars())
    return [Staged(row_id, dict(message), now) for row_id, message in zip(ids, said, strict=True)]


# Built once: every turn stages its replies with it.
_STAGE = insert(Reminder).returning(Reminder.id, sort_by_parameter_order=True)
_REPLY_IDS = ReservedIds("reminders")


# A turn's replies from two arrays, their ids and their texts; the rest is the same for all.
# One statement whatever their number, so SQLAlchemy compiles it once (an INSERT of several
# VALUES rows is compiled again at every execution).
_REPLIES = rows_of_arrays("replies", id=Integer(), context=Text())
_SAME_FOR_ALL = (
    "citizen_id",
    "rule",
    "key",
    "audience",
    "before",
    "deadline_on",
    "due_at",
    "expires_at",
    "status",
    "attempts",
    "claimed_by",
    "claimed_until",
)
_STAGE_AT_COMMIT = insert(Reminder).from_select(
    ["id", "context", "created_at", *_SAME_FOR_ALL],
    select(
        _REPLIES.c.id,
        cast(_REPLIES.c.context, JSON),
        bindparam("reply_made", type_=Reminder.__table__.c.created_at.type),
        *(
            bindparam(f"reply_{column}", type_=Reminder.__table__.c[column].type)
            for column in _SAME_FOR_ALL
        ),
    ),
)


async def claim_owed_replies(
    session: AsyncSession, citizen_id: int, owner: str, now: datetime, lease: timedelta
) -> list[Staged]:
    """The citizen's replies that a process which died did not send, oldest first, now held by
    `owner`: they go out before the answer to what the citizen writes next."""
    owed = await session.execute(_OWED_REPLIES, {"citizen": citizen_id, "now": now})
    staged = [Staged(row_id, dict(context), made) for row_id, context, made in owed.all()]
    if not staged:
        return []
    taken = await session.execute(
        update(Reminder)
        .where(Reminder.id.in_([s.id for s in staged]), _claimable(now))
        .values(claimed_until=now + lease, claimed_by=owner)
        .returning(Reminder.id),
        execution_options={"synchronize_session": False},
    )
    ids = set(taken.scalars())
    return [s for s in staged if s.id in ids]


async def let_go_of_replies(session: AsyncSession, owner: str) -> int:
    """At start: replies this process held when it was killed are free again at once (the
    next turn or the runner sends them); the caller commits. Returns how many."""
    result = await session.execute(
        update(Reminder)
        .where(
            Reminder.claimed_by == owner,
            Reminder.audience == REPLY,
            Reminder.status == "pending",
        )
        .values(claimed_until=None, due_at=utc_now()),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def prune_replies(session: AsyncSession, now: datetime) -> int:
    """Forget replies settled more than `REPLY_MEMORY` ago (they are one row per message the
    bot ever sent); returns how many."""
    result = await session.execute(
        delete(Reminder).where(
            Reminder.audience == REPLY,
            Reminder.status != "pending",
            Reminder.created_at < now - REPLY_MEMORY,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- the runner's side ---------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    id: int
    citizen_id: int
    chat_id: int
    region_code: str | None
    unreachable: bool
    rule: str
    key: str
    audience: str
    before: int
    deadline_on: date
    due_at: datetime
    expires_at: datetime
    attempts: int
    context: dict[str, Any]


def _claimable(now: datetime | BindParameter[datetime]) -> Any:
    return (
        (Reminder.status == "pending")
        & (Reminder.due_at <= now)
        & or_(Reminder.claimed_until.is_(None), Reminder.claimed_until < now)
    )


# Asked in every turn: built once (building it took about 0.16 ms).
_OWED_REPLIES = (
    select(Reminder.id, Reminder.context, Reminder.created_at)
    .where(
        Reminder.citizen_id == bindparam("citizen"),
        Reminder.audience == REPLY,
        _claimable(bindparam("now", type_=UtcDateTime)),
    )
    .order_by(Reminder.id)
    .with_for_update(skip_locked=True)
)


async def claim_due(
    session: AsyncSession,
    now: datetime,
    limit: int,
    owner: str,
    lease: timedelta,
    *,
    reply_lease: timedelta = REPLY_LEASE,
) -> list[Claimed]:
    """Take up to `limit` due reminders for this process. The UPDATE re-checks the claim
    condition, so two processes never both win a row; on PostgreSQL the candidates are
    locked with SKIP LOCKED so a second process takes other rows instead of waiting.

    The candidates are selected by a statement of their own: inside `UPDATE ... WHERE id IN
    (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)` PostgreSQL may run the subquery more than
    once and claim far more than n rows (measured: one process took all 500 of a batch-50
    claim)."""
    candidates = await session.scalars(
        select(Reminder.id)
        .where(_claimable(now))
        .order_by(Reminder.due_at, Reminder.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    candidate_ids = list(candidates)
    if not candidate_ids:
        return []
    claimed = await session.execute(
        update(Reminder)
        .where(Reminder.id.in_(candidate_ids), _claimable(now))
        .values(
            # A reply answers someone waiting: if this process dies sending it, another
            # takes it over soon, not after a reminder's lease.
            claimed_until=case((Reminder.audience == REPLY, now + reply_lease), else_=now + lease),
            claimed_by=owner,
        )
        .returning(Reminder.id),
        execution_options={"synchronize_session": False},
    )
    ids = list(claimed.scalars())
    if not ids:
        return []
    rows = await session.execute(
        select(Reminder, Citizen)
        .join(Citizen, Citizen.id == Reminder.citizen_id)
        .where(Reminder.id.in_(ids))
        .order_by(Reminder.due_at, Reminder.id)
    )
    return [
        Claimed(
            id=reminder.id,
            citizen_id=citizen.id,
            chat_id=citizen.chat_id,
            region_code=citizen.region_code,
            unreachable=citizen.unreachable_at is not None,
            rule=reminder.rule,
            key=reminder.key,
            audience=reminder.audience,
            before=reminder.before,
            deadline_on=reminder.deadline_on,
            due_at=reminder.due_at,
            expires_at=reminder.expires_at,
            attempts=reminder.attempts,
            context=dict(reminder.context),
        )
        for reminder, citizen in rows.all()
    ]


async def finish(
    session: AsyncSession,
    reminder_id: int,
    owner: str,
    status: str,
    *,
    error: str | None = None,
    sent_at: datetime | None = None,
    attempted: bool = False,
) -> bool:
    """Record the outcome of a claimed reminder; False if the claim was lost meanwhile."""
    bound: dict[str, Any] = {
        "reminder": reminder_id,
        "owner": owner,
        "outcome": status,
        "error": error,
    }
    if sent_at is not None:
        bound["sent"] = sent_at
    result = await session.execute(
        _finish(sent_at is not None, attempted),
        bound,
        execution_options={"synchronize_session": False},
    )
    return bool(getattr(result, "rowcount", 0))


def marked_sent(owner: str, sent: Sequence[tuple[int, datetime]]) -> Write:
    """PostgreSQL: replies that have left, as (id, when), marked sent (as `finish` marks the
    runner's) by one statement whatever their number (the ids and times go as two arrays),
    to be made with others (storage/writes_at_commit.py)."""
    return Write(
        _MARK_SENT,
        {
            "sent_owner": owner,
            "sent_id": [reply for reply, _at in sent],
            "sent_at": [at for _reply, at in sent],
        },
    )


@functools.cache
def _finish(with_sent_at: bool, attempted: bool) -> Update:
    """Built once for each shape: every reply sent runs one (building it took about 0.15 ms)."""
    outcome = _outcome(bindparam("outcome"), bindparam("error"), attempted)
    if with_sent_at:
        outcome["sent_at"] = bindparam("sent")
    return (
        update(Reminder)
        .where(Reminder.id == bindparam("reminder"), Reminder.claimed_by == bindparam("owner"))
        .values(outcome)
    )


def _outcome(status: Any, error: Any, attempted: bool) -> dict[str, Any]:
    """What settling a claimed reminder sets (`finish`, `marked_sent`): the claim ends."""
    values: dict[str, Any] = {"status": status, "claimed_until": None, "last_error": error}
    if attempted:
        values["attempts"] = Reminder.attempts + 1
    return values


_SENT = rows_of_arrays("sent", id=Integer(), at=DateTime(timezone=True))
_MARK_SENT = (
    update(Reminder)
    .where(Reminder.id == _SENT.c.id, Reminder.claimed_by == bindparam("sent_owner"))
    .values(_outcome("sent", None, attempted=True) | {"sent_at": _SENT.c.at})
)


async def postpone(
    session: AsyncSession,
    reminder_id: int,
    owner: str,
    due_at: datetime,
    *,
    error: str | None = None,
    attempted: bool = False,
) -> None:
    """Give a claimed reminder back, due again at `due_at` (quiet hours, a failed attempt)."""
    values: dict[str, Any] = {"due_at": due_at, "claimed_until": None, "last_error": error}
    if attempted:
        values["attempts"] = Reminder.attempts + 1
    await session.execute(
        update(Reminder)
        .where(Reminder.id == reminder_id, Reminder.claimed_by == owner)
        .values(**values),
        execution_options={"synchronize_session": False},
    )


def raise_alert(session: AsyncSession, kind: str, item: Claimed) -> None:
    session.add(
        StaffAlert(
            kind=kind,
            citizen_id=item.citizen_id,
            rule=item.rule,
            key=item.key,
            deadline_on=item.deadline_on,
            reminder_id=item.id,
        )
    )


async def mark_unreachable(session: AsyncSession, citizen_id: int, now: datetime) -> None:
    """Telegram answered 403: the citizen blocked the bot. Nothing more can reach them, so
    their pending messages are cancelled; staff see it on the desk."""
    await session.execute(
        update(Citizen).where(Citizen.id == citizen_id).values(unreachable_at=now),
        execution_options={"synchronize_session": False},
    )
    await cancel_reminders(
        session,
        Reminder.citizen_id == citizen_id,
        Reminder.audience.in_(("citizen", REPLY)),
        reason="blocked by the citizen",
    )
    session.add(StaffAlert(kind="citizen_unreachable", citizen_id=citizen_id))


async def pending_due_times(
    session: AsyncSession, until: datetime | None = None
) -> Sequence[datetime]:
    """The distinct moments pending reminders fall due, earliest first; up to `until`."""
    query = select(Reminder.due_at).where(Reminder.status == "pending").distinct()
    if until is not None:
        query = query.where(Reminder.due_at <= until)
    return list(await session.scalars(query.order_by(Reminder.due_at)))
