"""The project's own registration numbers, e.g. Ж-2026-000123.

A letter for the kind of case (Ж complaint, З application, В question), the year and a sequence
number. Citizens type them with Latin look-alikes, lower case and without the first dash;
`parse` returns the canonical form. nlu/data/regex.yml holds the same pattern for Rasa.
"""

from __future__ import annotations

import re

KINDS = {"Ж": "complaint", "З": "application", "В": "question"}
_LATIN_TO_KIND = {"Z": "З", "J": "Ж"}
PATTERN = re.compile(r"(?<!\w)([ЖЗВжзвZzJj])-?(\d{4})-(\d{1,6})(?!\w)")


def format_number(kind_letter: str, year: int, sequence: int) -> str:
    return f"{kind_letter}-{year:04d}-{sequence:06d}"


def search(text: str) -> tuple[str, str] | None:
    """The first registration number in the text: (as written, canonical), or None."""
    match = PATTERN.search(text)
    if match is None:
        return None
    letter = match.group(1).upper()
    letter = _LATIN_TO_KIND.get(letter, letter)
    return match.group(), format_number(letter, int(match.group(2)), int(match.group(3)))


def parse(text: str) -> str | None:
    """The first registration number in the text, canonical; None when there is none."""
    found = search(text)
    return found[1] if found else None
