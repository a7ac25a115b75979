"""The visit resources of the staff API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from features.web import MAX_ID, MAX_OFFSET, WHOLE, Event, Words

State = Literal[
    "set", "confirmed", "change_requested", "attended", "no_show", "rebooked", "cancelled"
]
Kind = Literal["in_person", "video_mfc"]


class VisitFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: State | None = None
    citizen_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)


class VisitIn(BaseModel):
    """A visit the centre sets (000 p.4: where, the date and time)."""

    model_config = ConfigDict(extra="forbid")

    citizen_id: Annotated[int, Field(ge=1, le=MAX_ID, strict=True), WHOLE]
    kind: Kind = Field(description="'video_mfc': a video conference at an MFC (000)")
    place: Words = Field(max_length=300, description="The centre's or the MFC's address")
    purpose: Words = Field(max_length=300, description="What the visit is for")
    starts_at: AwareDatetime = Field(
        description="With its UTC offset; a working day, Mon-Thu 09:00-18:00, Fri 09:00-16:45 "
        "local time (000 p.9)"
    )


class VisitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    citizen_id: int
    region_code: str
    kind: Kind
    place: str
    purpose: str
    starts_at: datetime
    state: State
    stages_done: int
    created_by: str
    answered_at: datetime | None
    change_text: str | None = Field(description="The citizen's words asking for another time")
    change_to: datetime | None = Field(description="The moment read from those words")
    outcome_note: str | None
    replaced_by: int | None = Field(description="Rebooked: the new visit's id")


class VisitDetail(VisitOut):
    history: list[Event]


class Moved(BaseModel):
    """A new time (the citizen asked for one, or it was agreed with them)."""

    model_config = ConfigDict(extra="forbid")

    to: Literal["moved"]
    starts_at: AwareDatetime


class Rebooked(BaseModel):
    """A technical failure that cannot be fixed: a new visit on another day (000 p.21(3))."""

    model_config = ConfigDict(extra="forbid")

    to: Literal["rebooked"]
    starts_at: AwareDatetime
    note: Words | None = Field(default=None, max_length=1000)


class Attended(BaseModel):
    """Came; a video conference is attended only after both stages (000 p.8)."""

    model_config = ConfigDict(extra="forbid")

    to: Literal["attended"]
    stages_done: Annotated[int, Field(ge=1, le=2, strict=True), WHOLE] = 2


class Closed(BaseModel):
    """Did not come (000 p.5, p.12), or cancelled by the centre."""

    model_config = ConfigDict(extra="forbid")

    to: Literal["no_show", "cancelled"]
    note: Words | None = Field(default=None, max_length=1000)


Transition = Annotated[Moved | Rebooked | Attended | Closed, Field(discriminator="to")]
