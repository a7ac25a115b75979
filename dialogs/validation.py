"""Checks of what a citizen types, shared by the flows. Each function returns the value in
its canonical form, or raises `Invalid` with a reason the dialog turns into a template."""

from __future__ import annotations

from typing import Any

import phonenumbers

from dialogs.types import Incoming

# Files staff can open: photos, and documents as PDF or pictures.
FILE_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png", "image/heic", "image/webp"})


class Invalid(ValueError):  # noqa: N818 - reads as `validation.Invalid`
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def clean_text(value: str | None, *, min_letters: int = 1, max_chars: int = 1000) -> str:
    """Free text with its spacing tidied: not empty, not too long, with some letters in it
    (unreadable text cannot be acted on, 004 §5.15(в))."""
    lines = (" ".join(line.split()) for line in (value or "").splitlines())
    # PostgreSQL's text refuses NUL; other control characters are never meant.
    cleaned = "\n".join(line for line in lines if line)
    cleaned = "".join(char for char in cleaned if char == "\n" or char.isprintable())
    if not cleaned:
        raise Invalid("empty")
    if len(cleaned) > max_chars:
        raise Invalid("too_long")
    if sum(char.isalpha() for char in cleaned) < min_letters:
        raise Invalid("too_short")
    return cleaned


def phone(value: str | None) -> str:
    """A phone number in the international form, +79001234567; Russian numbers may be typed
    with 8 or without a country code."""
    raw = (value or "").strip()
    if not raw:
        raise Invalid("empty")
    if len(raw) > 40:
        raise Invalid("not_a_phone")
    try:
        number = phonenumbers.parse(raw, "RU")
    except phonenumbers.NumberParseException as exc:
        raise Invalid("not_a_phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise Invalid("not_a_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def attached_file(incoming: Incoming) -> dict[str, Any]:
    """The photo or document the citizen sent, as the case keeps it (the messenger's file
    id, not the bytes); Invalid("not_a_file") for a voice message, a sticker or another
    kind of document."""
    acceptable = incoming.attachment == "photo" or (
        incoming.attachment == "document" and incoming.mime_type in FILE_TYPES
    )
    if not acceptable or incoming.file_id is None:
        raise Invalid("not_a_file")
    return {
        "kind": incoming.attachment,
        "file_id": incoming.file_id,
        "name": incoming.file_name,
        "mime_type": incoming.mime_type,
    }
