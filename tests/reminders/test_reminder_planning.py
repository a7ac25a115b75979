"""When reminders fall: the rule's offsets on the region's calendar, in its time zone, out of
quiet hours, whatever the server's own zone."""

from __future__ import annotations

import time as system_time
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from kernel.calendar import WorkingCalendar
from reminders.planning import QuietHours, plan, plan_before
from reminders.rules import Offset
from tests.support.wiring import RULES

SAMARA = ZoneInfo("Europe/Samara")
federal = WorkingCalendar()


@pytest.fixture
def server_in_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    system_time.tzset()
    yield
    monkeypatch.undo()
    system_time.tzset()


@pytest.mark.usefixtures("server_in_utc")
def test_a_reminder_at_ten_in_samara_is_six_utc() -> None:
    # The list of vacancies arrives on Friday 27 November 2026 at 15:00 in Samara; an
    # unemployed citizen has 2 working days: Monday and Tuesday (001 ¶3.7.2).
    received = datetime(2026, 11, 27, 15, 0, tzinfo=SAMARA)
    term, planned = plan(RULES["ranking_unemployed"], received, SAMARA, federal, QuietHours())
    assert term.last_day == date(2026, 12, 1)
    assert term.ends_at == datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
    assert [(p.audience, p.before, p.due_at) for p in planned] == [
        ("citizen", 1, datetime(2026, 11, 30, 6, 0, tzinfo=UTC)),
        ("citizen", 0, datetime(2026, 12, 1, 6, 0, tzinfo=UTC)),
    ]
    assert planned[0].expires_at - planned[0].due_at == timedelta(hours=8)


def test_calendar_days_run_through_the_weekend() -> None:
    received = datetime(2026, 11, 27, 15, 0, tzinfo=SAMARA)  # Friday
    term, planned = plan(RULES["ranking_claimant"], received, SAMARA, federal, QuietHours())
    assert term.last_day == date(2026, 11, 29)  # Sunday: 2 calendar days (001 ¶3.7.2)
    assert [p.due_at.astimezone(SAMARA).date() for p in planned] == [
        date(2026, 11, 28),
        date(2026, 11, 29),
    ]


def test_a_moment_before_the_event_is_dropped() -> None:
    # "3 days before" a 2-day term would fall before the event itself.
    rule = RULES["ranking_claimant"].model_copy(
        update={"remind": (Offset(before=3, at=time(10)), Offset(before=0, at=time(10)))}
    )
    received = datetime(2026, 11, 23, 15, 0, tzinfo=SAMARA)
    term, planned = plan(rule, received, SAMARA, federal, QuietHours())
    assert term.last_day == date(2026, 11, 25)
    assert [p.before for p in planned] == [0]


def test_quiet_hours_move_a_moment_to_their_end() -> None:
    rule = RULES["interview_result"].model_copy(
        update={"remind": (Offset(before=0, at=time(22, 30)),)}
    )
    received = datetime(2026, 11, 23, 10, 0, tzinfo=SAMARA)
    _, planned = plan(rule, received, SAMARA, federal, QuietHours())
    assert planned[0].due_at.astimezone(SAMARA) == datetime(2026, 11, 27, 9, 0, tzinfo=SAMARA)


def test_staff_items_ignore_quiet_hours_and_do_not_expire() -> None:
    registered = datetime(2026, 12, 29, 10, 0, tzinfo=SAMARA)
    _, planned = plan(RULES["complaint_answer"], registered, SAMARA, federal, QuietHours())
    staff = [p for p in planned if p.audience == "staff"]
    assert [p.before for p in staff] == [2, -1]
    assert all(p.expires_at - p.due_at > timedelta(days=365) for p in staff)


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        (time(20, 59), False),
        (time(21, 0), True),
        (time(0, 0), True),
        (time(8, 59), True),
        (time(9, 0), False),
    ],
)
def test_quiet_hours_span_midnight(moment: time, quiet: bool) -> None:
    assert QuietHours().contains(moment) is quiet


def test_equal_ends_switch_quiet_hours_off() -> None:
    assert not QuietHours(time(0), time(0)).contains(time(3, 0))


def test_next_allowed_after_midnight_is_the_same_morning() -> None:
    night = datetime(2026, 11, 24, 2, 0, tzinfo=SAMARA)
    assert QuietHours().next_allowed(night) == datetime(2026, 11, 24, 9, 0, tzinfo=SAMARA)
    evening = datetime(2026, 11, 23, 23, 0, tzinfo=SAMARA)
    assert QuietHours().next_allowed(evening) == datetime(2026, 11, 24, 9, 0, tzinfo=SAMARA)


def test_a_visit_is_reminded_the_day_before_at_noon_and_two_hours_before() -> None:
    rule = RULES["visit_reminder"]
    visit = datetime(2026, 12, 4, 14, 30, tzinfo=SAMARA)  # Friday
    set_at = datetime(2026, 12, 1, 9, tzinfo=SAMARA)
    planned = plan_before(rule, visit, set_at, SAMARA, QuietHours())
    assert [(p.before, p.due_at.astimezone(SAMARA)) for p in planned] == [
        (1, datetime(2026, 12, 3, 12, 0, tzinfo=SAMARA)),
        (0, datetime(2026, 12, 4, 12, 30, tzinfo=SAMARA)),
    ]
    # A reminder never outlives the visit.
    assert all(p.expires_at <= visit for p in planned)


def test_quiet_hours_move_an_early_reminder_and_drop_one_pushed_to_the_visit() -> None:
    rule = RULES["visit_reminder"]
    set_at = datetime(2026, 12, 1, 9, tzinfo=SAMARA)
    half_past_nine = datetime(2026, 12, 4, 9, 30, tzinfo=SAMARA)
    planned = plan_before(rule, half_past_nine, set_at, SAMARA, QuietHours())
    # 07:30 is quiet: the reminder waits for 09:00, still before the visit.
    assert planned[-1].due_at == datetime(2026, 12, 4, 9, 0, tzinfo=SAMARA)
    nine = datetime(2026, 12, 4, 9, 0, tzinfo=SAMARA)
    assert [p.before for p in plan_before(rule, nine, set_at, SAMARA, QuietHours())] == [1]


def test_a_visit_set_for_the_same_afternoon_gets_only_what_is_still_ahead() -> None:
    rule = RULES["visit_reminder"]
    visit = datetime(2026, 12, 4, 17, 0, tzinfo=SAMARA)
    planned = plan_before(
        rule, visit, datetime(2026, 12, 4, 13, tzinfo=SAMARA), SAMARA, QuietHours()
    )
    assert [(p.before, p.due_at) for p in planned] == [
        (0, datetime(2026, 12, 4, 15, 0, tzinfo=SAMARA))
    ]
    late = plan_before(rule, visit, datetime(2026, 12, 4, 16, tzinfo=SAMARA), SAMARA, QuietHours())
    assert late == []
