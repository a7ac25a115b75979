"""The command-line commands, each on the one shared start-up (kernel.cli)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable

from sqlalchemy.engine import make_url

from app import admin_cli
from app.build import all_rules, build_parts
from features.vacancies import cli as vacancies_cli
from kernel.cli import CONFIG_ERROR, configure_logging, settings_or_report
from kernel.settings import Settings
from reminders import cli as reminders_cli
from storage.migrate import upgrade


def bot(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m app", description="The assistant")
    parser.add_argument("command", nargs="?", choices=("auto", "chat", "telegram", "migrate"))
    args = parser.parse_args(argv)
    settings = settings_or_report()
    if settings is None:
        return CONFIG_ERROR
    command = args.command or "auto"
    if command == "auto":
        command = "telegram" if settings.bot.token else "chat"
    if command == "chat":  # a person at a terminal, between the assistant's answers
        configure_logging(logging.WARNING)
    else:
        configure_logging(settings.logging.level, settings.logging.format)
    if command == "migrate":
        asyncio.run(upgrade(settings.database.url))
        print(f"database is up to date: {_safe_url(settings)}")
        return 0
    if command == "chat":
        asyncio.run(_chat(settings))
        return 0
    if settings.bot.token is None:
        print(
            "configuration error: bot.token: set BOT__TOKEN to run the Telegram bot",
            file=sys.stderr,
        )
        return CONFIG_ERROR
    if settings.bot.mode == "webhook":
        from bot.telegram import run_webhook  # noqa: PLC0415 - aiogram only for Telegram

        run_webhook(settings, lambda: build_parts(settings))
        return 0
    asyncio.run(_polling(settings))
    return 0


async def _chat(settings: Settings) -> None:
    from bot.console import chat  # noqa: PLC0415 - the console chat starts without aiogram

    parts = await build_parts(settings)
    try:
        await chat(parts)
    finally:
        await parts.close()


async def _polling(settings: Settings) -> None:
    from bot.telegram import run_polling  # noqa: PLC0415

    await run_polling(settings, await build_parts(settings))


def reminders(argv: list[str]) -> int:
    return reminders_cli.main(argv, all_rules())


def _safe_url(settings: Settings) -> str:
    return make_url(settings.database.url).render_as_string(hide_password=True)


GROUPS: dict[str, Callable[[list[str]], int]] = {
    "admin": admin_cli.main,
    "reminders": reminders,
    "vacancies": vacancies_cli.main,
}
