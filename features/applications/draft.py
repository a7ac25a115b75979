"""The guided draft of an application and its résumé: one question at a time, buttons where
the list is closed, a summary to check and change any answer, then the pre-application with
its number that the centre sees.

It asks only what the application (001 ¶2.6.1(1)) and the résumé (001 ¶2.6.1(2)) need and
the assistant may keep: passport details, ИНН and СНИЛС are never asked for (the citizen
enters them on the ЕЦП, 001 ¶2.6.3). Values stay JSON-ready in the conversation, so a draft
left for another section survives restarts and is offered again."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from dialogs import validation
from dialogs.feature import Controls
from dialogs.flow import (
    Flow,
    InvalidInput,
    KeyboardFactory,
    Parser,
    StayOnStep,
    Step,
    Turn,
    choice,
    normalized_text,
    picked,
    step_button,
)
from dialogs.menu import section_button, to_menu_row
from dialogs.payloads import Payload
from dialogs.types import Button, Keyboard, Reply
from features.applications.catalogue import JOB_SEARCH, SERVICES, UNEMPLOYMENT
from features.applications.days import typed_day
from features.applications.ports import application_desk

NAME = "application_draft"
SKIP = "skip"
MAX_REGIONS = 3  # 001 ¶2.6.1(1)(15): at most three regions of job search
MAX_SALARY = 10_000_000

# Closed lists, in the order shown. Schedules and employment types are the vacancy feed's own
# words, so the ranking compares like with like; None: any.
SCHEDULES: Mapping[str, str | None] = {
    "full": "Полный рабочий день",
    "shift": "Сменный график",
    "flexible": "Гибкий график",
    "part": "Неполный рабочий день",
    "remote": "Удаленная работа",
    "any": None,
}
EMPLOYMENT: Mapping[str, str | None] = {
    "full": "Полная занятость",
    "part": "Частичная занятость",
    "temporary": "Временная работа",
    "any": None,
}
EDUCATION = ("higher", "vocational", "secondary", "basic")
# 001 ¶2.6.1(1)(16): how the unemployment benefit is paid (a claimant only).
BENEFIT = ("bank", "post")
YES_NO = ("yes", "no")

EDITABLE = (
    "address",
    "last_job",
    "phone",
    "regions",
    "benefit",
    "profession",
    "salary",
    "schedule",
    "employment",
    "relocate",
    "education",
    "experience",
    "start_on",
)
_SALARY = re.compile(r"^(?:от\s*)?(\d[\d\s.,]*)\s*(тыс\w*\.?|т\.?|к)?\s*(?:руб\w*\.?|₽|р\.?)?$")


@dataclass(frozen=True)
class StartDraftPress(Payload, prefix="appdraft"):
    """Start the draft for a service from its route screen: `appdraft:<service>:<claimant>:
    <away>` (claimant and filed away from home are the route's answers the draft needs)."""

    service: str
    claimant: str
    away: str


def draft_button(service: str, claimant: str, away: bool) -> Button:
    press = StartDraftPress(service, claimant, "yes" if away else "no")
    return Button("buttons.application_draft", press.pack(), {"service": service})


async def pressed_draft(turn: Turn, controls: Controls, data: str) -> list[Reply]:
    press = StartDraftPress.unpack(data)
    if press is None or press.service not in SERVICES or press.claimant not in YES_NO:
        return controls.expired(turn)
    values = {
        "service": press.service,
        "claimant": press.claimant,
        "away": press.away == "yes",
        "regions": [turn.citizen.region_code] if turn.citizen.region_code else [],
    }
    return controls.start_flow(turn, NAME, values, step="address")


def _button(label: str, step: str, value: str, **context: Any) -> Button:
    return step_button(label, NAME, step, value, **context)


def _then(step: str) -> Callable[[Turn], str | None]:
    """The next question, or back to the summary when one answer is being changed."""

    def next_step(turn: Turn) -> str | None:
        return "summary" if turn.values.get("editing") else step

    return next_step


def _invalid(error: validation.Invalid) -> InvalidInput:
    return InvalidInput(f"application_draft.invalid_{error.reason}")


def _claimant(turn: Turn) -> bool:
    return turn.values.get("claimant") == "yes"


def _common_context(turn: Turn) -> Mapping[str, Any]:
    return {"service": turn.values.get("service"), "claimant": _claimant(turn)}


# --- closed lists -------------------------------------------------------------------------


def _closed(step: str, ids: tuple[str, ...]) -> tuple[KeyboardFactory, Parser]:
    """A question with buttons (the label template gets `question` and `answer`) that also
    takes the answer's number typed."""

    def keyboard(_turn: Turn) -> Keyboard:
        return tuple(
            (_button("buttons.application_draft_answer", step, item, question=step, answer=item),)
            for item in ids
        )

    def parse(turn: Turn) -> str:
        item = picked(turn, NAME, step, ids)
        if item is None:
            raise InvalidInput("application_draft.pick_answer")
        return item

    return keyboard, parse


def _skip_keyboard(step: str) -> KeyboardFactory:
    def keyboard(_turn: Turn) -> Keyboard:
        return ((_button("buttons.application_draft_skip", step, SKIP, question=step),),)

    return keyboard


def _text(step: str, *, min_letters: int, max_chars: int, optional: bool = False) -> Parser:
    def parse(turn: Turn) -> str | None:
        if optional and choice(turn, NAME, step) == SKIP:
            return None
        if turn.incoming.text is None:
            raise InvalidInput("application_draft.invalid_not_text")
        try:
            return validation.clean_text(
                turn.incoming.text, min_letters=min_letters, max_chars=max_chars
            )
        except validation.Invalid as error:
            raise _invalid(error) from error

    return parse


# --- the application (001 ¶2.6.1(1)) ------------------------------------------------------


def _parse_phone(turn: Turn) -> str | None:
    if choice(turn, NAME, "phone") == SKIP:
        return None
    try:
        return validation.phone(turn.incoming.contact_phone or turn.incoming.text)
    except validation.Invalid as error:
        raise _invalid(error) from error


def _region_names(turn: Turn) -> dict[str, str]:
    return {code: region.name for code, region in turn.config.regions.items()}


def _regions_keyboard(turn: Turn) -> Keyboard:
    chosen = set(turn.values.get("regions") or [])
    rows: list[tuple[Button, ...]] = [
        (
            _button(
                "buttons.application_region",
                "regions",
                code,
                name=name,
                chosen=code in chosen,
            ),
        )
        for code, name in _region_names(turn).items()
    ]
    if chosen:
        rows.append((_button("buttons.application_regions_done", "regions", "done"),))
    return tuple(rows)


def _regions_context(turn: Turn) -> Mapping[str, Any]:
    names = _region_names(turn)
    chosen = [names[code] for code in turn.values.get("regions") or [] if code in names]
    return {"chosen": chosen, "limit": MAX_REGIONS}


def _parse_regions(turn: Turn) -> list[str]:
    chosen: list[str] = [
        code for code in turn.values.get("regions") or [] if code in turn.config.regions
    ]
    pressed = choice(turn, NAME, "regions")
    if pressed == "done" or (pressed is None and normalized_text(turn) in {"готово", "все"}):
        if not chosen:
            raise InvalidInput("application_draft.invalid_no_region", limit=MAX_REGIONS)
        return chosen
    if pressed is None or pressed not in turn.config.regions:
        raise InvalidInput("application_draft.pick_region", limit=MAX_REGIONS)
    if pressed in chosen:
        chosen.remove(pressed)
    elif len(chosen) >= MAX_REGIONS:
        raise InvalidInput("application_draft.invalid_too_many_regions", limit=MAX_REGIONS)
    else:
        chosen.append(pressed)
    turn.values["regions"] = chosen
    raise StayOnStep("application_draft.ask_regions", **_regions_context(turn))


def _after_regions(turn: Turn) -> str | None:
    if turn.values.get("editing"):
        return "summary"
    return "benefit" if _claimant(turn) else "profession"


# --- the résumé (001 ¶2.6.1(2)) -----------------------------------------------------------


def _parse_salary(turn: Turn) -> int | None:
    """50000, "50 000 руб", "от 45 тыс", "60к"; "Не важно" leaves it out."""
    if choice(turn, NAME, "salary") == SKIP:
        return None
    match = _SALARY.match(normalized_text(turn))
    if match is None:
        raise InvalidInput("application_draft.invalid_salary", limit=MAX_SALARY)
    digits = re.sub(r"[\s.,]", "", match.group(1))
    amount = int(digits[:9]) * (1000 if match.group(2) else 1)
    if not 1 <= amount <= MAX_SALARY:
        raise InvalidInput("application_draft.invalid_salary", limit=MAX_SALARY)
    return amount


def _start_keyboard(_turn: Turn) -> Keyboard:
    return ((_button("buttons.application_start_now", "start_on", "now"),),)


def _parse_start(turn: Turn) -> str:
    """ "Сразу", or a day not in the past: 15.12, 15.12.2026."""
    if choice(turn, NAME, "start_on") == "now" or normalized_text(turn) in {"сразу", "сейчас"}:
        return turn.today.isoformat()
    start = typed_day(normalized_text(turn), turn.today, ahead=True)
    if start is None:
        raise InvalidInput("application_draft.invalid_start")
    if start < turn.today or start.year > turn.today.year + 1:
        raise InvalidInput("application_draft.invalid_start")
    return start.isoformat()


# --- summary, changes, submission ---------------------------------------------------------


def answers_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """The draft's answers as the application keeps them, with the job profile's words."""
    answers = {name: values.get(name) for name in EDITABLE}
    answers["schedule"] = SCHEDULES.get(values.get("schedule") or "any")
    answers["employment"] = EMPLOYMENT.get(values.get("employment") or "any")
    answers["relocate"] = values.get("relocate") == "yes"
    answers["desired_salary"] = answers.pop("salary")
    answers["claimant"] = values.get("claimant") == "yes"
    answers["away"] = bool(values.get("away"))
    return answers


def _summary_context(turn: Turn) -> Mapping[str, Any]:
    names = _region_names(turn)
    values = turn.values
    return {
        **_common_context(turn),
        **{name: values.get(name) for name in EDITABLE},
        "regions": [names.get(code, code) for code in values.get("regions") or []],
        "start_on": date.fromisoformat(values["start_on"]),
    }


def _summary_keyboard(_turn: Turn) -> Keyboard:
    return (
        (_button("buttons.application_submit", "summary", "submit"),),
        (_button("buttons.application_edit", "summary", "edit"),),
    )


def _parse_summary(turn: Turn) -> str:
    pressed = choice(turn, NAME, "summary")
    if pressed in ("submit", "edit"):
        return pressed
    typed = normalized_text(turn).strip(".!")
    if typed in {"отправить", "подать", "да"}:
        return "submit"
    if typed in {"изменить", "исправить"}:
        return "edit"
    raise InvalidInput("application_draft.pick_answer")


def _editable(turn: Turn) -> tuple[str, ...]:
    return tuple(name for name in EDITABLE if name != "benefit" or _claimant(turn))


def _edit_keyboard(turn: Turn) -> Keyboard:
    buttons = [
        _button("buttons.application_field", "edit", name, field=name) for name in _editable(turn)
    ]
    return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))


def _parse_edit(turn: Turn) -> str:
    pressed = choice(turn, NAME, "edit")
    if pressed in _editable(turn):
        return pressed
    raise InvalidInput("application_draft.pick_answer")


async def _start_editing(turn: Turn, _field: str) -> None:
    turn.values["editing"] = True


async def _finish(turn: Turn) -> list[Reply]:
    service = str(turn.values["service"])
    application = await application_desk(turn).submit(
        turn.citizen, service, answers_of(turn.values), turn.now
    )
    return [
        Reply(
            "application_draft.submitted",
            {
                "number": application.number,
                "service": service,
                "claimant": _claimant(turn),
                "due_on": application.due_on,
            },
            buttons=((section_button("status"),), to_menu_row()),
        )
    ]


def _question(
    name: str,
    parse: Parser,
    nxt: Callable[[Turn], str | None],
    *,
    keyboard: KeyboardFactory | None = None,
    free_input: bool = False,
    context: Callable[[Turn], Mapping[str, Any]] = _common_context,
) -> Step:
    return Step(
        name=name,
        prompt=f"application_draft.ask_{name}",
        parse=parse,
        error="application_draft.pick_answer",
        next=nxt,
        keyboard=keyboard or (lambda _turn: ()),
        prompt_context=context,
        free_input=free_input,
    )


def _closed_question(name: str, ids: tuple[str, ...], nxt: Callable[[Turn], str | None]) -> Step:
    keyboard, parse = _closed(name, ids)
    return _question(name, parse, nxt, keyboard=keyboard)


def _after_service(turn: Turn) -> str | None:
    """A draft started anew (not from a route) asks the service, and for job search whether
    the citizen claims unemployed status (it changes what is required, 001 ¶2.6.1(1)(11))."""
    if turn.values.get("service") == UNEMPLOYMENT:
        turn.values["claimant"] = "yes"
        return _then("address")(turn)
    if turn.values.get("service") == JOB_SEARCH:
        return "claimant"
    turn.values["claimant"] = "no"
    return _then("address")(turn)


async def _start_anew(turn: Turn, _service: str) -> None:
    turn.values.setdefault(
        "regions", [turn.citizen.region_code] if turn.citizen.region_code else []
    )


DRAFT = Flow(
    name=NAME,
    keeps_draft=True,
    steps=(
        Step(
            name="service",
            prompt="application_draft.ask_service",
            parse=_closed("service", SERVICES)[1],
            error="application_draft.pick_answer",
            keyboard=_closed("service", SERVICES)[0],
            effect=_start_anew,
            next=_after_service,
        ),
        _closed_question("claimant", YES_NO, _then("address")),
        _question(
            "address",
            _text("address", min_letters=5, max_chars=300),
            _then("last_job"),
            free_input=True,
        ),
        _question(
            "last_job",
            _text("last_job", min_letters=2, max_chars=300, optional=True),
            _then("phone"),
            keyboard=_skip_keyboard("last_job"),
            free_input=True,
        ),
        _question(
            "phone",
            _parse_phone,
            _then("regions"),
            keyboard=_skip_keyboard("phone"),
            free_input=True,
        ),
        _question(
            "regions",
            _parse_regions,
            _after_regions,
            keyboard=_regions_keyboard,
            context=_regions_context,
        ),
        _closed_question("benefit", BENEFIT, _then("profession")),
        _question(
            "profession",
            _text("profession", min_letters=2, max_chars=100),
            _then("salary"),
            free_input=True,
        ),
        _question(
            "salary",
            _parse_salary,
            _then("schedule"),
            keyboard=_skip_keyboard("salary"),
            free_input=True,
        ),
        _closed_question("schedule", tuple(SCHEDULES), _then("employment")),
        _closed_question("employment", tuple(EMPLOYMENT), _then("relocate")),
        _closed_question("relocate", YES_NO, _then("education")),
        _closed_question("education", EDUCATION, _then("experience")),
        _question(
            "experience",
            _text("experience", min_letters=3, max_chars=1000, optional=True),
            _then("start_on"),
            keyboard=_skip_keyboard("experience"),
            free_input=True,
        ),
        _question("start_on", _parse_start, lambda _turn: "summary", keyboard=_start_keyboard),
        Step(
            name="summary",
            prompt="application_draft.summary",
            prompt_context=_summary_context,
            keyboard=_summary_keyboard,
            parse=_parse_summary,
            error="application_draft.pick_answer",
            next=lambda turn: "edit" if turn.values.get("summary") == "edit" else None,
        ),
        Step(
            name="edit",
            prompt="application_draft.ask_edit",
            keyboard=_edit_keyboard,
            parse=_parse_edit,
            error="application_draft.pick_answer",
            effect=_start_editing,
            next=lambda turn: str(turn.values["edit"]),
        ),
    ),
    finish=_finish,
)
