"""The deadline rules, loaded from `rules.yml` (data, not code)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from kernel.deadlines import Unit

RULES_FILE = Path(__file__).with_name("rules.yml")


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

    @property
    def template(self) -> str:
        return f"reminders.{self.id}"

    @model_validator(mode="after")
    def _someone_is_told(self) -> Rule:
        if not self.remind and not self.watch:
            raise ValueError("a rule must remind the citizen or watch for staff")
        return self


_CATALOGUE = TypeAdapter(dict[str, Rule])


def load_rules(path: Path = RULES_FILE) -> Mapping[str, Rule]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    rules = _CATALOGUE.validate_python(raw)
    return {rule_id: rule.model_copy(update={"id": rule_id}) for rule_id, rule in rules.items()}


@cache
def catalogue() -> Mapping[str, Rule]:
    return load_rules()
