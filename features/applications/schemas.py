"""The application resources of the staff API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from features.web import MAX_OFFSET, Event, IsoDate, Words

State = Literal["submitted", "accepted", "registered", "done", "refused"]
Service = Literal[
    "job_search", "unemployment", "disability_support", "psych_support", "typo_correction"
]


class ApplicationFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: State | None = None
    service: Service | None = None
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)


class ApplicationSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: str
    service: Service
    source: Literal["assistant", "elsewhere"] = Field(
        description="'assistant': prepared with the assistant; 'elsewhere': filed on the ЕЦП, "
        "Gosuslugi, at the centre or an MFC and tracked here"
    )
    state: State
    region_code: str
    submitted_at: datetime
    ecp_number: str | None
    registered_on: date | None
    due_on: date | None = Field(description="The last day of the next open term")
    due_rule: str | None = Field(description="The deadline rule of that term")


class ApplicationDetail(ApplicationSummary):
    personal_data: Literal["full", "masked"] = Field(
        description="'masked': the address and phone are hidden (operators)"
    )
    answers: dict[str, Any] = Field(
        description="What the guided draft collected (001 ¶2.6.1); no passport, ИНН or СНИЛС"
    )
    accepted_at: datetime | None
    result: str | None
    refusal_reason: str | None
    decided_at: datetime | None
    handled_by: str | None
    open_alerts: list[str] = Field(description="Watchdog alerts raised and not resolved")
    history: list[Event]


class Accept(BaseModel):
    """The centre has looked at the pre-application: the citizen may file it (submitted ->
    accepted)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    to: Literal["accepted"]


class Register(BaseModel):
    """Registered on the ЕЦП: the terms that run from registration start."""

    model_config = ConfigDict(extra="forbid", strict=True)

    to: Literal["registered"]
    ecp_number: str = Field(
        min_length=3,
        max_length=40,
        pattern=r"^[0-9A-Za-zА-Яа-яЁё/.\-]+$",
        description="The registration number of the ЕЦП's notice",
    )
    registered_on: Annotated[IsoDate, Field(strict=False)]


class Finish(BaseModel):
    """The service's result (from registered)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    to: Literal["done"]
    result: Words = Field(max_length=5000)


class Refuse(BaseModel):
    """Refused, with the reason the citizen is told (001 ¶2.7)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    to: Literal["refused"]
    reason: Words = Field(max_length=5000)


Transition = Annotated[Accept | Register | Finish | Refuse, Field(discriminator="to")]
