"""Cutting a long Telegram HTML text into messages of at most 4096 characters (Bot API,
sendMessage) that each parse on their own.

A cut goes on a paragraph boundary, else a line, else a space; a word longer than the limit is
cut hard. A cut never falls inside a tag (`<b>`) or an entity (`&amp;`), and a tag still open
at the cut is closed at the end of its part and opened again at the start of the next: a
citizen's long answer without spaces must not reach Telegram as broken markup (Telegram
refuses the whole message: "can't parse entities").
"""

from __future__ import annotations

import re

MAX_TEXT = 4096  # Bot API sendMessage text limit, in characters
_TAG = re.compile(r"<(/?)([a-z][a-z0-9-]*)(?:\s[^<>]*)?>")
_LONGEST_ENTITY = 10  # "&#1114111;"


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    parts: list[str] = []
    rest = text
    reopen = ""  # the tags open at the last cut, opened again in front of the next part
    while True:
        chunk = reopen + rest
        if len(chunk) <= limit:
            if chunk.strip():
                parts.append(chunk)
            return parts
        budget = limit
        while True:
            cut = _cut(chunk, budget, floor=len(reopen))
            head = chunk[:cut].rstrip()
            opened = _open_tags(head)
            closing = "".join(f"</{name}>" for name, _ in reversed(opened))
            if len(head) + len(closing) <= limit or budget <= len(reopen) + 1:
                break
            budget = limit - len(closing)
        parts.append(head + closing)
        reopen = "".join(tag for _, tag in opened)
        rest = chunk[cut:].lstrip()


def _cut(text: str, limit: int, floor: int) -> int:
    """Where to cut `text` so that the head is at most `limit` long, past `floor`."""
    window = text[: limit + 1]
    cut = next(
        (pos for sep in ("\n\n", "\n", " ") if (pos := window.rfind(sep)) > floor),
        limit,
    )
    tag_start = text.rfind("<", floor, cut)
    if tag_start > floor and text.find(">", tag_start, cut) == -1:
        cut = tag_start  # the cut fell inside a tag: cut before it
    entity_start = text.rfind("&", max(floor, cut - _LONGEST_ENTITY), cut)
    if entity_start > floor and text.find(";", entity_start, cut) == -1:
        cut = entity_start  # inside an entity
    return max(cut, floor + 1)


def _open_tags(html: str) -> list[tuple[str, str]]:
    """The tags still open at the end of `html`: (name, the opening tag as written)."""
    stack: list[tuple[str, str]] = []
    for match in _TAG.finditer(html):
        closing, name = match.group(1), match.group(2)
        if not closing:
            stack.append((name, match.group(0)))
            continue
        for index in range(len(stack) - 1, -1, -1):
            if stack[index][0] == name:
                del stack[index:]
                break
    return stack
