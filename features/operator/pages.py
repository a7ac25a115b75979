"""The operators' pages of the web desk: the live queue, a conversation (history, reply,
canned answers, notes, transfer, close) and the media the citizen sent.

The desk is a second face of the same handover service as the Telegram group: a claim here is
the same conditional update, a reply is a row of the same outbox, relayed to the citizen by the
bot process; so a page never waits for Telegram.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from pydantic import AfterValidator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features import masking
from features.kit import FileSource, Kit
from features.operator import case, owned, report, settings_pages
from features.operator.service import (
    HELD,
    OPEN_STATES,
    QUEUED,
    HandoverError,
    SqlHandovers,
)
from features.web import (
    MAX_ID,
    IsoDate,
    Member,
    Operator,
    Session,
    Supervisor,
    desk_login,
    in_scope,
    now,
    page,
)
from kernel.staff import Actor, Role
from storage.models import AuditEvent, Citizen, Handover, HandoverMessage, StaffMember

NO_CONVERSATION = "Такого разговора нет, или он вне ваших регионов."
LIVE_SECONDS = 55  # a live stream ends and the browser reconnects: the session is checked again
LIVE_POLL = 1.0
REASONS = {
    "menu": "из меню",
    "command": "командой /operator",
    "intent": "попросил(а) человека",
    "distress": "тревожное сообщение",
}
IMAGES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
HandoverId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _said(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


# What an operator types: something to say, within one Telegram message (4096 characters).
Text = Annotated[str, Form(min_length=1, max_length=4000), AfterValidator(_said)]


@dataclass(frozen=True)
class QueueRow:
    handover: Handover
    citizen_name: str
    region: str
    reason: str
    waiting_minutes: int


def refused(request: Request, exc: Exception) -> Response:
    """A staff action that does not apply (someone else took the conversation): why, in words."""
    return page(request, "error.html", {"status": 409, "detail": f"Не получилось: {exc}."}, 409)


async def _from_web(
    handovers: SqlHandovers,
    handover: Handover,
    member: StaffMember,
    text: str,
    *,
    note: bool,
    at: datetime,
) -> None:
    """A reply (to the citizen) or a note written in the web desk; the conversation's topic
    in the operators' Telegram group, if it has one, shows it too."""
    if note:
        await handovers.note(handover, member, text, at)
    else:
        await handovers.send_text(handover, member, text)
    context = {"operator": member.name, "text": text, "note": note}
    handovers.notify_desk(handover, "operator.desk_from_web", context)


def _handovers(kit: Kit, db: AsyncSession) -> SqlHandovers:
    return SqlHandovers(db, kit.regions, kit.settings.operators)


def _name(citizen: Citizen, staff: Actor) -> str:
    name = citizen.display_name or (f"@{citizen.username}" if citizen.username else None)
    if name is None:
        return f"Гражданин №{citizen.id}"
    return name if staff.sees_personal_data else (masking.display_name(name) or "")


async def queue_rows(
    db: AsyncSession, staff: Actor, at: datetime, regions: dict[str, str]
) -> dict[str, Any]:
    """The open conversations in the member's regions: waiting first (by priority, then
    time), then those operators hold."""
    query = (
        select(Handover, Citizen)
        .join(Citizen, Citizen.id == Handover.citizen_id)
        .where(Handover.state.in_(OPEN_STATES))
        .order_by(Handover.priority.desc(), Handover.requested_at, Handover.id)
        .limit(200)
    )
    if staff.region_scope is not None:
        query = query.where(Handover.region_code.in_(staff.region_scope))
    waiting: list[QueueRow] = []
    held: list[QueueRow] = []
    for handover, citizen in (await db.execute(query)).all():
        row = QueueRow(
            handover,
            _name(citizen, staff),
            regions.get(handover.region_code, handover.region_code),
            REASONS.get(handover.reason, handover.reason),
            max(0, int((at - handover.requested_at).total_seconds() // 60)),
        )
        (waiting if handover.state == QUEUED else held).append(row)
    return {"waiting": waiting, "held": held, "me": staff.name}


async def _operators(db: AsyncSession, handover: Handover) -> list[str]:
    members = await db.scalars(select(StaffMember).where(StaffMember.active))
    return sorted(
        m.name for m in members if Actor.of(m.name, m.role, m.regions).covers(handover.region_code)
    )


async def _open(db: AsyncSession, staff: Actor, handover_id: int) -> tuple[Handover, Citizen]:
    handover = await db.get(Handover, handover_id)
    if handover is None:
        raise HTTPException(404, NO_CONVERSATION)
    in_scope(staff, handover.region_code, NO_CONVERSATION)
    citizen = await db.get(Citizen, handover.citizen_id)
    if citizen is None:
        raise HTTPException(404, NO_CONVERSATION)
    return handover, citizen


async def history(db: AsyncSession, handover: Handover) -> list[HandoverMessage]:
    """What was said in the conversation, both ways, with the operators' notes."""
    rows = await db.scalars(
        select(HandoverMessage)
        .where(
            HandoverMessage.handover_id == handover.id,
            HandoverMessage.direction.in_(("citizen", "operator", "note", "to_citizen")),
        )
        .order_by(HandoverMessage.id)
    )
    return list(rows)


def _live(
    request: Request, render: Callable[[AsyncSession], Any], template: str
) -> StreamingResponse:
    """Server-sent events: the fragment `template` again whenever what it shows changes."""
    sessions = request.app.state.sessions
    pages = request.app.state.pages
    login = desk_login(request)  # the fragments' forms carry its CSRF token

    async def events() -> AsyncIterator[str]:
        last = None
        loop = asyncio.get_running_loop()
        until = loop.time() + LIVE_SECONDS
        while loop.time() < until and not await request.is_disconnected():
            async with sessions() as db:
                context = await render(db)
            if context is None:
                yield "event: gone\ndata: \n\n"
                return
            html = pages.get_template(template).render({**context, "login": login})
            if html != last:
                last = html
                yield "".join(f"data: {line}\n" for line in html.splitlines() or [""]) + "\n"
            await asyncio.sleep(LIVE_POLL)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"X-Accel-Buffering": "no"}
    )


def router(kit: Kit) -> APIRouter:
    routes = APIRouter(prefix="/desk")
    region_names = {code: region.name for code, region in kit.settings.regions.items()}
    _queue_pages(routes, kit, region_names)
    _conversation_pages(routes, kit, region_names)
    _media(routes, kit.files)
    _report_pages(routes)
    routes.include_router(case.router(kit))
    routes.include_router(settings_pages.router(kit))
    return routes


def _report_pages(routes: APIRouter) -> None:
    async def build(
        request: Request, db: AsyncSession, staff: Actor, start: date | None
    ) -> report.Report:
        today = now(request).date()
        first = start or today - timedelta(days=report.DAYS - 1)
        return await report.weekly(db, staff, first, today)

    @routes.get("/report")
    async def weekly(
        request: Request, db: Session, staff: Supervisor, start: IsoDate | None = None
    ) -> Response:
        built = await build(request, db, staff, start)
        peak = max([total for _, total, _ in built.by_day] + [1])
        labels = {
            "complaint_states": report.COMPLAINT_STATES,
            "reminder_states": report.REMINDER_STATES,
        }
        return page(request, "report.html", {"report": built, "peak": peak, **labels})

    exports = {
        "csv": (report.as_csv, "text/csv; charset=utf-8"),
        "xlsx": (
            report.as_xlsx,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    }

    @routes.get("/report.{kind}")
    async def weekly_export(
        request: Request,
        kind: Literal["csv", "xlsx"],
        db: Session,
        staff: Supervisor,
        start: IsoDate | None = None,
    ) -> Response:
        built = await build(request, db, staff, start)
        write, media_type = exports[kind]
        name = f"report-{built.start}.{kind}"
        return Response(
            write(built),
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


def _queue_pages(routes: APIRouter, kit: Kit, region_names: dict[str, str]) -> None:
    @routes.get("/queue")
    async def queue(request: Request, db: Session, staff: Operator) -> Response:
        rows = await queue_rows(db, staff, now(request), region_names)
        return page(request, "queue.html", rows)

    @routes.get("/queue/live")
    async def queue_live(request: Request, staff: Operator) -> Response:
        async def render(db: AsyncSession) -> dict[str, Any]:
            return await queue_rows(db, staff, now(request), region_names)

        return _live(request, render, "queue_rows.html")

    @routes.post("/queue/{handover_id}/claim")
    async def claim(
        request: Request, handover_id: HandoverId, db: Session, staff: Operator, member: Member
    ) -> Response:
        handover, _ = await _open(db, staff, handover_id)
        try:
            await _handovers(kit, db).claim(handover.id, member, now(request))
        except HandoverError as exc:
            return refused(request, exc)
        await db.commit()
        return RedirectResponse(f"/desk/conversations/{handover.id}", status_code=303)

    @routes.post("/queue/{handover_id}/assign")
    async def assign(
        request: Request,
        handover_id: HandoverId,
        db: Session,
        staff: Supervisor,
        operator: Annotated[str, Form(min_length=1, max_length=64)],
    ) -> Response:
        handover, _ = await _open(db, staff, handover_id)
        target = await db.scalar(
            select(StaffMember).where(StaffMember.name == operator, StaffMember.active)
        )
        if target is None or operator not in await _operators(db, handover):
            return page(
                request,
                "error.html",
                {"status": 422, "detail": "Этот сотрудник не обслуживает регион разговора."},
                422,
            )
        try:
            await _handovers(kit, db).claim(handover.id, target, now(request))
        except HandoverError as exc:
            return refused(request, exc)
        db.add(
            AuditEvent(
                actor=staff.key,
                action="handover:assigned",
                subject=f"handover:{handover.id}",
                details={"to": target.name},
            )
        )
        await db.commit()
        return RedirectResponse("/desk/queue", status_code=303)


def _conversation_pages(routes: APIRouter, kit: Kit, region_names: dict[str, str]) -> None:
    async def conversation_context(
        db: AsyncSession, staff: Actor, handover_id: int
    ) -> dict[str, Any]:
        handover, citizen = await _open(db, staff, handover_id)
        return {
            "handover": handover,
            "citizen": citizen,
            "citizen_name": _name(citizen, staff),
            "region": region_names.get(handover.region_code, handover.region_code),
            "reason": REASONS.get(handover.reason, handover.reason),
            "messages": await history(db, handover),
            "mine": handover.state == HELD and handover.claimed_by == staff.name,
            "me": staff.name,
        }

    @routes.get("/conversations/{handover_id}")
    async def conversation(
        request: Request, handover_id: HandoverId, db: Session, staff: Operator
    ) -> Response:
        context = await conversation_context(db, staff, handover_id)
        handover = context["handover"]
        context["canned"] = {
            name: text.replace("{operator}", staff.name)
            for name, text in (await owned.canned_answers(db)).items()
        }
        context["operators"] = await _operators(db, handover) if staff.may(Role.SUPERVISOR) else []
        return page(request, "conversation.html", context)

    @routes.get("/conversations/{handover_id}/live")
    async def conversation_live(
        request: Request, handover_id: HandoverId, staff: Operator
    ) -> Response:
        async def render(db: AsyncSession) -> dict[str, Any]:
            return await conversation_context(db, staff, handover_id)

        return _live(request, render, "history.html")

    async def act(
        request: Request,
        handover_id: int,
        *,
        db: AsyncSession,
        staff: Actor,
        work: Callable[[SqlHandovers, Handover], Any],
        back: str | None = None,
    ) -> Response:
        handover, _ = await _open(db, staff, handover_id)
        try:
            await work(_handovers(kit, db), handover)
        except HandoverError as exc:
            return refused(request, exc)
        await db.commit()
        return RedirectResponse(back or f"/desk/conversations/{handover.id}", status_code=303)

    # A reply goes to the citizen; a note stays with the conversation for colleagues.
    def writing(note: bool) -> Callable[..., Any]:
        async def write(
            request: Request,
            handover_id: HandoverId,
            *,
            db: Session,
            staff: Operator,
            member: Member,
            text: Text,
        ) -> Response:
            at = now(request)
            return await act(
                request,
                handover_id,
                db=db,
                staff=staff,
                work=lambda h, ho: _from_web(h, ho, member, text, note=note, at=at),
            )

        return write

    for name, is_note in (("reply", False), ("note", True)):
        routes.post(f"/conversations/{{handover_id}}/{name}", name=name)(writing(is_note))

    # Transfer (back to the queue for a colleague) and close (the citizen rates it) both
    # end the operator's part and lead back to the queue.
    def ending(name: str) -> Callable[..., Any]:
        async def end(
            request: Request, handover_id: HandoverId, db: Session, staff: Operator, member: Member
        ) -> Response:
            at = now(request)
            return await act(
                request,
                handover_id,
                db=db,
                staff=staff,
                work=lambda h, ho: getattr(h, name)(ho, member, at),
                back="/desk/queue",
            )

        return end

    for name in ("transfer", "close"):
        routes.post(f"/conversations/{{handover_id}}/{name}", name=name)(ending(name))


def _media(routes: APIRouter, files: FileSource | None) -> None:
    @routes.get("/files/{message_id}")
    async def media(message_id: HandoverId, db: Session, staff: Operator) -> Response:
        """A photo or file the citizen sent, fetched from Telegram (getFile) on demand."""
        message = await db.get(HandoverMessage, message_id)
        if message is None or message.file_id is None:
            raise HTTPException(404, "Такого файла нет.")
        await _open(db, staff, message.handover_id)
        if files is None:
            raise HTTPException(404, "Файлы из Telegram доступны, когда запущен бот.")
        try:
            content, media_type = await files.fetch(message.file_id)
        except LookupError as exc:
            raise HTTPException(404, "Telegram не отдал файл: возможно, он больше 20 МБ.") from exc
        # Only pictures are shown in the page; anything else is a download, never rendered
        # on the desk's origin (a citizen's HTML file must not run there).
        inline = media_type in IMAGES
        return Response(
            content,
            media_type=media_type if inline else "application/octet-stream",
            headers={
                "Content-Disposition": "inline" if inline else "attachment",
                "X-Content-Type-Options": "nosniff",
            },
        )
