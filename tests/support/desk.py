"""The staff web desk for tests: the real app of every feature on a migrated database, and
a browser-like client that logs in with the login form."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin import accounts
from app.build import Application
from kernel.settings import Settings

PASSWORD = "correct horse battery"
BASE = "https://desk.test"  # session cookies are Secure: the client must speak https


def desk_settings(**overrides: Any) -> Settings:
    overrides.setdefault("admin", {"plain_http": False})
    return Settings(operators={"schedule": "always"}, **overrides)


class StoredFiles:
    """Files "in Telegram" for the desk: file id -> (bytes, media type)."""

    def __init__(self, files: dict[str, tuple[bytes, str]]) -> None:
        self.files = files

    async def fetch(self, file_id: str) -> tuple[bytes, str]:
        if file_id not in self.files:
            raise LookupError(file_id)
        return self.files[file_id]


def desk_app(
    sessions: async_sessionmaker[AsyncSession],
    clock: Callable[[], datetime],
    settings: Settings | None = None,
    files: StoredFiles | None = None,
    nudges: list[Callable[[], None]] | None = None,
) -> FastAPI:
    application = Application(settings or desk_settings(), sessions)
    application.kit.files = files
    application.kit.nudges.extend(nudges or [])
    return application.staff_app(clock)


async def add_member(
    sessions: async_sessionmaker[AsyncSession],
    name: str,
    role: str = "operator",
    regions: Sequence[str] = ("63",),
    password: str | None = PASSWORD,
) -> None:
    async with sessions() as session:
        await accounts.add(session, name, role, regions, by="test", password=password)
        await session.commit()


def client(app: FastAPI, address: str = "10.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url=BASE)


async def log_in(
    browser: httpx.AsyncClient, name: str, password: str = PASSWORD
) -> httpx.Response:
    """Opens the login form (which sets its token) and sends it."""
    form = await browser.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None, form.text
    return await browser.post(
        "/login",
        data={"username": name, "password": password, "csrf": token[1], "next": "/desk/queue"},
    )


def csrf_of(page: httpx.Response) -> str:
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None, page.text
    return token[1]


async def logged_in_admin(
    sessions: async_sessionmaker[AsyncSession], clock: Callable[[], datetime]
) -> httpx.AsyncClient:
    """An administrator of every region, logged in to the desk of every feature."""
    await add_member(sessions, "root", role="admin", regions=("*",))
    browser = client(desk_app(sessions, clock))
    assert (await log_in(browser, "root")).status_code == 303
    return browser
