"""Staff API commands.

python -m app admin serve               serve the staff API alone (admin.host, admin.port)
python -m app admin token add NAME      issue a token for a staff member (shown once)
python -m app admin token revoke NAME   revoke it
python -m app admin token list          who has a token
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

import uvicorn

from admin import tokens
from app.build import Application
from kernel.cli import CONFIG_ERROR, configure_logging, settings_or_report
from kernel.settings import Settings
from storage.database import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.models import StaffToken


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app admin", description="Staff API commands")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the staff API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    token = sub.add_parser("token", help="staff API tokens")
    token.add_argument("action", choices=("add", "revoke", "list"))
    token.add_argument("name", nargs="?")
    args = parser.parse_args(argv)
    settings = settings_or_report()
    if settings is None:
        return CONFIG_ERROR
    if args.command == "serve":
        configure_logging(settings.logging.level)
        return asyncio.run(_serve(settings, args.host, args.port))
    if args.action != "list" and not args.name:
        print("error: the staff member's name is required", file=sys.stderr)
        return 2
    try:
        print(asyncio.run(_token(settings, args.action, args.name)))
    except tokens.TokenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


async def _serve(settings: Settings, host: str | None, port: int | None) -> int:
    await upgrade(settings.database.url)
    db = create_engine(settings.database.url, echo=settings.database.echo)
    app = Application(settings, create_session_factory(db)).staff_app()
    config = uvicorn.Config(
        app,
        host=host or settings.admin.host,
        port=port or settings.admin.port,
        lifespan="off",
        # The audit log is the record of calls; an access log would keep the raw query
        # strings (tokens, citizens' names) that the audit log leaves out.
        access_log=False,
    )
    try:
        await uvicorn.Server(config).serve()
    finally:
        await db.dispose()
    return 0


async def _token(settings: Settings, action: str, name: str | None) -> str:
    await upgrade(settings.database.url)
    engine = create_engine(settings.database.url)
    by = f"cli:{getpass.getuser()}"
    try:
        async with create_session_factory(engine)() as session:
            if action == "add":
                assert name is not None
                issued = await tokens.issue(session, name, by=by)
                await session.commit()
                return issued
            if action == "revoke":
                assert name is not None
                await tokens.revoke(session, name, by=by)
                await session.commit()
                return f"revoked: {name}"
            rows = await tokens.listing(session)
            return "\n".join(_token_line(row) for row in rows) or "no tokens"
    finally:
        await engine.dispose()


def _token_line(row: StaffToken) -> str:
    state = "revoked" if row.revoked_at else "active"
    used = f"last used {row.last_used_at:%Y-%m-%d %H:%M} UTC" if row.last_used_at else "never used"
    return f"{row.staff_name}\t{state}\t{used}"
