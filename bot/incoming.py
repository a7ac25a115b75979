"""Telegram message or button press -> the engine's channel-agnostic Incoming."""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message

from dialogs.types import Incoming

CHANNEL = "telegram"
ATTACHMENT_KINDS = (
    "photo",
    "document",
    "voice",
    "audio",
    "video",
    "video_note",
    "animation",
    "sticker",
    "poll",
    "dice",
)


def from_message(message: Message) -> Incoming:
    user = message.from_user
    if user is None:
        raise ValueError("message without a sender")
    contact = message.contact
    location = message.location
    document = message.document
    # Telegram sends a photo in several sizes, smallest first: keep the largest.
    file_id = (
        message.photo[-1].file_id if message.photo else document.file_id if document else None
    )
    return Incoming(
        channel=CHANNEL,
        external_id=str(user.id),
        chat_id=message.chat.id,
        text=message.text if message.text is not None else message.caption,
        contact_phone=contact.phone_number if contact else None,
        location=(location.latitude, location.longitude) if location else None,
        attachment=next((kind for kind in ATTACHMENT_KINDS if getattr(message, kind)), None),
        file_id=file_id,
        file_name=document.file_name if document else None,
        mime_type=document.mime_type if document else "image/jpeg" if message.photo else None,
        display_name=user.full_name,
        username=user.username,
        message_id=message.message_id,
    )


def from_callback(callback: CallbackQuery, chat_id: int) -> Incoming:
    user = callback.from_user
    return Incoming(
        channel=CHANNEL,
        external_id=str(user.id),
        chat_id=chat_id,
        payload=callback.data,
        display_name=user.full_name,
        username=user.username,
    )
