"""The main menu and the sections behind it."""

from __future__ import annotations

from dialogs.types import Button, Keyboard

# Sections a citizen with consent sees, in menu order.
SECTIONS = (
    "applications",
    "vacancies",
    "interviews",
    "complaints",
    "status",
    "question",
    "operator",
    "my_data",
)
# What a citizen without consent may open: general information needs no personal data
# (002 ¶14: information must not require registration or personal data).
GUEST_SECTIONS = ("info", "consent", "help")


def section_button(section: str) -> Button:
    return Button(f"buttons.{section}", f"menu:{section}")


def menu_keyboard(has_consent: bool) -> Keyboard:
    if not has_consent:
        return tuple((section_button(section),) for section in GUEST_SECTIONS)
    buttons = [section_button(section) for section in SECTIONS]
    rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    return (*rows, (section_button("info"), section_button("help")))


def to_menu_row() -> tuple[Button, ...]:
    return (Button("buttons.menu", "nav:menu"),)
