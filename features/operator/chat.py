"""The citizen's side of talking to a person: asking for one (menu, /operator, the intent, the
button offered when the bot did not understand, and at once on words of acute distress),
waiting in the queue, talking, leaving, rating.

While a person holds the conversation the bot says nothing of its own: every message goes to
the operator (the engine gives this feature the conversation while it is in its modes). The
flow the citizen was in stays where it was; they go on from the same step afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from dialogs.feature import Controls
from dialogs.flow import Turn
from dialogs.menu import section_button
from dialogs.types import Button, Reply
from features.operator.ports import OperatorPress, handovers
from features.operator.question_flow import SERVICE as QUESTIONS
from features.operator.questions import SqlQuestions
from features.operator.service import DISTRESS_PRIORITY, HELD
from storage.models import Handover

COMMENT_MODE = "rating_comment"  # the next text is the comment to a rating


@cache
def _distress_pattern() -> re.Pattern[str]:
    data = yaml.safe_load(Path(__file__).with_name("distress.yml").read_text(encoding="utf-8"))
    phrases = sorted((_normal(p) for p in data["phrases"]), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in phrases) + r")(?!\w)")


def _normal(text: str) -> str:
    return " ".join(text.lower().replace("ё", "е").split())


def shows_distress(text: str) -> bool:
    return _distress_pattern().search(_normal(text)) is not None


# --- asking for a person ---------------------------------------------------------------------


async def open_operator(
    turn: Turn, controls: Controls, _understood: Mapping[str, Any]
) -> list[Reply]:
    text = (turn.incoming.text or "").strip()
    asked_in_words = bool(text) and not text.startswith("/")
    return await ask_for_person(turn, controls, reason="intent" if asked_in_words else "menu")


async def operator_command(turn: Turn, controls: Controls) -> list[Reply]:
    if not turn.has_consent:
        return await controls.open_section(turn, "operator")
    return await ask_for_person(turn, controls, reason="command")


async def ask_for_person(
    turn: Turn, controls: Controls, *, reason: str, priority: int = 0
) -> list[Reply]:
    desk = handovers(turn)
    region = turn.config.regions.get(turn.citizen.region_code or "")
    contacts = {"phone": region.phone if region else None}
    write = ((section_button("question"),),)  # 003 p.36: a written question instead
    if desk is None or not desk.desk_configured:
        return [Reply("operator.unavailable", contacts, write), *controls.current(turn)]
    code = turn.citizen.region_code or turn.config.default_region
    hours = await desk.working_hours(code, turn.config.working_hours)
    if priority < DISTRESS_PRIORITY and not await desk.open_now(code, turn.now, hours):
        context = {**contacts, "start": hours[0], "end": hours[1]}
        return [Reply("operator.out_of_hours", context, write), *controls.current(turn)]
    if not await desk.operators_for(code):
        return [Reply("operator.unavailable", contacts, write), *controls.current(turn)]
    handover = await desk.request(
        turn.citizen,
        turn.conversation,
        reason=reason,
        priority=priority,
        now=turn.now,
        context={"flow": turn.conversation.flow, "step": turn.conversation.step},
    )
    if reason in ("intent", "distress"):  # their words are the first thing the operator reads
        await desk.record_citizen(handover, turn.incoming)
    await turn.audit("handover:requested", handover=handover.id, reason=reason)
    return [Reply("operator.requested", {"held": handover.state == HELD})]


async def distress_alert(turn: Turn, controls: Controls, text: str) -> list[Reply] | None:
    """Words of acute distress: the crisis lines at once, and a person ahead of the queue
    (004 §2.11.5) — with consent; without it, the lines and the way to give it."""
    if not shows_distress(text):
        return None
    desk = handovers(turn)
    lines = await desk.crisis_lines() if desk is not None else []
    crisis = Reply("operator.crisis_lines", {"lines": lines, "has_consent": turn.has_consent})
    if not turn.has_consent:
        return [crisis, controls.menu(turn)]
    return [
        crisis,
        *await ask_for_person(turn, controls, reason="distress", priority=DISTRESS_PRIORITY),
    ]


# --- while a person has the conversation -----------------------------------------------------


async def with_a_person(turn: Turn, controls: Controls) -> list[Reply] | None:
    """Queued or held: the citizen's messages go to the operator, silently; a command or an
    old button asks first whether to leave."""
    desk = handovers(turn)
    handover = await desk.open_of(turn.citizen.id) if desk is not None else None
    if desk is None or handover is None:
        turn.conversation.mode = "bot"  # closed meanwhile: the bot has it again
        return None
    press = OperatorPress.unpack(turn.incoming.payload)
    held = handover.state == HELD
    if press is not None and press.handover_id == handover.id:
        if press.action == "leave":
            await desk.cancel(handover, turn.conversation, turn.now)
            await turn.audit("handover:left", handover=handover.id, held=held)
            return [Reply("operator.left", {"held": held}), *controls.current(turn)]
        if press.action == "stay":
            return [Reply("operator.staying", {"held": held})]
    text = (turn.incoming.text or "").strip()
    if turn.incoming.payload or text.startswith("/"):
        return [_confirm_leave(handover)]
    if text and shows_distress(text) and handover.priority < DISTRESS_PRIORITY:
        handover.priority = DISTRESS_PRIORITY
        await desk.record_citizen(handover, turn.incoming)
        lines = await desk.crisis_lines()
        return [Reply("operator.crisis_lines", {"lines": lines, "has_consent": True})]
    await desk.record_citizen(handover, turn.incoming)
    return []


def _confirm_leave(handover: Handover) -> Reply:
    return Reply(
        "operator.confirm_leave",
        {"held": handover.state == HELD},
        buttons=(
            (Button("buttons.operator_leave", OperatorPress("leave", handover.id).pack()),),
            (Button("buttons.operator_stay", OperatorPress("stay", handover.id).pack()),),
        ),
    )


# --- afterwards: rating and going on -----------------------------------------------------------


async def pressed(turn: Turn, controls: Controls, payload: str) -> list[Reply]:
    """Buttons of a finished conversation: the rating, a comment, going on."""
    press = OperatorPress.unpack(payload)
    desk = handovers(turn)
    if press is None or desk is None:
        return controls.expired(turn)
    if press.action == "rate" and press.value is not None and 1 <= press.value <= 5:
        rated = await desk.rate(turn.citizen, press.handover_id, press.value)
        if rated is None:
            return controls.expired(turn)
        comment = OperatorPress("comment", rated.id).pack()
        return [
            Reply(
                "operator.rated",
                {"score": press.value},
                buttons=((Button("buttons.operator_comment", comment),),),
            ),
            *controls.current(turn),
        ]
    if press.action == "comment":
        turn.conversation.mode = COMMENT_MODE
        return [Reply("operator.ask_comment")]
    if press.action == "resume":
        return controls.current(turn)
    return controls.expired(turn)


async def writing_comment(turn: Turn, controls: Controls) -> list[Reply] | None:
    """The text after "Оставить комментарий" is the comment; anything else goes on as usual."""
    turn.conversation.mode = "bot"
    text = (turn.incoming.text or "").strip()
    desk = handovers(turn)
    if desk is None or turn.incoming.payload or not text or text.startswith("/"):
        return None
    latest = await desk.latest_closed(turn.citizen.id)
    if latest is None or not await desk.comment(turn.citizen, latest.id, text):
        return None
    return [Reply("operator.comment_thanks"), *controls.current(turn)]


async def forget(turn: Turn) -> None:
    """Consent withdrawn: what was relayed and asked is erased, and no person holds the
    conversation."""
    questions = turn.services.get(QUESTIONS)
    if isinstance(questions, SqlQuestions):
        await questions.erase(turn.citizen.id)
    desk = handovers(turn)
    if desk is None:
        return
    handover = await desk.open_of(turn.citizen.id)
    if handover is not None:
        await desk.cancel(handover, turn.conversation, turn.now)
    await desk.erase(turn.citizen.id)
