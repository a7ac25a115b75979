"""What the operators' desk adapter (the Telegram forum group, bot/operator_group.py) works
from: topics to open with their cards, the outbox of messages both ways, the citizens' place
in the queue, topics to close. Read from the database on each pass, so a restart picks up
where the last process stopped."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.render import Renderer
from dialogs.types import Button, Reply
from features import masking
from features.operator import owned
from features.operator.ports import DeskPress, OperatorPress
from features.operator.questions import SqlQuestions
from features.operator.service import OPEN_STATES, QUEUED, SqlHandovers
from kernel.clock import utc_now
from kernel.regions import Regions
from kernel.settings import OperatorSettings
from reminders.planning import QuietHours
from reminders.store import REPLY
from storage.models import (
    Citizen,
    Complaint,
    DeskTopic,
    Handover,
    HandoverMessage,
    Question,
    Reminder,
    StaffAlert,
)

OPEN_COMPLAINTS = ("registered", "in_review")
CARD_MESSAGES = 5  # the citizen's latest messages shown on the card
TOWARD_CITIZEN = ("operator", "to_citizen")
TOWARD_DESK = ("citizen", "to_desk")


@dataclass(frozen=True)
class Relay:
    """One message of the outbox, with the conversation it belongs to."""

    message: HandoverMessage
    handover: Handover
    citizen: Citizen


class DeskWork:
    """The desk adapter's reads and writes on one session; the adapter commits."""

    ALERTS = "alerts"  # the standing topic of staff alerts

    def __init__(
        self,
        session: AsyncSession,
        regions: Regions,
        region_names: Mapping[str, str],
        settings: OperatorSettings,
        quiet: QuietHours,
    ) -> None:
        self._session = session
        self._region_names = region_names
        self.handovers = SqlHandovers(session, regions, settings)
        self.questions = SqlQuestions(session, regions, quiet)

    async def canned(self) -> dict[str, str]:
        """The canned answers (`/t NAME`), as administrators set them in the desk."""
        return await owned.canned_answers(self._session)

    async def topics_to_open(self, limit: int = 20) -> list[tuple[Handover, Citizen]]:
        rows = await self._session.execute(
            select(Handover, Citizen)
            .join(Citizen, Citizen.id == Handover.citizen_id)
            .where(
                Handover.state.in_(OPEN_STATES),
                or_(Handover.topic_id.is_(None), Handover.card_message_id.is_(None)),
            )
            .order_by(Handover.priority.desc(), Handover.id)
            .limit(limit)
        )
        return [(handover, citizen) for handover, citizen in rows.all()]

    async def previous_topic(self, citizen_id: int) -> int | None:
        """The citizen's topic from an earlier conversation: reopened, not duplicated."""
        return await self._session.scalar(
            select(Handover.topic_id)
            .where(Handover.citizen_id == citizen_id, Handover.topic_id.is_not(None))
            .order_by(Handover.id.desc())
            .limit(1)
        )

    def title(self, renderer: Renderer, handover: Handover, citizen: Citizen) -> str:
        """The topic's name: who, where, about what (plain text, at most 128 characters)."""
        text = renderer.text("operator.topic_title", self._who(handover, citizen))
        return html.unescape(text).strip()[:128]

    async def card(self, handover: Handover, citizen: Citizen) -> Reply:
        """The operator's first look at the case, with the claim button."""
        complaints = await self._session.scalars(
            select(Complaint)
            .where(Complaint.citizen_id == citizen.id, Complaint.state.in_(OPEN_COMPLAINTS))
            .order_by(Complaint.id)
        )
        deadlines = await self._session.execute(
            select(Reminder.key, Reminder.rule, Reminder.deadline_on)
            .distinct()
            .where(
                Reminder.citizen_id == citizen.id,
                Reminder.status == "pending",
                Reminder.audience != REPLY,  # a reply on its way is no deadline
            )
            .order_by(Reminder.deadline_on)
            .limit(10)
        )
        said = await self._session.scalars(
            select(HandoverMessage.text)
            .where(
                HandoverMessage.handover_id == handover.id,
                HandoverMessage.direction == "citizen",
                HandoverMessage.text.is_not(None),
            )
            .order_by(HandoverMessage.id.desc())
            .limit(CARD_MESSAGES)
        )
        context: dict[str, Any] = {
            **self._who(handover, citizen),
            "reason": handover.reason,
            "priority": handover.priority,
            "requested_at": handover.requested_at,
            "complaints": [
                {"number": c.number, "state": c.state, "due_on": c.due_on} for c in complaints
            ],
            "deadlines": [
                {"key": key, "rule": rule, "on": on} for key, rule, on in deadlines.all()
            ],
            "said": list(reversed(list(said))),
        }
        claim = DeskPress("claim", handover.id).pack()
        return Reply("operator.card", context, ((Button("buttons.operator_claim", claim),),))

    def _who(self, handover: Handover, citizen: Citizen) -> dict[str, Any]:
        return {
            **self._who_of(citizen, handover.region_code),
            "flow": (handover.context or {}).get("flow"),
        }

    def _who_of(self, citizen: Citizen, region_code: str) -> dict[str, Any]:
        # Operators see personal data masked (README, "Staff roles").
        return {
            "name": masking.display_name(citizen.display_name) or f"№{citizen.id}",
            "region": self._region_names.get(region_code, region_code),
        }

    async def outbox(self, toward: str, limit: int = 50) -> list[Relay]:
        """Messages still to relay toward the citizens (`citizen`) or the operators' group
        (`desk`), oldest first; the citizen's wait for their topic."""
        directions = TOWARD_CITIZEN if toward == "citizen" else TOWARD_DESK
        rows = await self._session.execute(
            select(HandoverMessage, Handover, Citizen)
            .join(Handover, Handover.id == HandoverMessage.handover_id)
            .join(Citizen, Citizen.id == Handover.citizen_id)
            .where(
                HandoverMessage.relayed_at.is_(None),
                HandoverMessage.failed.is_(False),
                HandoverMessage.direction.in_(directions),
                # Toward the group only once the conversation has its topic; rows of one that
                # never got a topic stay out of the way instead of filling every batch.
                Handover.topic_id.is_not(None) if toward == "desk" else true(),
            )
            .order_by(HandoverMessage.id)
            .limit(limit)
        )
        return [Relay(message, handover, citizen) for message, handover, citizen in rows.all()]

    async def queue_statuses(self, now: datetime) -> list[tuple[Handover, Citizen, Reply]]:
        """Each queued citizen's place and expected wait (003 p.34(д))."""
        rows = await self._session.execute(
            select(Handover, Citizen)
            .join(Citizen, Citizen.id == Handover.citizen_id)
            .where(Handover.state == QUEUED)
            .order_by(Handover.id)
        )
        statuses = []
        for handover, citizen in rows.all():
            place = await self.handovers.place(handover, now)
            leave = OperatorPress("leave", handover.id).pack()
            reply = Reply(
                "operator.queue_status",
                {"position": place.position, "minutes": place.minutes},
                ((Button("buttons.operator_leave_queue", leave),),),
            )
            statuses.append((handover, citizen, reply))
        return statuses

    async def finished_statuses(self) -> list[tuple[Handover, Citizen]]:
        """Place-in-queue messages of conversations no longer queued: to be settled."""
        rows = await self._session.execute(
            select(Handover, Citizen)
            .join(Citizen, Citizen.id == Handover.citizen_id)
            .where(Handover.state != QUEUED, Handover.status_message_id.is_not(None))
        )
        return [(handover, citizen) for handover, citizen in rows.all()]

    # --- written questions --------------------------------------------------------------------

    async def questions_to_open(self, limit: int = 20) -> list[tuple[Question, Citizen]]:
        rows = await self._session.execute(
            select(Question, Citizen)
            .join(Citizen, Citizen.id == Question.citizen_id)
            .where(Question.state == "open", Question.topic_id.is_(None))
            .order_by(Question.id)
            .limit(limit)
        )
        return [(question, citizen) for question, citizen in rows.all()]

    def question_title(self, renderer: Renderer, question: Question, citizen: Citizen) -> str:
        context = {**self._who_of(citizen, question.region_code), "number": question.number}
        return html.unescape(renderer.text("operator.question_title", context)).strip()[:128]

    def question_card(self, question: Question, citizen: Citizen) -> Reply:
        return Reply(
            "operator.question_card",
            {
                **self._who_of(citizen, question.region_code),
                "number": question.number,
                "due_on": question.due_on,
                "text": question.text or "",
            },
        )

    async def questions_to_close(self) -> list[Question]:
        rows = await self._session.scalars(
            select(Question).where(
                Question.state == "answered",
                Question.topic_id.is_not(None),
                Question.topic_closed.is_(False),
            )
        )
        return list(rows)

    # --- staff alerts --------------------------------------------------------------------------

    async def alerts_to_announce(self, limit: int = 20) -> list[Reply]:
        """Staff alerts not yet posted to the "Уведомления" topic; marked as posted here, so
        the caller commits once it has posted them."""
        rows = await self._session.execute(
            select(StaffAlert, Citizen)
            .outerjoin(Citizen, Citizen.id == StaffAlert.citizen_id)
            .where(StaffAlert.announced_at.is_(None), StaffAlert.resolved_at.is_(None))
            .order_by(StaffAlert.id)
            .limit(limit)
        )
        replies = []
        for alert, citizen in rows.all():
            alert.announced_at = utc_now()
            name = masking.display_name(citizen.display_name) if citizen is not None else None
            replies.append(
                Reply(
                    "operator.alert",
                    {
                        "kind": alert.kind,
                        "key": alert.key,
                        "rule": alert.rule,
                        "deadline_on": alert.deadline_on,
                        "name": name,
                    },
                )
            )
        return replies

    async def standing_topic(self, name: str, chat_id: int) -> int | None:
        return await self._session.scalar(
            select(DeskTopic.topic_id).where(DeskTopic.name == name, DeskTopic.chat_id == chat_id)
        )

    def remember_topic(self, name: str, chat_id: int, topic_id: int) -> None:
        self._session.add(DeskTopic(name=name, chat_id=chat_id, topic_id=topic_id))

    async def topics_to_close(self) -> list[Handover]:
        rows = await self._session.scalars(
            select(Handover).where(
                Handover.state.not_in(OPEN_STATES),
                Handover.topic_id.is_not(None),
                Handover.topic_closed.is_(False),
            )
        )
        return list(rows)

    def notice(self, relay: Relay) -> Reply:
        """A notice of the bot's own (`to_citizen`, `to_desk`), with its buttons."""
        template = relay.message.template or "operator.unknown_notice"
        context = dict(relay.message.context or {})
        if template == "operator.closed":
            return self._rating(relay.handover.id)
        return Reply(template, context)

    def _rating(self, handover_id: int) -> Reply:
        rates = tuple(
            Button("buttons.operator_rate", OperatorPress("rate", handover_id, n).pack(), {"n": n})
            for n in range(1, 6)
        )
        resume = OperatorPress("resume", handover_id).pack()
        return Reply(
            "operator.closed",
            {"handover_id": handover_id},
            (rates, (Button("buttons.operator_resume", resume),)),
        )
