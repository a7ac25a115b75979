"""What every feature's staff API routes depend on: the request's database session, the
authenticated staff member and the role a route needs, a domain service of the request, and
the shared error shapes.

The staff app (admin/) provides the token check: it replaces `authenticated_staff` with its
own (FastAPI `dependency_overrides`), so a router served without it refuses every call.

A route states who may call it in its signature: `staff: Operator` (any staff member) or
`staff: Supervisor` (supervisors and administrators); a lower role gets 403. What a route
reads or changes must be in the caller's regions (`in_scope`), else it answers 404 exactly as
for an object that does not exist, so ids cannot be probed.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from features.kit import SessionService
from kernel.staff import Actor, Role
from storage.models import StaffMember

# Control characters (Unicode Cc) except tab and line breaks: PostgreSQL refuses NUL, the rest
# are never meant. The patterns put the same rules into the OpenAPI description, so clients
# (and schemathesis) know them; the validators give the readable message.
_CONTROL = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f"
_LETTER = "A-Za-zА-Яа-яЁё"  # texts for citizens are in Russian; Latin for names and codes
NO_CONTROL = f"^[^{_CONTROL}]*$"
WITH_LETTERS = f"^[^{_CONTROL}]*[{_LETTER}][^{_CONTROL}]*$"


def _printable(value: str) -> str:
    if re.search(f"[{_CONTROL}]", value):
        raise ValueError("must not contain control characters")
    return value


def has_words(value: str) -> bool:
    """True when the text has letters, not only spaces, punctuation or invisible characters."""
    return re.search(f"[{_LETTER}]", value) is not None


def _with_words(value: str) -> str:
    if not has_words(value):
        raise ValueError("must contain words, not only spaces, digits or punctuation")
    return value


def _iso_date(value: object) -> object:
    """Only YYYY-MM-DD: pydantic would otherwise read `0` as a Unix time."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be a date as YYYY-MM-DD")
    if isinstance(value, int | float):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


# Text a client sends that is stored and shown to people.
PlainText = Annotated[
    str, AfterValidator(_printable), Field(json_schema_extra={"pattern": NO_CONTROL})
]
# Text that must say something: a decision's reasoned answer.
Words = Annotated[
    str,
    AfterValidator(_printable),
    AfterValidator(_with_words),
    Field(json_schema_extra={"pattern": WITH_LETTERS}),
]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


def _whole_number(value: object) -> object:
    """JSON Schema counts 5.0 as an integer; strict models otherwise refuse it."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# For an integer in a strict body model: 5 and 5.0, never "5" or true. Put it after the
# field's bounds, `Annotated[int, Field(ge=1), WHOLE]`, or the bounds leave the schema.
WHOLE = BeforeValidator(_whole_number)


class Problem(BaseModel):
    detail: str


class Event(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str
    action: str
    details: dict[str, Any]


# Ids and offsets from a client are bounded here, before they reach SQL (a 64-bit column
# overflows at 2^63; the drivers raise instead of answering).
MAX_ID = 2**31 - 1
MAX_OFFSET = 1_000_000

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No token, or an unknown or revoked one"},
    403: {"model": Problem, "description": "The staff member's role may not do this"},
    411: {"model": Problem, "description": "A body sent without Content-Length"},
    413: {"model": Problem, "description": "The body is over 1 MiB"},
    422: {"model": Problem, "description": "Malformed input: the message names the field"},
    429: {"model": Problem, "description": "Too many failed logins from this address"},
}


async def open_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessions() as opened:
        yield opened


Session = Annotated[AsyncSession, Depends(open_session)]


async def authenticated_staff(request: Request) -> Actor:
    """Replaced by the staff app's token check; never answers on its own."""
    raise HTTPException(401, "send Authorization: Bearer <token>", {"WWW-Authenticate": "Bearer"})


Staff = Annotated[Actor, Depends(authenticated_staff)]


def role_required(role: Role) -> Any:
    """A dependency that lets through staff of `role` or above, and refuses others with 403."""

    async def check(staff: Staff) -> Actor:
        if not staff.may(role):
            raise HTTPException(403, f"this needs the {role} role")
        return staff

    return Depends(check)


Operator = Annotated[Actor, role_required(Role.OPERATOR)]
Supervisor = Annotated[Actor, role_required(Role.SUPERVISOR)]
Admin = Annotated[Actor, role_required(Role.ADMIN)]


def in_scope(staff: Actor, region_code: str | None, not_found: str) -> None:
    """404 with the same `not_found` message as for a missing object when the object's
    region is not one the staff member serves."""
    if not staff.covers(region_code):
        raise HTTPException(404, not_found)


def service(request: Request, db: AsyncSession, name: str) -> Any:
    """The feature service `name` on the request's session."""
    services: Mapping[str, SessionService] = request.app.state.services
    return services[name](db)


def now(request: Request) -> datetime:
    clock = request.app.state.clock
    result: datetime = clock()
    return result


# --- the web desk's pages ------------------------------------------------------------------


@dataclass(frozen=True)
class DeskLogin:
    """Who is logged in to the web desk, as the desk's guard found them."""

    member_id: int
    actor: Actor
    csrf: str  # every form sends it back (the hidden field `csrf`)


def desk_login(request: Request) -> DeskLogin:
    login: DeskLogin | None = getattr(request.state, "desk", None)
    if login is None:  # a page mounted without the desk's guard: never served
        raise HTTPException(401, "log in at /login")
    return login


async def desk_member(request: Request, db: Session) -> StaffMember:
    """The logged-in staff member's record, on the request's session."""
    member = await db.get(StaffMember, desk_login(request).member_id)
    if member is None or not member.active:
        raise HTTPException(401, "log in at /login")
    return member


Member = Annotated[StaffMember, Depends(desk_member)]


def page(
    request: Request, template: str, context: Mapping[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """A desk page rendered from the features' and the desk's templates (autoescaped)."""
    response: HTMLResponse = request.app.state.pages.TemplateResponse(
        request, template, dict(context or {}), status_code=status
    )
    return response


def local_moment(zone: tzinfo, typed: str) -> datetime | None:
    """A `datetime-local` form field's value ("2026-12-03T10:00") as a moment in `zone`, the
    citizen's: staff type times as the citizen will read them."""
    try:
        naive = datetime.fromisoformat(typed)
    except ValueError:
        return None
    return None if naive.tzinfo is not None else naive.replace(tzinfo=zone)


def download(content: bytes, filename: str) -> Response:
    """A file citizens sent, as a download: never rendered on the desk's origin."""
    return Response(
        content,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
