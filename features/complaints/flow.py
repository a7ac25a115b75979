"""Filing a complaint (pre-trial appeal): what is appealed, against whom, the decision and
when, the arguments and files, the complainant — every field of 001 ¶5.8 / 004 §5.4 — then
one summary screen to check, change any field, and submit.

Values are kept JSON-ready (dates as ISO strings) because they live in the conversation until
the complaint is submitted; leaving for another section keeps them as a draft."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

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
from dialogs.types import Button, Keyboard, Reply
from features.complaints import validation
from features.complaints.grounds import GROUND_BY_ID, GROUNDS, RESPONDENT_BY_ID, RESPONDENTS
from features.complaints.ports import complaint_desk
from features.complaints.service import ComplaintDraft

NAME = "complaint"
SKIP = "skip"
MAX_FILES = 10
# Files a complaint may carry (001 ¶5.8(4)): photos and scans, PDF documents.
EDITABLE = (
    "ground",
    "respondent",
    "respondent_name",
    "decision",
    "decision_on",
    "arguments",
    "files",
    "surname",
    "first_name",
    "patronymic",
    "residence",
    "phone",
    "email",
    "postal_address",
    "channel",
)


def _button(label: str, step: str, value: str, **context: Any) -> Button:
    return step_button(label, NAME, step, value, **context)


def _pressed(turn: Turn, step: str) -> str | None:
    return choice(turn, NAME, step)


def _invalid(error: validation.Invalid) -> InvalidInput:
    return InvalidInput(f"complaint.invalid_{error.reason}")


def _then(step: str) -> Callable[[Turn], str | None]:
    """The next step in order, or back to the summary when a field is being changed."""

    def next_step(turn: Turn) -> str | None:
        return "summary" if turn.values.get("editing") else step

    return next_step


# --- what is appealed ---------------------------------------------------------------------


def _closed_list(step: str, label: str, ids: tuple[str, ...]) -> tuple[KeyboardFactory, Parser]:
    """A question with a closed list: one button per item (its id goes to the label template
    as `step`), and the parser that takes a pressed button or the item's number typed."""

    def keyboard(_turn: Turn) -> Keyboard:
        return tuple((_button(label, step, item, **{step: item}),) for item in ids)

    def parse(turn: Turn) -> str:
        item = picked(turn, NAME, step, ids)
        if item is None:
            raise InvalidInput()
        return item

    return keyboard, parse


_ground_keyboard, _parse_ground = _closed_list(
    "ground", "buttons.complaint_ground", tuple(ground.id for ground in GROUNDS)
)


def _after_ground(turn: Turn) -> str | None:
    if turn.values.get("ground") == "other":
        return "ground_text"
    turn.values.pop("ground_text", None)
    return _then("respondent")(turn)


def _parse_free_text(max_chars: int, min_letters: int = 3) -> Callable[[Turn], str]:
    def parse(turn: Turn) -> str:
        try:
            return validation.text(turn.incoming.text, min_chars=min_letters, max_chars=max_chars)
        except validation.Invalid as error:
            raise _invalid(error) from error

    return parse


# --- whom it is about ---------------------------------------------------------------------


_respondent_keyboard, _parse_respondent = _closed_list(
    "respondent", "buttons.complaint_respondent", tuple(item.id for item in RESPONDENTS)
)


def _body_context(turn: Turn) -> Mapping[str, Any]:
    respondent = RESPONDENT_BY_ID[turn.values["respondent"]]
    return {"body": respondent.body, "respondent": respondent.id}


def _skip_keyboard(label: str, step: str) -> Callable[[Turn], Keyboard]:
    def keyboard(_turn: Turn) -> Keyboard:
        return ((_button(label, step, SKIP),),)

    return keyboard


def _parse_respondent_name(turn: Turn) -> str | None:
    if _pressed(turn, "respondent_name") == SKIP:
        return None
    try:
        return validation.text(turn.incoming.text, min_chars=2, max_chars=200)
    except validation.Invalid as error:
        raise _invalid(error) from error


# --- the decision and when ----------------------------------------------------------------


def _date_keyboard(_turn: Turn) -> Keyboard:
    return (
        (
            _button("buttons.today", "decision_on", "0"),
            _button("buttons.yesterday", "decision_on", "1"),
        ),
    )


def _parse_decision_on(turn: Turn) -> str:
    pressed = _pressed(turn, "decision_on")
    if pressed in ("0", "1"):
        return date.fromordinal(turn.today.toordinal() - int(pressed)).isoformat()
    try:
        return validation.past_date(turn.incoming.text, turn.today).isoformat()
    except validation.Invalid as error:
        raise _invalid(error) from error


# --- files --------------------------------------------------------------------------------


def _files_keyboard(turn: Turn) -> Keyboard:
    files = turn.values.get("files") or []
    if not files:
        return ((_button("buttons.complaint_no_files", "files", "done"),),)
    return (
        (_button("buttons.complaint_files_done", "files", "done", count=len(files)),),
        (_button("buttons.complaint_files_clear", "files", "clear"),),
    )


def _files_context(turn: Turn) -> Mapping[str, Any]:
    return {"count": len(turn.values.get("files") or []), "limit": MAX_FILES}


def _parse_files(turn: Turn) -> list[dict[str, Any]]:
    files: list[dict[str, Any]] = list(turn.values.get("files") or [])
    pressed = _pressed(turn, "files")
    if pressed == "done":
        return files
    if pressed == "clear":
        turn.values["files"] = []
        raise StayOnStep("complaint.files_cleared")
    incoming = turn.incoming
    if incoming.attachment is None:
        if normalized_text(turn).strip(".!") in {"готово", "все", "без файлов", "нет"}:
            return files
        raise InvalidInput()
    try:
        attached = validation.attached_file(incoming)
    except validation.Invalid as error:
        raise InvalidInput("complaint.invalid_file_type") from error
    if any(item["file_id"] == attached["file_id"] for item in files):
        raise StayOnStep("complaint.file_added", count=len(files), limit=MAX_FILES)
    if len(files) >= MAX_FILES:
        raise InvalidInput("complaint.invalid_too_many_files", limit=MAX_FILES)
    files.append(attached)
    turn.values["files"] = files
    raise StayOnStep("complaint.file_added", count=len(files), limit=MAX_FILES)


# --- the complainant ----------------------------------------------------------------------


def _parse_name(step: str, optional: bool = False) -> Callable[[Turn], str | None]:
    def parse(turn: Turn) -> str | None:
        if optional and _pressed(turn, step) == SKIP:
            return None
        try:
            return validation.name(turn.incoming.text)
        except validation.Invalid as error:
            raise _invalid(error) from error

    return parse


def _parse_address(turn: Turn) -> str:
    try:
        return validation.text(turn.incoming.text, min_chars=5, max_chars=validation.MAX_ADDRESS)
    except validation.Invalid as error:
        raise _invalid(error) from error


def _parse_postal(turn: Turn) -> str:
    if _pressed(turn, "postal_address") == "same":
        return str(turn.values["residence"])
    return _parse_address(turn)


def _postal_keyboard(_turn: Turn) -> Keyboard:
    return ((_button("buttons.complaint_same_address", "postal_address", "same"),),)


def _parse_phone(turn: Turn) -> str:
    try:
        return validation.phone(turn.incoming.contact_phone or turn.incoming.text)
    except validation.Invalid as error:
        raise _invalid(error) from error


def _parse_email(turn: Turn) -> str | None:
    if _pressed(turn, "email") == SKIP:
        return None
    try:
        return validation.email(turn.incoming.text)
    except validation.Invalid as error:
        raise _invalid(error) from error


def _after_email(turn: Turn) -> str | None:
    if not turn.values.get("editing"):
        return "postal_address"
    # An answer by e-mail needs an address: choose the channel again when it was removed.
    if turn.values.get("email") is None and turn.values.get("channel") == "email":
        return "channel"
    return "summary"


def _channels(turn: Turn) -> tuple[str, ...]:
    return ("telegram", "email", "post") if turn.values.get("email") else ("telegram", "post")


def _channel_keyboard(turn: Turn) -> Keyboard:
    return tuple(
        (_button("buttons.complaint_channel", "channel", channel, channel=channel),)
        for channel in _channels(turn)
    )


def _parse_channel(turn: Turn) -> str:
    pressed = _pressed(turn, "channel")
    if pressed in _channels(turn):
        return pressed
    raise InvalidInput()


# --- summary, changes, submission ---------------------------------------------------------


def _summary_context(turn: Turn) -> Mapping[str, Any]:
    values = turn.values
    respondent = RESPONDENT_BY_ID[values["respondent"]]
    return {
        **{name: values.get(name) for name in EDITABLE},
        "ground_text": values.get("ground_text"),
        "decision_on": date.fromisoformat(values["decision_on"]),
        "files": values.get("files") or [],
        "body": respondent.body,
        "short_review": GROUND_BY_ID[values["ground"]].short_review,
    }


def _summary_keyboard(_turn: Turn) -> Keyboard:
    return (
        (_button("buttons.complaint_submit", "summary", "submit"),),
        (_button("buttons.complaint_edit", "summary", "edit"),),
    )


def _parse_summary(turn: Turn) -> str:
    pressed = _pressed(turn, "summary")
    if pressed in ("submit", "edit"):
        return pressed
    typed = normalized_text(turn).strip(".!")
    if typed in {"отправить", "подать", "да"}:
        return "submit"
    if typed in {"изменить", "исправить"}:
        return "edit"
    raise InvalidInput()


def _after_summary(turn: Turn) -> str | None:
    return "edit" if turn.values.get("summary") == "edit" else None


def _edit_keyboard(_turn: Turn) -> Keyboard:
    buttons = [_button("buttons.complaint_field", "edit", name, field=name) for name in EDITABLE]
    return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))


def _parse_edit(turn: Turn) -> str:
    pressed = _pressed(turn, "edit")
    if pressed in EDITABLE:
        return pressed
    raise InvalidInput()


async def _start_editing(turn: Turn, _field: str) -> None:
    turn.values["editing"] = True


def _after_edit(turn: Turn) -> str | None:
    return str(turn.values["edit"])


def draft_of(values: Mapping[str, Any]) -> ComplaintDraft:
    return ComplaintDraft(
        ground=values["ground"],
        ground_text=values.get("ground_text"),
        respondent=values["respondent"],
        respondent_name=values.get("respondent_name"),
        decision=values["decision"],
        decision_on=date.fromisoformat(values["decision_on"]),
        arguments=values["arguments"],
        attachments=tuple(values.get("files") or ()),
        surname=values["surname"],
        first_name=values["first_name"],
        patronymic=values.get("patronymic"),
        residence=values["residence"],
        phone=values["phone"],
        email=values.get("email"),
        postal_address=values["postal_address"],
        answer_channel=values["channel"],
    )


async def _finish(turn: Turn) -> list[Reply]:
    complaints = complaint_desk(turn)
    if complaints is None:
        raise RuntimeError("the complaint flow runs without a complaint desk")
    complaint = await complaints.register(turn.citizen, draft_of(turn.values), turn.now)
    return [
        Reply(
            "complaint.registered",
            {
                "number": complaint.number,
                "registered_at": complaint.registered_at.astimezone(turn.zone),
                "body": complaint.body,
                "due_on": complaint.due_on,
                "short_review": GROUND_BY_ID[complaint.ground].short_review,
                "answer_channel": complaint.answer_channel,
            },
            buttons=((section_button("status"),), to_menu_row()),
        )
    ]


def _text_step(
    name: str,
    prompt: str,
    parse: Callable[[Turn], Any],
    nxt: Callable[[Turn], str | None],
    **extra: Any,
) -> Step:
    return Step(
        name=name,
        prompt=prompt,
        parse=parse,
        error="complaint.invalid_empty",
        next=nxt,
        free_input=True,
        **extra,
    )


COMPLAINT = Flow(
    name=NAME,
    keeps_draft=True,
    steps=(
        Step(
            name="ground",
            prompt="complaint.ask_ground",
            keyboard=_ground_keyboard,
            parse=_parse_ground,
            error="complaint.choose_button",
            next=_after_ground,
        ),
        _text_step(
            "ground_text",
            "complaint.ask_ground_text",
            _parse_free_text(validation.MAX_SHORT_TEXT),
            _then("respondent"),
        ),
        Step(
            name="respondent",
            prompt="complaint.ask_respondent",
            keyboard=_respondent_keyboard,
            parse=_parse_respondent,
            error="complaint.choose_button",
            next=_then("respondent_name"),
        ),
        _text_step(
            "respondent_name",
            "complaint.ask_respondent_name",
            _parse_respondent_name,
            _then("decision"),
            keyboard=_skip_keyboard("buttons.complaint_unknown", "respondent_name"),
            prompt_context=_body_context,
        ),
        _text_step(
            "decision",
            "complaint.ask_decision",
            _parse_free_text(validation.MAX_SHORT_TEXT),
            _then("decision_on"),
        ),
        _text_step(
            "decision_on",
            "complaint.ask_decision_on",
            _parse_decision_on,
            _then("arguments"),
            keyboard=_date_keyboard,
        ),
        _text_step(
            "arguments",
            "complaint.ask_arguments",
            _parse_free_text(validation.MAX_LONG_TEXT, min_letters=10),
            _then("files"),
        ),
        Step(
            name="files",
            prompt="complaint.ask_files",
            keyboard=_files_keyboard,
            prompt_context=_files_context,
            parse=_parse_files,
            error="complaint.ask_files_invalid",
            next=_then("surname"),
        ),
        _text_step(
            "surname", "complaint.ask_surname", _parse_name("surname"), _then("first_name")
        ),
        _text_step(
            "first_name",
            "complaint.ask_first_name",
            _parse_name("first_name"),
            _then("patronymic"),
        ),
        _text_step(
            "patronymic",
            "complaint.ask_patronymic",
            _parse_name("patronymic", optional=True),
            _then("residence"),
            keyboard=_skip_keyboard("buttons.complaint_no_patronymic", "patronymic"),
        ),
        _text_step("residence", "complaint.ask_residence", _parse_address, _then("phone")),
        _text_step("phone", "complaint.ask_phone", _parse_phone, _then("email")),
        _text_step(
            "email",
            "complaint.ask_email",
            _parse_email,
            _after_email,
            keyboard=_skip_keyboard("buttons.complaint_no_email", "email"),
        ),
        _text_step(
            "postal_address",
            "complaint.ask_postal_address",
            _parse_postal,
            _then("channel"),
            keyboard=_postal_keyboard,
        ),
        Step(
            name="channel",
            prompt="complaint.ask_channel",
            keyboard=_channel_keyboard,
            parse=_parse_channel,
            error="complaint.choose_button",
            next=lambda _turn: "summary",
        ),
        Step(
            name="summary",
            prompt="complaint.summary",
            prompt_context=_summary_context,
            keyboard=_summary_keyboard,
            parse=_parse_summary,
            error="complaint.choose_button",
            next=_after_summary,
        ),
        Step(
            name="edit",
            prompt="complaint.ask_edit",
            keyboard=_edit_keyboard,
            parse=_parse_edit,
            error="complaint.choose_button",
            effect=_start_editing,
            next=_after_edit,
        ),
    ),
    finish=_finish,
)
