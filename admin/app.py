"""The staff HTTP API (FastAPI): the shell that serves the features' staff routes.

Every call passes the gate (admin/gate.py: a staff token, limits, the audit log whatever the
outcome); malformed input gets 422 with a message that names the field."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from admin.deps import check_token
from admin.gate import Gate, LoginThrottle
from admin.tokens import TOKEN_LIFETIME
from features import web
from features.kit import SessionService
from kernel.clock import utc_now

log = logging.getLogger(__name__)


def create_app(
    sessions: async_sessionmaker[AsyncSession],
    routers: Sequence[APIRouter],
    services: Mapping[str, SessionService],
    clock: Callable[[], datetime] = utc_now,
    *,
    token_lifetime: timedelta = TOKEN_LIFETIME,
    docs: bool = False,
    failed_logins_per_minute: int = 20,
) -> FastAPI:
    """The staff app serving `routers` (the features'), their `services` on each request's
    session."""
    app = FastAPI(
        title="Employment assistant: staff API",
        version="1",
        description="Complaints (pre-trial appeals) filed through the assistant; vacancy "
        "offers for citizens to rank, and the suitable-work ranking behind them. "
        "Authenticate with `Authorization: Bearer <token>` "
        "(`python -m app admin token add NAME`).",
        docs_url="/docs" if docs else None,  # its page loads scripts from a CDN
        redoc_url=None,
    )
    app.state.sessions = sessions
    app.state.clock = clock
    app.state.services = services
    app.dependency_overrides[web.authenticated_staff] = check_token

    # Authentication, limits, throttling and the audit log happen here, before any route.
    throttle = LoginThrottle(failures=failed_logins_per_minute)
    app.middleware("http")(Gate(sessions, clock, token_lifetime, throttle))

    @app.exception_handler(RequestValidationError)
    async def readable_422(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        ]
        return JSONResponse(status_code=422, content={"detail": "; ".join(problems)})

    @app.exception_handler(StarletteHTTPException)
    async def http_problem(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400:  # a body that is not even text: malformed input like any
            return JSONResponse(status_code=422, content={"detail": "body: not valid JSON"})
        if exc.status_code == 405:  # Starlette names only the first route of the path
            allowed = ", ".join(sorted(_methods_of(routers, request.url.path)))
            exc.headers = {**(exc.headers or {}), "Allow": allowed}
        return await http_exception_handler(request, exc)

    for router in routers:
        app.include_router(router)
    return app


def _methods_of(routers: Sequence[APIRouter], path: str) -> set[str]:
    """Every method some route serves on `path`."""
    methods: set[str] = set()
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.path_regex.match(path):
                methods |= route.methods or set()
    return methods
