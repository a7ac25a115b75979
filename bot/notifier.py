"""The bot's side of the `reminders.ports.Notifier` port: render a template and send it
through the one outgoing sender the handlers use too."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from aiogram.exceptions import TelegramAPIError

from bot.sender import Sender
from dialogs.menu import to_menu_row
from dialogs.render import Renderer
from dialogs.types import Button, Reply
from reminders.ports import Delivery

log = logging.getLogger(__name__)


class TelegramNotifier:
    """A reminder's context may carry `actions`: buttons ({label, payload}) that open what the
    reminder is about, shown above the way to the menu."""

    def __init__(self, sender: Sender, renderer: Renderer) -> None:
        self._sender = sender
        self._renderer = renderer

    async def notify(self, chat_id: int, template: str, context: Mapping[str, Any]) -> Delivery:
        actions = tuple(
            (Button(action["label"], action["payload"]),) for action in context.get("actions", ())
        )
        reply = self._renderer.reply(Reply(template, context, (*actions, to_menu_row())))
        try:
            delivered = await self._sender.send(chat_id, reply)
        except (TelegramAPIError, TimeoutError) as exc:
            log.warning("reminder to chat %s not delivered: %s", chat_id, exc)
            return Delivery.FAILED
        return Delivery.SENT if delivered else Delivery.BLOCKED
