"""Notifications of negotiations and referrals on a real database: staff send them through
the API (a third open one is refused, 001 ¶3.9.4), the reminder runner delivers the notice and
the 3-working-day reporting term starts from delivery — one set on the night before the New
Year holidays waits for the morning and counts over them; the citizen agrees a meeting in
words (reminded the day before and two hours before), declines after the warning, cannot reach
the employer, asks to prepare; forged buttons are refused; /status lists the open notices."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.build import renderer as build_renderer
from dialogs.flow import DialogConfig
from features.interviews.ports import InterviewPress
from features.interviews.service import NOTICE_RULE, RULES, start_term
from reminders.runner import ReminderRunner
from storage.models import Citizen, InterviewNotice, Reminder, StaffAlert
from tests.dialogs.test_engine_nlu import ScriptedRecognizer, rasa
from tests.support.db_chat import REGIONS, DbChat, quiet_hours
from tests.support.reminders import RecordingNotifier
from tests.support.staff import staff_token
from tests.support.wiring import staff_app

NOTICE = {
    "kind": "referral",
    "referral_number": "63-0042",
    "employer": "ООО «Волга»",
    "vacancy": "Кладовщик",
    "address": "г. Самара, ул. Заводская, 5",
    "directions": "Автобус 41 до остановки «Завод»",
    "contact_name": "Ирина Петровна",
    "contact_phone": "+7 846 200-00-00",
}


@dataclass
class World:
    chat: DbChat
    api: httpx.AsyncClient
    sessions: async_sessionmaker[AsyncSession]
    notifier: RecordingNotifier
    runner: ReminderRunner
    citizen_id: int

    async def send(self, **changes: Any) -> httpx.Response:
        body = {"citizen_id": self.citizen_id, **NOTICE, **changes}
        return await self.api.post("/interviews", json=body)

    async def notice(self, notice_id: int) -> InterviewNotice:
        async with self.sessions() as session:
            return await session.get_one(InterviewNotice, notice_id)

    async def alerts(self) -> list[str]:
        async with self.sessions() as session:
            open_alerts = select(StaffAlert.kind).where(StaffAlert.resolved_at.is_(None))
            return sorted(await session.scalars(open_alerts))


@pytest.fixture
async def world(
    sessions: async_sessionmaker[AsyncSession], dialog_config: DialogConfig
) -> AsyncIterator[World]:
    chat = DbChat(sessions, dialog_config)  # Monday 23.11.2026, 13:00 in Samara
    await chat.start()
    async with sessions() as session:
        citizen_id = (await session.scalars(select(Citizen.id))).one()
    runner = ReminderRunner(
        sessions,
        notifier := RecordingNotifier(),
        REGIONS,
        quiet_hours(),
        now=chat.clock,
        on_sent={NOTICE_RULE: partial(start_term, regions=REGIONS, quiet=quiet_hours())},
        rules=RULES,
    )
    app = staff_app(sessions, REGIONS, quiet_hours(), clock=chat.clock)
    token = await staff_token(sessions)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://staff",
        headers={"Authorization": f"Bearer {token}"},
    ) as api:
        yield World(chat, api, sessions, notifier, runner, citizen_id)


async def test_a_third_open_notice_is_refused_and_each_term_runs_from_delivery(
    world: World,
) -> None:
    first = await world.send()
    assert first.status_code == 201, first.text
    assert first.json()["received_at"] is None  # not yet taken by Telegram
    second = await world.send(kind="notification", referral_number=None, employer="АО «Кама»")
    assert second.status_code == 201, second.text
    third = await world.send(employer="ООО «Третий»")
    assert third.status_code == 409
    assert "001 ¶3.9.4" in third.json()["detail"]
    assert await world.runner.deliver_due() == 2
    [(_chat, template, context), _other] = world.notifier.sent
    assert template == "reminders.interview_notice_sent"
    text = build_renderer(strict=True).text(template, context)
    assert "Направление на работу № 63-0042" in text
    assert "Автобус 41" in text
    # Delivered Monday 23.11: three working days, the last on Thursday 26.11 (001 ¶3.10.2).
    assert "за 3 рабочих дня — до 26.11.2026 включительно" in text
    assert [action["label"] for action in context["actions"]] == [
        "buttons.interview_agree",
        "buttons.interview_unreachable",
        "buttons.interview_decline",
        "buttons.interview_prepare",
        "buttons.interview_report",
    ]
    notice = await world.notice(first.json()["id"])
    assert notice.report_due_on == date(2026, 11, 26)
    detail = (await world.api.get(f"/interviews/{notice.id}")).json()
    assert [event["action"] for event in detail["history"]] == [
        "interview:sent",
        "interview:received",
    ]


async def test_a_notice_set_late_at_night_waits_for_the_morning_and_counts_from_there(
    world: World,
) -> None:
    # Wednesday 30.12.2026, 23:00 in Samara: quiet hours until 09:00 of the 31st, a day off
    # like 1-10.01; the term runs from delivery (001 ¶3.10.2).
    world.chat.clock.now = datetime(2026, 12, 30, 19, tzinfo=UTC)
    created = await world.send()
    assert created.status_code == 201
    await world.runner.deliver_due()
    assert world.notifier.sent == []  # quiet hours: held for the morning
    assert (await world.notice(created.json()["id"])).received_at is None
    world.chat.clock.now = datetime(2026, 12, 31, 5, 5, tzinfo=UTC)  # 09:05 in Samara
    await world.runner.deliver_due()
    [(_chat, template, context)] = world.notifier.sent
    # The message says the same last day the term counts from its delivery.
    assert "до 14.01.2027 включительно" in build_renderer(strict=True).text(template, context)
    notice = await world.notice(created.json()["id"])
    assert notice.received_at is not None
    # Delivered on a day off: counted from the next working day, 11.01 (001 ¶2.10.2).
    assert notice.report_due_on == date(2027, 1, 14)
    async with world.sessions() as session:
        reminders = list(
            await session.scalars(
                select(Reminder.deadline_on).where(Reminder.rule == "interview_result")
            )
        )
    assert set(reminders) == {date(2027, 1, 14)}


async def test_the_citizen_agrees_a_meeting_in_words_and_is_reminded(world: World) -> None:
    created = await world.send()
    notice_id = created.json()["id"]
    await world.runner.deliver_due()
    chat = world.chat
    await chat.send(payload=InterviewPress(notice_id, "agree").pack())
    assert chat.prompt == "interview.ask_time"
    await chat.send("как-нибудь потом")
    assert chat.templates()[0] == "interview.invalid_time"
    await chat.send("в пятницу в 10")
    assert chat.templates() == ["interview.agreed"]
    assert (chat.last[0].context["day"], chat.last[0].context["at"]) == (
        date(2026, 11, 27),
        "10:00",
    )
    notice = await world.notice(notice_id)
    assert notice.state == "agreed"
    assert notice.meeting_at == datetime(2026, 11, 27, 6, tzinfo=UTC)  # 10:00 in Samara
    async with world.sessions() as session:
        meeting = list(
            await session.scalars(
                select(Reminder.due_at)
                .where(Reminder.rule == "interview_meeting")
                .order_by(Reminder.due_at)
            )
        )
    # The day before at 12:00 local time; two hours before is 08:00, in the quiet hours, so
    # it goes at 09:00.
    assert meeting == [
        datetime(2026, 11, 26, 8, tzinfo=UTC),
        datetime(2026, 11, 27, 5, tzinfo=UTC),
    ]
    # They fire then: at 12:00 the day before, and at 09:00 on the day.
    world.notifier.sent.clear()
    renderer = build_renderer(strict=True)
    for moment, words in (
        (meeting[0], "Завтра встреча с работодателем</b>: 27.11.2026 в 10:00"),
        (meeting[1], "Скоро встреча с работодателем</b>: сегодня в 10:00"),
    ):
        chat.clock.now = moment
        await world.runner.deliver_due()
        [(_chat, template, context)] = [m for m in world.notifier.sent if "meeting" in m[1]]
        assert words in renderer.text(template, context)
        world.notifier.sent.clear()
    chat.clock.now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    await chat.send("/status")
    status = [reply for reply in chat.last if reply.template == "interview.status"]
    assert status[0].context["notices"][0]["at"] == "10:00"


async def test_declining_warns_first_then_takes_the_reason_and_tells_staff(
    world: World,
) -> None:
    notice_id = (await world.send()).json()["id"]
    chat = world.chat
    await chat.send(payload=InterviewPress(notice_id, "decline").pack())
    assert chat.templates() == ["interview.decline_warning"]
    assert (await world.notice(notice_id)).state == "sent"  # the warning changes nothing
    text = build_renderer(strict=True).reply(chat.last[0]).text
    assert "последствиям" in text
    await chat.press("buttons.interview_decline_sure")
    assert chat.prompt == "interview.ask_reason"
    await chat.send("ну")
    assert chat.templates()[0] == "interview.invalid_too_short"
    await chat.send("Далеко ездить, два часа в одну сторону")
    assert chat.templates() == ["interview.declined"]
    notice = await world.notice(notice_id)
    assert (notice.state, notice.reason) == ("declined", "Далеко ездить, два часа в одну сторону")
    assert await world.alerts() == ["interview_declined"]
    await chat.send(payload=InterviewPress(notice_id, "agree").pack())  # closed now
    assert chat.templates()[0] == "common.button_expired"


async def test_unreachable_and_preparation_reach_staff(world: World) -> None:
    notice_id = (await world.send()).json()["id"]
    chat = world.chat
    await chat.send(payload=InterviewPress(notice_id, "unreachable").pack())
    assert chat.templates() == ["interview.unreachable"]
    await chat.send(payload=InterviewPress(notice_id, "prepare").pack())
    assert chat.templates() == ["interview.preparation"]
    await chat.press("buttons.interview_prep_request")
    assert chat.templates() == ["interview.preparation_asked"]
    assert await world.alerts() == ["interview_preparation", "interview_unreachable"]
    assert (await world.notice(notice_id)).state == "unreachable"


async def test_another_citizen_cannot_answer_the_notice_with_a_forged_button(
    world: World, sessions: async_sessionmaker[AsyncSession], dialog_config: DialogConfig
) -> None:
    notice_id = (await world.send()).json()["id"]
    stranger = DbChat(sessions, dialog_config, clock=world.chat.clock, external_id="5002")
    await stranger.start()
    for action in ("agree", "decline_sure", "unreachable", "drop"):
        await stranger.send(payload=InterviewPress(notice_id, action).pack())
        assert stranger.templates()[0] == "common.button_expired"
    assert (await world.notice(notice_id)).state == "sent"
    assert await world.alerts() == []


async def test_the_result_is_reported_with_the_referral_photo(world: World) -> None:
    notice_id = (await world.send()).json()["id"]
    await world.runner.deliver_due()
    chat = world.chat
    await chat.send(payload=InterviewPress(notice_id, "report").pack())
    assert chat.prompt == "interview.ask_outcome"
    await chat.send("5")  # not one of the four
    assert chat.templates()[0] == "interview.pick_answer"
    await chat.press("buttons.interview_outcome", outcome="hired")
    assert chat.prompt == "interview.ask_hired_on"
    await chat.send("когда-нибудь")
    assert chat.templates()[0] == "interview.invalid_day"
    await chat.send("с 01.12")  # next Tuesday, typed as a day and month
    assert chat.prompt == "interview.ask_evidence"
    await chat.send(attachment="voice", file_id="v1")
    assert chat.templates()[0] == "interview.invalid_file"
    await chat.send(attachment="photo", file_id="referral-photo")
    assert chat.templates() == ["interview.reported"]
    assert chat.last[0].context["hired_on"] == date(2026, 12, 1)
    notice = await world.notice(notice_id)
    assert (notice.state, notice.hired_on) == ("hired", date(2026, 12, 1))
    assert notice.evidence == {
        "kind": "photo",
        "file_id": "referral-photo",
        "name": None,
        "mime_type": None,
    }
    assert await world.alerts() == ["interview_result"]
    async with world.sessions() as session:
        pending = list(
            await session.scalars(
                select(Reminder.rule).where(
                    Reminder.key == f"interview:{notice_id}", Reminder.status == "pending"
                )
            )
        )
    assert pending == []  # the reporting term's reminders stop
    detail = (await world.api.get(f"/interviews/{notice_id}")).json()
    assert detail["evidence"]["file_id"] == "referral-photo"
    assert detail["history"][-1]["action"] == "interview:reported"


async def test_a_refusal_by_the_employer_asks_staff_for_a_new_list(world: World) -> None:
    notice_id = (await world.send()).json()["id"]
    chat = world.chat
    await chat.send(payload=InterviewPress(notice_id, "report").pack())
    await chat.press("buttons.interview_outcome", outcome="employer_refused")
    await chat.press("buttons.interview_no_reason")
    await chat.press("buttons.interview_no_file")
    assert chat.templates() == ["interview.reported"]
    text = build_renderer(strict=True).reply(chat.last[0]).text
    assert "подберёт новый перечень" in text
    assert (await world.notice(notice_id)).state == "employer_refused"
    assert await world.alerts() == ["interview_new_list"]


async def test_a_meeting_day_is_pressed_and_its_time_typed(world: World) -> None:
    notice_id = (await world.send()).json()["id"]
    chat = world.chat  # Monday 23.11.2026
    await chat.send(payload=InterviewPress(notice_id, "agree").pack())
    days = [button.context["day"] for button in chat.offered() if button.context.get("day")]
    # The next six days without Sunday 29.11.
    assert days == [date(2026, 11, day) for day in (24, 25, 26, 27, 28, 30)]
    await chat.press("buttons.interview_day", day=date(2026, 11, 25))
    assert chat.prompt == "interview.ask_clock"
    await chat.send("в обед")
    assert chat.templates()[0] == "interview.invalid_clock"
    await chat.send("14.30")
    assert chat.templates() == ["interview.agreed"]
    notice = await world.notice(notice_id)
    assert notice.meeting_at == datetime(2026, 11, 25, 10, 30, tzinfo=UTC)  # 14:30 in Samara


async def test_another_time_asked_in_words_reaches_staff_who_set_it(world: World) -> None:
    notice_id = (await world.send()).json()["id"]
    chat = world.chat
    await chat.send(payload=InterviewPress(notice_id, "agree").pack())
    await chat.send("в среду в 10")
    await chat.send(payload=InterviewPress(notice_id, "move").pack())
    assert chat.prompt == "interview.ask_move"
    await chat.send("на пятницу в 11")
    assert chat.templates() == ["interview.move_sent"]
    notice = await world.notice(notice_id)
    assert (notice.state, notice.proposed_text) == ("move_requested", "на пятницу в 11")
    assert notice.proposed_at == datetime(2026, 11, 27, 7, tzinfo=UTC)
    assert await world.alerts() == ["interview_move_requested"]
    moved = await world.api.post(
        f"/interviews/{notice_id}/transitions",
        json={"to": "meeting", "meeting_at": "2026-11-27T11:00:00+04:00"},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["state"] == "agreed"
    assert await world.alerts() == []  # the request is answered
    async with world.sessions() as session:
        pending = list(
            await session.scalars(
                select(Reminder)
                .where(Reminder.key == f"interview:{notice_id}", Reminder.status == "pending")
                .where(Reminder.rule.in_(("interview_meeting", "interview_update")))
                .order_by(Reminder.due_at)
            )
        )
    update = [r for r in pending if r.rule == "interview_update"]
    assert update[0].context["change"] == "meeting"
    assert "27.11.2026 в 11:00" in build_renderer(strict=True).text(
        "reminders.interview_update",
        {**update[0].context, "before": 0, "deadline": date(2026, 11, 23), "late": False},
    )
    # The meeting's reminders moved: the day before at 12:00, two hours before (09:00).
    assert [r.due_at for r in pending if r.rule == "interview_meeting"] == [
        datetime(2026, 11, 26, 8, tzinfo=UTC),
        datetime(2026, 11, 27, 5, tzinfo=UTC),
    ]
    past = await world.api.post(
        f"/interviews/{notice_id}/transitions",
        json={"to": "meeting", "meeting_at": "2026-11-20T11:00:00+04:00"},
    )
    assert past.status_code == 409


async def test_staff_record_the_employer_s_refusal_and_the_citizen_hears_what_follows(
    world: World,
) -> None:
    notice_id = (await world.send()).json()["id"]
    recorded = await world.api.post(
        f"/interviews/{notice_id}/transitions",
        json={"to": "employer_refused", "reason": "Нужен опыт от 3 лет"},
    )
    assert recorded.status_code == 200, recorded.text
    assert (recorded.json()["state"], recorded.json()["reason"]) == (
        "employer_refused",
        "Нужен опыт от 3 лет",
    )
    assert await world.alerts() == ["interview_new_list"]
    again = await world.api.post(f"/interviews/{notice_id}/transitions", json={"to": "hired"})
    assert again.status_code == 409  # closed


async def test_words_reach_the_only_notice_or_ask_which_of_two(
    world: World, sessions: async_sessionmaker[AsyncSession], dialog_config: DialogConfig
) -> None:
    recognizer = ScriptedRecognizer()
    chat = DbChat(sessions, dialog_config, clock=world.chat.clock, recognizer=recognizer)
    first = (await world.send()).json()["id"]
    said = "подтверждаю собеседование завтра в 10"
    recognizer.answers[said] = rasa("confirm_interview", 0.95)
    await chat.send(said)
    assert chat.templates() == ["interview.agreed"]
    notice = await world.notice(first)
    assert notice.meeting_at == datetime(2026, 11, 24, 6, tzinfo=UTC)  # 10:00 in Samara
    assert notice.proposed_text == said

    second = (await world.send(employer="АО «Кама»")).json()["id"]
    recognizer.answers["я не пойду на собеседование"] = rasa("decline_interview", 0.95)
    await chat.send("я не пойду на собеседование")
    assert chat.templates() == ["interview.which"]
    assert [b.context.get("employer") for b in chat.offered()][:2] == ["ООО «Волга»", "АО «Кама»"]
    await chat.press("buttons.interview_pick", employer="АО «Кама»")
    assert chat.templates() == ["interview.decline_warning"]
    assert chat.last[0].context["employer"] == "АО «Кама»"
    assert (await world.notice(second)).state == "sent"


async def test_the_term_counts_a_transferred_working_saturday(world: World) -> None:
    # Delivered Thursday 18.02.2027 at 10:00 in Samara: Friday 19 and the working Saturday 20
    # count; 21-23 are off (the 23rd a holiday, the 22nd its transferred day off); Wednesday
    # 24 is the third working day.
    world.chat.clock.now = datetime(2027, 2, 18, 6, tzinfo=UTC)
    created = await world.send()
    await world.runner.deliver_due()
    assert (await world.notice(created.json()["id"])).report_due_on == date(2027, 2, 24)


async def test_a_meeting_already_agreed_is_in_the_notice_and_reminded(world: World) -> None:
    created = await world.send(meeting_at="2026-11-25T10:00:00+04:00")
    assert created.status_code == 201, created.text
    assert created.json()["state"] == "agreed"
    await world.runner.deliver_due()
    [(_chat, template, context)] = world.notifier.sent
    assert "Встреча уже согласована:</b> 25.11.2026 в 10:00" in build_renderer(strict=True).text(
        template, context
    )
    async with world.sessions() as session:
        meeting = list(
            await session.scalars(
                select(Reminder.due_at).where(Reminder.rule == "interview_meeting")
            )
        )
    assert len(meeting) == 2
    past = await world.send(employer="АО «Кама»", meeting_at="2026-11-20T10:00:00+04:00")
    assert past.status_code == 409
