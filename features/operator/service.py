"""Handovers to contact-centre operators: the queue, claims, the messages both ways, closing,
transfers and ratings. Everything is in the database — the queue, who holds a conversation, the
messages still to relay — so a restart finds it as it was and any process can serve it.

Messages are relayed through an outbox (`HandoverMessage.relayed_at`): written in the unit of
work that causes them, copied by the desk adapter after the commit.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.types import Incoming
from features.operator import owned
from kernel.regions import Regions
from kernel.settings import OperatorSettings
from kernel.staff import Actor
from reminders.store import region_calendar
from storage.models import (
    Citizen,
    Conversation,
    Handover,
    HandoverMessage,
    StaffMember,
)

QUEUED, HELD, CLOSED, CANCELLED = "queued", "held", "closed", "cancelled"
OPEN_STATES = (QUEUED, HELD)
QUEUED_MODE, OPERATOR_MODE, BOT_MODE = "queued", "operator", "bot"
DISTRESS_PRIORITY = 100  # ahead of everyone else in the queue (004 §2.11.5)
MEDIAN_OF = 20  # the last handled conversations the expected wait is measured on


class HandoverError(ValueError):
    """A staff action that does not apply (the conversation is closed, someone else holds it);
    the message says why, for the operator."""


class AlreadyClaimedError(HandoverError):
    def __init__(self, by: str) -> None:
        super().__init__(f"уже взял(а) {by}")
        self.by = by


@dataclass(frozen=True)
class QueuePlace:
    position: int  # 1: next
    minutes: int  # the expected wait, rounded up


class SqlHandovers:
    """The handover desk on one unit of work's session; it never commits."""

    def __init__(
        self, session: AsyncSession, regions: Regions, settings: OperatorSettings
    ) -> None:
        self._session = session
        self._regions = regions
        self._settings = settings

    @property
    def desk_configured(self) -> bool:
        """Whether operators have a desk to answer from (the Telegram group, the web desk)."""
        return self._settings.chat_id is not None or self._settings.web_desk

    async def crisis_lines(self) -> list[str]:
        """As administrators set them in the desk, else `operators.crisis_lines`."""
        return await owned.crisis_lines(self._session, list(self._settings.crisis_lines))

    async def working_hours(
        self, region_code: str, default: tuple[time, time]
    ) -> tuple[time, time]:
        """The region's operator hours as administrators set them, else `working_hours`."""
        return await owned.working_hours(self._session, region_code, default)

    # --- the citizen's side ----------------------------------------------------------------

    async def open_of(self, citizen_id: int) -> Handover | None:
        return await self._session.scalar(
            select(Handover)
            .where(Handover.citizen_id == citizen_id, Handover.state.in_(OPEN_STATES))
            .order_by(Handover.id.desc())
            .limit(1)
        )

    async def request(
        self,
        citizen: Citizen,
        conversation: Conversation,
        *,
        reason: str,
        now: datetime,
        context: dict[str, Any],
        priority: int = 0,
    ) -> Handover:
        """Queue the citizen for an operator, or return the request already open (a distress
        message moves it to the front)."""
        handover = await self.open_of(citizen.id)
        if handover is not None:
            handover.priority = max(handover.priority, priority)
            return handover
        handover = Handover(
            citizen_id=citizen.id,
            region_code=self._regions.code(citizen.region_code),
            reason=reason,
            priority=priority,
            state=QUEUED,
            context=context,
            requested_at=now,
        )
        self._session.add(handover)
        await self._session.flush()
        conversation.mode = QUEUED_MODE
        return handover

    async def place(self, handover: Handover, now: datetime) -> QueuePlace:
        """Where the request is in its region's queue, and how long the wait is likely to be:
        the median handling time of the last conversations, shared among the operators of
        the region."""
        ahead = await self._session.scalar(
            select(func.count(Handover.id)).where(
                Handover.state == QUEUED,
                Handover.region_code == handover.region_code,
                or_(
                    Handover.priority > handover.priority,
                    and_(
                        Handover.priority == handover.priority,
                        Handover.requested_at < handover.requested_at,
                    ),
                    and_(
                        Handover.priority == handover.priority,
                        Handover.requested_at == handover.requested_at,
                        Handover.id < handover.id,
                    ),
                ),
            )
        )
        position = int(ahead or 0) + 1
        operators = max(1, len(await self.operators_for(handover.region_code)))
        per_conversation = await self._median_handling_minutes()
        minutes = per_conversation * position / operators
        return QueuePlace(position, max(1, int(-(-minutes // 1))))

    async def _median_handling_minutes(self) -> float:
        rows = await self._session.execute(
            select(Handover.claimed_at, Handover.closed_at)
            .where(Handover.state == CLOSED, Handover.claimed_at.is_not(None))
            .order_by(Handover.closed_at.desc())
            .limit(MEDIAN_OF)
        )
        spans = [
            (closed - claimed).total_seconds() / 60
            for claimed, closed in rows.all()
            if claimed is not None and closed is not None
        ]
        return statistics.median(spans) if spans else self._settings.default_handle_minutes

    async def operators_for(self, region_code: str) -> list[StaffMember]:
        """Active staff who serve the region and have a desk to answer from: a Telegram id for
        the operators' group, a password for the web desk."""
        members = await self._session.scalars(select(StaffMember).where(StaffMember.active))
        return [
            m
            for m in members
            if Actor.of(m.name, m.role, m.regions).covers(region_code) and self._reachable(m)
        ]

    def _reachable(self, member: StaffMember) -> bool:
        in_group = self._settings.chat_id is not None and member.telegram_id is not None
        return in_group or (self._settings.web_desk and member.password_hash is not None)

    async def open_now(self, region_code: str, now: datetime, hours: tuple[time, time]) -> bool:
        """Whether operators are expected to answer now in the region: around the clock, or
        on its working days and hours (the production calendar with the region's
        corrections)."""
        if self._settings.schedule == "always":
            return True
        local = now.astimezone(self._regions.zone(region_code))
        calendar = await region_calendar(self._session, self._regions.code(region_code))
        start, end = hours
        return calendar.is_working(local.date()) and start <= local.time() < end

    async def record_citizen(self, handover: Handover, incoming: Incoming) -> HandoverMessage:
        """What the citizen sent while queued or held, for the operator."""
        kind = (
            incoming.attachment
            or ("contact" if incoming.contact_phone else None)
            or ("location" if incoming.location else None)
            or "text"
        )
        message = HandoverMessage(
            handover_id=handover.id,
            direction="citizen",
            kind=kind,
            text=incoming.text,
            file_id=incoming.file_id,
            from_chat_id=incoming.chat_id,
            from_message_id=incoming.message_id,
        )
        self._session.add(message)
        return message

    async def cancel(self, handover: Handover, conversation: Conversation, now: datetime) -> None:
        """The citizen left the queue (or ended the conversation)."""
        was_held = handover.state == HELD
        handover.state = CLOSED if was_held else CANCELLED
        handover.resolution = "citizen_ended" if was_held else "left_queue"
        handover.closed_at = now
        handover.closed_by = "citizen"
        conversation.mode = BOT_MODE
        if handover.topic_id is not None:  # no topic yet: nobody to tell
            self.notify_desk(handover, "operator.desk_citizen_left", {"held": was_held})

    async def rate(self, citizen: Citizen, handover_id: int, score: int) -> Handover | None:
        """The citizen's 1-5 for a conversation they had (003 p.34(е)); None if not theirs."""
        handover = await self._session.get(Handover, handover_id)
        if handover is None or handover.citizen_id != citizen.id or handover.state != CLOSED:
            return None
        handover.rating = min(5, max(1, score))
        return handover

    async def latest_closed(self, citizen_id: int) -> Handover | None:
        return await self._session.scalar(
            select(Handover)
            .where(Handover.citizen_id == citizen_id, Handover.state == CLOSED)
            .order_by(Handover.id.desc())
            .limit(1)
        )

    async def comment(self, citizen: Citizen, handover_id: int, text: str) -> bool:
        handover = await self._session.get(Handover, handover_id)
        if handover is None or handover.citizen_id != citizen.id:
            return False
        handover.rating_comment = text[:2000]
        return True

    # --- the operators' side -----------------------------------------------------------------

    async def staff_by_telegram(self, telegram_id: int) -> StaffMember | None:
        return await self._session.scalar(
            select(StaffMember).where(StaffMember.telegram_id == telegram_id, StaffMember.active)
        )

    async def by_topic(self, topic_id: int) -> Handover | None:
        """The conversation a topic of the operators' group belongs to: its latest handover."""
        return await self._session.scalar(
            select(Handover)
            .where(Handover.topic_id == topic_id)
            .order_by(Handover.id.desc())
            .limit(1)
        )

    async def claim(self, handover_id: int, staff: StaffMember, now: datetime) -> Handover:
        """Take a queued conversation. Exactly one of several operators pressing at once
        wins: the update only applies while the handover is still queued."""
        handover = await self._session.get(Handover, handover_id)
        if handover is None:
            raise HandoverError("такого разговора нет")
        actor = Actor.of(staff.name, staff.role, staff.regions)
        if not actor.covers(handover.region_code):
            raise HandoverError("этот регион вы не обслуживаете")
        taken = await self._session.execute(
            update(Handover)
            .where(Handover.id == handover_id, Handover.state == QUEUED)
            .values(state=HELD, claimed_by=staff.name, claimed_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        await self._session.refresh(handover)
        if getattr(taken, "rowcount", 0) != 1:
            if handover.state == HELD and handover.claimed_by:
                raise AlreadyClaimedError(handover.claimed_by)
            raise HandoverError("разговор уже закрыт")
        await self._set_mode(handover.citizen_id, OPERATOR_MODE)
        self.notify_citizen(handover, "operator.connected", {"operator": staff.name})
        self.notify_desk(handover, "operator.desk_claimed", {"operator": staff.name})
        return handover

    async def record_operator(
        self,
        handover: Handover,
        staff: StaffMember,
        *,
        kind: str,
        text: str | None,
        from_chat_id: int,
        from_message_id: int,
    ) -> HandoverMessage:
        self._holder(handover, staff)
        message = HandoverMessage(
            handover_id=handover.id,
            direction="operator",
            kind=kind,
            text=text,
            author=staff.name,
            from_chat_id=from_chat_id,
            from_message_id=from_message_id,
        )
        self._session.add(message)
        return message

    async def send_text(self, handover: Handover, staff: StaffMember, text: str) -> None:
        """A text the operator did not type in the topic (a canned answer)."""
        self._holder(handover, staff)
        self._session.add(
            HandoverMessage(
                handover_id=handover.id,
                direction="operator",
                kind="text",
                text=text,
                author=staff.name,
            )
        )

    async def note(self, handover: Handover, staff: StaffMember, text: str, now: datetime) -> None:
        """An internal note in the topic: kept with the conversation, never sent."""
        self._session.add(
            HandoverMessage(
                handover_id=handover.id,
                direction="note",
                text=text,
                author=staff.name,
                relayed_at=now,  # nothing to relay
            )
        )

    async def close(self, handover: Handover, staff: StaffMember, now: datetime) -> None:
        """Give the conversation back to the bot; the citizen is asked to rate it."""
        self._holder(handover, staff)
        handover.state = CLOSED
        handover.resolution = "closed"
        handover.closed_at = now
        handover.closed_by = staff.name
        await self._set_mode(handover.citizen_id, BOT_MODE)
        self.notify_citizen(handover, "operator.closed", {"handover_id": handover.id})
        self.notify_desk(handover, "operator.desk_closed", {"operator": staff.name})

    async def transfer(self, handover: Handover, staff: StaffMember, now: datetime) -> None:
        """Put the conversation back in the queue for another operator."""
        self._holder(handover, staff)
        handover.state = QUEUED
        handover.claimed_by = None
        handover.claimed_at = None
        handover.status_message_id = None  # a new place-in-queue message
        handover.status_text = None
        await self._set_mode(handover.citizen_id, QUEUED_MODE)
        self.notify_citizen(handover, "operator.transferred", {})
        self.notify_desk(handover, "operator.desk_transferred", {"by": staff.name})

    def _holder(self, handover: Handover, staff: StaffMember) -> None:
        if handover.state != HELD:
            raise HandoverError("разговор не в работе: сначала возьмите его")
        if handover.claimed_by != staff.name:
            raise HandoverError(f"разговор ведёт {handover.claimed_by}")

    async def _set_mode(self, citizen_id: int, mode: str) -> None:
        conversation = await self._session.scalar(
            select(Conversation).where(Conversation.citizen_id == citizen_id)
        )
        if conversation is not None:
            conversation.mode = mode

    # --- the outbox --------------------------------------------------------------------------

    def notify_citizen(self, handover: Handover, template: str, context: dict[str, Any]) -> None:
        self._session.add(
            HandoverMessage(
                handover_id=handover.id,
                direction="to_citizen",
                template=template,
                context=context,
            )
        )

    def notify_desk(self, handover: Handover, template: str, context: dict[str, Any]) -> None:
        self._session.add(
            HandoverMessage(
                handover_id=handover.id, direction="to_desk", template=template, context=context
            )
        )

    async def erase(self, citizen_id: int) -> None:
        """Consent withdrawn: the relayed texts and files are personal data."""
        ids = select(Handover.id).where(Handover.citizen_id == citizen_id)
        await self._session.execute(
            update(HandoverMessage)
            .where(HandoverMessage.handover_id.in_(ids))
            .values(text=None, file_id=None, context={})
            .execution_options(synchronize_session=False)
        )
        await self._session.execute(
            update(Handover)
            .where(Handover.citizen_id == citizen_id)
            .values(rating_comment=None, context={})
            .execution_options(synchronize_session=False)
        )
