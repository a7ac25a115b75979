"""The production calendar and deadline arithmetic against the official 2025-2027 calendars."""

from __future__ import annotations

from datetime import date

import pytest

from app.build import renderer as build_renderer
from kernel.calendar import WorkingCalendar
from kernel.deadlines import Unit, add, parse_amount, step
from tests.support.wiring import RULES

WD, CD = Unit.WORKING_DAYS, Unit.CALENDAR_DAYS
federal = WorkingCalendar()

# Working days per month, from the official production calendars (Минтруд).
OFFICIAL_2025 = [17, 20, 21, 22, 18, 19, 23, 21, 22, 23, 19, 22]
OFFICIAL_2026 = [15, 19, 21, 22, 19, 21, 23, 21, 22, 22, 20, 22]


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 1, 9), False),  # transferred from Saturday 3 January
        (date(2026, 12, 31), False),  # transferred from Sunday 4 January
        (date(2025, 11, 1), True),  # a working Saturday
        (date(2025, 11, 3), False),  # ... for this Monday
        (date(2025, 12, 31), False),
        (date(2026, 1, 12), True),
        (date(2026, 3, 9), False),  # 8 March falls on a Sunday
        (date(2026, 11, 23), True),
        (date(2026, 11, 22), False),  # an ordinary Sunday
    ],
)
def test_official_days(day: date, working: bool) -> None:
    assert federal.is_working(day) is working


@pytest.mark.parametrize(("year", "months"), [(2025, OFFICIAL_2025), (2026, OFFICIAL_2026)])
def test_working_days_per_month(year: int, months: list[int]) -> None:
    assert [federal.working_days_in(year, month) for month in range(1, 13)] == months
    assert sum(months) == 247


def test_an_override_makes_a_local_holiday_and_a_working_day() -> None:
    local = WorkingCalendar({date(2026, 6, 15): False, date(2026, 6, 13): True})
    assert not local.is_working(date(2026, 6, 15))
    assert local.is_working(date(2026, 6, 13))
    assert local.working_days_in(2026, 6) == 21  # one off, one on
    assert federal.is_working(date(2026, 6, 15))  # other regions keep the federal day


@pytest.mark.parametrize(
    ("start", "amount", "unit", "last_day"),
    [
        # A complaint registered on 29 December: 15 WD run past the New-Year holidays (001 ¶5.10).
        (date(2026, 12, 29), 15, WD, date(2027, 1, 28)),
        (date(2026, 12, 29), 5, WD, date(2027, 1, 14)),
        # A Saturday event counts from Monday (001 ¶2.10.2, ¶3.4.6).
        (date(2026, 11, 21), 3, WD, date(2026, 11, 26)),
        (date(2026, 11, 21), 2, CD, date(2026, 11, 25)),
        # Same-day registration on a holiday moves to the first working day after.
        (date(2026, 1, 3), 0, WD, date(2026, 1, 12)),
        # A working Saturday is a working day; the Monday after it is not.
        (date(2025, 11, 1), 1, WD, date(2025, 11, 5)),
        # Calendar days run through holidays.
        (date(2025, 12, 30), 2, CD, date(2026, 1, 1)),
        (date(2026, 11, 23), 3, WD, date(2026, 11, 26)),
        (date(2026, 4, 30), 1, WD, date(2026, 5, 4)),
    ],
)
def test_add(start: date, amount: int, unit: Unit, last_day: date) -> None:
    assert add(start, amount, unit, federal) == last_day


def test_add_respects_a_regional_override() -> None:
    local = WorkingCalendar({date(2026, 11, 24): False})
    assert add(date(2026, 11, 23), 3, WD, local) == date(2026, 11, 27)


def test_step_back_and_forward_skips_days_off() -> None:
    assert step(date(2027, 1, 11), 1, WD, federal) == date(2026, 12, 30)
    assert step(date(2026, 12, 30), -1, WD, federal) == date(2027, 1, 11)
    assert step(date(2027, 1, 11), 1, CD, federal) == date(2027, 1, 10)
    assert step(date(2027, 1, 11), 0, WD, federal) == date(2027, 1, 11)


@pytest.mark.parametrize(("text", "parsed"), [("15wd", (15, WD)), (" 2CD ", (2, CD))])
def test_parse_amount(text: str, parsed: tuple[int, Unit]) -> None:
    assert parse_amount(text) == parsed


@pytest.mark.parametrize("text", ["15", "wd", "-1wd", "15 days", ""])
def test_parse_amount_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="15wd"):
        parse_amount(text)


def test_the_catalogue_holds_the_rules_the_flows_need() -> None:
    rules = RULES
    expected = {
        "ranking_claimant": (2, CD, "citizen"),
        "ranking_unemployed": (2, WD, "citizen"),
        "interview_result": (3, WD, "citizen"),
        "complaint_answer": (15, WD, "centre"),
        "complaint_answer_short": (5, WD, "centre"),
        "written_question": (3, WD, "centre"),
        "application_acceptance": (5, WD, "centre"),
        "complaint_remedy": (5, WD, "centre"),
    }
    for rule_id, (amount, unit, actor) in expected.items():
        rule = rules[rule_id]
        assert (rule.amount, rule.unit, rule.actor) == (amount, unit, actor), rule_id
    for rule in rules.values():
        assert rule.paragraph[:3] in {"000", "001", "002", "003", "004"}, rule.id
        if rule.actor == "citizen":
            assert rule.remind, f"{rule.id}: the citizen must act but is never reminded"
        else:
            assert rule.watch, f"{rule.id}: the centre must act but staff never see it"


@pytest.mark.parametrize("rule_id", [r.id for r in RULES.values() if r.remind])
def test_every_citizen_reminder_has_a_russian_text(rule_id: str) -> None:
    renderer = build_renderer(strict=True)
    rule = RULES[rule_id]
    texts = {
        renderer.text(
            rule.template,
            {"deadline": date(2027, 1, 28), "before": o.before, "late": o.before < 0},
        )
        for o in rule.remind
    }
    assert len(texts) == len({o.before for o in rule.remind})  # each moment says its own thing
    for text in texts:
        assert "28.01.2027" in text
        assert any("а" <= ch <= "я" for ch in text.lower())
