"""Consultation slots citizens book themselves: the schedule of 000 p.9 on the production
calendar (a shortened pre-holiday day, a transferred working Saturday), booking, the one
booking at a time, moving and cancelling in the chat on a real database, a slot taken a moment
earlier, forged buttons, and the race for the last seat on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialogs.flow import DialogConfig
from features.appointments.bookings import SlotTakenError, SqlBookings
from features.appointments.ports import BookPress
from features.appointments.slots import day_slots
from kernel.calendar import WorkingCalendar
from kernel.settings import AppointmentSettings
from storage.models import Booking, Citizen, Reminder
from tests.support.db_chat import REGIONS, Clock, DbChat, quiet_hours

SAMARA = ZoneInfo("Europe/Samara")
federal = WorkingCalendar()


def local_times(day: date) -> list[time]:
    return [slot.timetz().replace(tzinfo=None) for slot in day_slots(day, federal, SAMARA, 30)]


@pytest.mark.parametrize(
    ("day", "first", "last", "count"),
    [
        (date(2026, 11, 23), time(9), time(17, 30), 18),  # Monday: 09:00-18:00
        (date(2026, 11, 27), time(9), time(16), 15),  # Friday: until 16:45
        (date(2026, 11, 3), time(9), time(16, 30), 16),  # before Unity Day: an hour shorter
        (date(2027, 2, 20), time(9), time(17, 30), 18),  # a transferred working Saturday
    ],
)
def test_the_day_s_slots_follow_the_visiting_hours(
    day: date, first: time, last: time, count: int
) -> None:
    times = local_times(day)
    assert (times[0], times[-1], len(times)) == (first, last, count)


@pytest.mark.parametrize("day", [date(2026, 11, 4), date(2026, 11, 28), date(2026, 12, 31)])
def test_no_slots_on_days_off(day: date) -> None:
    assert local_times(day) == []  # Unity Day, a Saturday, a transferred day off


@pytest.fixture
async def chat(sessions: async_sessionmaker[AsyncSession], dialog_config: DialogConfig) -> DbChat:
    # Sunday 22.11.2026, 13:00 in Samara: the nearest slots are on Monday from 09:00.
    chat = DbChat(sessions, dialog_config, clock=Clock(datetime(2026, 11, 22, 9, tzinfo=UTC)))
    await chat.start()
    return chat


async def bookings(sessions: async_sessionmaker[AsyncSession]) -> list[Booking]:
    async with sessions() as session:
        return list(await session.scalars(select(Booking).order_by(Booking.id)))


async def test_a_citizen_books_moves_and_cancels_a_consultation(
    chat: DbChat, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await chat.press("buttons.appointments")
    assert chat.templates() == ["visit.none"]
    await chat.press("buttons.booking_list")
    assert chat.templates() == ["booking.slots"]
    offered = [(b.context["day"], b.context["at"]) for b in chat.offered() if b.context]
    assert offered[:2] == [(date(2026, 11, 23), "09:00"), (date(2026, 11, 23), "09:30")]
    assert len(offered) == 6
    await chat.press("buttons.booking_slot", at="11:30")
    assert chat.templates() == ["booking.booked"]
    [booked] = await bookings(sessions)
    assert (booked.seat, booked.starts_at) == (1, datetime(2026, 11, 23, 7, 30, tzinfo=UTC))
    async with sessions() as session:
        reminders = list(
            await session.scalars(select(Reminder).where(Reminder.key == "booking:1"))
        )
    # The day before at noon has passed; two hours before is 09:30 in Samara.
    assert [(r.before, r.due_at) for r in reminders] == [
        (0, datetime(2026, 11, 23, 5, 30, tzinfo=UTC))
    ]

    # One consultation at a time: asked again, the citizen may move or cancel it.
    await chat.send("/menu")
    await chat.press("buttons.appointments")
    assert chat.templates() == ["visit.list"]
    assert chat.last[0].context["bookings"] == [{"day": date(2026, 11, 23), "at": "11:30"}]
    await chat.press("buttons.booking_move")
    assert chat.last[0].context == {"moving": True}
    await chat.press("buttons.booking_slot", at="10:00")
    assert chat.templates() == ["booking.booked"]
    old, new = await bookings(sessions)
    assert (old.state, old.seat, new.state, new.seat) == ("cancelled", None, "booked", 1)
    await chat.press("buttons.booking_cancel")
    assert chat.templates() == ["booking.cancelled"]
    assert [b.state for b in await bookings(sessions)] == ["cancelled", "cancelled"]
    async with sessions() as session:
        pending = list(await session.scalars(select(Reminder).where(Reminder.status == "pending")))
    assert pending == []


async def test_a_slot_taken_a_moment_earlier_is_told_with_the_next_ones(
    chat: DbChat, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await chat.press("buttons.appointments")
    await chat.press("buttons.booking_list")
    nine = datetime(2026, 11, 23, 5, tzinfo=UTC)
    async with sessions() as session:
        desk = SqlBookings(session, REGIONS, quiet_hours(), AppointmentSettings(seats=2))
        for external_id in ("7001", "7002"):
            other = Citizen(
                channel="telegram", external_id=external_id, chat_id=1, region_code="63"
            )
            session.add(other)
            await session.flush()
            await desk.book(other, nine, chat.clock.now, place="ЦЗН")
        await session.commit()
    await chat.press("buttons.booking_slot", at="09:00")
    assert chat.templates() == ["booking.taken", "booking.slots"]
    assert "09:00" not in [b.context.get("at") for b in chat.offered()]


async def test_forged_booking_buttons_are_expired(
    chat: DbChat, sessions: async_sessionmaker[AsyncSession], dialog_config: DialogConfig
) -> None:
    await chat.press("buttons.appointments")
    await chat.press("buttons.booking_list")
    await chat.press("buttons.booking_slot", at="09:00")
    stranger = DbChat(sessions, dialog_config, clock=chat.clock, external_id="5002")
    await stranger.start()
    for data in (
        BookPress("cancel", 1).pack(),
        BookPress("move", 1).pack(),
        BookPress("take", 0, 12).pack(),  # 1970: not a slot
        "book:take:0:99999999999999999999",
    ):
        await stranger.send(payload=data)
        assert stranger.templates()[0] in ("common.button_expired", "booking.taken"), data
    assert [b.state for b in await bookings(sessions)] == ["booked"]


@pytest.mark.postgres
async def test_two_citizens_pressing_the_last_seat_at_once_get_one_seat_and_one_refusal(
    sessions: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has one writer at a time")
    now = datetime(2026, 11, 22, 9, tzinfo=UTC)
    settings = AppointmentSettings(seats=1)
    async with sessions() as session:
        people = [
            Citizen(
                channel="telegram", external_id=str(8000 + i), chat_id=8000 + i, region_code="63"
            )
            for i in range(2)
        ]
        session.add_all(people)
        await session.commit()
        ids = [person.id for person in people]
        free = await SqlBookings(session, REGIONS, quiet_hours(), settings).free_slots(
            "63", now, 20
        )

    class Racing(SqlBookings):
        """Both citizens see the seat free before either takes it: only the database can
        then keep it for one of them."""

        async def free_slots(self, region_code: str, now: datetime, limit: int) -> list[datetime]:
            found = await super().free_slots(region_code, now, limit)
            await barrier.wait()
            return found

    async def press(citizen_id: int, slot: datetime) -> bool:
        async with sessions() as session:
            citizen = await session.get_one(Citizen, citizen_id)
            desk = Racing(session, REGIONS, quiet_hours(), settings)
            try:
                await desk.book(citizen, slot, now, place="ЦЗН")
            except SlotTakenError:
                return False
            await session.commit()
            return True

    for slot in free:  # 20 runs, each on a slot of its own
        barrier = asyncio.Barrier(2)
        won = await asyncio.gather(press(ids[0], slot), press(ids[1], slot))
        assert sorted(won) == [False, True], slot
    async with sessions() as session:
        seats = list(await session.scalars(select(Booking.starts_at).where(Booking.seat == 1)))
    assert len(seats) == len(set(seats)) == 20
