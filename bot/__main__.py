"""Entry point.

python -m bot            Telegram bot when BOT__TOKEN is set, otherwise the console chat
python -m bot chat       the console chat
python -m bot telegram   the Telegram bot (polling or webhook, from bot.mode)
python -m bot migrate    apply database migrations and exit
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from kernel.settings import ConfigError, Settings, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=("auto", "chat", "telegram", "migrate"))
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2

    command = args.command or "auto"
    if command == "auto":
        command = "telegram" if settings.bot.token else "chat"
    logging.basicConfig(
        level=settings.logging.level if command != "chat" else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if command == "migrate":
        from storage.migrate import upgrade

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
        return 2
    if settings.bot.mode == "webhook":
        from bot.telegram import run_webhook

        run_webhook(settings)
        return 0
    asyncio.run(_polling(settings))
    return 0


async def _chat(settings: Settings) -> None:
    from bot.console import chat
    from bot.wiring import build_parts

    parts = await build_parts(settings)
    try:
        await chat(parts)
    finally:
        await parts.close()


async def _polling(settings: Settings) -> None:
    from bot.telegram import run_polling
    from bot.wiring import build_parts

    await run_polling(settings, await build_parts(settings))


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.database.url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
