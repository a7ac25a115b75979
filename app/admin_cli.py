"""Staff API commands: serve it, manage staff accounts and their tokens.

python -m app admin serve                         serve the staff API (admin.host, admin.port)
python -m app admin staff add NAME --role ROLE --regions 63,50|all
                          [--telegram-id ID] [--password]   add a staff member
python -m app admin staff list                    who works in the desk
python -m app admin staff deactivate NAME         they lose access at once
python -m app admin staff password NAME [--stdin] set a web desk password from standard input,
                          or print a one-time one that must be changed at the first login
python -m app admin token add NAME                issue a token for a staff member (shown once)
python -m app admin token revoke NAME             revoke it
python -m app admin token list                    who has a token
python -m app admin templates export DIR          every text as the bot sends it now, as files
python -m app admin templates import DIR [--publish]
                          each changed file becomes a revision (checked like an edit in the
                          desk; a refused one is reported with its problems), published on demand

`--password` asks for the web desk password twice (or reads one line from standard input when
it is not a terminal).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from admin import accounts, texts, tokens
from app.build import Application, database_engine, template_files_of
from kernel.cli import CONFIG_ERROR, configure_logging, settings_or_report
from kernel.clock import utc_now
from kernel.settings import Settings
from kernel.staff import Role
from storage.database import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.models import StaffMember, StaffToken

T = TypeVar("T")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = settings_or_report()
    if settings is None:
        return CONFIG_ERROR
    if args.command == "serve":
        configure_logging(settings.logging.level, settings.logging.format)
        return asyncio.run(_serve(settings, args.host, args.port))
    try:
        if args.command == "staff":
            print(_staff(settings, args))
        elif args.command == "templates":
            report, failed = _templates(settings, args)
            print(report)
            return 1 if failed else 0
        else:
            print(_token(settings, args))
    except (tokens.TokenError, accounts.AccountError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app admin", description="Staff API commands")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the staff API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)

    staff = sub.add_parser("staff", help="staff accounts").add_subparsers(
        dest="action", required=True
    )
    add = staff.add_parser("add", help="add a staff member")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    add.add_argument("--regions", required=True, help="region codes, e.g. 63,50; or 'all'")
    add.add_argument("--telegram-id", type=int, help="their Telegram user id")
    add.add_argument("--password", action="store_true", help="set a web desk password")
    staff.add_parser("list", help="every staff member")
    staff.add_parser("deactivate", help="take their access away").add_argument("name")
    password = staff.add_parser("password", help="set or reset a web desk password")
    password.add_argument("name")
    password.add_argument(
        "--stdin", action="store_true", help="read it from standard input (else: a one-time one)"
    )

    token = sub.add_parser("token", help="staff API tokens").add_subparsers(
        dest="action", required=True
    )
    token.add_parser("add", help="issue a token (shown once)").add_argument("name")
    token.add_parser("revoke", help="revoke a token").add_argument("name")
    token.add_parser("list", help="who has a token")

    texts_parser = sub.add_parser("templates", help="the bot's texts").add_subparsers(
        dest="action", required=True
    )
    texts_parser.add_parser("export", help="write every text to a folder").add_argument("dir")
    load = texts_parser.add_parser("import", help="revisions from a folder's changed texts")
    load.add_argument("dir")
    load.add_argument("--publish", action="store_true", help="publish each saved revision")
    return parser


async def _serve(settings: Settings, host: str | None, port: int | None) -> int:
    await upgrade(settings.database.url)
    db = database_engine(settings.database)
    app = Application(settings, create_session_factory(db)).staff_app()
    config = uvicorn.Config(
        app,
        host=host or settings.admin.host,
        port=port or settings.admin.port,
        lifespan="off",
        # The audit log is the record of calls; an access log would keep the raw query
        # strings (tokens, citizens' names) that the audit log leaves out.
        access_log=False,
        log_config=None,  # the process's logging (JSON lines, personal data masked)
    )
    try:
        await uvicorn.Server(config).serve()
    finally:
        await db.dispose()
    return 0


def _staff(settings: Settings, args: argparse.Namespace) -> str:
    by = f"cli:{getpass.getuser()}"
    if args.action == "add":
        regions = accounts.parse_regions(args.regions, settings.regions)
        password = _read_password() if args.password else None

        async def add(session: AsyncSession) -> str:
            member = await accounts.add(
                session,
                args.name,
                args.role,
                regions,
                by=by,
                telegram_id=args.telegram_id,
                password=password,
            )
            return f"added: {_member_line(member)}"

        return _in_session(settings, add)
    if args.action == "deactivate":

        async def deactivate(session: AsyncSession) -> str:
            await accounts.deactivate(session, args.name, by=by)
            return f"deactivated: {args.name} (their token is revoked)"

        return _in_session(settings, deactivate)

    if args.action == "password":
        new = sys.stdin.readline().rstrip("\n") if args.stdin else None

        async def set_password(session: AsyncSession) -> str:
            one_time = await accounts.set_password(session, args.name, new, by=by)
            if one_time is None:
                return f"password set: {args.name}"
            return (
                f"one-time password for {args.name} (to be changed at the first login): {one_time}"
            )

        return _in_session(settings, set_password)

    async def listing(session: AsyncSession) -> str:
        members = await accounts.listing(session)
        return "\n".join(_member_line(member) for member in members) or "no staff members"

    return _in_session(settings, listing)


def _token(settings: Settings, args: argparse.Namespace) -> str:
    by = f"cli:{getpass.getuser()}"
    if args.action == "add":
        return _in_session(settings, lambda session: tokens.issue(session, args.name, by=by))
    if args.action == "revoke":

        async def revoke(session: AsyncSession) -> str:
            await tokens.revoke(session, args.name, by=by)
            return f"revoked: {args.name}"

        return _in_session(settings, revoke)

    async def listing(session: AsyncSession) -> str:
        rows = await tokens.listing(session)
        lifetime = timedelta(days=settings.admin.token_days)
        return "\n".join(_token_line(row, lifetime) for row in rows) or "no tokens"

    return _in_session(settings, listing)


def _templates(settings: Settings, args: argparse.Namespace) -> tuple[str, bool]:
    """The report, and whether anything was refused."""
    files = template_files_of()
    folder = Path(args.dir)
    if args.action == "export":

        async def export(session: AsyncSession) -> str:
            count = await texts.export(session, files, folder)
            return f"exported {count} texts to {folder}"

        return _in_session(settings, export), False
    if not folder.is_dir():
        return f"error: no folder {folder}", True

    async def load(session: AsyncSession) -> texts.Imported:
        by = f"cli:{getpass.getuser()}"
        return await texts.import_folder(session, files, folder, by, publish_them=args.publish)

    result = _in_session(settings, load)
    lines = [f"saved{' and published' if args.publish else ''}: {key}" for key in result.saved]
    lines += [f"unchanged: {result.unchanged}"]
    lines += [f"unknown key, skipped: {key}" for key in result.unknown]
    for key, problems in result.refused.items():
        lines += [f"refused: {key}", *(f"  {problem}" for problem in problems)]
    return "\n".join(lines), bool(result.refused)


def _in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Runs `work` in one transaction on a migrated database, and commits it."""

    async def run() -> T:
        await upgrade(settings.database.url)
        engine = create_engine(settings.database.url)
        try:
            async with create_session_factory(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise accounts.AccountError("the passwords differ")
    return first


def _member_line(member: StaffMember) -> str:
    state = "active" if member.active else "deactivated"
    regions = ",".join(member.regions)
    extras = [f"telegram {member.telegram_id}"] if member.telegram_id else []
    if member.password_hash:
        extras.append("password set")
    return "\t".join([member.name, member.role, regions, state, *extras])


def _token_line(row: StaffToken, lifetime: timedelta) -> str:
    expires = row.created_at + lifetime
    if row.revoked_at:
        state = "revoked"
    elif expires <= utc_now():
        state = "expired"
    else:
        state = f"active until {expires:%Y-%m-%d}"
    used = f"last used {row.last_used_at:%Y-%m-%d %H:%M} UTC" if row.last_used_at else "never used"
    return f"{row.member.name}\t{state}\t{used}"
