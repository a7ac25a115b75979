"""Hand-written in-memory fakes of the engine's ports, for flow unit tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kernel.clock import utc_now
from storage.models import Citizen, Consent, Conversation


@dataclass
class AuditRecord:
    actor: str
    action: str
    subject: str | None
    details: dict[str, Any]


@dataclass
class InMemoryStore:
    citizens: dict[tuple[str, str], Citizen] = field(default_factory=dict)
    conversations: dict[int, Conversation] = field(default_factory=dict)
    consents: list[Consent] = field(default_factory=list)
    turns: list[tuple[int, date, bool | None]] = field(default_factory=list)
    audit_log: list[AuditRecord] = field(default_factory=list)

    async def citizen(self, channel: str, external_id: str, chat_id: int) -> Citizen:
        key = (channel, external_id)
        if key not in self.citizens:
            self.citizens[key] = Citizen(
                id=len(self.citizens) + 1,
                channel=channel,
                external_id=external_id,
                chat_id=chat_id,
                created_at=utc_now(),
            )
        return self.citizens[key]

    async def conversation(self, citizen: Citizen) -> Conversation:
        if citizen.id not in self.conversations:
            self.conversations[citizen.id] = Conversation(
                id=citizen.id, citizen_id=citizen.id, mode="bot", slots={}, version=1
            )
        return self.conversations[citizen.id]

    async def count_turn(self, citizen: Citizen, day: date, understood: bool | None) -> None:
        self.turns.append((citizen.id, day, understood))

    async def active_consent(self, citizen: Citizen) -> Consent | None:
        active = [
            c for c in self.consents if c.citizen_id == citizen.id and c.withdrawn_at is None
        ]
        return active[-1] if active else None

    async def give_consent(self, citizen: Citizen, text_version: str) -> Consent:
        consent = Consent(
            id=len(self.consents) + 1,
            citizen_id=citizen.id,
            text_version=text_version,
            given_at=utc_now(),
        )
        self.consents.append(consent)
        return consent

    async def withdraw_consent(self, citizen: Citizen) -> None:
        for consent in self.consents:
            if consent.citizen_id == citizen.id and consent.withdrawn_at is None:
                consent.withdrawn_at = utc_now()
        citizen.display_name = None
        citizen.username = None
        citizen.erased_at = utc_now()

    async def audit(
        self, actor: str, action: str, subject: str | None, details: dict[str, Any]
    ) -> None:
        self.audit_log.append(AuditRecord(actor, action, subject, details))


class FakeClock:
    """A monotonic clock that moves only when a test sets `now`."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
