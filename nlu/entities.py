"""Turns entity spans as citizens write them into values the flows can use:
"в самаре" -> "Самара", "водителя" -> "водитель", "70 тыс" -> "70000"."""

from __future__ import annotations

import re

from kernel import case_numbers
from nlu.lemmas import lemma, words
from nlu.results import Entity

_THOUSANDS = ("тыс", "тысяча", "т", "k", "к")
_NUMBER = re.compile(r"\d[\d\s]*")


def normalized(entity: Entity) -> Entity:
    # The lookup lists' extractor gives the list's entry as the value ("водитель" for the typo
    # "водитля"); DIET gives the span itself. Either way the head word becomes a lemma.
    written = entity.value or entity.text
    value = _normalize_value(entity.name, written)
    return Entity(entity.name, value if value is not None else entity.value, entity.text)


def _normalize_value(name: str, text: str) -> str | None:
    if name == "city":
        return " ".join(_town_case(part) for part in _head_lemma(text).split())
    if name == "profession":
        return _head_lemma(text)
    if name == "salary":
        return salary_roubles(text)
    if name == "case_number":
        return case_numbers.parse(text)
    return None


def _town_case(word: str) -> str:
    """A town's capitals: "ростов-на-дону" -> "Ростов-на-Дону", "кинель-черкассы" ->
    "Кинель-Черкассы"."""
    parts = word.split("-")
    return "-".join(p if p in ("на", "де") and i else p.capitalize() for i, p in enumerate(parts))


def _head_lemma(text: str) -> str:
    """The first word as a lemma, the rest as written: "менеджера по продажам" keeps the words
    that depend on the head ("менеджер по продажам")."""
    parts = words(text)
    if not parts:
        return text.strip()
    return " ".join([lemma(parts[0]), *parts[1:]])


def salary_roubles(text: str) -> str | None:
    """An amount in roubles as digits: "60000", "40 000", "70 тыс", "150 тысяч"."""
    match = _NUMBER.search(text)
    if match is None:
        return None
    amount = int(re.sub(r"\s", "", match.group()))
    rest = text[match.end() :].strip().lower()
    if rest and lemma(rest.split()[0].rstrip(".")) in _THOUSANDS:
        amount *= 1000
    return str(amount)
