"""Buttons that lead to the menu and its sections (the menu itself: `Registry.menu_keyboard`)."""

from __future__ import annotations

from dialogs.payloads import MenuPress, NavPress
from dialogs.types import Button


def section_button(section: str) -> Button:
    return Button(f"buttons.{section}", MenuPress(section).pack())


def to_menu_row() -> tuple[Button, ...]:
    return (Button("buttons.menu", NavPress("menu").pack()),)
