"""Logs as JSON lines, one event per line, with citizens' phone numbers, e-mail addresses and
names masked wherever they turn up (a message, an argument, a traceback). Log collectors parse
them as they are; personal data does not leave in them (152-ФЗ)."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

# +7 927 123-45-67, 89271234567, 8 (927) 123 45 67 ...: all but the last two digits hidden.
PHONE = re.compile(r"(?<!\d)(?:\+7|8)[\s\-()]*\d{3}[\s\-()]*\d{3}[\s\-]*\d{2}[\s\-]*(\d{2})(?!\d)")
EMAIL = re.compile(r"\b([\w.+-])[\w.+-]*@([\w-]+(?:\.[\w-]+)+)")
# Two or three capitalised Cyrillic words in a row: a person's name in these logs (the code
# logs in English; Russian words in capitals come from what citizens typed).
NAME = re.compile(r"\b([А-ЯЁ])[а-яё]+(?:\s+([А-ЯЁ])[а-яё]+){1,2}\b")
# What a record carries besides the message, when the code passed it with `extra=`.
EXTRAS = ("update_id", "citizen_id", "handover_id", "method", "path", "status")


def mask(text: str) -> str:
    text = PHONE.sub(lambda m: f"+7 *** ***-**-{m.group(1)}", text)
    text = EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    return NAME.sub(lambda m: " ".join(f"{w[0]}." for w in m.group(0).split()), text)


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask(record.getMessage()),
        }
        for name in EXTRAS:
            if hasattr(record, name):
                event[name] = getattr(record, name)
        if record.exc_info:
            event["error"] = mask(self.formatException(record.exc_info))
        return json.dumps(event, ensure_ascii=False, default=str)


class MaskedText(logging.Formatter):
    """The plain format for a person at a terminal, masked the same way."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))
