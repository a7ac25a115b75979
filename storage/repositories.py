"""Repositories over one AsyncSession. They flush when an id is needed but never commit:
the caller's unit of work does."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Update, bindparam, exists, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import get_history, set_committed_value

from kernel.clock import utc_now
from storage.database import backend, insert_for
from storage.models import (
    AuditEvent,
    Citizen,
    Consent,
    Conversation,
    Reminder,
    TurnCount,
)
from storage.writes_at_commit import Write, write_at_commit, write_at_commit_from


class SqlDialogStore:
    """What the dialog engine needs, on SQLAlchemy (structurally a `dialogs.ports.DialogStore`)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._citizens: dict[tuple[str, str], Citizen] = {}  # read once a turn, not per caller
        # Read with the citizen, for the turn's first ask (each is asked once a turn).
        self._conversations: dict[int, Conversation] = {}
        self._consents: dict[int, Consent | None] = {}
        self._replies_pending: dict[int, bool] = {}
        self._written_at_commit: set[int] = set()  # conversations (ids) handed out

    async def citizen(self, channel: str, external_id: str, chat_id: int) -> Citizen:
        citizen = self._citizens.get((channel, external_id))
        if citizen is None:
            found = await self._session.execute(
                _CITIZEN_AND_STATE, {"channel": channel, "external_id": external_id}
            )
            row = found.first()
            if row is not None:
                citizen, conversation, consent, replies_pending = row
                if conversation is not None:
                    self._conversations[citizen.id] = conversation
                self._consents[citizen.id] = consent
                self._replies_pending[citizen.id] = bool(replies_pending)
        if citizen is None:
            citizen = Citizen(channel=channel, external_id=external_id, chat_id=chat_id)
            self._session.add(citizen)
            await self._session.flush()
            self._replies_pending[citizen.id] = False
        elif citizen.chat_id != chat_id:
            citizen.chat_id = chat_id
        if citizen.unreachable_at is not None:  # they wrote, so they unblocked the bot
            citizen.unreachable_at = None
        self._citizens[(channel, external_id)] = citizen
        return citizen

    def may_owe_replies(self, citizen: Citizen) -> bool:
        """False when the citizen's read this turn found no reply to them pending in the
        outbox: then no process can owe them one, and the turn need not look (it is rare
        that one is: a process died, or Telegram was away)."""
        return self._replies_pending.get(citizen.id, True)

    async def conversation(self, citizen: Citizen) -> Conversation:
        conversation = self._conversations.pop(citizen.id, None)
        if conversation is None:
            conversation = await self._session.scalar(
                select(Conversation).where(Conversation.citizen_id == citizen.id)
            )
        if conversation is None:
            conversation = Conversation(citizen_id=citizen.id, mode="bot", slots={})
            self._session.add(conversation)
            await self._session.flush()
        if conversation.id not in self._written_at_commit:
            self._written_at_commit.add(conversation.id)
            write_at_commit_from(self._session, functools.partial(_changes_of, conversation))
        return conversation

    async def count_turn(self, citizen: Citizen, day: date, understood: bool | None) -> None:
        # Not the ORM's handling of an INSERT of a mapped class (bulk insert, autoflush): it
        # cost about a twentieth of a turn. Nothing reads the count back, so it is written at
        # the commit, with the inbox mark in one round trip (storage/writes_at_commit.py).
        write_at_commit(
            self._session,
            _count_turn(backend(self._session)),
            {
                "counted_day": day,
                "citizen": citizen.id,
                "region": citizen.region_code,
                "free_text_now": 0 if understood is None else 1,
                "not_understood_now": 1 if understood is False else 0,
            },
        )

    async def active_consent(self, citizen: Citizen) -> Consent | None:
        if citizen.id in self._consents:
            return self._consents.pop(citizen.id)
        query = (
            select(Consent)
            .where(Consent.citizen_id == citizen.id, Consent.withdrawn_at.is_(None))
            .order_by(Consent.given_at.desc())
            .limit(1)
        )
        result: Consent | None = await self._session.scalar(query)
        return result

    async def give_consent(self, citizen: Citizen, text_version: str) -> Consent:
        consent = Consent(citizen_id=citizen.id, text_version=text_version, given_at=utc_now())
        self._session.add(consent)
        citizen.erased_at = None
        await self._session.flush()
        return consent

    async def withdraw_consent(self, citizen: Citizen) -> None:
        now = utc_now()
        consents = await self._session.scalars(
            select(Consent).where(Consent.citizen_id == citizen.id, Consent.withdrawn_at.is_(None))
        )
        for consent in consents:
            consent.withdrawn_at = now
        # Anonymise: the row stays (its id ties the consent record and the audit log together)
        # but nothing in it identifies a person beyond the channel id needed to answer at all.
        citizen.display_name = None
        citizen.username = None
        citizen.erased_at = now
        # Nothing may be sent on the basis of the withdrawn consent. Staff watchdogs stay: the
        # centre still owes an answer to a complaint already filed (001 ¶5.10).
        await cancel_reminders(
            self._session,
            Reminder.citizen_id == citizen.id,
            Reminder.audience == "citizen",
            reason="consent withdrawn",
        )
        # What the features keep (a job profile, saved vacancies) is erased by their own
        # consent-withdrawn hooks, in this same unit of work.
        conversation = await self.conversation(citizen)
        conversation.slots = {}
        conversation.flow = None
        conversation.step = None

    async def audit(
        self, actor: str, action: str, subject: str | None, details: dict[str, Any]
    ) -> None:
        self._session.add(AuditEvent(actor=actor, action=action, subject=subject, details=details))


# The citizen with their conversation, their consent in force (the newest not withdrawn) and
# whether a reply to them is pending: a turn reads all four first, in one round trip instead
# of four, and it is built once.
_LATEST_CONSENT = (
    select(Consent.id)
    .where(Consent.citizen_id == Citizen.id, Consent.withdrawn_at.is_(None))
    .order_by(Consent.given_at.desc())
    .limit(1)
    .correlate(Citizen)
    .scalar_subquery()
)
_REPLIES_PENDING = (
    exists()
    .where(
        Reminder.citizen_id == Citizen.id,
        Reminder.audience == Reminder.REPLY_AUDIENCE,
        Reminder.status == "pending",
    )
    .correlate(Citizen)
)
_CITIZEN_AND_STATE = (
    select(Citizen, Conversation, Consent, _REPLIES_PENDING.label("replies_pending"))
    .outerjoin(Conversation, Conversation.citizen_id == Citizen.id)
    .outerjoin(Consent, Consent.id == _LATEST_CONSENT)
    .where(
        Citizen.channel == bindparam("channel"), Citizen.external_id == bindparam("external_id")
    )
)


# What a turn changes in the conversation is written at the commit, with the inbox mark (on
# PostgreSQL one round trip: storage/writes_at_commit.py), not by the ORM's flush: the flush of
# this one object cost about a tenth of a turn's CPU (bench/README.md, "The whole bot"). The
# version is checked as the ORM checks it (`version_id_col`).
_CONVERSATION_COLUMNS = ("mode", "flow", "step", "slots")


def _changes_of(conversation: Conversation) -> Write | None:
    """The UPDATE of what the transaction changed in `conversation` and has not flushed yet;
    the object then holds those values as committed, so the ORM does not write them again."""
    state = inspect(conversation)
    if not state.persistent:
        return None
    changed = {
        key: getattr(conversation, key)
        for key in _CONVERSATION_COLUMNS
        if key in state.committed_state and get_history(conversation, key).has_changes()
    }
    if not changed:
        return None
    version, now = conversation.version, utc_now()
    parameters = {f"conversation_{key}": value for key, value in changed.items()}
    parameters |= {
        "conversation_id": conversation.id,
        "conversation_version": version,
        "conversation_next_version": version + 1,
        "conversation_updated_at": now,
    }
    for key, value in (*changed.items(), ("version", version + 1), ("updated_at", now)):
        set_committed_value(conversation, key, value)
    if not state.committed_state:
        # Clean as after a flush (what the ORM's own flush calls): otherwise the commit's
        # flush still runs its unit of work for the object, to find nothing to write.
        state._commit_all(state.dict, state._instance_dict())
    return Write(_update_conversation(frozenset(changed)), parameters, one_row=True)


@functools.cache
def _update_conversation(columns: frozenset[str]) -> Update:
    return (
        update(Conversation)
        .where(
            Conversation.id == bindparam("conversation_id"),
            Conversation.version == bindparam("conversation_version"),
        )
        .values(
            {key: bindparam(f"conversation_{key}") for key in sorted(columns)}
            | {
                "version": bindparam("conversation_next_version"),
                "updated_at": bindparam("conversation_updated_at"),
            }
        )
    )


@functools.cache
def _count_turn(backend: str) -> postgresql.Insert | sqlite.Insert:
    """The day's count as one statement, not a read and a write: added in the database, it
    holds even for two turns of one citizen at once. Built once per backend, its values
    bound at each turn (building it took about 0.4 ms a turn)."""
    statement = insert_for(backend, TurnCount).values(
        day=bindparam("counted_day"),
        citizen_id=bindparam("citizen"),
        region_code=bindparam("region"),
        messages=1,
        free_text=bindparam("free_text_now"),
        not_understood=bindparam("not_understood_now"),
    )
    return statement.on_conflict_do_update(
        index_elements=[TurnCount.day, TurnCount.citizen_id],
        set_={
            "region_code": statement.excluded.region_code,
            "messages": TurnCount.messages + 1,
            "free_text": TurnCount.free_text + statement.excluded.free_text,
            "not_understood": TurnCount.not_understood + statement.excluded.not_understood,
        },
    )


async def cancel_reminders(
    session: AsyncSession, *where: ColumnElement[bool], reason: str | None = None
) -> int:
    """Cancel the pending reminders that match `where`; returns how many."""
    result = await session.execute(
        update(Reminder)
        .where(Reminder.status == "pending", *where)
        .values(status="cancelled", claimed_until=None, last_error=reason),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0)
