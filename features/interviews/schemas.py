"""The interview-notice resources of the staff API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from features.web import MAX_ID, MAX_OFFSET, WHOLE, Event, IsoDate, PlainText, Words

State = Literal[
    "sent",
    "agreed",
    "unreachable",
    "move_requested",
    "hired",
    "employer_refused",
    "declined",
    "no_answer",
]


class NoticeFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: State | None = None
    citizen_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)


class NoticeIn(BaseModel):
    """A notification of negotiations (the employer is on the ЕЦП) or a referral to work (it is
    not), with what the referral gives (001 ¶2.3.1): the employer, its address and how to get
    there, the phone, the vacancy."""

    model_config = ConfigDict(extra="forbid")

    citizen_id: Annotated[int, Field(ge=1, le=MAX_ID, strict=True), WHOLE]
    kind: Literal["notification", "referral"]
    referral_number: PlainText | None = Field(
        default=None, min_length=1, max_length=40, description="A referral's number"
    )
    offer_item_id: Annotated[int, Field(ge=1, le=MAX_ID, strict=True), WHOLE] | None = Field(
        default=None, description="The priority option of the citizen's ranked list"
    )
    employer: Words = Field(max_length=300)
    vacancy: Words = Field(max_length=300)
    address: Words = Field(max_length=300)
    directions: PlainText | None = Field(default=None, max_length=500)
    contact_name: Words = Field(max_length=200)
    contact_phone: str = Field(
        min_length=5, max_length=40, pattern=r"^\+?[0-9 ()\-]{5,40}$", description="Digits"
    )
    meeting_at: AwareDatetime | None = Field(
        default=None, description="The meeting, when its date and time are already agreed"
    )


class NoticeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    citizen_id: int
    region_code: str
    offer_item_id: int | None
    kind: Literal["notification", "referral"]
    referral_number: str | None
    employer: str
    vacancy: str
    address: str
    directions: str | None
    contact_name: str
    contact_phone: str
    state: State
    created_by: str
    created_at: datetime
    received_at: datetime | None = Field(description="When Telegram took the notice")
    report_due_on: date | None = Field(
        description="The last day to report the negotiations (3 working days, 001 ¶3.10.2)"
    )
    meeting_at: datetime | None
    proposed_text: str | None = Field(description="The citizen's own words about the time")
    proposed_at: datetime | None
    reason: str | None
    hired_on: date | None
    evidence: dict[str, Any] | None
    reported_at: datetime | None


class NoticeDetail(NoticeOut):
    history: list[Event]


class Meeting(BaseModel):
    """The time the employer agreed (asked for by the citizen or not): the reminders move and
    the citizen is told."""

    model_config = ConfigDict(extra="forbid")

    to: Literal["meeting"]
    meeting_at: AwareDatetime


class Result(BaseModel):
    """The result as the employer reported it to the centre (001 ¶3.10.4, ¶3.10.5)."""

    model_config = ConfigDict(extra="forbid")

    to: Literal["hired", "employer_refused", "declined", "no_answer"]
    hired_on: IsoDate | None = None
    reason: Words | None = Field(default=None, max_length=1000)


Transition = Annotated[Meeting | Result, Field(discriminator="to")]
