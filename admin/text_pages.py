"""The administrators' text editor in the web desk: every text of the bot by group with a
search, an editor that checks the text as it is typed and shows it as the citizen will see it,
and the history of revisions with publish and roll back. The work itself is admin/texts.py,
shared with the JSON API and the command line."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Form, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin import texts
from admin.previews import bubble
from dialogs.render import TemplateFiles
from dialogs.template_check import Checked
from features.web import Admin, Session, page
from storage.models import StaffAlert

KEY_PATTERN = r"^[a-z0-9_]+(\.[a-z0-9_]+)+$"
Key = Annotated[str, PathParam(max_length=128, pattern=KEY_PATTERN)]
ALERT_KIND = "template_failed"  # raised by the bot (bot/template_refresh.py)
MAX_REVISION = 1_000_000


def previews(checked: Checked) -> list[dict[str, Any]]:
    return [
        {"title": p.title, "html": bubble(p.html), "kind": p.kind, "buttons": p.buttons}
        for p in checked.previews
    ]


def router(files: TemplateFiles) -> APIRouter:
    routes = APIRouter(prefix="/desk/texts")

    async def editor(
        request: Request,
        db: Session,
        key: str,
        *,
        text: str | None = None,
        comment: str = "",
        problems: list[str] | None = None,
        flash: str | None = None,
        status: int = 200,
    ) -> Response:
        try:
            found = await texts.detail(db, files, key)
        except texts.TextError as exc:
            raise HTTPException(404, str(exc)) from exc
        shown = found.current if text is None else text
        checked = await texts.check(db, files, key, shown)
        context = {
            "text": found,
            "source": shown,
            "comment": comment,
            "problems": problems if problems is not None else [str(p) for p in checked.problems],
            "previews": previews(checked),
            "flash": flash,
        }
        return page(request, "text_edit.html", context, status)

    @routes.get("")
    async def listing(request: Request, db: Session, staff: Admin, q: str = "") -> Response:
        rows = await texts.listing(db, files, q[:200])
        groups: dict[str, list[texts.TextRow]] = {}
        for row in rows:
            groups.setdefault(row.group, []).append(row)
        failed = await db.scalars(
            select(StaffAlert.key).where(
                StaffAlert.kind == ALERT_KIND, StaffAlert.resolved_at.is_(None)
            )
        )
        context = {
            "groups": groups,
            "titles": texts.GROUPS,
            "q": q[:200],
            "count": len(rows),
            "failed": sorted({key for key in failed if key}),
        }
        return page(request, "texts.html", context)

    @routes.get("/{key}")
    async def edit(
        request: Request, key: Key, db: Session, staff: Admin, done: str = ""
    ) -> Response:
        return await editor(request, db, key, flash=done_message(done[:40]))

    @routes.post("/{key}/check")
    async def check(
        key: Key,
        db: Session,
        staff: Admin,
        text: Annotated[str, Body(embed=True, max_length=texts.MAX_SOURCE)],
    ) -> Response:
        """The live check as the administrator types (desk.js)."""
        try:
            checked = await texts.check(db, files, key, text)
        except texts.TextError as exc:
            raise HTTPException(404, str(exc)) from exc
        return JSONResponse(
            {"problems": [str(p) for p in checked.problems], "previews": previews(checked)}
        )

    @routes.post("/{key}/revisions")
    async def save(
        request: Request,
        *,
        key: Key,
        db: Session,
        staff: Admin,
        text: Annotated[str, Form(max_length=texts.MAX_SOURCE)],
        comment: Annotated[str, Form(max_length=500)] = "",
        publish: Annotated[str, Form(max_length=1)] = "",
    ) -> Response:
        try:
            revision = await texts.save(db, files, key, text, comment=comment, by=staff.key)
            if publish:
                await texts.publish(db, files, key, revision.number, by=staff.key)
        except texts.MissingTextError as exc:
            raise HTTPException(404, str(exc)) from exc
        except texts.TextError as exc:
            await db.rollback()
            problems = [str(p) for p in exc.problems] or [str(exc)]
            return await editor(
                request, db, key, text=text, comment=comment, problems=problems, status=422
            )
        await db.commit()
        return _back(key, f"{'saved_published' if publish else 'saved'}:{revision.number}")

    return _changes(routes, files)


def _changes(routes: APIRouter, files: TemplateFiles) -> APIRouter:
    """Publishing and rolling back: each answers with the editor again, or a refusal."""

    async def change(key: str, db: AsyncSession, work: Any, done: str) -> Response:
        try:
            await work()
        except texts.TextError as exc:
            await db.rollback()
            problems = "; ".join(str(p) for p in exc.problems)
            status = 404 if isinstance(exc, texts.MissingTextError) else 422
            raise HTTPException(status, f"{exc} {problems}".strip()) from exc
        await db.commit()
        return _back(key, done)

    @routes.post("/{key}/publish")
    async def publish(
        key: Key, db: Session, staff: Admin, revision: Annotated[int, Form(ge=1, le=MAX_REVISION)]
    ) -> Response:
        async def work() -> None:
            await texts.publish(db, files, key, revision, by=staff.key)

        return await change(key, db, work, f"published:{revision}")

    @routes.post("/{key}/rollback")
    async def rollback(
        key: Key,
        db: Session,
        staff: Admin,
        revision: Annotated[int | None, Form(ge=1, le=MAX_REVISION)] = None,
    ) -> Response:
        """To an earlier revision, or (no revision) to the file's default."""

        async def work() -> None:
            if revision is None:
                await texts.restore_default(db, files, key, staff.key)
            else:
                await texts.publish(db, files, key, revision, by=staff.key, action="rollback")

        return await change(key, db, work, f"rolled_back:{revision or 'default'}")

    return routes


DONE = {
    "saved": "Ревизия {} сохранена; она ещё не опубликована.",
    "saved_published": "Ревизия {} сохранена и опубликована: бот отправляет её через несколько "
    "секунд.",
    "published": "Ревизия {} опубликована: бот отправляет её через несколько секунд.",
    "rolled_back": "Возвращена ревизия {}.",
}


def done_message(done: str) -> str | None:
    """The message of a redirect after a change (`?done=published:3`); None for anything
    else, so a crafted link cannot put words on the page."""
    what, _, revision = done.partition(":")
    if what not in DONE or not (revision.isdigit() or revision == "default"):
        return None
    if revision == "default":
        return "Возвращён текст по умолчанию (из файла)."
    return DONE[what].format(revision)


def _back(key: str, done: str) -> Response:
    return RedirectResponse(f"/desk/texts/{key}?done={done}", status_code=303)
