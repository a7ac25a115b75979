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

from admin import desk, health, text_api, text_pages
from admin.deps import check_token
from admin.desk_sessions import SessionPolicy
from admin.gate import Gate, LoginThrottle
from admin.tokens import TOKEN_LIFETIME
from dialogs.render import TemplateFiles
from features import web
from features.kit import DeskPages, Kit, MenuItem, SessionService
from kernel.clock import utc_now
from storage import wakeups

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
    pages: Sequence[DeskPages] = (),
    kit: Kit | None = None,
    session_policy: SessionPolicy | None = None,
    failed_logins_per_account: int = 5,
    nudge: Callable[[], None] = lambda: None,
    texts: TemplateFiles | None = None,
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
    engine = sessions.kw["bind"]

    async def wake_senders() -> None:
        nudge()  # this process's
        await wakeups.announce(engine)  # other processes' on the same PostgreSQL

    app.middleware("http")(Gate(sessions, clock, token_lifetime, throttle, wake_senders))

    # The web desk: its shell and the features' pages, behind the login session.
    the_desk = desk.Desk(
        sessions=sessions,
        clock=clock,
        policy=session_policy or SessionPolicy(),
        address_throttle=throttle,
        account_throttle=LoginThrottle(
            failures=failed_logins_per_account, window=desk.ACCOUNT_WINDOW
        ),
        menu=sorted((item for p in pages for item in p.menu), key=lambda item: item.order),
    )
    if kit is not None:
        the_desk.zone_of = kit.regions.zone
    page_routers = [p.router(kit) for p in pages] if kit is not None else []
    if texts is not None:  # the bot's texts: administrators edit them (API and pages)
        routers = [*routers, text_api.router(texts)]
        page_routers.append(text_pages.router(texts))
        the_desk.menu = [*the_desk.menu, MenuItem("Тексты бота", "/desk/texts", "admin", 80)]
    region_names = (
        {code: region.name for code, region in kit.settings.regions.items()} if kit else {}
    )
    desk.mount(app, the_desk, page_routers, [p.templates for p in pages], region_names)

    @app.exception_handler(RequestValidationError)
    async def readable_422(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        ]
        on_desk = desk.error_page(request, 422, "; ".join(problems))
        if on_desk is not None:
            return on_desk
        return JSONResponse(status_code=422, content={"detail": "; ".join(problems)})

    @app.exception_handler(StarletteHTTPException)
    async def http_problem(request: Request, exc: StarletteHTTPException) -> Response:
        on_desk = desk.error_page(request, exc.status_code, str(exc.detail), exc.headers)
        if on_desk is not None:
            return on_desk
        if exc.status_code == 400:  # a body that is not even text: malformed input like any
            return JSONResponse(status_code=422, content={"detail": "body: not valid JSON"})
        if exc.status_code == 405:  # Starlette names only the first route of the path
            allowed = ", ".join(sorted(_methods_of(routers, request.url.path)))
            exc.headers = {**(exc.headers or {}), "Allow": allowed}
        return await http_exception_handler(request, exc)

    for router in routers:
        app.include_router(router)
    app.include_router(health.router())
    return app


def _methods_of(routers: Sequence[APIRouter], path: str) -> set[str]:
    """Every method some route serves on `path`."""
    methods: set[str] = set()
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.path_regex.match(path):
                methods |= route.methods or set()
    return methods
