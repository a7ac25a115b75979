"""The administrators' staff page of the web desk: add a member, change their role and
regions, deactivate and reactivate them, reset a password (a one-time one, shown once) and
issue or revoke API tokens. The same account functions as the command line; every change is
audited by them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin import accounts, tokens
from features.web import Admin, Session, page
from storage.models import StaffMember, StaffToken

Name = Annotated[str, Form(min_length=1, max_length=64)]
RoleField = Annotated[str, Form()]
RegionsField = Annotated[str, Form(alias="regions", max_length=200)]  # "63,50" or "all"
ROLES = {"operator": "оператор", "supervisor": "руководитель", "admin": "администратор"}


async def _listing(db: AsyncSession) -> list[tuple[StaffMember, StaffToken | None]]:
    members = await accounts.listing(db)
    found = await db.scalars(select(StaffToken).where(StaffToken.revoked_at.is_(None)))
    by_member = {token.staff_id: token for token in found}
    return [(member, by_member.get(member.id)) for member in members]


def router(regions: dict[str, str]) -> APIRouter:
    routes = APIRouter(prefix="/desk/staff")

    async def show(
        request: Request, db: AsyncSession, status: int = 200, **context: Any
    ) -> Response:
        data = {"members": await _listing(db), "roles": ROLES, "regions": regions, **context}
        return page(request, "staff.html", data, status)

    async def change(request: Request, db: AsyncSession, work: Any, done: str) -> Response:
        """Runs an account change; its refusal is shown on the page, nothing half-done."""
        try:
            shown = await work()
        except (accounts.AccountError, tokens.TokenError) as exc:
            await db.rollback()
            return await show(request, db, 422, error=str(exc))
        await db.commit()
        return await show(request, db, flash=done, secret=shown)

    @routes.get("")
    async def staff_page(request: Request, db: Session, staff: Admin) -> Response:
        return await show(request, db)

    @routes.post("/add")
    async def add(
        request: Request,
        *,
        db: Session,
        staff: Admin,
        name: Name,
        role: RoleField,
        region_codes: RegionsField,
        telegram_id: Annotated[str, Form(max_length=20)] = "",
    ) -> Response:
        async def work() -> str | None:
            codes = accounts.parse_regions(region_codes, regions)
            if telegram_id and not telegram_id.strip().isdigit():
                raise accounts.AccountError("Telegram id — это число")
            await accounts.add(
                db,
                name.strip(),
                role,
                codes,
                by=staff.key,
                telegram_id=int(telegram_id) if telegram_id.strip() else None,
            )
            return await accounts.set_password(db, name.strip(), None, by=staff.key)

        return await change(request, db, work, f"Добавлен(а) {name}. Одноразовый пароль ниже.")

    @routes.post("/role")
    async def role(
        request: Request,
        *,
        db: Session,
        staff: Admin,
        name: Name,
        role: RoleField,
        region_codes: RegionsField,
    ) -> Response:
        async def work() -> None:
            codes = accounts.parse_regions(region_codes, regions)
            await accounts.change_role(db, name, role, codes, by=staff.key)

        return await change(request, db, work, f"Роль и регионы {name} изменены.")

    @routes.post("/deactivate")
    async def deactivate(request: Request, db: Session, staff: Admin, name: Name) -> Response:
        async def work() -> None:
            if name == staff.name:
                raise accounts.AccountError("нельзя отключить самого себя")
            await accounts.deactivate(db, name, by=staff.key)

        return await change(request, db, work, f"{name} отключен(а); сессии и токен закрыты.")

    @routes.post("/reactivate")
    async def reactivate(request: Request, db: Session, staff: Admin, name: Name) -> Response:
        async def work() -> str | None:
            await accounts.reactivate(db, name, by=staff.key)
            return await accounts.set_password(db, name, None, by=staff.key)

        return await change(request, db, work, f"{name} снова работает. Одноразовый пароль ниже.")

    @routes.post("/password")
    async def password(request: Request, db: Session, staff: Admin, name: Name) -> Response:
        async def work() -> str | None:
            return await accounts.set_password(db, name, None, by=staff.key)

        return await change(request, db, work, f"Пароль {name} сброшен. Одноразовый пароль ниже.")

    @routes.post("/token")
    async def token(request: Request, db: Session, staff: Admin, name: Name) -> Response:
        async def work() -> str:
            return await tokens.issue(db, name, by=staff.key)

        return await change(
            request, db, work, f"Токен API для {name} выпущен; он показан один раз."
        )

    @routes.post("/token/revoke")
    async def revoke(request: Request, db: Session, staff: Admin, name: Name) -> Response:
        async def work() -> None:
            await tokens.revoke(db, name, by=staff.key)

        return await change(request, db, work, f"Токен API {name} отозван.")

    return routes
