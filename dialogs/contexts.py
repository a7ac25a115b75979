"""What each template key receives: its variables with their types, and sample contexts to
check and preview an edit with. Declared next to the templates, in `contexts.yml` of each
templates folder:

    complaint.registered:
      variables: {number: str, due_on: date, email: str?}
      samples:
        - {number: "Ж-63-000001", due_on: 2026-12-15, email: "a@b.ru"}
        - {email: null}          # a further sample: changes to the first one
      buttons: [[buttons.case], [buttons.menu]]   # shown under it in the editor's preview

A type ending in `?` is optional: the code may pass None or leave it out (the template tests
`is defined` / `is none`). A key without an entry receives nothing. The kind of text (a
message, a button, a command's description, a topic title, a partial that others import)
follows from the key, and decides the limits a text is checked against
(dialogs/telegram_html.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import yaml

CONTEXTS_FILE = "contexts.yml"
TITLE_KEYS = frozenset({"operator.topic_title", "operator.question_title"})

_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "number": (int, float),
    "bool": (bool,),
    "date": (date, str),  # reminder contexts are JSON: their dates are ISO strings
    "datetime": (datetime,),
    "time": (time,),
    "list": (list, tuple),
    "dict": (dict,),
    "any": (object,),
}


class DeclarationError(ValueError):
    pass


@dataclass(frozen=True)
class Declaration:
    key: str
    variables: Mapping[str, str] = field(default_factory=dict)  # name -> type ("str?" nullable)
    samples: tuple[Mapping[str, Any], ...] = ({},)
    # The button rows the code sends with this message (their keys), for the preview.
    buttons: tuple[tuple[str, ...], ...] = ()

    @property
    def required(self) -> set[str]:
        return {name for name, declared in self.variables.items() if not declared.endswith("?")}

    def mismatch(self, names: set[str]) -> str | None:
        """Why a context with `names` is not what this key receives; None when it is."""
        extra = names - set(self.variables)
        missing = self.required - names
        if not extra and not missing:
            return None
        return f"{self.key}: not declared {sorted(extra)}, missing {sorted(missing)}"

    @property
    def kind(self) -> str:
        group, _, name = self.key.rpartition(".")
        if name.startswith("_") or group == "intents":
            return "partial"  # imported or included by other templates, never sent alone
        if group == "buttons":
            return "button"
        if group == "commands":
            return "command"
        if self.key in TITLE_KEYS:
            return "title"
        return "message"


def type_problem(name: str, declared: str, value: Any) -> str | None:
    base = declared.removesuffix("?")
    if value is None:
        return None if declared.endswith("?") else f"{name}: пусто, а ожидается {base}"
    expected = _TYPES[base]
    if isinstance(value, bool) and base in ("int", "number"):
        return f"{name}: ожидается {base}"
    return None if isinstance(value, expected) else f"{name}: ожидается {base}"


def _declaration(key: str, entry: Mapping[str, Any], source: Path) -> Declaration:
    variables = dict(entry.get("variables") or {})
    for name, declared in variables.items():
        if str(declared).removesuffix("?") not in _TYPES:
            raise DeclarationError(f"{source}: {key}.{name}: unknown type {declared!r}")
    raw_samples = [_with_times(dict(s), variables) for s in entry.get("samples") or [{}]]
    first = raw_samples[0]
    samples = (first, *({**first, **more} for more in raw_samples[1:]))
    buttons = tuple(tuple(str(label) for label in row) for row in entry.get("buttons") or ())
    declaration = Declaration(key, variables, samples, buttons)
    for sample in samples:
        mismatch = declaration.mismatch(set(sample))
        if mismatch is not None:
            raise DeclarationError(f"{source}: a sample of {mismatch}")
        for name, value in sample.items():
            problem = type_problem(name, variables[name], value)
            if problem is not None:
                raise DeclarationError(f"{source}: {key}: {problem}")
    return declaration


def _with_times(sample: dict[str, Any], variables: Mapping[str, str]) -> dict[str, Any]:
    """YAML has no time of day: "09:00" is read as one for a `time` variable."""
    for name, value in sample.items():
        if str(variables.get(name, "")).startswith("time") and isinstance(value, str):
            sample[name] = time.fromisoformat(value)
    return sample


def load_declarations(folders: Iterable[Path]) -> dict[str, Declaration]:
    """Every declared key of the templates `folders`; a key declared twice is refused."""
    found: dict[str, Declaration] = {}
    for folder in folders:
        path = folder / CONTEXTS_FILE
        if not path.exists():
            continue
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, entry in entries.items():
            if key in found:
                raise DeclarationError(f"{path}: {key} is declared twice")
            found[key] = _declaration(key, entry or {}, path)
    return found


def declaration_of(declarations: Mapping[str, Declaration], key: str) -> Declaration:
    return declarations.get(key) or Declaration(key)
