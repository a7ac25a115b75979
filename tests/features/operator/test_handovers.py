"""Handing a conversation to a person, on the engine and a real migrated database: asking from
the middle of a complaint, silence while a person holds it, the claim race, closing, rating,
and the citizen going on at the same step."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin import accounts
from dialogs.flow import DialogConfig
from features.operator import owned
from features.operator.desk import DeskWork
from features.operator.questions import QuestionError, SqlQuestions
from features.operator.service import (
    DISTRESS_PRIORITY,
    AlreadyClaimedError,
    HandoverError,
    SqlHandovers,
)
from kernel.settings import OperatorSettings
from nlu.results import Understanding
from storage import staff_data
from storage.models import (
    Citizen,
    Conversation,
    Handover,
    HandoverMessage,
    Question,
    Reminder,
    StaffAlert,
    StaffMember,
)
from tests.support.db_chat import REGIONS, DbChat, quiet_hours
from tests.support.wiring import OPERATORS


class CountingRecognizer:
    """Knows nothing; counts how often it was asked."""

    def __init__(self) -> None:
        self.calls = 0

    async def understand(self, text: str) -> Understanding:
        self.calls += 1
        return Understanding(intent="nlu_fallback", confidence=0.1, source="rasa")


@pytest.fixture
async def operators(sessions: async_sessionmaker[AsyncSession]) -> list[StaffMember]:
    async with sessions() as session:
        anna = await accounts.add(session, "Анна", "operator", ["63"], by="test", telegram_id=9001)
        boris = await accounts.add(
            session, "Борис", "operator", ["63"], by="test", telegram_id=9002
        )
        await accounts.add(session, "Вера", "operator", ["77"], by="test", telegram_id=9003)
        await session.commit()
    return [anna, boris]


@pytest.fixture
async def chat(sessions: async_sessionmaker[AsyncSession], dialog_config: DialogConfig) -> DbChat:
    chat = DbChat(sessions, dialog_config, recognizer=CountingRecognizer())
    await chat.start()
    return chat


async def handover_of(sessions: async_sessionmaker[AsyncSession]) -> Handover:
    async with sessions() as session:
        latest = (await session.scalars(select(Handover).order_by(Handover.id.desc()))).first()
    assert latest is not None
    return latest


async def mode(sessions: async_sessionmaker[AsyncSession]) -> str:
    async with sessions() as session:
        return (await session.scalars(select(Conversation.mode))).one()


async def act(
    sessions: async_sessionmaker[AsyncSession], name: str, action: str, *args: object
) -> Handover:
    """An operator's action through the service, in its own unit of work."""
    async with sessions() as session:
        desk = SqlHandovers(session, REGIONS, OPERATORS)
        staff = (await session.scalars(select(StaffMember).where(StaffMember.name == name))).one()
        handover = (await session.scalars(select(Handover).order_by(Handover.id.desc()))).first()
        assert handover is not None
        if action == "claim":
            handover = await desk.claim(handover.id, staff, *args)  # type: ignore[arg-type]
        else:
            await getattr(desk, action)(handover, staff, *args)
        await session.commit()
        return handover


async def test_a_citizen_in_the_middle_of_a_complaint_reaches_a_person_and_goes_on(
    chat: DbChat, operators: list[StaffMember], sessions: async_sessionmaker[AsyncSession]
) -> None:
    await chat.send("/complaint")
    await chat.press("buttons.complaint_ground", ground="documents_refused")
    assert chat.prompt == "complaint.ask_respondent"

    await chat.send("/operator")
    assert chat.templates() == ["operator.requested"]
    assert await mode(sessions) == "queued"
    handover = await handover_of(sessions)
    assert (handover.state, handover.reason, handover.region_code) == ("queued", "command", "63")
    assert handover.context == {"flow": "complaint", "step": "respondent"}

    # While queued and held the bot says nothing and asks no NLU: it all goes to the person.
    recognizer = chat.recognizer
    assert isinstance(recognizer, CountingRecognizer)
    asked = recognizer.calls
    assert await chat.send("Мне отказали в приёме документов, что делать?") == []
    await act(sessions, "Анна", "claim", chat.clock.now)
    assert await mode(sessions) == "operator"
    assert await chat.send("Вот фото отказа", attachment="photo", file_id="ph-1") == []
    assert recognizer.calls == asked
    async with sessions() as session:
        relayed = list(
            await session.scalars(
                select(HandoverMessage)
                .where(HandoverMessage.direction == "citizen")
                .order_by(HandoverMessage.id)
            )
        )
    assert [(m.kind, m.text, m.file_id) for m in relayed] == [
        ("text", "Мне отказали в приёме документов, что делать?", None),
        ("photo", "Вот фото отказа", "ph-1"),
    ]

    # /menu asks first; staying keeps the person.
    await chat.send("/menu")
    assert chat.templates() == ["operator.confirm_leave"]
    await chat.press("buttons.operator_stay")
    assert chat.templates() == ["operator.staying"]
    assert await mode(sessions) == "operator"

    await act(sessions, "Анна", "close", chat.clock.now + timedelta(minutes=6))
    assert await mode(sessions) == "bot"
    async with sessions() as session:
        work = DeskWork(session, REGIONS, {}, OPERATORS, quiet_hours())
        [closing] = [
            r
            for r in await work.outbox("citizen")
            if r.message.direction == "to_citizen" and r.message.template == "operator.closed"
        ]
        rating = work.notice(closing)
    chat.last = [rating]
    await chat.press("buttons.operator_rate", n=4)
    # Thanks, then the question the citizen left for the person: the same step.
    assert chat.templates() == ["operator.rated", "complaint.ask_respondent"]
    await chat.press("buttons.operator_comment")
    assert chat.templates() == ["operator.ask_comment"]
    await chat.send("Ответили быстро и понятно")
    assert chat.templates() == ["operator.comment_thanks", "complaint.ask_respondent"]
    rated = await handover_of(sessions)
    assert (rated.state, rated.rating, rated.rating_comment) == (
        "closed",
        4,
        "Ответили быстро и понятно",
    )
    await chat.press("buttons.complaint_respondent", respondent="centre")
    assert chat.prompt == "complaint.ask_respondent_name"


async def test_leaving_the_queue(
    chat: DbChat, operators: list[StaffMember], sessions: async_sessionmaker[AsyncSession]
) -> None:
    await chat.press("buttons.operator")
    assert chat.templates() == ["operator.requested"]
    await chat.send("/start")
    assert chat.templates() == ["operator.confirm_leave"]
    await chat.press("buttons.operator_leave")
    assert chat.templates() == ["operator.left", "menu.main"]
    left = await handover_of(sessions)
    assert (left.state, left.resolution) == ("cancelled", "left_queue")
    assert await mode(sessions) == "bot"
    with pytest.raises(HandoverError, match="закрыт"):
        await act(sessions, "Анна", "claim", chat.clock.now)


@pytest.mark.parametrize("attempts", [20])
async def test_of_operators_claiming_at_the_same_moment_exactly_one_wins(
    chat: DbChat,
    operators: list[StaffMember],
    sessions: async_sessionmaker[AsyncSession],
    attempts: int,
) -> None:
    for attempt in range(attempts):
        await chat.send("/operator")
        handover = await handover_of(sessions)
        assert handover.state == "queued", attempt

        async def claim(name: str) -> str:
            try:
                await act(sessions, name, "claim", chat.clock.now)
            except AlreadyClaimedError as lost:
                return f"lost to {lost.by}"
            return "won"

        outcomes = await asyncio.gather(claim("Анна"), claim("Борис"))
        assert sorted(outcomes)[1] == "won", outcomes
        assert sorted(outcomes)[0].startswith("lost to "), outcomes
        winner = (await handover_of(sessions)).claimed_by
        await act(sessions, str(winner), "close", chat.clock.now)


async def test_only_the_holder_acts_and_only_operators_of_the_region_claim(
    chat: DbChat, operators: list[StaffMember], sessions: async_sessionmaker[AsyncSession]
) -> None:
    await chat.send("/operator")
    with pytest.raises(HandoverError, match="регион"):
        await act(sessions, "Вера", "claim", chat.clock.now)  # serves region 77
    with pytest.raises(HandoverError, match="сначала возьмите"):
        await act(sessions, "Анна", "close", chat.clock.now)
    await act(sessions, "Анна", "claim", chat.clock.now)
    with pytest.raises(HandoverError, match="ведёт Анна"):
        await act(sessions, "Борис", "close", chat.clock.now)
    await act(sessions, "Анна", "transfer", chat.clock.now)
    assert await mode(sessions) == "queued"
    await act(sessions, "Борис", "claim", chat.clock.now)
    assert (await handover_of(sessions)).claimed_by == "Борис"


async def test_the_place_in_the_queue_and_the_wait_come_from_recent_conversations(
    sessions: async_sessionmaker[AsyncSession],
    dialog_config: DialogConfig,
    operators: list[StaffMember],
) -> None:
    chats = [DbChat(sessions, dialog_config, external_id=str(6000 + n)) for n in range(3)]
    for each in chats:
        await each.start()
        await each.send("/operator")
    async with sessions() as session:
        desk = SqlHandovers(session, REGIONS, OPERATORS)
        queued = list(await session.scalars(select(Handover).order_by(Handover.id)))
        places = [await desk.place(h, chats[0].clock.now) for h in queued]
        # No conversation handled yet: 8 minutes each (the default), two operators in 63.
        assert [(p.position, p.minutes) for p in places] == [(1, 4), (2, 8), (3, 12)]
        staff = await session.scalars(select(StaffMember).where(StaffMember.name == "Анна"))
        anna = staff.one()
        for handover, minutes in zip(queued[:2], (2, 4), strict=True):
            await desk.claim(handover.id, anna, chats[0].clock.now)
            await desk.close(handover, anna, chats[0].clock.now + timedelta(minutes=minutes))
        await session.commit()
        place = await desk.place(queued[2], chats[0].clock.now)
    assert (place.position, place.minutes) == (1, 2)  # median 3 min, shared by two


async def test_words_of_acute_distress_bring_the_crisis_lines_and_a_person_first(
    chat: DbChat, operators: list[StaffMember], sessions: async_sessionmaker[AsyncSession]
) -> None:
    await chat.send("/complaint")
    await chat.press("buttons.complaint_ground", ground="documents_refused")
    await chat.send("Я больше не могу, не хочу жить")
    assert chat.templates() == ["operator.crisis_lines", "operator.requested"]
    assert chat.last[0].context["lines"] == ["112"]
    handover = await handover_of(sessions)
    assert (handover.reason, handover.priority) == ("distress", DISTRESS_PRIORITY)


async def test_the_crisis_lines_administrators_set_are_shown(
    sessions: async_sessionmaker[AsyncSession], dialog_config: DialogConfig
) -> None:
    async with sessions() as session:
        await staff_data.put(session, owned.CRISIS_LINES, ["051 — психологическая помощь"], "a")
        await session.commit()
    guest = DbChat(sessions, dialog_config)
    await guest.send("хочу покончить с собой")
    assert guest.last[0].context["lines"] == ["051 — психологическая помощь"]


async def test_a_guest_in_distress_gets_the_lines_without_a_handover(
    sessions: async_sessionmaker[AsyncSession], dialog_config: DialogConfig
) -> None:
    guest = DbChat(sessions, dialog_config)
    await guest.send("хочу покончить с собой")
    assert guest.templates() == ["operator.crisis_lines", "menu.main"]
    assert guest.last[0].context["has_consent"] is False
    async with sessions() as session:
        assert list(await session.scalars(select(Handover))) == []


async def test_without_operators_or_out_of_hours_the_citizen_is_told_and_keeps_their_place(
    chat: DbChat, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await chat.send("/complaint")
    await chat.send("/operator")  # nobody serves region 63 yet
    assert chat.templates() == ["operator.unavailable", "complaint.ask_ground"]
    async with sessions() as session:
        desk = SqlHandovers(
            session, REGIONS, OperatorSettings(chat_id=-1, schedule="working_hours")
        )
        sunday_noon = chat.clock.now - timedelta(days=1) + timedelta(hours=3)  # 22 Nov 2026
        monday_ten = chat.clock.now + timedelta(hours=1)  # 23 Nov 2026, 10:00 in Samara... 13:00
        hours = (chat.config.working_hours[0], chat.config.working_hours[1])
        assert not await desk.open_now("63", sunday_noon, hours)
        assert await desk.open_now("63", monday_ten, hours)
        # Administrators moved the region's hours: 13:00 local is after them.
        await staff_data.put(
            session, owned.hours_name("63"), {"start": "08:00", "end": "12:00"}, "a"
        )
        hours = await desk.working_hours("63", hours)
        assert hours == (time(8), time(12))
        assert not await desk.open_now("63", monday_ten, hours)
    assert await mode(sessions) == "bot"


async def test_withdrawing_consent_erases_what_was_relayed(
    chat: DbChat, operators: list[StaffMember], sessions: async_sessionmaker[AsyncSession]
) -> None:
    await chat.send("/operator")
    await chat.send("Мой телефон 8 900 000-00-00")
    await chat.send("/menu")
    await chat.press("buttons.operator_leave")
    await chat.press("buttons.my_data")
    await chat.press("buttons.withdraw")
    await chat.press("buttons.withdraw_confirm")
    assert chat.templates() == ["my_data.withdrawn"]
    async with sessions() as session:
        texts = list(await session.scalars(select(HandoverMessage.text)))
    assert texts
    assert "Мой телефон 8 900 000-00-00" not in texts


async def test_with_nobody_to_answer_live_the_citizen_asks_in_writing_and_gets_the_answer(
    chat: DbChat, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await chat.send("/operator")  # nobody serves region 63
    assert chat.templates() == ["operator.unavailable", "menu.main"]
    await chat.press("buttons.question")
    assert chat.prompt == "question.ask"
    await chat.send("Коротко")
    assert chat.templates() == ["question.invalid_too_short", "question.ask"]
    await chat.send(attachment="photo", file_id="ph-1")
    assert chat.templates() == ["question.invalid_not_text", "question.ask"]
    await chat.send("Как встать на учёт, если я работаю по договору ГПХ?")
    assert chat.templates() == ["question.registered"]
    registered = chat.last[0].context
    assert registered["number"] == "В-2026-000001"
    # Monday 23 Nov 2026 + 3 working days (003 p.36(в)).
    assert str(registered["due_on"]) == "2026-11-26"
    async with sessions() as session:
        anna = await accounts.add(session, "Анна", "operator", ["63"], by="t", telegram_id=1)
        vera = await accounts.add(session, "Вера", "operator", ["77"], by="t", telegram_id=2)
        questions = SqlQuestions(session, REGIONS, quiet_hours())
        question = (await session.scalars(select(Question))).one()
        with pytest.raises(QuestionError, match="регион"):
            await questions.answer(question, vera, "Ответ", chat.clock.now)
        await questions.answer(question, anna, "Договор ГПХ — это занятость.", chat.clock.now)
        await session.commit()
        with pytest.raises(QuestionError, match="уже ответил"):
            await questions.answer(question, anna, "Ещё ответ", chat.clock.now)
        reminders = {
            (r.rule, r.status): r.context
            for r in await session.scalars(select(Reminder).where(Reminder.key == "question:1"))
        }
    assert ("written_question", "cancelled") in reminders
    sent = reminders[("question_answer_sent", "pending")]
    assert sent["answer"] == "Договор ГПХ — это занятость."
    assert sent["number"] == "В-2026-000001"


async def test_staff_alerts_are_announced_once(
    chat: DbChat, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as session:
        citizen_id = (await session.scalars(select(Conversation.citizen_id))).one()
        session.add(StaffAlert(kind="citizen_unreachable", citizen_id=citizen_id))
        await session.commit()
    async with sessions() as session:
        work = DeskWork(session, REGIONS, {}, OPERATORS, quiet_hours())
        [alert] = await work.alerts_to_announce()
        await session.commit()
    assert alert.context["kind"] == "citizen_unreachable"
    assert alert.context["name"] == "Анна П."
    async with sessions() as session:
        work = DeskWork(session, REGIONS, {}, OPERATORS, quiet_hours())
        assert await work.alerts_to_announce() == []


async def test_a_question_asked_before_the_new_year_holidays_is_due_after_them(
    chat: DbChat,
) -> None:
    chat.clock.now = datetime(2026, 12, 30, 7, tzinfo=UTC)  # Wednesday, 11:00 in Samara
    await chat.send("/menu")
    await chat.press("buttons.question")
    await chat.send("Будет ли центр работать 31 декабря?")
    # 31 Dec 2026 is a day off, 1-10 Jan 2027 are holidays and a weekend: 11, 12, 13 Jan.
    assert str(chat.last[0].context["due_on"]) == "2027-01-13"


async def test_messages_for_the_group_wait_for_their_topic_without_blocking_others(
    chat: DbChat, operators: list[StaffMember], sessions: async_sessionmaker[AsyncSession]
) -> None:
    await chat.send("/operator")
    await chat.send("Первое сообщение")
    await chat.send("/menu")
    await chat.press("buttons.operator_leave")  # left before any topic was opened
    async with sessions() as session:
        work = DeskWork(session, REGIONS, {}, OPERATORS, quiet_hours())
        assert await work.outbox("desk") == []  # nothing for the group: no topic, nobody told
        assert await work.topics_to_open() == []
    await chat.send("/operator")
    await chat.send("Второе сообщение")
    async with sessions() as session:
        work = DeskWork(session, REGIONS, {}, OPERATORS, quiet_hours())
        [(handover, _citizen)] = await work.topics_to_open()
        assert await work.outbox("desk") == []
        handover.topic_id = 77
        await session.commit()
        waiting = [relay.message.text for relay in await work.outbox("desk")]
    assert waiting == ["Второе сообщение"]


async def test_the_words_that_asked_for_a_person_reach_the_operator_first(
    sessions: async_sessionmaker[AsyncSession],
    dialog_config: DialogConfig,
    operators: list[StaffMember],
) -> None:
    class WantsPerson(CountingRecognizer):
        async def understand(self, text: str) -> Understanding:
            return Understanding(intent="request_operator", confidence=0.95, source="rasa")

    chat = DbChat(sessions, dialog_config, recognizer=WantsPerson())
    await chat.start()
    await chat.send("Позовите живого человека, не могу разобраться с пособием")
    assert chat.templates() == ["operator.requested"]
    handover = await handover_of(sessions)
    assert handover.reason == "intent"
    async with sessions() as session:
        work = DeskWork(session, REGIONS, {}, OPERATORS, quiet_hours())
        citizen = await session.get_one(Citizen, handover.citizen_id)
        card = await work.card(handover, citizen)
    assert card.context["said"] == ["Позовите живого человека, не могу разобраться с пособием"]
