"""What every staff API route depends on: a database session and an authenticated staff
member (the token), and the error responses they share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from admin import tokens
from admin.schemas import Problem
from storage.models import StaffToken

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No token, or an unknown or revoked one"},
    422: {"description": "Malformed input: the message names the field"},
}


BEARER = HTTPBearer(auto_error=False)


async def open_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessions() as opened:
        yield opened


Session = Annotated[AsyncSession, Depends(open_session)]


async def authenticated_staff(
    request: Request,
    db: Session,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> StaffToken:
    if credentials is None:
        raise HTTPException(401, "send Authorization: Bearer <token>", _challenge())
    found = await tokens.verify(db, credentials.credentials, request.app.state.clock())
    if found is None:
        raise HTTPException(401, "the token is unknown or revoked", _challenge())
    request.state.actor = f"staff:{found.staff_name}"
    return found


Staff = Annotated[StaffToken, Depends(authenticated_staff)]


def _challenge() -> dict[str, str]:
    return {"WWW-Authenticate": "Bearer"}
