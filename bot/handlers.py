"""The citizen router: every private message and button press goes to the dialog engine."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, ErrorEvent, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api_session import answers_unread
from bot.chat_filters import private_button, private_message
from bot.incoming import from_callback, from_message
from bot.replies import TurnReplies
from bot.sender import Sender
from dialogs.engine import Engine
from dialogs.render import Renderer
from dialogs.types import Incoming, Reply
from storage.database import tables_written
from storage.repositories import SqlDialogStore

log = logging.getLogger(__name__)
ServicesFactory = Callable[[AsyncSession], Mapping[str, object]]
AfterCommit = Callable[[AbstractSet[str]], None]  # given the tables the turn wrote


def get_router(
    engine: Engine,
    renderer: Renderer,
    sender: Sender,
    services: ServicesFactory,
    *,
    turn_replies: TurnReplies,
    after_commit: AfterCommit = lambda _written: None,
) -> Router:
    """`after_commit` runs after each committed turn with the tables it wrote (the operators'
    relay wakes when the turn wrote something it relays)."""
    router = Router(name="citizen")

    async def converse(session: AsyncSession, incoming: Incoming) -> None:
        written = tables_written(session)
        store = SqlDialogStore(session)
        citizen = await store.citizen(incoming.channel, incoming.external_id, incoming.chat_id)
        # What a process that died did not say goes first, claimed in this turn's transaction.
        owed = (
            await turn_replies.owed(session, citizen.id) if store.may_owe_replies(citizen) else []
        )
        replies = await engine.handle(store, incoming, services(session))
        # Rendered before the commit: a text that fails to render rolls the turn back, and
        # what is committed is exactly what will be said (bot/replies.py).
        rendered = renderer.replies(replies)
        staged = await turn_replies.stage(session, citizen.id, rendered)
        await session.commit()
        after_commit(written)
        await turn_replies.send(session, citizen.id, incoming.chat_id, [*owed, *staged])

    @router.message(private_message)
    async def on_message(message: Message, session: AsyncSession) -> None:
        await converse(session, from_message(message))

    @router.callback_query(private_button)
    async def on_button(callback: CallbackQuery, session: AsyncSession, bot: Bot) -> None:
        await _stop_spinner(callback)
        message = callback.message
        if not isinstance(message, Message):
            return  # the message is too old for Telegram to show it; nothing to answer in
        await _mark_chosen(bot, renderer, message, callback.data or "")
        await converse(session, from_callback(callback, message.chat.id))

    @router.error()
    async def on_error(event: ErrorEvent, bot: Bot) -> None:
        log.exception("update %s failed", event.update.update_id, exc_info=event.exception)
        update = event.update
        chat = (
            update.message.chat
            if update.message
            else update.callback_query.message.chat
            if update.callback_query and update.callback_query.message
            else None
        )
        if chat is None:
            return
        try:
            await sender.send(chat.id, renderer.reply(Reply("common.error")))
        except Exception:  # the error reply itself failed: logging is all that is left
            log.exception("could not tell chat %s about the error", chat.id)

    return router


async def _stop_spinner(callback: CallbackQuery) -> None:
    """Stop the spinner on the button at once. After downtime Telegram refuses old presses
    with 400 "query is too old": the press itself is still handled."""
    try:
        await callback.answer()
    except TelegramAPIError as exc:
        log.info("could not answer callback query %s: %s", callback.id, exc)


async def _mark_chosen(bot: Bot, renderer: Renderer, message: Message, payload: str) -> None:
    """Keep the question in the history with the chosen answer under it, and take its buttons
    away so an old question cannot be answered twice."""
    markup = message.reply_markup
    label = next(
        (
            button.text
            for row in (markup.inline_keyboard if markup else [])
            for button in row
            if button.callback_data == payload
        ),
        None,
    )
    if label is None or message.html_text is None:
        return
    text = renderer.text("common.chosen", {"text": message.html_text, "choice": label})
    try:
        with answers_unread():
            await bot.edit_message_text(
                text=text, chat_id=message.chat.id, message_id=message.message_id
            )
    except TelegramAPIError as exc:  # too old, unchanged, too long, Telegram away: cosmetic,
        log.debug("could not mark the choice: %s", exc)  # the answer still goes on
