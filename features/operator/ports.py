"""The operator feature's names: its service and its buttons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from dialogs.flow import Turn
from dialogs.payloads import Payload

if TYPE_CHECKING:
    from features.operator.service import SqlHandovers

SERVICE = "handovers"


@dataclass(frozen=True)
class OperatorPress(Payload, prefix="op"):
    """A citizen's button about a handover: `op:<action>:<handover id>[:<value>]`.

    leave / stay: leave the queue or end the conversation, or not; rate: 1-5; comment: write
    a comment to the rating; resume: go on where they were."""

    action: str
    handover_id: int
    value: int | None = None


@dataclass(frozen=True)
class DeskPress(Payload, prefix="opd"):
    """A button in the operators' group: `opd:claim:<handover id>`."""

    action: str
    handover_id: int


def handovers(turn: Turn) -> SqlHandovers | None:
    """The turn's handover desk, when this installation has operators."""
    return cast("SqlHandovers | None", turn.services.get(SERVICE))
