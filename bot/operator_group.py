"""The operators' desk in Telegram: a forum supergroup with a topic per conversation.

The router takes the operators' side — the claim button, their messages, `!notes`, `/t NAME`,
`/transfer`, `/close` — through the handover service. The relay does the Telegram work the
database asks for: it opens (or reopens) topics with the case card, copies messages both ways
(`copyMessage`: any kind, no "forwarded from"), posts the bot's own notices, keeps each queued
citizen's place-in-queue message current (edited, not resent) and closes finished topics. It
runs after every change (`kick`) and on a timer, from the outbox in the database, so a restart
loses nothing: what was not relayed is relayed then.

Group messages are paced at about 20 a minute by the bot's pacer (pitfalls: per-group limit);
the citizens' side is not held up by them.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import time
from collections.abc import Awaitable, Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.chat_filters import button_in, message_in
from bot.parts import OperatorDesk
from bot.sender import Sender, keyboard
from bot.splitting import split_text
from dialogs.render import Renderer
from dialogs.types import Reply
from features.operator.desk import DeskWork, Relay
from features.operator.ports import DeskPress
from features.operator.questions import QuestionError
from features.operator.service import HandoverError
from kernel.clock import utc_now
from kernel.waiting import until_set
from storage.models import (
    DeskTopic,
    Handover,
    HandoverMessage,
    Question,
    StaffAlert,
    StaffMember,
)

# What the relay reads: a turn that wrote none of these has nothing for it.
RELAYED_TABLES = frozenset(
    model.__tablename__ for model in (Handover, HandoverMessage, Question, StaffAlert, DeskTopic)
)

log = logging.getLogger(__name__)


@dataclass
class OperatorGroup:
    desk: OperatorDesk
    bot: Bot
    sessions: async_sessionmaker[AsyncSession]
    renderer: Renderer
    clock: Callable[[], datetime] = utc_now
    _wake_citizens: asyncio.Event = field(default_factory=asyncio.Event)
    _wake_desk: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _refreshed: dict[int, float] = field(default_factory=dict)  # handover -> monotonic time
    _warned: set[int] = field(default_factory=set)  # group members told they are not staff

    @property
    def in_telegram(self) -> bool:
        """Whether operators also work in a Telegram group (else only the web desk)."""
        return self.desk.chat_id is not None

    @property
    def chat_id(self) -> int:
        if self.desk.chat_id is None:
            raise RuntimeError("no operators' group is configured")
        return self.desk.chat_id

    # --- the operators' side -----------------------------------------------------------------

    def router(self) -> Router:
        router = Router(name="operators")
        router.message.filter(message_in(self.chat_id))
        router.callback_query.filter(button_in(self.chat_id))
        router.message()(self._on_message)
        router.callback_query()(self._on_press)
        return router

    async def _on_press(self, callback: CallbackQuery, session: AsyncSession) -> None:
        press = DeskPress.unpack(callback.data)
        work = self.desk.work(session)
        staff = await work.handovers.staff_by_telegram(callback.from_user.id)
        if staff is None:
            await _answer(callback, "Только для сотрудников контакт-центра")
            return
        if press is None or press.action != "claim":
            await _answer(callback, "Кнопка устарела")
            return
        try:
            await work.handovers.claim(press.handover_id, staff, self.clock())
        except HandoverError as refused:
            await session.rollback()
            await _answer(callback, str(refused))
            return
        await session.commit()
        await _answer(callback, "Разговор ваш")
        if isinstance(callback.message, Message):
            with contextlib.suppress(TelegramAPIError):  # the card keeps its text; fine
                await self.bot.edit_message_reply_markup(
                    chat_id=self.chat_id, message_id=callback.message.message_id
                )
        self.kick()

    async def _on_message(self, message: Message, session: AsyncSession) -> None:
        user = message.from_user
        if user is None or user.is_bot:
            return
        work = self.desk.work(session)
        staff = await work.handovers.staff_by_telegram(user.id)
        thread = message.message_thread_id if message.is_topic_message else None
        if staff is None:
            if user.id not in self._warned:  # said once, not to every message
                self._warned.add(user.id)
                await self._post(thread, Reply("operator.desk_not_staff"))
            return
        if thread is None:
            return  # the General topic is the operators' own
        handover = await work.handovers.by_topic(thread)
        if handover is None:
            await self._answer_question(session, work, staff, message, thread)
            return
        try:
            await self._act(work, handover, staff, message)
        except HandoverError as refused:
            await session.rollback()
            await self._post(thread, Reply("operator.desk_refused", {"problem": str(refused)}))
            return
        await session.commit()
        self.kick()

    async def _answer_question(
        self,
        session: AsyncSession,
        work: DeskWork,
        staff: StaffMember,
        message: Message,
        thread: int,
    ) -> None:
        """A message in a written question's topic is the answer (a `!note` is not)."""
        question = await work.questions.by_topic(thread)
        text = (message.text or "").strip()
        if question is None or not text or text.startswith(("!", "/")):
            return
        try:
            await work.questions.answer(question, staff, text, self.clock())
        except QuestionError as refused:
            await session.rollback()
            await self._post(thread, Reply("operator.desk_refused", {"problem": str(refused)}))
            return
        await session.commit()
        await self._post(
            thread, Reply("operator.desk_question_answered", {"operator": staff.name})
        )
        self.kick()

    async def _act(
        self, work: DeskWork, handover: Handover, staff: StaffMember, message: Message
    ) -> None:
        desk = work.handovers
        now = self.clock()
        text = message.text or ""
        command, _, argument = text.partition(" ")
        command = command.split("@")[0].lower()
        if command == "/close":
            await desk.close(handover, staff, now)
        elif command == "/transfer":
            await desk.transfer(handover, staff, now)
        elif command == "/t":
            name = argument.strip().lower()
            canned = await work.canned()
            answer = canned.get(name)
            if answer is None:
                names = sorted(canned)
                await self._post(
                    handover.topic_id,
                    Reply("operator.desk_unknown_canned", {"name": name, "names": names}),
                )
                return
            await desk.send_text(handover, staff, answer.replace("{operator}", staff.name))
        elif text.startswith("!"):
            await desk.note(handover, staff, text[1:].strip(), now)
        else:
            await desk.record_operator(
                handover,
                staff,
                kind=_kind(message),
                text=message.text or message.caption,
                from_chat_id=self.chat_id,
                from_message_id=message.message_id,
            )

    # --- the relay ---------------------------------------------------------------------------

    def kick(self) -> None:
        """Something changed: relay now, not at the next sweep."""
        self._wake_citizens.set()
        self._wake_desk.set()

    def after_turn(self, written: AbstractSet[str]) -> None:
        """A citizen's turn committed: relay now if it wrote what the relay reads (most turns
        do not, and a pass costs several queries)."""
        if written & RELAYED_TABLES:
            self.kick()

    def start(self) -> None:
        # Two lanes: the group's pace (about 20 messages a minute) never holds up what goes
        # to the citizens.
        self._tasks = [
            asyncio.create_task(self._run(self._wake_citizens, self.relay_to_citizens)),
        ]
        if self.in_telegram:  # the web desk reads the database itself
            self._tasks.append(asyncio.create_task(self._run(self._wake_desk, self.relay_to_desk)))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, wake: asyncio.Event, relay: Callable[[], Awaitable[None]]) -> None:
        while True:
            wake.clear()
            try:
                await relay()
            except Exception:  # the next pass tries again; the outbox keeps the work
                log.exception("operator desk relay failed")
            await until_set(wake, self.desk.sweep_seconds)

    async def relay_to_citizens(self) -> None:
        async with self.sessions() as session:
            work = self.desk.work(session)
            await self._relay_outbox(session, work, "citizen")
            await self._queue_statuses(session, work)

    async def relay_to_desk(self) -> None:
        async with self.sessions() as session:
            work = self.desk.work(session)
            await self._open_topics(session, work)
            await self._open_question_topics(session, work)
            await self._relay_outbox(session, work, "desk")
            await self._announce_alerts(session, work)
            await self._close_topics(session, work)

    async def _open_question_topics(self, session: AsyncSession, work: DeskWork) -> None:
        for question, citizen in await work.questions_to_open():
            created = await self.bot.create_forum_topic(
                self.chat_id, work.question_title(self.renderer, question, citizen)
            )
            question.topic_id = created.message_thread_id
            await session.commit()  # before the card: a crash must not open a second topic
            await self._post(question.topic_id, work.question_card(question, citizen))

    async def _announce_alerts(self, session: AsyncSession, work: DeskWork) -> None:
        """Staff alerts (watchdogs, undelivered reminders, blocked citizens) go to the
        standing "Уведомления" topic."""
        alerts = await work.alerts_to_announce()
        if not alerts:
            return
        topic = await work.standing_topic(work.ALERTS, self.chat_id)
        if topic is None:
            created = await self.bot.create_forum_topic(self.chat_id, "Уведомления")
            topic = created.message_thread_id
            work.remember_topic(work.ALERTS, self.chat_id, topic)
        for alert in alerts:
            await self._post(topic, alert)
        await session.commit()

    async def _open_topics(self, session: AsyncSession, work: DeskWork) -> None:
        for handover, citizen in await work.topics_to_open():
            if handover.topic_id is None:
                topic = await work.previous_topic(citizen.id)
                if topic is not None:
                    with contextlib.suppress(TelegramBadRequest):  # it may be open already
                        await self.bot.reopen_forum_topic(self.chat_id, topic)
                else:
                    created = await self.bot.create_forum_topic(
                        self.chat_id, work.title(self.renderer, handover, citizen)
                    )
                    topic = created.message_thread_id
                handover.topic_id = topic
                handover.topic_closed = False
                await session.commit()  # at once: a crash now must not open a second topic
            card = self.renderer.reply(await work.card(handover, citizen))
            sent = await self.bot.send_message(
                self.chat_id,
                split_text(card.text)[0],
                message_thread_id=handover.topic_id,
                reply_markup=keyboard(card.buttons),
            )
            handover.card_message_id = sent.message_id
            await session.commit()

    async def _relay_outbox(self, session: AsyncSession, work: DeskWork, toward: str) -> None:
        for relay in await work.outbox(toward):
            try:
                await self._relay(work, relay)
            except TelegramForbiddenError:
                log.info("citizen %s blocked the bot; message not relayed", relay.citizen.id)
                relay.message.failed = True
            except TelegramBadRequest as exc:  # a message Telegram cannot copy: say so, go on
                log.warning("handover message %s not relayed: %s", relay.message.id, exc)
                relay.message.failed = True
            relay.message.relayed_at = self.clock()
            await session.commit()

    async def _relay(self, work: DeskWork, relay: Relay) -> None:
        message, handover, citizen = relay.message, relay.handover, relay.citizen
        if message.direction == "citizen":
            if message.from_chat_id is not None and message.from_message_id is not None:
                await self.bot.copy_message(
                    self.chat_id,
                    message.from_chat_id,
                    message.from_message_id,
                    message_thread_id=handover.topic_id,
                )
            else:
                await self._post(
                    handover.topic_id, Reply("operator.relayed_text", {"text": message.text or ""})
                )
        elif message.direction == "operator":
            if message.from_message_id is not None and message.from_chat_id is not None:
                await self.bot.copy_message(
                    citizen.chat_id, message.from_chat_id, message.from_message_id
                )
            else:
                await self.bot.send_message(citizen.chat_id, html.escape(message.text or ""))
        elif message.direction == "to_citizen":
            await Sender(self.bot).send(citizen.chat_id, self.renderer.reply(work.notice(relay)))
        elif message.direction == "to_desk":
            await self._post(handover.topic_id, work.notice(relay))

    async def _queue_statuses(self, session: AsyncSession, work: DeskWork) -> None:
        now, tick = self.clock(), time.monotonic()
        for handover, citizen, reply in await work.queue_statuses(now):
            rendered = self.renderer.reply(reply)
            try:
                if handover.status_message_id is None:
                    sent = await self.bot.send_message(
                        citizen.chat_id, rendered.text, reply_markup=keyboard(rendered.buttons)
                    )
                    handover.status_message_id = sent.message_id
                elif (
                    rendered.text != handover.status_text
                    and tick - self._refreshed.get(handover.id, 0) >= self.desk.refresh_seconds
                ):
                    await self.bot.edit_message_text(
                        rendered.text,
                        chat_id=citizen.chat_id,
                        message_id=handover.status_message_id,
                        reply_markup=keyboard(rendered.buttons),
                    )
                else:
                    continue
            except TelegramAPIError as exc:
                log.info("queue status for handover %s not shown: %s", handover.id, exc)
            handover.status_text = rendered.text
            self._refreshed[handover.id] = tick
            await session.commit()
        for handover, citizen in await work.finished_statuses():
            # The queue is over for them: the message stays, without its button.
            with contextlib.suppress(TelegramAPIError):
                await self.bot.edit_message_reply_markup(
                    chat_id=citizen.chat_id, message_id=handover.status_message_id
                )
            handover.status_message_id = None
            self._refreshed.pop(handover.id, None)
            await session.commit()

    async def _close_topics(self, session: AsyncSession, work: DeskWork) -> None:
        finished: list[Handover | Question] = [
            *await work.topics_to_close(),
            *await work.questions_to_close(),
        ]
        for item in finished:
            if item.topic_id is not None:
                with contextlib.suppress(TelegramBadRequest):  # closed already
                    await self.bot.close_forum_topic(self.chat_id, item.topic_id)
            item.topic_closed = True
            await session.commit()

    async def _post(self, topic: int | None, reply: Reply) -> None:
        rendered = self.renderer.reply(reply)
        for part in split_text(rendered.text):
            await self.bot.send_message(
                self.chat_id,
                part,
                message_thread_id=topic,
                reply_markup=keyboard(rendered.buttons),
            )


async def _answer(callback: CallbackQuery, text: str) -> None:
    with contextlib.suppress(TelegramAPIError):  # too old: the press was still handled
        await callback.answer(text, show_alert=True)


def _kind(message: Message) -> str:
    for kind in (
        "photo",
        "document",
        "voice",
        "audio",
        "video",
        "sticker",
        "location",
        "contact",
        "animation",
        "video_note",
    ):
        if getattr(message, kind, None):
            return kind
    return "text"
