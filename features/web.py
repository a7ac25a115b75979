"""What every feature's staff API routes depend on: the request's database session, the
authenticated staff member, a domain service of the request, and the shared error shapes.

The staff app (admin/) provides the token check: it replaces `authenticated_staff` with its
own (FastAPI `dependency_overrides`), so a router served without it refuses every call.
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
from storage.models import StaffToken


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
    422: {"description": "Malformed input: the message names the field"},
}


async def open_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessions() as opened:
        yield opened


Session = Annotated[AsyncSession, Depends(open_session)]


async def authenticated_staff(request: Request) -> StaffToken:
    """Replaced by the staff app's token check; never answers on its own."""
    raise HTTPException(401, "send Authorization: Bearer <token>", {"WWW-Authenticate": "Bearer"})


Staff = Annotated[StaffToken, Depends(authenticated_staff)]


def service(request: Request, db: AsyncSession, name: str) -> Any:
    """The feature service `name` on the request's session."""
    services: Mapping[str, SessionService] = request.app.state.services
    return services[name](db)


def now(request: Request) -> datetime:
    clock = request.app.state.clock
    result: datetime = clock()
    return result
