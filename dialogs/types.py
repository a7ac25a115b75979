"""Values that cross the boundary between a channel adapter and the engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dialogs.payloads import check_payload


@dataclass(frozen=True)
class Incoming:
    """One thing a citizen did: wrote text, pressed a button, shared a contact, sent a file."""

    channel: str  # "telegram" | "console"
    external_id: str  # the channel's id of the person
    chat_id: int
    text: str | None = None
    payload: str | None = None  # data of the pressed button
    contact_phone: str | None = None
    location: tuple[float, float] | None = None
    attachment: str | None = None  # "photo", "document", "voice", "sticker", ...
    file_id: str | None = None  # the channel's id of an attached photo or document
    file_name: str | None = None
    mime_type: str | None = None
    display_name: str | None = None  # from the channel profile; stored only after consent
    username: str | None = None
    message_id: int | None = None  # the channel's id of the message, to relay a copy of it


@dataclass(frozen=True)
class Button:
    """A choice offered to the citizen. `label` is a template key, rendered like any text."""

    label: str
    payload: str
    context: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_payload(self.payload)


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Reply:
    """A message to send: a template key, its context and the buttons under it."""

    template: str
    context: Mapping[str, Any] = field(default_factory=dict)
    buttons: Keyboard = ()
    # Said in one message with the reply after it (a greeting and its first question): one
    # message to read, and one fewer to send under Telegram's limit.
    joins_next: bool = False


@dataclass(frozen=True)
class RenderedButton:
    label: str
    payload: str


@dataclass(frozen=True)
class RenderedReply:
    text: str  # Telegram HTML
    buttons: tuple[tuple[RenderedButton, ...], ...] = ()
