"""A terminal chat with the same engine and database: for trying the assistant without a
Telegram account. Buttons are shown as numbered choices; type the number to press one."""

from __future__ import annotations

import asyncio
import getpass
import html
import re
import sys
from typing import TextIO

from bot.parts import Parts
from dialogs.types import Incoming, RenderedReply
from storage.repositories import SqlDialogStore

CHANNEL = "console"
_TAG = re.compile(r"<[^>]+>")


def plain_text(telegram_html: str) -> str:
    return html.unescape(_TAG.sub("", telegram_html))


def show(reply: RenderedReply, out: TextIO, first_number: int) -> list[str]:
    """Print one reply; return the payloads of its buttons in the order they were numbered."""
    out.write(plain_text(reply.text) + "\n")
    payloads: list[str] = []
    for row in reply.buttons:
        labels = []
        for button in row:
            payloads.append(button.payload)
            labels.append(f"[{first_number + len(payloads) - 1}] {plain_text(button.label)}")
        out.write("   " + "   ".join(labels) + "\n")
    out.write("\n")
    return payloads


async def chat(parts: Parts, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> None:
    user = getpass.getuser()
    out.write(plain_text(parts.renderer.text("console.hint")) + "\n\n")
    payloads: list[str] = []
    first_input: str | None = "/start"
    while True:
        if first_input is not None:
            line, first_input = first_input, None
        else:
            out.write("> ")
            out.flush()
            line = await asyncio.to_thread(stdin.readline)
            if not line:  # end of input (Ctrl+D)
                out.write("\n")
                return
            line = line.strip()
            if not line:
                continue
        incoming = _incoming(user, line, payloads)
        async with parts.sessions() as session:
            replies = await parts.engine.handle(
                SqlDialogStore(session), incoming, parts.services(session)
            )
            await session.commit()
        payloads = []
        for message in parts.renderer.replies(replies):
            payloads += show(message, out, first_number=len(payloads) + 1)


def _incoming(user: str, line: str, payloads: list[str]) -> Incoming:
    pressed = line.isdigit() and 1 <= int(line) <= len(payloads)
    return Incoming(
        channel=CHANNEL,
        external_id=user,
        chat_id=0,
        display_name=user,
        text=None if pressed else line,
        payload=payloads[int(line) - 1] if pressed else None,
    )
