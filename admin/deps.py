"""The staff member the gate authenticated, put in place of `features.web.authenticated_staff`."""

from __future__ import annotations

from fastapi import HTTPException, Request

from kernel.staff import Actor


async def check_token(request: Request) -> Actor:
    staff: Actor | None = getattr(request.state, "staff", None)
    if staff is None:  # a route the gate let through unauthenticated: never a staff route
        raise HTTPException(
            401, "send Authorization: Bearer <token>", {"WWW-Authenticate": "Bearer"}
        )
    return staff
