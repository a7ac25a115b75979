"""The vacancy search: asks only what the job profile lacks — the profession, the town, the
desired pay — then shows the ranked vacancies (dialogs/vacancy_screens.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dialogs.flow import Flow, InvalidInput, Step, Turn, choice, normalized_text, step_button
from dialogs.types import Keyboard, Reply
from features.vacancies.ports import vacancy_desk
from features.vacancies.screens import results
from features.vacancies.text import search_lemmas
from nlu.lemmas import nominative

NAME = "vacancy_search"
ANY = "any"
ASKED = ("profession", "locality", "desired_salary")
MAX_WORDS_CHARS = 100
MIN_SALARY, MAX_SALARY = 1_000, 10_000_000
# Typed the same as the «Не важно» button: citizens often write rather than press.
_ANY_WORDS = frozenset(
    {"не важно", "неважно", "любой", "любая", "любое", "без разницы", "все равно"}
)
_THOUSANDS = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:тыс|т\.?\b|k\b|к\b)", re.IGNORECASE)


def _wants_any(turn: Turn, step: str) -> bool:
    return choice(turn, NAME, step) == ANY or normalized_text(turn).strip(".!") in _ANY_WORDS


def _profession(turn: Turn) -> str:
    text = " ".join((turn.incoming.text or "").split())
    if not text:
        raise InvalidInput("vacancies.invalid_profession")
    if len(text) > MAX_WORDS_CHARS:
        raise InvalidInput("vacancies.invalid_too_long", limit=MAX_WORDS_CHARS)
    if not search_lemmas(text):
        raise InvalidInput("vacancies.invalid_profession")
    return text


def _locality(turn: Turn) -> dict[str, Any]:
    if _wants_any(turn, "locality"):
        return {"locality": ""}
    if turn.incoming.location is not None:
        lat, lng = turn.incoming.location
        return {"locality": "", "lat": lat, "lng": lng}
    text = " ".join((turn.incoming.text or "").split())
    if not text or not any(ch.isalpha() for ch in text):
        raise InvalidInput("vacancies.invalid_locality")
    if len(text) > MAX_WORDS_CHARS:
        raise InvalidInput("vacancies.invalid_too_long", limit=MAX_WORDS_CHARS)
    return {"locality": text}


def parse_salary(text: str) -> int | None:
    """ "50000", "50 000 ₽", "от 45 тыс", "60к" -> rubles a month; None if no number."""
    text = text.lower().replace("\u00a0", " ")
    thousands = _THOUSANDS.search(text)
    if thousands:
        return round(float(thousands.group(1).replace(",", ".")) * 1000)
    digits = re.search(r"\d[\d ]*", text)
    return int(digits.group().replace(" ", "")) if digits else None


def _salary(turn: Turn) -> int:
    if _wants_any(turn, "desired_salary"):
        return 0  # "не важно": no preference
    amount = parse_salary(turn.incoming.text or "")
    if amount is None:
        raise InvalidInput("vacancies.invalid_salary")
    if not MIN_SALARY <= amount <= MAX_SALARY:
        raise InvalidInput("vacancies.invalid_salary_range", low=MIN_SALARY, high=MAX_SALARY)
    return amount


def first_missing(values: Mapping[str, Any]) -> str | None:
    """The first question the profile has no answer to; None when it can search."""
    return next((name for name in ASKED if values.get(name) is None), None)


def _next(turn: Turn) -> str | None:
    return first_missing(turn.values)


def _any_button(step: str, label: str) -> Keyboard:
    return ((step_button(label, NAME, step, ANY),),)


def answers(values: Mapping[str, Any]) -> dict[str, Any]:
    """The flow's values as profile fields."""
    result = {name: values[name] for name in ("profession", "desired_salary") if name in values}
    if result.get("profession"):  # read back to the citizen and to staff: «водитель»
        result["profession"] = nominative(result["profession"])
    place = values.get("locality")
    if isinstance(place, dict):
        result.update(place)
    return result


async def _finish(turn: Turn) -> list[Reply]:
    vacancies = vacancy_desk(turn)
    if vacancies is None:
        return [Reply("vacancies.unavailable")]
    profile = await vacancies.save_profile(turn.citizen, answers(turn.values))
    return [await results(turn, profile, 0)]


VACANCY_SEARCH = Flow(
    name=NAME,
    steps=(
        Step(
            name="profession",
            prompt="vacancies.ask_profession",
            parse=_profession,
            error="vacancies.invalid_profession",
            next=_next,
            free_input=True,
        ),
        Step(
            name="locality",
            prompt="vacancies.ask_locality",
            parse=_locality,
            error="vacancies.invalid_locality",
            next=_next,
            keyboard=lambda _turn: _any_button("locality", "buttons.vacancy_any_place"),
            free_input=True,
        ),
        Step(
            name="desired_salary",
            prompt="vacancies.ask_salary",
            parse=_salary,
            error="vacancies.invalid_salary",
            next=_next,
            keyboard=lambda _turn: _any_button("desired_salary", "buttons.vacancy_any_salary"),
        ),
    ),
    finish=_finish,
)
