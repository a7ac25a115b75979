"""From a rule and an event to a deadline and the moments to remind: pure arithmetic on a
region's calendar and time zone, no storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kernel.calendar import WorkingCalendar
from kernel.deadlines import add, step
from reminders.rules import Offset, Rule

# Watchdog items stay until staff resolve them; they do not expire like a citizen's reminder.
STAFF_ITEM_LIFETIME = timedelta(days=3650)


@dataclass(frozen=True)
class QuietHours:
    """No message to a citizen from `start` to `end` local time (default 21:00-09:00);
    equal ends switch quiet hours off."""

    start: time = time(21, 0)
    end: time = time(9, 0)

    def contains(self, moment: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def next_allowed(self, local: datetime) -> datetime:
        """`local` itself outside quiet hours, else the end of the quiet period it falls in."""
        if not self.contains(local.timetz().replace(tzinfo=None)):
            return local
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        return end if end > local else end + timedelta(days=1)


@dataclass(frozen=True)
class Deadline:
    rule: str
    last_day: date  # the last day of the term, in the region's calendar
    ends_at: datetime  # midnight after the last day, region time, as UTC


@dataclass(frozen=True)
class Planned:
    audience: str  # citizen | staff
    before: int
    due_at: datetime  # UTC
    expires_at: datetime  # UTC


def deadline(
    rule: Rule, event_at: datetime, zone: ZoneInfo, calendar: WorkingCalendar
) -> Deadline:
    last_day = add(event_at.astimezone(zone).date(), rule.amount, rule.unit, calendar)
    ends_at = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone)
    return Deadline(rule.id, last_day, ends_at.astimezone(UTC))


def plan(
    rule: Rule,
    event_at: datetime,
    zone: ZoneInfo,
    calendar: WorkingCalendar,
    quiet: QuietHours,
) -> tuple[Deadline, list[Planned]]:
    """The deadline of `rule` for an event at `event_at`, and when to remind whom. A moment
    that is not after the event is dropped (a term too short for "1 day before")."""
    term = deadline(rule, event_at, zone, calendar)
    planned: list[Planned] = []
    for audience, offsets in (("citizen", rule.remind), ("staff", rule.watch)):
        for offset in offsets:
            local = _moment(term.last_day, offset, rule, zone, calendar)
            if audience == "citizen":
                local = quiet.next_allowed(local)
                lifetime = timedelta(hours=rule.grace_hours)
            else:
                lifetime = STAFF_ITEM_LIFETIME
            due_at = local.astimezone(UTC)
            if due_at > event_at:
                planned.append(Planned(audience, offset.before, due_at, due_at + lifetime))
    return term, planned


def _moment(
    last_day: date, offset: Offset, rule: Rule, zone: ZoneInfo, calendar: WorkingCalendar
) -> datetime:
    day = step(last_day, offset.before, rule.unit, calendar)
    return datetime.combine(day, offset.at, tzinfo=zone)


def plan_before(
    rule: Rule, moment: datetime, now: datetime, zone: ZoneInfo, quiet: QuietHours
) -> list[Planned]:
    """When to remind the citizen of a moment (a visit): `remind` offsets are calendar days
    before its day at their local time, `hours_before` hours before it. A reminder that quiet
    hours push to the moment or past it, or that is already past, is dropped; each expires at
    the moment at the latest."""
    local = moment.astimezone(zone)
    wanted = [
        (
            offset.before,
            datetime.combine(local.date() - timedelta(days=offset.before), offset.at, tzinfo=zone),
        )
        for offset in rule.remind
    ]
    wanted += [(0, local - timedelta(hours=hours)) for hours in rule.hours_before]
    planned: list[Planned] = []
    for before, at in wanted:
        due_at = quiet.next_allowed(at).astimezone(UTC)
        if now < due_at < moment:
            expires_at = min(due_at + timedelta(hours=rule.grace_hours), moment)
            planned.append(Planned("citizen", before, due_at, expires_at))
    return planned
