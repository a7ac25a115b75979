"""The start-up every command-line entry point shares: settings read and checked once, a
bad setting named in one line and exit status 2 instead of a traceback, and logging."""

from __future__ import annotations

import logging
import sys

from kernel.logs import JsonLines, MaskedText
from kernel.settings import ConfigError, Settings, load_settings

CONFIG_ERROR = 2  # the exit status of a bad setting


def settings_or_report() -> Settings | None:
    """The settings, or None after printing "configuration error: …" to stderr."""
    try:
        return load_settings()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return None


def configure_logging(level: str | int, style: str = "text") -> None:
    """Logs to standard error, as JSON lines (`json`) or plain text, personal data masked."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if style == "json" else MaskedText())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("alembic").setLevel(logging.WARNING)
