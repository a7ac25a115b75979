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

import unicodedata
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from pydantic import AfterValidator, BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from features.kit import SessionService
from kernel.staff import Actor, Role


def _printable(value: str) -> str:
    """Refuse NUL and other control characters (PostgreSQL refuses NUL; the rest are never
    meant); line breaks and tabs stay."""
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in value):
        raise ValueError("must not contain control characters")
    return value


# Text a client sends that is stored and shown to people.
PlainText = Annotated[str, AfterValidator(_printable)]


def has_words(value: str) -> bool:
    """True when the text has letters, not only spaces, punctuation or invisible characters."""
    return any(ch.isalpha() for ch in value)


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
    422: {"description": "Malformed input: the message names the field"},
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
