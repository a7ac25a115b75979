"""How reminders reach a citizen: the `Notifier` port, implemented by the bot adapter."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Protocol


class Delivery(StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"  # the citizen blocked the bot (Telegram 403): stop writing to them
    FAILED = "failed"  # anything else (network, 5xx, 429 retries exhausted): try again later


class Notifier(Protocol):
    async def notify(self, chat_id: int, template: str, context: Mapping[str, Any]) -> Delivery:
        """Render the template and send it; never raises for a delivery problem."""
