"""The one way messages leave for Telegram: split to the size limit (bot/splitting.py), paced,
retried on 429.

Limits (core.telegram.org/bots/faq): about 30 messages/s overall and about 1/s per chat; a
429 carries `retry_after`, and retrying after it is safe (the message was not sent).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import (
    CloseForumTopic,
    CopyMessage,
    CreateForumTopic,
    EditMessageReplyMarkup,
    EditMessageText,
    ForwardMessage,
    ReopenForumTopic,
    Response,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.api_session import answers_unread
from bot.splitting import split_text
from dialogs.types import RenderedButton, RenderedReply
from kernel.metrics import TELEGRAM_REFUSALS

log = logging.getLogger(__name__)

MAX_RETRIES = 3
MIN_SLEEP = 0.001  # seconds; a send due sooner than this goes at once

# Set while bulk messages (reminders, notices) are sent: they give way to replies to citizens
# who are talking, so a thousand reminders due at once do not keep an answer waiting.
BULK = contextvars.ContextVar("bulk_send", default=False)


@functools.lru_cache(maxsize=1024)
def keyboard(rows: tuple[tuple[RenderedButton, ...], ...]) -> InlineKeyboardMarkup | None:
    """Telegram's keyboard for the rendered buttons. Most keyboards are the same for everyone
    (a menu, a question's choices), and building aiogram's models took about 35 µs for six
    buttons, so the latest ones are kept; aiogram only reads them."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b.label, callback_data=b.payload) for b in row]
            for row in rows
        ]
    )


class Pacer:
    """Send times for outgoing messages.

    Globally, sends take slots on a grid of 1/`global_rate` seconds, whatever mix of chats
    they go to. Slots are only a plan: when the event loop stalls, several planned sends wake
    together, so just before each send the window of the last second's actual sends is checked
    too, and no second ever holds more than `window_limit` (Telegram answers 429 beyond about
    30). Per chat, a token bucket allows a short burst (a reply of a few messages), then one
    per second (one per three seconds in a group); a chat that got `429 retry_after` is held
    for that long, the others are not.

    Bulk sends (`bulk=True`: reminders and notices) plan their slot one at a time, each only
    once the one before it is sent: a thousand due at once never book the next forty seconds,
    they take the slots replies leave free, and at most one bulk message stands between a
    reply and its slot. A reply waiting for its chat's pace holds up no one.
    """

    def __init__(
        self,
        global_rate: float = 24.2,
        chat_rate: float = 1.0,
        chat_burst: float = 3.0,
        # Groups (negative chat ids): about 20 messages a minute (pitfalls).
        group_rate: float = 20 / 60,
        clock: Callable[[], float] = time.monotonic,
        *,
        window_limit: int = 25,
        # A little over a second: the sends' own jitter on the way to Telegram must not put
        # the 26th message into the first one's second.
        window_seconds: float = 1.03,
    ) -> None:
        self._global_rate = global_rate
        self._window_limit = window_limit
        self._window_seconds = window_seconds
        self._sent: deque[float] = deque(maxlen=window_limit)  # the latest actual sends
        self._chat_rate = chat_rate
        self._group_rate = group_rate
        self._chat_burst = chat_burst
        self._clock = clock
        self._taken: set[int] = set()  # grid slots reserved for sends not yet made
        self._chats: dict[int, tuple[float, float]] = {}  # chat -> (tokens, at)
        self._lock = asyncio.Lock()
        self._bulk_turn = asyncio.Lock()

    def _rate(self, chat_id: int) -> float:
        return self._group_rate if chat_id < 0 else self._chat_rate

    def _delay(self, chat_id: int) -> float:
        now = self._clock()
        rate = self._rate(chat_id)
        tokens, at = self._chats.get(chat_id, (self._chat_burst, now))
        tokens = min(self._chat_burst, tokens + (now - at) * rate)
        chat_ready = now if tokens >= 1 else now + (1 - tokens) / rate
        slot = math.ceil(round(chat_ready * self._global_rate, 6))
        while slot in self._taken:
            slot += 1
        self._taken.add(slot)
        start = slot / self._global_rate
        self._chats[chat_id] = (tokens + (start - now) * rate - 1, start)
        self._forget_past(now)
        return max(0.0, start - now)

    async def hold(self, chat_id: int, seconds: float) -> None:
        """Telegram said 429 for this chat: nothing more to it for `seconds`."""
        now = self._clock()
        self._chats[chat_id] = (1 - seconds * self._rate(chat_id), now)

    def _forget_past(self, now: float) -> None:
        if len(self._taken) > 4 * self._global_rate:
            current = math.floor(now * self._global_rate)
            self._taken = {slot for slot in self._taken if slot >= current}
        if len(self._chats) > 10_000:  # forget chats that have long been quiet
            self._chats = {c: v for c, v in self._chats.items() if now - v[1] < 60}

    def _window_wait(self) -> float:
        """0 and the send recorded when the last second has room; else how long to wait."""
        now = self._clock()
        if len(self._sent) == self._window_limit and now - self._sent[0] < self._window_seconds:
            return self._sent[0] + self._window_seconds - now
        self._sent.append(now)
        return 0.0

    async def wait(self, chat_id: int, bulk: bool = False) -> None:
        if not bulk:
            await self._wait_for_slot(chat_id)
            return
        async with self._bulk_turn:
            await self._wait_for_slot(chat_id)

    async def _wait_for_slot(self, chat_id: int) -> None:
        async with self._lock:
            delay = self._delay(chat_id)
        # A slot less than a millisecond away is taken now: sleeping for it cost a turn of
        # the event loop (a timer and a wake-up) per message, about 40 µs of CPU, and the
        # window below still holds any second to its limit.
        if delay >= MIN_SLEEP:
            await asyncio.sleep(delay)
        await self._within_window()

    async def _within_window(self) -> None:
        while True:
            async with self._lock:
                delay = self._window_wait()
            if delay == 0:
                return
            await asyncio.sleep(delay)


# Bot API methods that put a message into a chat: each waits for its slot in the pace.
PACED_METHODS: tuple[type[TelegramMethod[Any]], ...] = (
    SendMessage,
    EditMessageText,
    EditMessageReplyMarkup,
    CopyMessage,
    ForwardMessage,
    SendPhoto,
    SendDocument,
    # Each posts a service message in the operators' group: they count against its limit.
    CreateForumTopic,
    CloseForumTopic,
    ReopenForumTopic,
)


class PacedRequests(BaseRequestMiddleware):
    """The one paced path: every call of the bot's session that sends or edits a message
    waits for the pacer and, after `429 retry_after`, holds that chat and tries again (a 429
    means nothing was done, so the retry is safe). Replies, reminders and the edit that marks
    a pressed button all go through it, whoever makes the call."""

    def __init__(self, pacer: Pacer, max_retries: int = MAX_RETRIES) -> None:
        self._pacer = pacer
        self._max_retries = max_retries

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        chat_id = getattr(method, "chat_id", None)
        if not isinstance(method, PACED_METHODS) or not isinstance(chat_id, int):
            return await make_request(bot, method)
        for attempt in range(self._max_retries + 1):
            await self._pacer.wait(chat_id, bulk=BULK.get())
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                TELEGRAM_REFUSALS.labels("429").inc()
                if attempt == self._max_retries:
                    raise
                log.warning(
                    "429 on %s for chat %s, retrying after %s s",
                    type(method).__name__,
                    chat_id,
                    exc.retry_after,
                )
                await self._pacer.hold(chat_id, exc.retry_after)
        raise AssertionError("unreachable: the last attempt returns or raises")


def window_limit_for(rate: float) -> int:
    """Sends allowed in any one second: Telegram's cap (25, under its ~30), or the rate itself
    when one above it was set for a Bot API emulator that does not limit (bench/e2e.py)."""
    return 25 if rate <= 30 else math.ceil(rate)


def pace(bot: Bot, pacer: Pacer) -> Bot:
    """Put the bot's sends and edits on `pacer` (once per bot)."""
    bot.session.middleware(PacedRequests(pacer))
    return bot


class Sender:
    """Sends rendered replies; pacing and 429 retries are the bot session's (`pace`)."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send(self, chat_id: int, reply: RenderedReply) -> bool:
        """Send one rendered reply; False when the citizen has blocked the bot."""
        parts = split_text(reply.text)
        for index, part in enumerate(parts):
            markup = keyboard(reply.buttons) if index == len(parts) - 1 else None
            try:
                with answers_unread():
                    await self._bot.send_message(chat_id, part, reply_markup=markup)
            except TelegramForbiddenError:
                TELEGRAM_REFUSALS.labels("403").inc()
                log.info("chat %s has blocked the bot", chat_id)
                return False
        return True
