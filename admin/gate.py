"""The gate every staff API request passes, before any route sees it.

In order: a body over the size limit is refused (413) and a body of unknown length too (411);
an address with too many failed logins in the last minute waits (429, `Retry-After`); the
bearer token is checked before the body is read or parsed (401); the request is handled, and a
failure inside becomes a plain 500. Whatever the outcome, the request is written to the audit
log exactly once, in the token owner's name when the token was valid, with a query string that
keeps no secrets and no personal data; failed logins of one address are counted in one row a
minute instead of one row each. Every answer carries `Cache-Control: no-store`: they hold
personal data.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin import tokens
from kernel.staff import Actor
from storage.models import AuditEvent

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
PUBLIC_PATHS = frozenset(
    {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/healthz", "/readyz", "/metrics"}
)
# Query parameters whose values are neither secret nor personal: kept in the audit log.
LOGGED_PARAMETERS = frozenset(
    {"state", "body", "due_before", "overdue", "limit", "offset", "citizen_id"}
)
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def is_desk_path(path: str) -> bool:
    """The web desk's pages and assets: authenticated by its login session (admin/desk.py),
    not by a bearer token."""
    return path in ("/login", "/logout", "/desk") or path.startswith(("/desk/", "/static/"))


@dataclass
class LoginThrottle:
    """At most `failures` failed logins per address in a sliding `window` of seconds."""

    failures: int = 20
    window: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _seen: dict[str, deque[float]] = field(default_factory=dict)

    def wait(self, address: str) -> float:
        """Seconds the address must wait before trying again; 0 when it may try now."""
        recent = self._recent(address)
        if len(recent) < self.failures:
            return 0.0
        return max(1.0, recent[0] + self.window - self.clock())

    def failed(self, address: str) -> None:
        self._recent(address).append(self.clock())
        if len(self._seen) > 10_000:  # forget addresses that have long been quiet
            now = self.clock()
            self._seen = {a: d for a, d in self._seen.items() if d and now - d[-1] < self.window}

    def _recent(self, address: str) -> deque[float]:
        recent = self._seen.setdefault(address, deque())
        while recent and self.clock() - recent[0] >= self.window:
            recent.popleft()
        return recent


@dataclass
class Gate:
    sessions: async_sessionmaker[AsyncSession]
    clock: Callable[[], datetime]
    token_lifetime: timedelta = tokens.TOKEN_LIFETIME
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    # After a change was made (a decision, an offer, an operator's reply): wake this process's
    # senders, so what the change queued for a citizen goes out now, not at the next sweep.
    nudge: Callable[[], Awaitable[None]] | None = None
    _refusals: dict[tuple[str, str], int] = field(default_factory=dict)  # -> audit row id

    async def __call__(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await self._answer(request, call_next)
        response.headers["Cache-Control"] = "no-store"
        changed = request.method in BODY_METHODS and response.status_code < 400
        if changed and self.nudge is not None and getattr(request.state, "staff", None):
            await self.nudge()
        try:
            await self._audit(request, response.status_code)
        except Exception:  # the answer stands; the failure is in the log for the operators
            log.exception("could not audit %s %s", request.method, request.url.path)
        return response

    async def _answer(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        refusal = _body_refusal(request)
        if refusal is not None:
            return refusal
        if request.url.path not in PUBLIC_PATHS and not is_desk_path(request.url.path):
            address = address_of(request)
            wait = self.throttle.wait(address)
            if wait > 0:
                return _problem(429, "too many failed logins", {"Retry-After": str(int(wait))})
            refused = await self._authenticate(request)
            if refused is not None:
                self.throttle.failed(address)
                return refused
        try:
            return await call_next(request)
        except Exception:
            log.exception("staff API: %s %s failed", request.method, request.url.path)
            return _problem(500, "internal error; it is logged")

    async def _authenticate(self, request: Request) -> Response | None:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        challenge = {"WWW-Authenticate": "Bearer"}
        if scheme.lower() != "bearer" or not credentials.strip():
            return _problem(401, "send Authorization: Bearer <token>", challenge)
        async with self.sessions() as db:
            found = await tokens.verify(db, credentials.strip(), self.clock(), self.token_lifetime)
            await db.commit()
        if found is None:
            return _problem(401, "the token is unknown, revoked or expired", challenge)
        request.state.staff = Actor.of(found.name, found.role, found.regions)
        request.state.actor = request.state.staff.key
        return None

    async def _audit(self, request: Request, status: int) -> None:
        actor = getattr(request.state, "actor", None)
        async with self.sessions() as db:
            if actor is None and status in (401, 429):
                await self._count_refusal(db, request, status)
            else:
                db.add(
                    AuditEvent(
                        actor=actor or "anonymous",
                        action="api:call",
                        subject=getattr(request.state, "subject", None),
                        details={
                            "method": request.method,
                            "path": request.url.path[:200],
                            "query": clean_query(request.url.query),
                            "status": status,
                        },
                    )
                )
            await db.commit()

    async def _count_refusal(self, db: AsyncSession, request: Request, status: int) -> None:
        """Failed logins of one address: one row a minute, with their count."""
        address = address_of(request)
        minute = self.clock().strftime("%Y-%m-%dT%H:%M")
        key = (address, minute)
        row_id = self._refusals.get(key)
        row = await db.get(AuditEvent, row_id) if row_id is not None else None
        if row is None:
            if len(self._refusals) > 10_000:
                self._refusals.clear()
            row = AuditEvent(
                actor="anonymous",
                action="api:refused",
                subject=f"address:{address}",
                details={"minute": minute, "count": 0, "status": status},
            )
            db.add(row)
            await db.flush()
            self._refusals[key] = row.id
        details = dict(row.details or {})
        details["count"] = int(details.get("count", 0)) + 1
        details["status"] = status
        row.details = details


def clean_query(query: str) -> str:
    """The query string without secrets or personal data: other values are replaced by `*`."""
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = [(key, value if key in LOGGED_PARAMETERS else "*") for key, value in pairs]
    return urlencode(kept)[:500]


def _body_refusal(request: Request) -> Response | None:
    if request.method not in BODY_METHODS:
        return None
    length = request.headers.get("content-length")
    if length is None:
        if request.headers.get("transfer-encoding"):
            return _problem(411, "send the body with a Content-Length")
        return None
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        return _problem(413, f"the body may be at most {MAX_BODY_BYTES} bytes")
    return None


def address_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _problem(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(status_code=status, content={"detail": detail}, headers=headers)
