"""The staff web desk's shell: login and logout, the session guard in front of every page,
CSRF checks, the page templates and the menu, and HTML error pages.

Features add their pages (`DeskPages`: routes under `/desk/`, templates, menu links); the guard
runs before each of them, so a page declares only who may see it (`staff: Operator` or
`staff: Supervisor`, the same declarations as the JSON API) and checks the scope of what it
shows with `in_scope`.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin import accounts, desk_sessions, staff_pages
from admin.desk_sessions import COOKIE, SessionPolicy
from admin.gate import LoginThrottle, address_of, is_desk_path
from features.kit import MenuItem
from features.web import DeskLogin, page
from kernel.staff import Actor, Role
from storage.models import AuditEvent, StaffMember

HERE = Path(__file__).parent
LOGIN_COOKIE = "desk_login_csrf"  # double-submit token of the login form (no session yet)
PASSWORD_PATH = "/desk/password"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ACCOUNT_WINDOW = 15 * 60.0  # seconds over which an account's wrong passwords are counted


@dataclass
class Desk:
    """What the desk's shell needs at run time (kept on `app.state.desk`)."""

    sessions: async_sessionmaker[AsyncSession]
    clock: Callable[[], datetime]
    policy: SessionPolicy
    address_throttle: LoginThrottle
    account_throttle: LoginThrottle
    menu: Sequence[MenuItem] = ()
    # A region's time zone: the desk shows times as the citizen's local time (`|local`).
    zone_of: Callable[[str | None], tzinfo] = field(default=lambda _region: UTC)
    _seen_audit: dict[str, int] = field(default_factory=dict)

    def menu_for(self, actor: Actor | None) -> list[MenuItem]:
        if actor is None:
            return []
        return [item for item in self.menu if actor.may(Role(item.role))]


def templates(template_dirs: Sequence[Path], desk: Desk) -> Jinja2Templates:
    env = Environment(
        loader=ChoiceLoader(
            [FileSystemLoader(str(d)) for d in [HERE / "templates", *template_dirs]]
        ),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def local(moment: datetime, region: str | None, pattern: str = "%d.%m.%Y %H:%M") -> str:
        return moment.astimezone(desk.zone_of(region)).strftime(pattern)

    env.filters["local"] = local

    def shell(request: Request) -> dict[str, Any]:
        login: DeskLogin | None = getattr(request.state, "desk", None)
        actor = login.actor if login else None
        return {
            "login": login,
            "menu": desk.menu_for(actor),
            "path": request.url.path,
        }

    return Jinja2Templates(env=env, context_processors=[shell])


async def guard(request: Request) -> None:
    """Runs before every desk page: a live session (else to the login page), a password
    that need not be changed first, and the CSRF token on anything that changes state."""
    desk: Desk = request.app.state.desk
    raw = request.cookies.get(COOKIE, "")
    async with desk.sessions() as db:
        found = await desk_sessions.resume(db, raw, desk.clock(), desk.policy)
        login = None
        must_change = False
        if found is not None:
            member = found.member
            actor = Actor.of(member.name, member.role, member.regions)
            login = DeskLogin(member.id, actor, found.csrf)
            must_change = member.password_must_change
        await db.commit()
    if login is None:
        if request.method in SAFE_METHODS:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise HTTPException(303, headers={"Location": f"/login?next={quote(target)}"})
        raise HTTPException(401, "Сессия закончилась: войдите снова.")
    request.state.desk = login
    request.state.staff = login.actor
    request.state.actor = login.actor.key
    if request.method not in SAFE_METHODS:
        await _check_csrf(request, login.csrf)
    if must_change and request.url.path != PASSWORD_PATH:
        raise HTTPException(303, headers={"Location": PASSWORD_PATH})


async def _check_csrf(request: Request, expected: str) -> None:
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()  # cached on the request: the route reads it again
        value = form.get("csrf")
        sent = value if isinstance(value, str) else None
    if sent is None or not hmac.compare_digest(sent.encode(), expected.encode()):
        request.state.subject = "csrf"
        raise HTTPException(
            403, "Форма устарела или пришла не со страницы пульта: обновите страницу."
        )


Guarded = [Depends(guard)]
STAFF_MENU = MenuItem("Сотрудники", "/desk/staff", role="admin", order=90)


def shell_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request, next: str = "/desk") -> Response:
        return _login_page(request, next)

    @router.post("/login", response_class=HTMLResponse)
    async def login(
        request: Request,
        username: Annotated[str, Form(max_length=200)] = "",
        password: Annotated[str, Form(max_length=1000)] = "",
        csrf: Annotated[str, Form(max_length=200)] = "",
        next: Annotated[str, Form(max_length=2000)] = "/desk",
    ) -> Response:
        return await _log_in(request, username, password, csrf, next)

    @router.post("/logout", dependencies=Guarded)
    async def logout(request: Request) -> Response:
        desk: Desk = request.app.state.desk
        async with desk.sessions() as db:
            await desk_sessions.end(db, request.cookies.get(COOKIE, ""), desk.clock())
            db.add(_event(request.state.actor, "desk:logout", {}, request))
            await db.commit()
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @router.get("/desk", dependencies=Guarded)
    async def home(request: Request) -> Response:
        desk: Desk = request.app.state.desk
        items = desk.menu_for(request.state.staff)
        return RedirectResponse(items[0].path if items else PASSWORD_PATH, status_code=303)

    @router.get(PASSWORD_PATH, response_class=HTMLResponse, dependencies=Guarded)
    async def password_form(request: Request) -> Response:
        return page(request, "password.html", {})

    @router.post(PASSWORD_PATH, response_class=HTMLResponse, dependencies=Guarded)
    async def change_password(
        request: Request,
        current: Annotated[str, Form(max_length=1000)] = "",
        new: Annotated[str, Form(max_length=1000)] = "",
        again: Annotated[str, Form(max_length=1000)] = "",
    ) -> Response:
        desk: Desk = request.app.state.desk
        login: DeskLogin = request.state.desk
        if new != again:
            return page(request, "password.html", {"error": "Пароли не совпадают."}, 422)
        async with desk.sessions() as db:
            member = await db.get(StaffMember, login.member_id)
            if member is None:
                raise HTTPException(401, "Сессия закончилась: войдите снова.")
            try:
                await accounts.change_own_password(db, member, current, new)
            except accounts.AccountError as exc:
                return page(request, "password.html", {"error": f"{exc}."}, 422)
            await db.commit()
        return RedirectResponse("/desk", status_code=303)

    return router


async def _log_in(
    request: Request, username: str, password: str, csrf: str, next: str
) -> Response:
    """A login attempt: the form's own token, the address's and the account's throttles,
    the password; a new session on success. Every outcome is audited."""
    desk: Desk = request.app.state.desk
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf.encode(), expected.encode()):
        await _audit(desk, "anonymous", "desk:login_refused", {"why": "csrf"}, request)
        return _login_page(request, next, "Форма устарела: попробуйте ещё раз.", 403)
    address = address_of(request)
    account = f"account:{username.strip().casefold()}"
    wait = max(desk.address_throttle.wait(address), desk.account_throttle.wait(account))
    if wait > 0:
        await _audit(desk, "anonymous", "desk:login_throttled", {"name": username[:64]}, request)
        minutes = max(1, int(-(-wait // 60)))
        text = f"Слишком много неудачных попыток. Попробуйте через {minutes} мин."
        response = _login_page(request, next, text, 429)
        response.headers["Retry-After"] = str(int(wait))
        return response
    async with desk.sessions() as db:
        member = await db.scalar(select(StaffMember).where(StaffMember.name == username.strip()))
        if member is None or not accounts.password_matches(member, password):
            desk.address_throttle.failed(address)
            desk.account_throttle.failed(account)
            db.add(_event("anonymous", "desk:login_failed", {"name": username[:64]}, request))
            await db.commit()
            return _login_page(request, next, "Неверное имя или пароль.", 401)
        raw = await desk_sessions.start(db, member, desk.clock(), desk.policy)
        db.add(_event(f"staff:{member.name}", "desk:login", {}, request))
        await db.commit()
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(
        COOKIE,
        raw,
        max_age=int(desk.policy.lifetime.total_seconds()),
        httponly=True,
        secure=desk.policy.secure,
        samesite="strict",
        path="/",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


def _login_page(
    request: Request, next: str, error: str | None = None, status: int = 200
) -> Response:
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    response = page(
        request, "login.html", {"csrf": token, "next": _local(next), "error": error}, status
    )
    desk: Desk = request.app.state.desk
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        httponly=True,
        secure=desk.policy.secure,
        samesite="strict",
        path="/login",
    )
    return response


def _local(target: str) -> str:
    """Only a path of this desk: a login link cannot send staff elsewhere."""
    parts = urlsplit(target)
    # Browsers read "/\\host" as "//host": another site.
    if parts.scheme or parts.netloc or not target.startswith("/") or target[1:2] in ("/", "\\"):
        return "/desk"
    return target


def _event(actor: str, action: str, details: dict[str, Any], request: Request) -> AuditEvent:
    return AuditEvent(
        actor=actor,
        action=action,
        subject=f"address:{address_of(request)}",
        details=details,
    )


async def _audit(
    desk: Desk, actor: str, action: str, details: dict[str, Any], request: Request
) -> None:
    async with desk.sessions() as db:
        db.add(_event(actor, action, details, request))
        await db.commit()


def mount(
    app: FastAPI,
    desk: Desk,
    routers: Sequence[APIRouter],
    template_dirs: Sequence[Path],
    region_names: Mapping[str, str],
) -> None:
    """The desk's shell, the staff page and the features' pages, each behind the guard."""
    desk.menu = sorted([*desk.menu, STAFF_MENU], key=lambda item: item.order)
    routers = [*routers, staff_pages.router(dict(region_names))]
    app.state.desk = desk
    app.state.pages = templates(template_dirs, desk)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(shell_router())
    for router in routers:
        app.include_router(router, dependencies=Guarded, include_in_schema=False)


def error_page(
    request: Request, status: int, detail: str, headers: Mapping[str, str] | None = None
) -> Response | None:
    """The desk's answer to a refusal: a redirect, or a page in Russian; None off the desk."""
    if not is_desk_path(request.url.path):
        return None
    if status in (302, 303) and headers and "Location" in headers:
        return RedirectResponse(headers["Location"], status_code=status)
    text = PAGE_ERRORS.get(status, detail) if detail.isascii() else detail
    return page(request, "error.html", {"status": status, "detail": text}, status)


PAGE_ERRORS = {
    401: "Войдите в пульт снова.",
    403: "У вашей роли нет доступа к этой странице.",
    404: "Такой страницы нет, или она вне ваших регионов.",
    405: "Так эту страницу не открыть.",
    422: "Проверьте заполнение формы.",
}
