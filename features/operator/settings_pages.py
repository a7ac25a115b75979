"""The administrators' page of the data staff own beside the texts: the operators' canned
answers, the crisis lines, each region's operator hours and its calendar corrections (days
off and transferred working days). Every change is kept (a versioned document, or the
calendar's own row) and audited; an earlier version of a document can be brought back."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features.kit import Kit
from features.operator import owned
from features.web import Admin, Session, has_words, now, page
from reminders.store import set_calendar_day
from storage import staff_data
from storage.models import AuditEvent, CalendarDay

CANNED_NAME = re.compile(r"^[a-zа-яё0-9_-]{1,32}$")
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_CANNED = 50
MAX_LINES = 10
DAY_STATES = {"off": False, "working": True, "clear": None}

Text = Annotated[str, Form(max_length=4000)]
Region = Annotated[str, Form(max_length=8)]


class Refused(ValueError):  # noqa: N818 - a refusal shown on the page, not a failure
    pass


def _clean(text: str, what: str, limit: int) -> str:
    text = text.replace("\r\n", "\n").strip()
    if CONTROL.search(text):
        raise Refused(f"{what}: уберите служебные символы")
    if not has_words(text):
        raise Refused(f"{what}: нужен текст со словами")
    if len(text) > limit:
        raise Refused(f"{what}: не длиннее {limit} знаков")
    return text


def _time(value: str, what: str) -> time:
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        raise Refused(f"{what}: время в виде ЧЧ:ММ") from None


def router(kit: Kit) -> APIRouter:
    routes = APIRouter(prefix="/settings")  # inside the operator pages' /desk
    regions = {code: region.name for code, region in kit.settings.regions.items()}
    default_hours = (kit.settings.working_hours.start, kit.settings.working_hours.end)
    default_lines = list(kit.settings.operators.crisis_lines)

    async def show(
        request: Request, db: AsyncSession, status: int = 200, **extra: Any
    ) -> Response:
        today = now(request).date()
        hours = {code: await owned.working_hours(db, code, default_hours) for code in regions}
        days = await db.scalars(
            select(CalendarDay)
            .where(CalendarDay.day >= today - timedelta(days=31))
            .order_by(CalendarDay.region_code, CalendarDay.day)
        )
        names = [owned.CANNED, owned.CRISIS_LINES, *(owned.hours_name(c) for c in regions)]
        context = {
            "canned": await owned.canned_answers(db),
            "lines": await owned.crisis_lines(db, default_lines),
            "hours": hours,
            "regions": regions,
            "days": list(days),
            "history": {name: await staff_data.history(db, name, 10) for name in names},
            "today": today,
            **extra,
        }
        return page(request, "settings.html", context, status)

    async def change(request: Request, db: AsyncSession, work: Any, done: str) -> Response:
        try:
            await work()
        except Refused as exc:
            await db.rollback()
            return await show(request, db, 422, error=str(exc))
        await db.commit()
        return RedirectResponse(f"/desk/settings?done={done}", status_code=303)

    @routes.get("")
    async def settings(request: Request, db: Session, staff: Admin, done: str = "") -> Response:
        return await show(request, db, flash=DONE.get(done))

    _canned_routes(routes, change)

    @routes.post("/crisis")
    async def crisis(request: Request, db: Session, staff: Admin, lines: Text) -> Response:
        async def work() -> None:
            found = [line.strip() for line in lines.splitlines() if line.strip()]
            if not found or len(found) > MAX_LINES:
                raise Refused(f"Нужна хотя бы одна линия помощи и не больше {MAX_LINES}")
            cleaned = [_clean(line, "Линия помощи", 200) for line in found]
            await staff_data.put(db, owned.CRISIS_LINES, cleaned, staff.key)

        return await change(request, db, work, "crisis")

    @routes.post("/hours")
    async def hours(
        request: Request,
        *,
        db: Session,
        staff: Admin,
        region: Region,
        start: Annotated[str, Form(max_length=8)],
        end: Annotated[str, Form(max_length=8)],
    ) -> Response:
        async def work() -> None:
            if region not in regions:
                raise Refused("Такого региона нет")
            opens, closes = _time(start, "Начало"), _time(end, "Конец")
            if opens >= closes:
                raise Refused("Начало рабочего дня должно быть раньше конца")
            value = {"start": opens.isoformat("minutes"), "end": closes.isoformat("minutes")}
            await staff_data.put(db, owned.hours_name(region), value, staff.key)

        return await change(request, db, work, "hours")

    @routes.post("/calendar")
    async def calendar(
        request: Request,
        *,
        db: Session,
        staff: Admin,
        region: Region,
        day: Annotated[date, Form()],
        state: Annotated[str, Form(max_length=8)],
        note: Annotated[str, Form(max_length=200)] = "",
    ) -> Response:
        async def work() -> None:
            if region not in regions or state not in DAY_STATES:
                raise Refused("Выберите регион и что это за день")
            if abs((day - now(request).date()).days) > 2 * 366:
                raise Refused("Дата — не дальше двух лет от сегодняшней")
            await set_calendar_day(
                db, region, day, DAY_STATES[state], changed_by=staff.key, note=note or None
            )
            db.add(
                AuditEvent(
                    actor=staff.key,
                    action="calendar.day",
                    subject=f"region:{region}",
                    details={"day": day.isoformat(), "state": state},
                    note=note or None,
                )
            )

        return await change(request, db, work, "calendar")

    @routes.post("/restore")
    async def restore(
        request: Request,
        db: Session,
        staff: Admin,
        name: Annotated[str, Form(max_length=64)],
        revision: Annotated[int, Form(ge=1, le=2**31 - 1)],
    ) -> Response:
        async def work() -> None:
            if not await staff_data.restore(db, name, revision, staff.key):
                raise HTTPException(404, "Такой версии нет.")

        return await change(request, db, work, "restored")

    return routes


Change = Callable[[Request, AsyncSession, Any, str], Awaitable[Response]]


def _canned_routes(routes: APIRouter, change: Change) -> None:
    @routes.post("/canned")
    async def canned(
        request: Request,
        db: Session,
        staff: Admin,
        name: Annotated[str, Form(max_length=64)],
        text: Text,
    ) -> Response:
        async def work() -> None:
            key = name.strip().lower()
            if not CANNED_NAME.match(key):
                raise Refused("Имя ответа: буквы, цифры, «_» и «-», до 32 знаков, без пробелов")
            answers = await owned.canned_answers(db)
            if key not in answers and len(answers) >= MAX_CANNED:
                raise Refused(f"Не больше {MAX_CANNED} готовых ответов")
            answers[key] = _clean(text, "Текст ответа", 4000)
            await staff_data.put(db, owned.CANNED, answers, staff.key)

        return await change(request, db, work, "canned")

    @routes.post("/canned/delete")
    async def delete_canned(
        request: Request, db: Session, staff: Admin, name: Annotated[str, Form(max_length=64)]
    ) -> Response:
        async def work() -> None:
            answers = await owned.canned_answers(db)
            if answers.pop(name, None) is None:
                raise Refused(f"Ответа {name} нет")
            await staff_data.put(db, owned.CANNED, answers, staff.key)

        return await change(request, db, work, "canned")


DONE = {
    "canned": "Готовые ответы сохранены: операторы видят их сразу.",
    "crisis": "Линии помощи сохранены.",
    "hours": "Часы работы операторов сохранены.",
    "calendar": "Календарь региона изменён; новые сроки считаются по нему.",
    "restored": "Прежняя версия возвращена.",
}
