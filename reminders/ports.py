"""How reminders reach a citizen (the `Notifier` port, implemented by the bot adapter), and how
flows set them (the `ReminderBook` port, implemented by `reminders.store.SqlReminderBook`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from reminders.planning import Deadline
from storage.models import Citizen


class Delivery(StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"  # the citizen blocked the bot (Telegram 403): stop writing to them
    FAILED = "failed"  # anything else (network, 5xx, 429 retries exhausted): try again later


class Notifier(Protocol):
    async def notify(self, chat_id: int, template: str, context: Mapping[str, Any]) -> Delivery:
        """Render the template and send it; never raises for a delivery problem."""

    async def say(self, chat_id: int, said: Mapping[str, Any]) -> Delivery:
        """Send a message rendered earlier (a turn's reply, `reminders.store.stage_replies`);
        never raises for a delivery problem."""


class ReminderBook(Protocol):
    """How flows set and clear deadlines' reminders. `reminders.store.SqlReminderBook`
    implements it on the flow's own session, so a reminder exists exactly when the step that
    made it is committed."""

    async def schedule(
        self,
        citizen: Citizen,
        rule_id: str,
        key: str,
        event_at: datetime,
        context: Mapping[str, Any] | None = None,
    ) -> Deadline:
        """The deadline of the rule `rule_id` for an event, with its reminders and
        watchdog items stored under `key` (e.g. complaint:42)."""

    async def cancel(self, key: str, rule_id: str | None = None) -> int:
        """The citizen did what `key` was about: its pending reminders are dropped."""
