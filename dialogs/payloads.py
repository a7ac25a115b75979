"""Typed button payloads, after aiogram's `CallbackData`: a prefix, then the fields of a
dataclass joined by ":". `pack` checks Telegram's 64-byte limit (Bot API, callback_data) in
this one place; `unpack` gives None for anything that does not fit the class, so an old,
forged or foreign payload is an expired button, never an exception or an unbounded number in
SQL (pitfalls: callback_data numbers are text; SQLite integers stop at 2^63 - 1).

    @dataclass(frozen=True)
    class OfferPress(Payload, prefix="off"):
        offer_id: int
        action: str
        item_id: int | None = None

    OfferPress(7, "up", 12).pack() == "off:7:up:12"
    OfferPress.unpack("off:7:up") == OfferPress(7, "up", None)
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, ClassVar, Self

MAX_PAYLOAD_BYTES = 64
SEPARATOR = ":"
MAX_NUMBER = 2**53  # ids and offsets; anything larger is not ours
_PREFIXES: dict[str, type[Payload]] = {}


class Payload:
    """Base of a button payload class; subclasses are frozen dataclasses."""

    prefix: ClassVar[str]

    def __init_subclass__(cls, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if SEPARATOR in prefix or not prefix:
            raise ValueError(f"bad payload prefix {prefix!r}")
        if prefix in _PREFIXES:
            raise ValueError(f"payload prefix {prefix!r} is taken by {_PREFIXES[prefix]}")
        _PREFIXES[prefix] = cls
        cls.prefix = prefix

    def pack(self) -> str:
        values = [getattr(self, field.name) for field in dataclasses.fields(self)]  # type: ignore[arg-type]
        while values and values[-1] is None:  # trailing optional fields are left out
            values.pop()
        parts = [self.prefix]
        for value in values:
            text = "" if value is None else str(value)
            if SEPARATOR in text:
                raise ValueError(f"{SEPARATOR!r} in a payload field: {text!r}")
            parts.append(text)
        packed = SEPARATOR.join(parts)
        check_payload(packed)
        return packed

    @classmethod
    def unpack(cls, data: str | None) -> Self | None:
        """The payload of this class in `data`, or None when it is not one."""
        if not data:
            return None
        prefix, *parts = data.split(SEPARATOR)
        if prefix != cls.prefix:
            return None
        fields = _fields_of(cls)
        if len(parts) > len(fields):
            return None
        values: dict[str, Any] = {}
        for index, (name, hint, required) in enumerate(fields):
            text = parts[index] if index < len(parts) else None
            converted = _convert(text, hint)
            if converted is _INVALID:
                return None
            if converted is None and text is None and required:
                return None
            values[name] = converted
        return cls(**values)


_INVALID = object()


_FIELDS: dict[type[Payload], tuple[tuple[str, Any, bool], ...]] = {}


def _fields_of(cls: type[Payload]) -> tuple[tuple[str, Any, bool], ...]:
    """Each field's name, type and whether it must be given. Once per class: the types are
    the annotations' strings evaluated (`get_type_hints`), and a button press unpacks its
    payload with several classes in turn."""
    fields = _FIELDS.get(cls)
    if fields is None:
        hints = typing.get_type_hints(cls)
        fields = tuple(
            (field.name, hints[field.name], field.default is dataclasses.MISSING)
            for field in dataclasses.fields(cls)  # type: ignore[arg-type]
        )
        _FIELDS[cls] = fields
    return fields


def _convert(text: str | None, hint: Any) -> Any:
    optional = isinstance(hint, types.UnionType) and type(None) in typing.get_args(hint)
    base = next((a for a in typing.get_args(hint) if a is not type(None)), hint)
    if text is None:
        return None  # left out: the caller knows whether the field may be
    if not text:
        return None if optional else _INVALID
    if base is int:
        if not text.isdigit() or int(text) > MAX_NUMBER:
            return _INVALID
        return int(text)
    return text


def check_payload(payload: str) -> None:
    # Telegram rejects callback_data longer than 64 bytes (Bot API, InlineKeyboardButton).
    if not 1 <= len(payload.encode()) <= MAX_PAYLOAD_BYTES:
        raise ValueError(f"button payload must be 1-64 bytes: {payload!r}")


def prefix_of(data: str) -> str:
    return data.split(SEPARATOR, 1)[0]


# --- the framework's own buttons ----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class MenuPress(Payload, prefix="menu"):
    """Open a section of the menu."""

    section: str


@dataclasses.dataclass(frozen=True)
class NavPress(Payload, prefix="nav"):
    """Leave or walk a flow: back, cancel, menu."""

    where: str


@dataclasses.dataclass(frozen=True)
class IntentPress(Payload, prefix="intent"):
    """Yes to "did you mean ...?": act on the intent."""

    intent: str


@dataclasses.dataclass(frozen=True)
class DraftPress(Payload, prefix="draft"):
    """Resume an unfinished flow, or start it anew."""

    action: str
    flow: str
