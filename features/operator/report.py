"""The contact centre's weekly report (003 p.34(ж)): conversations and how many the bot
resolved, the queue (waiting p50/p90, abandoned), handling time, ratings by operator, written
questions answered in 3 working days (003 p.36), complaints by state, reminders, and the share
of free text the bot did not understand. Scoped to the reader's regions; exported as CSV and
XLSX."""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from openpyxl import Workbook
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.staff import Actor
from reminders.store import REPLY
from storage.models import Citizen, Complaint, Handover, Question, Reminder, TurnCount

DAYS = 7
T = TypeVar("T")
COMPLAINT_STATES = {
    "registered": "зарегистрирована",
    "in_review": "на рассмотрении",
    "upheld": "удовлетворена",
    "rejected": "отказано",
    "left_without_answer": "оставлена без ответа",
}
REMINDER_STATES = {
    "sent": "отправлено",
    "expired": "истекло неотправленным",
    "failed": "не доставлено",
}


@dataclass
class OperatorLine:
    name: str
    handled: int = 0
    ratings: list[int] = field(default_factory=list)
    minutes: list[float] = field(default_factory=list)

    @property
    def rating(self) -> float | None:
        return statistics.fmean(self.ratings) if self.ratings else None

    @property
    def median_minutes(self) -> float | None:
        return statistics.median(self.minutes) if self.minutes else None


@dataclass
class Report:
    start: date
    end: date  # exclusive
    conversations: int = 0
    handed_over: int = 0
    by_day: list[tuple[date, int, int]] = field(default_factory=list)  # day, all, handed
    wait_p50: float | None = None
    wait_p90: float | None = None
    abandoned: int = 0
    handle_p50: float | None = None
    handle_p90: float | None = None
    operators: list[OperatorLine] = field(default_factory=list)
    questions: int = 0
    questions_in_time: int = 0
    questions_late_or_open: int = 0
    complaints: dict[str, int] = field(default_factory=dict)
    complaints_overdue: int = 0
    reminders: dict[str, int] = field(default_factory=dict)
    free_text: int = 0
    not_understood: int = 0

    @property
    def resolved_by_bot(self) -> int:
        return max(0, self.conversations - self.handed_over)

    @property
    def not_understood_share(self) -> float | None:
        return self.not_understood / self.free_text if self.free_text else None

    def rows(self) -> list[tuple[str, str, Any]]:
        """The report as (section, measure, value) rows, for the exports."""
        rows: list[tuple[str, str, Any]] = [
            ("Период", "с", self.start.isoformat()),
            ("Период", "по", (self.end - timedelta(days=1)).isoformat()),
            ("Разговоры", "Всего (гражданин за день)", self.conversations),
            ("Разговоры", "Решено ботом", self.resolved_by_bot),
            ("Разговоры", "Передано оператору", self.handed_over),
            ("Очередь", "Ожидание p50, мин", _round(self.wait_p50)),
            ("Очередь", "Ожидание p90, мин", _round(self.wait_p90)),
            ("Очередь", "Ушли из очереди", self.abandoned),
            ("Операторы", "Время разговора p50, мин", _round(self.handle_p50)),
            ("Операторы", "Время разговора p90, мин", _round(self.handle_p90)),
        ]
        for line in self.operators:
            rows.append(("Оператор " + line.name, "Разговоров", line.handled))
            rows.append(("Оператор " + line.name, "Средняя оценка", _round(line.rating)))
        rows += [
            ("Письменные вопросы", "Задано", self.questions),
            ("Письменные вопросы", "Отвечено в срок (3 раб. дня)", self.questions_in_time),
            ("Письменные вопросы", "С опозданием или без ответа", self.questions_late_or_open),
        ]
        rows += [("Жалобы", COMPLAINT_STATES.get(s, s), n) for s, n in self.complaints.items()]
        rows.append(("Жалобы", "Просрочено", self.complaints_overdue))
        rows += [("Напоминания", REMINDER_STATES.get(s, s), n) for s, n in self.reminders.items()]
        rows += [
            ("Понимание", "Сообщений свободным текстом", self.free_text),
            ("Понимание", "Не понято", self.not_understood),
            ("Понимание", "Доля не понятых, %", _round(_percent(self.not_understood_share))),
        ]
        return rows


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _percent(share: float | None) -> float | None:
    return None if share is None else share * 100


def percentile(values: Iterable[float], share: float) -> float | None:
    """The nearest-rank percentile (p50, p90) of `values`; None when there are none."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, -(-int(share * 100) * len(ordered) // 100))
    return ordered[min(rank, len(ordered)) - 1]


def _scoped(query: Select[Any], column: Any, staff: Actor) -> Select[Any]:
    scope = staff.region_scope
    return query if scope is None else query.where(column.in_(scope))


async def _between(
    db: AsyncSession,
    staff: Actor,
    model: type[T],
    *,
    when: Any,
    region: Any,
    window: tuple[Any, Any],
) -> list[T]:
    """Rows of `model` with `when` in [start, end) and `region` among the reader's regions."""
    start, end = window
    query = _scoped(select(model).where(when >= start, when < end), region, staff)
    return list((await db.execute(query)).scalars())


async def weekly(db: AsyncSession, staff: Actor, start: date, today: date) -> Report:
    end = start + timedelta(days=DAYS)
    since = datetime.combine(start, time(), UTC)
    until = datetime.combine(end, time(), UTC)
    report = Report(start, end)

    turns = await _between(
        db, staff, TurnCount, when=TurnCount.day, region=TurnCount.region_code, window=(start, end)
    )
    per_day: Counter[date] = Counter()
    for turn in turns:
        per_day[turn.day] += 1
        report.free_text += turn.free_text
        report.not_understood += turn.not_understood

    window = (since, until)
    handovers = await _between(
        db, staff, Handover, when=Handover.requested_at, region=Handover.region_code, window=window
    )
    handed: Counter[date] = Counter()
    for day, _citizen in {(h.requested_at.date(), h.citizen_id) for h in handovers}:
        handed[day] += 1
    report.by_day = [
        (
            start + timedelta(days=n),
            per_day[start + timedelta(days=n)],
            handed[start + timedelta(days=n)],
        )
        for n in range(DAYS)
    ]
    report.conversations = sum(per_day.values())
    report.handed_over = sum(handed.values())
    _queue(report, handovers)
    await _questions(db, report, staff, window, today)
    await _complaints(db, report, staff, today)
    await _reminders(db, report, staff, since, until)
    return report


def _queue(report: Report, handovers: list[Handover]) -> None:
    waits = [
        (h.claimed_at - h.requested_at).total_seconds() / 60
        for h in handovers
        if h.claimed_at is not None
    ]
    report.wait_p50, report.wait_p90 = percentile(waits, 0.5), percentile(waits, 0.9)
    report.abandoned = sum(1 for h in handovers if h.resolution == "left_queue")
    lines: dict[str, OperatorLine] = defaultdict(lambda: OperatorLine(""))
    spans = []
    for handover in handovers:
        if handover.claimed_by is None or handover.claimed_at is None:
            continue
        line = lines[handover.claimed_by]
        line.name = handover.claimed_by
        line.handled += 1
        if handover.rating is not None:
            line.ratings.append(handover.rating)
        if handover.closed_at is not None:
            minutes = (handover.closed_at - handover.claimed_at).total_seconds() / 60
            line.minutes.append(minutes)
            spans.append(minutes)
    report.handle_p50, report.handle_p90 = percentile(spans, 0.5), percentile(spans, 0.9)
    report.operators = sorted(lines.values(), key=lambda line: line.name)


async def _questions(
    db: AsyncSession,
    report: Report,
    staff: Actor,
    window: tuple[datetime, datetime],
    today: date,
) -> None:
    questions = await _between(
        db, staff, Question, when=Question.asked_at, region=Question.region_code, window=window
    )
    for question in questions:
        report.questions += 1
        answered = question.answered_at
        if answered is not None and answered.date() <= question.due_on:
            report.questions_in_time += 1
        elif answered is not None or question.due_on < today:
            report.questions_late_or_open += 1


async def _complaints(db: AsyncSession, report: Report, staff: Actor, today: date) -> None:
    complaints = (
        await db.execute(_scoped(select(Complaint), Complaint.region_code, staff))
    ).scalars()
    states: Counter[str] = Counter()
    for complaint in complaints:
        states[complaint.state] += 1
        if complaint.state in ("registered", "in_review") and complaint.due_on < today:
            report.complaints_overdue += 1
    report.complaints = dict(sorted(states.items()))


async def _reminders(
    db: AsyncSession, report: Report, staff: Actor, since: datetime, until: datetime
) -> None:
    rows = await db.execute(
        _scoped(
            select(Reminder.status)
            .join(Citizen, Citizen.id == Reminder.citizen_id)
            .where(
                Reminder.status.in_(tuple(REMINDER_STATES)),
                Reminder.audience != REPLY,  # the bot's answers are not reminders
                Reminder.due_at >= since,
                Reminder.due_at < until,
            ),
            Citizen.region_code,
            staff,
        )
    )
    counted = Counter(status for (status,) in rows.all())
    report.reminders = {status: counted[status] for status in REMINDER_STATES}


def as_csv(report: Report) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Раздел", "Показатель", "Значение"])
    for section, measure, value in report.rows():
        writer.writerow([section, measure, "" if value is None else value])
    return ("\ufeff" + out.getvalue()).encode()  # the BOM makes Excel read UTF-8


def as_xlsx(report: Report) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Отчёт"
    sheet.append(["Раздел", "Показатель", "Значение"])
    for row in report.rows():
        sheet.append(list(row))
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 36
    days = book.create_sheet("По дням")
    days.append(["День", "Разговоры", "Передано оператору"])
    for day, total, handed in report.by_day:
        days.append([day, total, handed])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
