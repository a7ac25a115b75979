"""The staff app's token check, put in place of `features.web.authenticated_staff`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from admin import tokens
from features.web import Session
from storage.models import StaffToken

BEARER = HTTPBearer(auto_error=False)


async def check_token(
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


def _challenge() -> dict[str, str]:
    return {"WWW-Authenticate": "Bearer"}
