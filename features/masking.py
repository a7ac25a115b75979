"""Personal data as staff without full access see it: enough to recognise the person on the
phone ("Анна П., +7 *** ***-**-67"), not enough to copy a record out."""

from __future__ import annotations

HIDDEN = "***"


def initial(name: str | None) -> str | None:
    """ "Петрова" -> "П." """
    if not name or not name.strip():
        return name
    return f"{name.strip()[0]}."


def display_name(name: str | None) -> str | None:
    """ "Анна Петрова" -> "Анна П.": the first word, the others as initials."""
    if not name or not name.split():
        return name
    first, *others = name.split()
    return " ".join([first, *(f"{word[0]}." for word in others)])


def phone(number: str | None) -> str | None:
    """The last two digits only: "+79001234567" -> "+7 *** ***-**-67"."""
    if not number:
        return number
    digits = [ch for ch in number if ch.isdigit()]
    return f"+7 *** ***-**-{''.join(digits[-2:])}"


def email(address: str | None) -> str | None:
    """ "anna@mail.ru" -> "a***@mail.ru"."""
    if not address:
        return address
    user, at, domain = address.partition("@")
    return f"{user[:1]}{HIDDEN}{at}{domain}"


def username(name: str | None) -> str | None:
    return f"{name[:1]}{HIDDEN}" if name else name
