"""What every feature's staff API routes depend on: the request's database session, the
authenticated staff member, a domain service of the request, and the shared error shapes.

The staff app (admin/) provides the token check: it replaces `authenticated_staff` with its
own (FastAPI `dependency_overrides`), so a router served without it refuses every call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from features.kit import SessionService
from storage.models import StaffToken


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
