"""Which application fits, and how to get it right the first time: the citizen picks one of the
four services (or names it in words), answers the few questions that decide the route, and
gets who may apply, what it gives, what to prepare and where to file — or, when the service is
not for them, why and what fits instead.

The official application is an electronic document the citizen files themselves on the ЕЦП
«Работа в России», Gosuslugi, at the centre or an MFC (001 ¶2.6.2, ¶2.6.3); the bot prepares,
it does not file. The answers (a disability among them) live only while the questions are
asked: the flow keeps no draft, and finishing or cancelling it forgets them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dialogs.flow import (
    Flow,
    InvalidInput,
    KeyboardFactory,
    Parser,
    Step,
    Turn,
    picked,
    step_button,
)
from dialogs.menu import section_button, to_menu_row
from dialogs.types import Button, Keyboard, Reply
from features.applications.catalogue import DISABILITY, JOB_SEARCH, PSYCH, SERVICES, UNEMPLOYMENT
from features.applications.correction import correction_button
from features.applications.draft import draft_button
from features.applications.tracking import track_button

NAME = "application"

SERVICE_OF_INTENT = {f"apply_{service}": service for service in SERVICES}

# The closed answers of each question, in the order shown.
ANSWERS: Mapping[str, tuple[str, ...]] = {
    "service": SERVICES,
    # 001 ¶3.7.2 and others: a claimant to unemployed status has other terms.
    "claimant": ("yes", "no"),
    # 001 ¶2.6.1(1)(11): a claimant gives the place of residence; 001 ¶2.7: filed away
    # from it, the citizen comes to the centre within 5 working days.
    "residence": ("yes", "no"),
    # 001 ¶2.3.1(4), (5): groups with results of their own.
    "group": ("childcare", "pensioner", "none"),
    # 002 ¶2, ¶38: a disability, and the ИПРА that МСЭ draws up.
    "disability": ("ipra", "no_ipra", "none"),
    # 002 ¶2: for people not employed (незанятые).
    "employed": ("yes", "no"),
    # 002 ¶2: who need individual help in the form of organised support.
    "support": ("yes", "unsure", "no"),
    # 004 §1.2: only citizens recognised as unemployed.
    "unemployed": ("yes", "pending", "no"),
}


def _keyboard(step: str) -> KeyboardFactory:
    def button(answer: str) -> Button:
        if step == "service":
            return step_button("buttons.application_service", NAME, step, answer, service=answer)
        return step_button(
            "buttons.application_answer", NAME, step, answer, question=step, answer=answer
        )

    def keyboard(_turn: Turn) -> Keyboard:
        rows = tuple((button(answer),) for answer in ANSWERS[step])
        if step == "service":  # filed already: the terms are tracked all the same
            return (*rows, (correction_button(),), (track_button(),))
        return rows

    return keyboard


def _parse(step: str) -> Parser:
    """A pressed button, or the answer's number typed (1, 2, 3)."""

    def parse(turn: Turn) -> str:
        answer = picked(turn, NAME, step, ANSWERS[step])
        if answer is None:
            raise InvalidInput()
        return answer

    return parse


def _service(turn: Turn) -> str:
    return str(turn.values.get("service", JOB_SEARCH))


def _question_after(values: dict[str, Any]) -> str:
    """The first question of the chosen service (a claimant needs not be asked if they are
    one when they asked to be recognised as unemployed)."""
    service = values.get("service", JOB_SEARCH)
    if service == UNEMPLOYMENT:
        values["claimant"] = "yes"
        return "residence"
    return {JOB_SEARCH: "claimant", DISABILITY: "disability", PSYCH: "unemployed"}[service]


def _after_service(turn: Turn) -> str | None:
    return _question_after(turn.values)


def _after_claimant(turn: Turn) -> str | None:
    if turn.values.get("claimant") == "yes":
        return "residence"
    turn.values.pop("residence", None)
    return "group"


def _after_disability(turn: Turn) -> str | None:
    return "employed" if turn.values.get("disability") == "ipra" else None


def _after_employed(turn: Turn) -> str | None:
    return "support" if turn.values.get("employed") == "no" else None


def _question(name: str, after: Callable[[Turn], str | None]) -> Step:
    return Step(
        name=name,
        prompt=f"application.ask_{name}",
        parse=_parse(name),
        error="application.pick_answer",
        next=after,
        keyboard=_keyboard(name),
        prompt_context=lambda turn: {"service": _service(turn)},
    )


def first_step(service: str | None) -> tuple[dict[str, Any], str | None]:
    """Where a citizen who named the service in words starts: its first question."""
    if service not in SERVICES:
        return {}, None
    values: dict[str, Any] = {"service": service}
    return values, _question_after(values)


def eligible(service: str, answers: Mapping[str, Any]) -> bool:
    """Whether the route ends in an application worth drafting (the texts say why not)."""
    if service == DISABILITY:  # 002 ¶2: an ИПРА, not employed, in need of support
        return (
            answers.get("disability") == "ipra"
            and answers.get("employed") == "no"
            and answers.get("support") != "no"
        )
    if service == PSYCH:  # 004 §1.2: recognised as unemployed
        return answers.get("unemployed") == "yes"
    return True


async def _finish(turn: Turn) -> list[Reply]:
    service = _service(turn)
    answers = {name: turn.values.get(name) for name in ANSWERS if name != "service"}
    template = {
        JOB_SEARCH: "application.route_job_search",
        UNEMPLOYMENT: "application.route_job_search",
        DISABILITY: "application.route_disability",
        PSYCH: "application.route_psych",
    }[service]
    human = turn.registry.human_section if turn.registry else None
    drafting: Keyboard = ()
    if eligible(service, answers):
        claimant = "yes" if service == UNEMPLOYMENT else str(answers.get("claimant") or "no")
        away = answers.get("residence") == "no"
        drafting = ((draft_button(service, claimant, away),),)
    rows: Keyboard = (
        *drafting,
        (section_button("applications"),),
        *(((section_button(human),),) if human else ()),
        to_menu_row(),
    )
    return [Reply(template, {"service": service, **answers}, buttons=rows)]


APPLICATION = Flow(
    name=NAME,
    steps=(
        _question("service", _after_service),
        _question("claimant", _after_claimant),
        _question("residence", lambda _turn: "group"),
        _question("group", lambda _turn: None),
        _question("disability", _after_disability),
        _question("employed", _after_employed),
        _question("support", lambda _turn: None),
        _question("unemployed", lambda _turn: None),
    ),
    finish=_finish,
)
