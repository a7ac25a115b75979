"""The deadline rules: data, not code. Each feature ships a `rules.yml` of the terms it uses;
the composition root loads them all into one mapping and passes it in. Every deadline a
flow uses is one of these rules; nothing else in the code knows an amount of days.

A rule:
  amount, unit   the term: `wd` working days on the region's production calendar, `cd` calendar
                 days; counted from the day after the event (001 ¶2.10.2, ¶3.4.6)
  actor          who must act: `citizen` (the citizen is reminded) or `centre` (staff see a
                 watchdog item; the citizen may be told the expected date)
  paragraph      where the rule comes from (regulation ¶)
  remind         reminders to the citizen: `before` = days before the last day, in the rule's
                 unit (0 = on the last day, -1 = the day after it: "it is late"), `at` = local
                 time; the text is the template `reminders.<rule id>`
  watch          watchdog items for the operator desk, same `before` and `at`
  grace_hours    how late a citizen's reminder may still go out (downtime); later it expires
                 and is shown to staff instead
  hours_before   for a rule about a moment rather than a term (a visit): reminders that many
                 hours before it; `remind` then counts calendar days before the moment's day
                 (`reminders.store.SqlReminderBook.schedule_before`)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from kernel.deadlines import Unit


class Offset(BaseModel):
    """`before` days of the rule's unit before its last day (negative: after it), at `at`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    before: int = Field(ge=-30, le=30)
    at: time


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = ""
    description: str
    amount: int = Field(ge=0, le=366)
    unit: Unit
    actor: Literal["citizen", "centre"]
    paragraph: str = Field(min_length=3)
    remind: tuple[Offset, ...] = ()
    watch: tuple[Offset, ...] = ()
    grace_hours: float = Field(default=12, gt=0)
    hours_before: tuple[float, ...] = ()

    @property
    def template(self) -> str:
        return f"reminders.{self.id}"

    @model_validator(mode="after")
    def _someone_is_told(self) -> Rule:
        if not self.remind and not self.watch and not self.hours_before:
            raise ValueError("a rule must remind the citizen or watch for staff")
        return self


_CATALOGUE = TypeAdapter(dict[str, Rule])


def load_rules(*paths: Path) -> Mapping[str, Rule]:
    """The rules of every file, by id; an id in two files is refused."""
    rules: dict[str, Rule] = {}
    for path in paths:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        for rule_id, rule in _CATALOGUE.validate_python(raw).items():
            if rule_id in rules:
                raise ValueError(f"deadline rule {rule_id!r} is declared twice ({path})")
            rules[rule_id] = rule.model_copy(update={"id": rule_id})
    return rules
