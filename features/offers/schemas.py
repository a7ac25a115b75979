"""The vacancy-offer and job-profile resources of the staff API (001 ¶3.7.2)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from features.web import MAX_ID, MAX_OFFSET, WHOLE, Event, PlainText

CitizenStatus = Literal["claimant", "unemployed"]
OfferState = Literal["sent", "submitted", "withdrawn"]
VacancyId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\w.-]+$")]


class OfferCreate(BaseModel):
    """An offer of at most 10 vacancies. `citizen_status` sets the ranking term: a claimant
    to unemployed status has 2 calendar days, an unemployed citizen 2 working days from
    receiving the list (001 ¶3.7.2)."""

    # strict: JSON types as described (no "5" for 5, no 0 for false)
    model_config = ConfigDict(extra="forbid", strict=True)

    citizen_id: Annotated[int, Field(ge=1, le=MAX_ID), WHOLE]
    citizen_status: CitizenStatus
    vacancy_ids: list[VacancyId] = Field(
        min_length=1, max_length=10, json_schema_extra={"uniqueItems": True}
    )
    note: PlainText | None = Field(
        default=None, max_length=2000, description="Shown to the citizen"
    )

    @model_validator(mode="after")
    def _different_vacancies(self) -> OfferCreate:
        if len(set(self.vacancy_ids)) != len(self.vacancy_ids):
            raise ValueError("vacancy_ids lists a vacancy more than once")
        return self


class OfferFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    citizen_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    state: OfferState | None = None
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)


class ExclusionRule(BaseModel):
    code: str
    rule: str = Field(description="The suitable-work rule and its paragraph")


class Explanation(BaseModel):
    code: str
    value: int | None = None


class OfferItemOut(BaseModel):
    vacancy_id: str
    job_name: str
    company_name: str
    vacancy_state: str
    centre_position: int = Field(description="Where staff put it in the offer")
    suggested_rank: int = Field(description="Where the suitable-work ranking put it")
    score: float | None = Field(description="None: the suitable-work rules exclude it")
    reasons: list[Explanation]
    excluded_by: list[ExclusionRule]
    citizen_rank: int | None = Field(description="The citizen's order; None when refused")
    chosen: bool = Field(description="One of the citizen's priority options")
    refused: bool
    refused_at: datetime | None


class OfferSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    citizen_id: int
    citizen_status: CitizenStatus
    state: OfferState
    created_by: str
    created_at: datetime
    received_at: datetime | None = Field(description="Delivered in Telegram: the term starts")
    due_on: date | None = Field(description="The last day to return the ranking (001 ¶3.7.2)")
    submitted_at: datetime | None
    late: bool = Field(description="Submitted after the last day")


class OfferDetail(OfferSummary):
    deadline_rule: str
    note: str | None
    chosen_count: int
    items: list[OfferItemOut] = Field(description="In the citizen's current order")
    open_alerts: list[str]
    history: list[Event]


class SuitableVacancy(BaseModel):
    vacancy_id: str
    job_name: str
    company_name: str
    score: float
    distance_km: float | None
    reasons: list[Explanation]


class ExcludedVacancy(BaseModel):
    vacancy_id: str
    job_name: str
    company_name: str
    distance_km: float | None
    excluded_by: list[ExclusionRule]


class CitizenVacancies(BaseModel):
    """The suitable-work ranking for one citizen's job profile, and what the rules excluded."""

    profession: str
    suitable_total: int
    suitable: list[SuitableVacancy]
    excluded_total: int
    excluded: list[ExcludedVacancy]


class CitizenOut(BaseModel):
    id: int
    display_name: str | None
    username: str | None
    personal_data: Literal["full", "masked"] = Field(
        description="'masked': names shortened (operators)"
    )
    region_code: str | None
    consent: bool
    reachable: bool
    job_profile: bool
    open_offer_id: int | None


class JobProfileIn(BaseModel):
    """What the centre knows of the citizen's suitable work (001 ¶3.5.2, ¶3.6.3, ¶2.6.1);
    only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid", strict=True)

    profession: PlainText | None = Field(default=None, min_length=1, max_length=256)
    locality: PlainText | None = Field(default=None, min_length=1, max_length=256)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lng: float | None = Field(default=None, ge=-180, le=180)
    regions: list[Annotated[str, StringConstraints(pattern=r"^[0-9]{2}$")]] | None = Field(
        default=None,
        max_length=3,
        description="Up to 3 region codes (001 ¶2.6.1)",
        json_schema_extra={"uniqueItems": True},
    )
    desired_salary: Annotated[int, Field(ge=0, le=10_000_000), WHOLE] | None = None
    previous_salary: Annotated[int, Field(ge=0, le=10_000_000), WHOLE] | None = Field(
        default=None, description="Average over the last 3 months"
    )
    experience_years: Annotated[int, Field(ge=0, le=70), WHOLE] | None = None
    schedule: PlainText | None = Field(default=None, max_length=128)
    employment: PlainText | None = Field(default=None, max_length=128)
    relocate: bool | None = None
    disability_group: Annotated[int, Field(ge=1, le=3), WHOLE] | None = None
    ipra_restrictions: (
        list[Literal["no_shift_work", "remote_only", "part_time_only", "quota_workplace"]] | None
    ) = Field(default=None, max_length=4, json_schema_extra={"uniqueItems": True})

    @model_validator(mode="after")
    def _each_restriction_once(self) -> JobProfileIn:
        if self.ipra_restrictions and len(set(self.ipra_restrictions)) != len(
            self.ipra_restrictions
        ):
            raise ValueError("ipra_restrictions lists a restriction more than once")
        if self.regions and len(set(self.regions)) != len(self.regions):
            raise ValueError("regions lists a region more than once")
        return self


class JobProfileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    profession: str | None
    locality: str | None
    lat: float | None
    lng: float | None
    regions: list[str]
    desired_salary: int | None
    previous_salary: int | None
    experience_years: int | None
    schedule: str | None
    employment: str | None
    relocate: bool
    disability_group: int | None
    ipra_restrictions: list[str]
    health_data: Literal["shown", "hidden"] = Field(
        default="shown",
        description="'hidden': disability group and ИПРА left out for this role (operators)",
    )
