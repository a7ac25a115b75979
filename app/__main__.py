"""Entry point of the whole assistant.

python -m app                     the Telegram bot when BOT__TOKEN is set, else the console chat
python -m app chat                the console chat
python -m app telegram            the Telegram bot (polling or webhook, from bot.mode)
python -m app migrate             apply database migrations and exit
python -m app admin ...           the staff API alone, and staff tokens (`admin --help`)
python -m app reminders ...       deadlines, the production calendar, the deadline rules
python -m app vacancies import F  import the «Работа в России» vacancy feed
"""

from __future__ import annotations

import sys

from app import commands


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in commands.GROUPS:
        return commands.GROUPS[argv[0]](argv[1:])
    return commands.bot(argv)


if __name__ == "__main__":
    sys.exit(main())
