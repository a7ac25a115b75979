"""The bot's texts as a JSON API for administrators' tokens: the same work as the desk's
editor (admin/texts.py). A refused text answers 422 with the list of problems."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from admin import texts
from admin.text_pages import MAX_REVISION, Key
from dialogs.render import TemplateFiles
from dialogs.template_check import Problem
from features.web import ERRORS, WHOLE, Admin, PlainText, Session


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class NewRevision(Strict):
    text: Annotated[str, Field(min_length=1, max_length=texts.MAX_SOURCE)]
    comment: Annotated[PlainText, Field(max_length=500)] = ""


class Publish(Strict):
    revision: Annotated[int, Field(ge=1, le=MAX_REVISION), WHOLE]


class Rollback(Strict):
    revision: Annotated[int | None, Field(ge=1, le=MAX_REVISION), WHOLE] = None
    to: Literal["default"] | None = None


class TextOut(BaseModel):
    key: str
    group: str
    text: str
    revision: int | None
    changed_by: str | None
    changed_at: datetime | None


class RevisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    text: str
    comment: str
    author: str
    created_at: datetime


class PublicationOut(BaseModel):
    revision: int | None
    action: str
    by: str
    at: datetime


class TextDetailOut(BaseModel):
    key: str
    group: str
    kind: str
    variables: dict[str, str]
    default: str
    current: str
    revision: int | None
    revisions: list[RevisionOut]
    publications: list[PublicationOut]


class ProblemOut(BaseModel):
    line: int | None
    message: str


class Refused(BaseModel):
    detail: str
    problems: list[ProblemOut] = []  # absent when the request itself is malformed


REFUSED: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    404: {"description": "No such text, or no such revision of it"},
    422: {"model": Refused, "description": "The text fails the checks: every problem listed"},
}


def _refused(exc: texts.TextError) -> JSONResponse:
    problems: list[Problem] = exc.problems
    return JSONResponse(
        status_code=404 if isinstance(exc, texts.MissingTextError) else 422,
        content={
            "detail": str(exc),
            "problems": [{"line": p.line, "message": p.message} for p in problems],
        },
    )


def router(files: TemplateFiles) -> APIRouter:
    routes = APIRouter(prefix="/templates", tags=["texts"], responses=REFUSED)

    async def detail(db: Session, key: str) -> TextDetailOut:
        found = await texts.detail(db, files, key)
        numbers = {revision.id: revision.number for revision in found.revisions}
        return TextDetailOut(
            key=found.key,
            group=found.group,
            kind=found.declaration.kind,
            variables=dict(found.declaration.variables),
            default=found.default,
            current=found.current,
            revision=found.revision,
            revisions=[RevisionOut.model_validate(r) for r in found.revisions],
            publications=[
                PublicationOut(
                    revision=numbers.get(p.revision_id) if p.revision_id else None,
                    action=p.action,
                    by=p.by,
                    at=p.at,
                )
                for p in found.publications
            ],
        )

    @routes.get("")
    async def listing(
        db: Session, staff: Admin, search: Annotated[str, Query(max_length=200)] = ""
    ) -> list[TextOut]:
        """Every text the bot sends, as it sends it now (a published revision or the file)."""
        rows = await texts.listing(db, files, search)
        return [TextOut(**row.__dict__) for row in rows]

    @routes.get("/{key}")
    async def one(key: Key, db: Session, staff: Admin) -> TextDetailOut:
        try:
            return await detail(db, key)
        except texts.TextError as exc:
            raise HTTPException(404, str(exc)) from exc

    @routes.post("/{key}/revisions", status_code=201, response_model=RevisionOut)
    async def add(key: Key, body: NewRevision, db: Session, staff: Admin) -> Any:
        """A new revision, checked first; it is not published yet."""
        try:
            revision = await texts.save(
                db, files, key, body.text, comment=body.comment, by=staff.key
            )
        except texts.TextError as exc:
            return _refused(exc)
        await db.commit()
        return RevisionOut.model_validate(revision)

    @routes.post("/{key}/publish", response_model=TextDetailOut)
    async def publish(key: Key, body: Publish, db: Session, staff: Admin) -> Any:
        try:
            await texts.publish(db, files, key, body.revision, by=staff.key)
        except texts.TextError as exc:
            return _refused(exc)
        await db.commit()
        return await detail(db, key)

    @routes.post("/{key}/rollback", response_model=TextDetailOut)
    async def rollback(key: Key, body: Rollback, db: Session, staff: Admin) -> Any:
        """To an earlier revision (`{"revision": N}`) or to the file (`{"to": "default"}`)."""
        if (body.revision is None) == (body.to is None):
            raise HTTPException(422, 'send either "revision" or "to": "default"')
        try:
            if body.revision is None:
                await texts.restore_default(db, files, key, staff.key)
            else:
                await texts.publish(db, files, key, body.revision, by=staff.key, action="rollback")
        except texts.TextError as exc:
            return _refused(exc)
        await db.commit()
        return await detail(db, key)

    return routes
