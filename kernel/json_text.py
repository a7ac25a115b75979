"""JSON as the bot writes it: with orjson (UTF-8, Cyrillic as two bytes a letter, not a
six-byte `\\u0410` escape; ten to twenty times faster than the standard library's json on the
turn's bodies and columns, bench/README.md "The whole bot"). Keys that are not strings (an id)
are written as strings, as json does."""

from __future__ import annotations

from typing import Any

import orjson


def json_bytes(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


def json_text(value: Any) -> str:
    return json_bytes(value).decode()
