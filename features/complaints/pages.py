"""Complaints in the web desk: the list with filters, the whole complaint with its files and
history, and the decision with the reasoned answer (001 ¶5.12) — through the same service and
the same masking as the JSON API (features/complaints/staff.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from features.complaints.service import ComplaintNotFoundError, TransitionRefusedError
from features.complaints.staff import _detail, _found, desk
from features.kit import FileSource, Kit
from features.web import Operator, Session, Supervisor, download, has_words, now, page
from kernel.staff import Actor

Number = Annotated[str, Path(max_length=16)]
STATES = {
    "registered": "зарегистрирована",
    "in_review": "на рассмотрении",
    "upheld": "удовлетворена",
    "rejected": "отказано",
    "left_without_answer": "оставлена без ответа",
}
BODIES = {
    "centre_director": "директор центра занятости",
    "ministry": "министерство",
    "minister": "министр",
    "mfc_head": "руководитель МФЦ",
    "mfc_founder": "учредитель МФЦ",
}


async def _complaint_page(
    request: Request,
    db: AsyncSession,
    staff: Actor,
    number: str,
    *,
    status: int = 200,
    extra: dict[str, str] | None = None,
) -> Response:
    complaints = desk(request, db)
    found = await _found(complaints, number, request, staff)
    context = {
        "c": await _detail(db, complaints, found, staff),
        "states": STATES,
        "bodies": BODIES,
        "may_decide": staff.sees_personal_data,
        **(extra or {}),
    }
    return page(request, "complaint.html", context, status)


def router(kit: Kit) -> APIRouter:
    routes = APIRouter(prefix="/desk/complaints")
    files: FileSource | None = kit.files

    @routes.get("")
    async def listing(
        request: Request,
        db: Session,
        staff: Operator,
        state: Annotated[Literal[tuple(STATES)] | None, Query()] = None,  # type: ignore[valid-type]
        overdue: Annotated[Literal["soon", "past"] | None, Query()] = None,
    ) -> Response:
        found = await desk(request, db).search(
            now=now(request), regions=staff.region_scope, state=state, overdue=overdue, limit=200
        )
        context = {"complaints": found, "states": STATES, "state": state, "overdue": overdue}
        return page(request, "complaints.html", context)

    @routes.get("/{number}")
    async def complaint(
        request: Request, number: Number, db: Session, staff: Operator
    ) -> Response:
        return await _complaint_page(request, db, staff, number)

    @routes.post("/{number}/move")
    async def move(
        request: Request,
        *,
        number: Number,
        db: Session,
        staff: Supervisor,
        to: Annotated[Literal["in_review", "upheld", "rejected", "left_without_answer"], Form()],
        answer: Annotated[str, Form(max_length=20_000)] = "",
    ) -> Response:
        complaints = desk(request, db)
        await _found(complaints, number, request, staff)  # in the member's regions
        error = None
        if to != "in_review" and not has_words(answer):
            error = "Решение нужно обосновать: напишите мотивированный ответ (001 ¶5.12)."
        else:
            try:
                await complaints.move(
                    number,
                    to,
                    actor=staff.key,
                    now=now(request),
                    answer=answer.strip() if to != "in_review" else None,
                )
            except ComplaintNotFoundError as exc:
                raise HTTPException(404, f"no complaint {number}") from exc
            except TransitionRefusedError as exc:
                error = f"Так нельзя: {exc}."
        if error is not None:
            await db.rollback()
            extra = {"error": error, "answer": answer}
            return await _complaint_page(request, db, staff, number, status=422, extra=extra)
        await db.commit()
        return RedirectResponse(f"/desk/complaints/{number}", status_code=303)

    @routes.get("/{number}/files/{index}")
    async def attachment(
        request: Request,
        number: Number,
        index: Annotated[int, Path(ge=0, le=100)],
        db: Session,
        staff: Operator,
    ) -> Response:
        found = await _found(desk(request, db), number, request, staff)
        if index >= len(found.attachments or []) or files is None:
            raise HTTPException(404, "Такого файла нет.")
        try:
            content, _media_type = await files.fetch(str(found.attachments[index]["file_id"]))
        except LookupError as exc:
            raise HTTPException(404, "Telegram не отдал файл.") from exc
        return download(content, f"complaint-file-{index + 1}")

    return routes
