"""Runs the Telegram bot: long polling or a webhook, against api.telegram.org or a
self-hosted Bot API server."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import BotCommand
from aiogram.webhook.aiohttp_server import setup_application
from aiohttp import web
from redis.asyncio import Redis

from bot.api_session import JsonBotApiSession
from bot.handlers import get_router
from bot.inbox import Poller, Worker, webhook_handler
from bot.middlewares import DatabaseSession, FloodGuard, OrderAndTrack
from bot.notifier import TelegramNotifier
from bot.operator_group import OperatorGroup
from bot.parts import Parts
from bot.replies import TurnReplies, process_name
from bot.response_types import keep_response_types
from bot.sender import Pacer, Sender, pace, window_limit_for
from bot.sent_marks import SentMarks
from bot.shared_pace import SharedPacer
from bot.template_refresh import TemplateRefresh
from dialogs.types import Reply
from kernel.settings import BotSettings, Settings
from reminders.runner import ReminderRunner
from storage.wakeups import Listener, is_postgres

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]


def build_bot(settings: Settings) -> Bot:
    if settings.bot.token is None:
        raise ValueError("bot.token is not set")
    session = JsonBotApiSession(api=TelegramAPIServer.from_base(settings.bot.api_server))
    keep_response_types(session)
    bot = Bot(
        settings.bot.token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    # One pacer for replies, edits and reminders alike: Telegram's limits are per bot, so
    # the processes of one bot share it through Redis when it is configured.
    rate, chat_rate = settings.bot.messages_per_second, settings.bot.chat_messages_per_second
    window = window_limit_for(rate)
    pacer = (
        SharedPacer(Redis.from_url(settings.redis.url), bot.id, rate, chat_rate, window)
        if settings.redis.url
        else Pacer(global_rate=rate, chat_rate=chat_rate, window_limit=window)
    )
    return pace(bot, pacer)


@dataclass
class Running:
    """The dispatcher and what feeds it: the inbox's worker, and the flood guard in front of
    the inbox (bot/inbox.py)."""

    dispatcher: Dispatcher
    worker: Worker
    flood: FloodGuard


def build_dispatcher(parts: Parts, bot: Bot, settings: BotSettings) -> Running:
    # Conversation state lives in the database (dialogs/), not in aiogram's FSM: without it,
    # no FSM context is built for every update.
    dispatcher = Dispatcher(disable_fsm=True)
    sender = Sender(bot)

    async def ask_to_wait(chat_id: int) -> None:
        await sender.send(chat_id, parts.renderer.reply(Reply("common.flood")))

    flood = FloodGuard(settings.flood_messages, settings.flood_seconds, ask_to_wait)
    hold = timedelta(seconds=settings.hold_seconds)
    name = process_name(settings.process_name, settings.mode, settings.webhook.port)
    worker = Worker(parts.sessions, dispatcher, bot, name=name, hold_seconds=settings.hold_seconds)
    runner = build_runner(parts, sender)
    if runner is not None:
        parts.nudges.append(runner.wake)  # a staff decision reaches the citizen at once
    db_url = parts.db.url.render_as_string(hide_password=False)
    replies = TurnReplies(
        sender,
        hold,
        name,
        wake_outbox=runner.wake if runner is not None else lambda: None,
        # SQLite takes one writer at a time: a shared commit only adds one more to wait for
        # the lock (at 200 citizens at once a turn then waited past the busy timeout).
        marks=SentMarks(parts.sessions, name) if is_postgres(db_url) else None,
    )
    tracker = OrderAndTrack()
    dispatcher.update.outer_middleware(tracker)
    dispatcher.update.outer_middleware(DatabaseSession(parts.sessions, hold))
    group = _include_routers(dispatcher, parts, bot, sender, replies)

    texts = TemplateRefresh(parts.sessions, parts.renderer, parts.template_refresh_seconds)
    parts.nudges.append(texts.wake)  # a text published in this process is sent at once

    def wake_senders() -> None:
        for nudge in parts.nudges:
            nudge()

    # Changes made by another process (the desk served apart) wake this one's senders.
    listener = Listener(db_url, wake_senders) if is_postgres(db_url) else None

    async def on_startup(bot: Bot) -> None:
        await texts.load()  # the published texts before the first message
        texts.start()
        # What this process held when it was killed goes out now (before the runner starts,
        # which sends what is due at once), not after the hold.
        await replies.take_back(parts.sessions)
        await bot.set_my_commands(
            [
                BotCommand(command=name, description=parts.renderer.text(f"commands.{name}"))
                for name in parts.engine.commands
            ]
        )
        if runner is not None:
            runner.start_soon()
        if group is not None:
            group.start()
        for companion in parts.companions:
            companion.start()
        if listener is not None:
            listener.start()
        settle_collector()
        worker.start()  # what the last run left in the inbox first, then what comes

    async def on_shutdown() -> None:
        # Updates being handled are finished (the rest wait in the inbox for the next start).
        await worker.stop(settings.drain_timeout_seconds)
        await tracker.drain(settings.drain_timeout_seconds)
        for companion in parts.companions:
            await companion.stop()
        if listener is not None:
            await listener.stop()
        await texts.stop()
        if group is not None:
            await group.stop()
        if runner is not None:
            await runner.stop(settings.drain_timeout_seconds)
        await parts.close()

    dispatcher.startup.register(on_startup)
    dispatcher.shutdown.register(on_shutdown)
    return Running(dispatcher, worker, flood)


def settle_collector() -> None:
    """Once start-up is over. What it built lives as long as the process: frozen out of the
    collector's sight, it is not walked by every full collection again (about 160 ms each),
    and a turn's short-lived objects are swept less often (every 700 allocations by
    default): the collector took 3.6 s of a 2,400-update run, now well under one
    (bench/README.md, "The whole bot")."""
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def _include_routers(
    dispatcher: Dispatcher, parts: Parts, bot: Bot, sender: Sender, replies: TurnReplies
) -> OperatorGroup | None:
    """The operators' group (when there is one) first, then the citizens' chats."""
    group = (
        OperatorGroup(parts.operators, bot, parts.sessions, parts.renderer)
        if parts.operators is not None
        else None
    )
    if group is not None:
        parts.nudges.append(group.kick)  # the desk's replies go out at once, not at a sweep
    if group is not None and group.in_telegram:  # first: its updates come from the group
        dispatcher.include_router(group.router())
    dispatcher.include_router(
        get_router(
            parts.engine,
            parts.renderer,
            sender,
            parts.services,
            turn_replies=replies,
            after_commit=group.after_turn if group is not None else lambda _written: None,
        )
    )
    return group


def build_runner(parts: Parts, sender: Sender) -> ReminderRunner | None:
    reminders = parts.reminders
    if reminders is None:
        return None
    return ReminderRunner(
        parts.sessions,
        TelegramNotifier(sender, parts.renderer),
        reminders.regions,
        reminders.quiet_hours,
        rules=reminders.rules,
        settings=reminders.settings,
        on_sent=reminders.on_sent,
        housekeeping=reminders.housekeeping,
    )


async def run_polling(settings: Settings, parts: Parts) -> None:
    """Long polling through the inbox (bot/inbox.py) until SIGTERM or SIGINT."""
    bot = build_bot(settings)
    running = build_dispatcher(parts, bot, settings.bot)
    await bot.delete_webhook(drop_pending_updates=False)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    poller = Poller(bot, running.worker, running.flood, ALLOWED_UPDATES)
    await running.dispatcher.emit_startup(bot=bot, dispatcher=running.dispatcher)
    log.info("polling %s", settings.bot.api_server)
    try:
        await poller.run(stop)
    finally:
        await running.dispatcher.emit_shutdown(bot=bot, dispatcher=running.dispatcher)
        await bot.session.close()


def webhook_app(settings: Settings, parts: Parts, bot: Bot) -> web.Application:
    webhook = settings.bot.webhook
    if webhook.url is None or webhook.secret is None:
        raise ValueError("bot.webhook.url and bot.webhook.secret are required for webhook mode")
    secret = webhook.secret.get_secret_value()
    url = webhook.url
    running = build_dispatcher(parts, bot, settings.bot)
    dispatcher = running.dispatcher

    async def register_webhook(bot: Bot) -> None:
        await bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)

    dispatcher.startup.register(register_webhook)
    app = web.Application()
    # 401 without the matching X-Telegram-Bot-Api-Secret-Token; 200 once stored in the inbox.
    handler = webhook_handler(bot, running.worker, running.flood, secret)
    app.router.add_post(webhook.path, handler)
    setup_application(app, dispatcher, bot=bot)
    return app


def run_webhook(settings: Settings, build_parts: Callable[[], Awaitable[Parts]]) -> None:
    """Serve the webhook until SIGTERM/SIGINT; aiohttp then runs the dispatcher's shutdown,
    which drains the handlers still running."""

    async def make_app() -> web.Application:
        return webhook_app(settings, await build_parts(), build_bot(settings))

    webhook = settings.bot.webhook
    log.info("webhook listening on %s:%s%s", webhook.host, webhook.port, webhook.path)
    web.run_app(make_app(), host=webhook.host, port=webhook.port, print=None)
