"""Logs leave the process as JSON lines with citizens' phone numbers, e-mails and names
masked, in the message and in a traceback alike."""

from __future__ import annotations

import json
import logging
import sys

from kernel.logs import JsonLines, MaskedText, mask


def test_phones_emails_and_names_are_masked() -> None:
    text = "от Анна Сергеевна Петрова: +7 927 123-45-67, 89001234567, anna.petrova@mail.ru"
    assert mask(text) == "от А. С. П.: +7 *** ***-**-67, +7 *** ***-**-67, a***@mail.ru"
    # Not names or phones: a region, a single capitalised word, long numbers, an id.
    kept = "Самарская область, Анна, update 123456789012, Ж-2026-000042"
    assert mask(kept) == kept


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("bot", logging.INFO, __file__, 1, message, args, None)
    made.__dict__.update(extra)
    return made


def test_one_json_object_a_line_with_the_extras() -> None:
    line = JsonLines().format(record("wrote %s", "+79271234567", update_id=17))
    event = json.loads(line)
    assert "\n" not in line
    assert event["message"] == "wrote +7 *** ***-**-67"
    assert (event["level"], event["logger"], event["update_id"]) == ("INFO", "bot", 17)


def test_a_traceback_is_masked_too() -> None:
    try:
        raise ValueError("bad e-mail ivan@example.org")
    except ValueError:
        failed = record("failed")
        failed.exc_info = sys.exc_info()
    event = json.loads(JsonLines().format(failed))
    assert "i***@example.org" in event["error"]
    assert "ivan@" not in event["error"]
    assert "ivan@" not in MaskedText().format(failed)
