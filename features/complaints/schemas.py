"""The complaint resources of the staff API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from features.web import MAX_OFFSET, Event, IsoDate, Words

State = Literal["registered", "in_review", "upheld", "rejected", "left_without_answer"]
Body = Literal["centre_director", "ministry", "minister", "mfc_head", "mfc_founder"]
Overdue = Literal["soon", "past"]


class ComplaintFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: State | None = None
    body: Body | None = Field(default=None, description="The reviewing body")
    due_before: IsoDate | None = Field(default=None, description="Answer due before this day")
    overdue: Overdue | None = Field(
        default=None,
        description="'past': open and past the answer deadline; 'soon': open with a watchdog "
        "alert raised (close to the deadline, on it or past it)",
    )
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)


class Attachment(BaseModel):
    kind: str
    file_id: str
    name: str | None = None
    mime_type: str | None = None


class ComplaintSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: str
    state: State
    ground: str
    respondent: str
    body: Body
    registered_at: datetime
    due_on: date = Field(description="The last day of the answer term (001 ¶5.10)")
    remedy_due_on: date | None = Field(description="Upheld: remedy by this day (004 §5.12)")
    region_code: str


class ComplaintDetail(ComplaintSummary):
    personal_data: Literal["full", "masked"] = Field(
        description="'masked': the complainant's names, contacts and addresses are shortened "
        "(operators)"
    )
    ground_text: str | None
    respondent_name: str | None
    decision: str
    decision_on: date
    arguments: str
    attachments: list[Attachment]
    surname: str
    first_name: str
    patronymic: str | None
    residence: str
    phone: str
    email: str | None
    postal_address: str
    answer_channel: Literal["telegram", "email", "post"]
    answer_rule: str
    reviewed_by: str | None
    answer: str | None
    decided_at: datetime | None
    open_alerts: list[str] = Field(description="Watchdog alerts raised and not resolved")
    history: list[Event]


class Move(BaseModel):
    """Take the complaint into review (registered -> in_review)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    to: Literal["in_review"]


class Decision(BaseModel):
    """Decide the complaint (from in_review); the reasoned answer reaches the citizen
    (001 ¶5.12)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    to: Literal["upheld", "rejected", "left_without_answer"]
    answer: Words = Field(max_length=20000, description="The reasoned answer (001 ¶5.12)")


# registered -> in_review -> upheld | rejected | left_without_answer: only a decision carries
# an answer, and it must; the OpenAPI description says so too.
Transition = Annotated[Move | Decision, Field(discriminator="to")]
