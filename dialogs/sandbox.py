"""The Jinja2 environment every citizen-facing text is rendered in.

Administrators edit these templates, so the sandbox must hold even against someone who tries:
Jinja2's `SandboxedEnvironment` blocks Python internals, and this one also caps what a template
can make the process do — a huge `range`, a string multiplied a billion times, `%`-formatting
with a giant width, an exponent tower (Jinja2 would even fold `9**9**9` at compile time unless
the operator is intercepted) — and drops the globals a text never needs (`cycler`, `joiner`,
`lipsum`, `namespace`: ways in, not ways to write a message).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from jinja2 import BaseLoader, StrictUndefined
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

MAX_RANGE = 1_000  # items a template's range() may produce
MAX_REPEAT = 10_000  # characters or items a `*` may produce
MAX_POWER = 64  # the largest exponent of `**`

_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "*": operator.mul,
    "**": operator.pow,
    "%": operator.mod,
}


def format_datetime(value: datetime) -> str:
    """Russian style, in whatever zone the engine already converted the value to."""
    return value.strftime("%d.%m.%Y %H:%M")


def format_date(value: date | str) -> str:
    """A date, or its ISO form (reminder contexts are JSON and keep dates as strings)."""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return value.strftime("%d.%m.%Y")


def format_rubles(value: int | float) -> str:
    """60000 -> "60 000" (a no-break space between thousands, as Russian writes money)."""
    return f"{int(value):,}".replace(",", "\u00a0")


def bounded_range(*args: int) -> range:
    produced = range(*args)
    if len(produced) > MAX_RANGE:
        raise SecurityError(f"range() longer than {MAX_RANGE} items")
    return produced


class GuardedEnvironment(SandboxedEnvironment):
    intercepted_binops = frozenset(_BINARY)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for sized, times in ((left, right), (right, left)):
                repeated = isinstance(sized, str | list | tuple) and isinstance(times, int)
                if repeated and len(sized) * times > MAX_REPEAT:
                    raise SecurityError("a repetition too long for a message")
        elif operator == "**":
            if isinstance(right, int | float) and abs(right) > MAX_POWER:
                raise SecurityError("an exponent too large")
            if isinstance(left, int | float) and abs(left) > 2**MAX_POWER:
                raise SecurityError("a power of too large a number")
        elif operator == "%" and isinstance(left, str):
            raise SecurityError("%-formatting of strings is not available in templates")
        return _BINARY[operator](left, right)


def environment(loader: BaseLoader) -> GuardedEnvironment:
    env = GuardedEnvironment(
        loader=loader,
        autoescape=True,  # Telegram HTML: citizen-typed text must not become markup
        undefined=StrictUndefined,  # a missing variable is an error, not a gap in a message
        trim_blocks=True,
        lstrip_blocks=True,
        # Texts change through `Renderer.publish`, which empties the cache; checking every
        # file's time at each render cost about nine `stat` calls a turn.
        auto_reload=False,
    )
    for unneeded in ("cycler", "joiner", "lipsum", "namespace", "dict"):
        env.globals.pop(unneeded, None)
    env.globals["range"] = bounded_range
    env.filters["datetime"] = format_datetime
    env.filters["date"] = format_date
    env.filters["rub"] = format_rubles
    return env
