"""Terms of services not built yet, kept here until a feature package takes them."""

from __future__ import annotations

from pathlib import Path

from features.kit import Feature
from reminders.rules import load_rules

FEATURE = Feature(name="planned", rules=load_rules(Path(__file__).with_name("rules.yml")))
