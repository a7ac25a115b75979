"""What the engine needs from storage. `storage.repositories.SqlDialogStore` implements it;
flow tests use an in-memory fake."""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from nlu.results import Understanding
from storage.models import Citizen, Consent, Conversation


class DialogStore(Protocol):
    async def citizen(self, channel: str, external_id: str, chat_id: int) -> Citizen:
        """The citizen behind a channel id, created on first contact."""

    async def conversation(self, citizen: Citizen) -> Conversation:
        """The citizen's conversation, created on first contact."""

    async def active_consent(self, citizen: Citizen) -> Consent | None: ...

    async def give_consent(self, citizen: Citizen, text_version: str) -> Consent: ...

    async def withdraw_consent(self, citizen: Citizen) -> None:
        """Mark consent withdrawn and erase the citizen's personal data."""

    async def audit(
        self, actor: str, action: str, subject: str | None, details: dict[str, Any]
    ) -> None: ...

    async def count_turn(self, citizen: Citizen, day: date, understood: bool | None) -> None:
        """One more message of the citizen that day, for the staff's reports."""


class IntentRecognizer(Protocol):
    """What the engine needs from the NLU. `nlu.recognizer.Recognizer` implements it."""

    async def understand(self, text: str) -> Understanding:
        """Never raises for an unavailable service: it answers from a local matcher instead."""
