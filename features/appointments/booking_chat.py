"""The citizen books a consultation slot: the nearest free slots as buttons, book, cancel,
move; one booked consultation at a time. A slot someone else took a moment earlier is told
plainly, with the next free ones."""

from __future__ import annotations

from datetime import UTC, datetime

from dialogs.feature import Controls
from dialogs.flow import Turn
from dialogs.menu import to_menu_row
from dialogs.types import Button, Keyboard, Reply
from features.appointments.bookings import SlotTakenError
from features.appointments.ports import BookingDesk, BookPress, booking_desk
from storage.models import Booking

OFFERED = 6  # slots shown at once


def minute_of(moment: datetime) -> int:
    return int(moment.timestamp()) // 60


def moment_of(minute: int) -> datetime | None:
    if not 0 < minute < 2**31:
        return None
    return datetime.fromtimestamp(minute * 60, UTC)


def place_of(turn: Turn) -> str:
    region = turn.config.regions.get(turn.citizen.region_code or "")
    return region.address if region and region.address else "центр занятости вашего района"


def slot_view(turn: Turn, moment: datetime) -> dict[str, object]:
    local = moment.astimezone(turn.zone)
    return {"day": local.date(), "at": local.strftime("%H:%M")}


def booking_buttons(booking: Booking) -> Keyboard:
    return (
        (
            Button("buttons.booking_move", BookPress("move", booking.id).pack()),
            Button("buttons.booking_cancel", BookPress("cancel", booking.id).pack()),
        ),
    )


def book_button() -> Button:
    return Button("buttons.booking_list", BookPress("list").pack())


async def _slots(turn: Turn, desk: BookingDesk, moving: int | None = None) -> Reply:
    free = await desk.free_slots(turn.citizen.region_code or "", turn.now, OFFERED)
    if not free:
        return Reply("booking.no_slots", buttons=(to_menu_row(),))
    action = "take" if moving is None else "moveto"
    rows = tuple(
        (
            Button(
                "buttons.booking_slot",
                BookPress(action, moving or 0, minute_of(slot)).pack(),
                slot_view(turn, slot),
            ),
        )
        for slot in free
    )
    return Reply("booking.slots", {"moving": moving is not None}, buttons=(*rows, to_menu_row()))


async def _own(turn: Turn, desk: BookingDesk, booking_id: int | None) -> Booking | None:
    booking = await desk.get(booking_id) if booking_id else None
    if booking is None or booking.citizen_id != turn.citizen.id or booking.state != "booked":
        return None
    return booking


async def _take(turn: Turn, desk: BookingDesk, moment: datetime) -> list[Reply]:
    try:
        booking = await desk.book(turn.citizen, moment, turn.now, place=place_of(turn))
    except SlotTakenError:
        return [Reply("booking.taken", slot_view(turn, moment)), await _slots(turn, desk)]
    return [
        Reply(
            "booking.booked",
            {**slot_view(turn, booking.starts_at), "place": place_of(turn)},
            buttons=(*booking_buttons(booking), to_menu_row()),
        )
    ]


async def pressed_book(turn: Turn, controls: Controls, data: str) -> list[Reply]:
    press = BookPress.unpack(data)
    desk = booking_desk(turn)
    if press is None or desk is None:
        return controls.expired(turn)
    controls.leave_flow(turn)
    current = await desk.of_citizen(turn.citizen.id, turn.now)
    moment = moment_of(press.minute or 0)
    if press.action in ("list", "take") and current:
        booked = current[0]  # one consultation at a time: move or cancel it
        return [
            Reply(
                "booking.already",
                slot_view(turn, booked.starts_at),
                buttons=(*booking_buttons(booked), to_menu_row()),
            )
        ]
    if press.action == "list":
        return [await _slots(turn, desk)]
    if press.action == "take" and moment is not None:
        return await _take(turn, desk, moment)
    booking = await _own(turn, desk, press.booking_id)
    if booking is None:
        return controls.expired(turn)
    if press.action == "cancel":
        await desk.cancel(turn.citizen, booking, turn.now)
        view = slot_view(turn, booking.starts_at)
        return [Reply("booking.cancelled", view, buttons=((book_button(),), to_menu_row()))]
    if press.action == "move":
        return [await _slots(turn, desk, moving=booking.id)]
    if press.action == "moveto" and moment is not None:
        replies = await _take(turn, desk, moment)
        if replies[0].template == "booking.booked":
            await desk.cancel(turn.citizen, booking, turn.now)  # the new seat is held first
        return replies
    return controls.expired(turn)
