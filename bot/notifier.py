"""The bot's side of the `reminders.ports.Notifier` port: render a template and send it
through the one outgoing sender the handlers use too."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from aiogram.exceptions import TelegramAPIError
from aiohttp import ClientError

from bot.replies import rendered
from bot.sender import BULK, Sender
from dialogs.menu import to_menu_row
from dialogs.render import Renderer
from dialogs.types import Button, RenderedReply, Reply
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
        bulk = BULK.set(True)  # a reminder or notice: replies to citizens go first
        try:
            return await self._deliver(chat_id, reply)
        finally:
            BULK.reset(bulk)

    async def say(self, chat_id: int, said: Mapping[str, Any]) -> Delivery:
        return await self._deliver(chat_id, rendered(said))

    async def _deliver(self, chat_id: int, reply: RenderedReply) -> Delivery:
        try:
            delivered = await self._sender.send(chat_id, reply)
        except (TelegramAPIError, ClientError, TimeoutError) as exc:
            log.warning("message to chat %s not delivered: %s", chat_id, exc)
            return Delivery.FAILED
        return Delivery.SENT if delivered else Delivery.BLOCKED
