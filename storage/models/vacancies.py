"""Vacancies of the «Работа в России» feed, job profiles, referrals and offers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utc_now
from storage.models.base import Base


class VacancyImport(Base):
    """One run of the vacancy feed importer: what it read and what it changed."""

    __tablename__ = "vacancy_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(1024))
    full: Mapped[bool] = mapped_column(Boolean)  # a full import closes what it did not see
    started_at: Mapped[datetime] = mapped_column(default=utc_now)
    finished_at: Mapped[datetime | None]
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Vacancy(Base):
    """A vacancy of the «Работа в России» open-data feed, as last imported. `search_lemmas`
    is the lemmatised text the ranking matches a profession against."""

    __tablename__ = "vacancies"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the feed's id
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    region_code: Mapped[str] = mapped_column(String(8))  # "63", from the feed's KLADR code
    region_name: Mapped[str | None] = mapped_column(String(256))
    company_name: Mapped[str] = mapped_column(String(512))
    company_code: Mapped[str | None] = mapped_column(String(64))
    company_inn: Mapped[str | None] = mapped_column(String(16))
    company_ogrn: Mapped[str | None] = mapped_column(String(16))
    company_email: Mapped[str | None] = mapped_column(String(256))
    company_url: Mapped[str | None] = mapped_column(String(1024))
    hr_agency: Mapped[bool] = mapped_column(Boolean, default=False)
    job_name: Mapped[str] = mapped_column(String(512))
    specialisation: Mapped[str | None] = mapped_column(String(512))
    code_profession: Mapped[str | None] = mapped_column(String(16))
    created_on: Mapped[date | None] = mapped_column(Date)
    salary_text: Mapped[str | None] = mapped_column(String(256))
    salary_min: Mapped[int | None] = mapped_column(Integer)
    salary_max: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(16))
    employment: Mapped[str | None] = mapped_column(String(128))
    schedule: Mapped[str | None] = mapped_column(String(128))
    duty: Mapped[str | None] = mapped_column(Text)  # plain text; the feed's HTML is stripped
    education: Mapped[str | None] = mapped_column(String(256))
    experience_years: Mapped[int | None] = mapped_column(Integer)
    qualification: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(1024))
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    social_protected: Mapped[str | None] = mapped_column(String(512))
    contact_person: Mapped[str | None] = mapped_column(String(256))
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    work_places: Mapped[int | None] = mapped_column(Integer)
    url: Mapped[str | None] = mapped_column(String(1024))
    search_lemmas: Mapped[str] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))  # tells an update from a repeat
    import_id: Mapped[int] = mapped_column(ForeignKey("vacancy_imports.id"))  # last seen in
    first_seen_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)
    closed_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_vacancies_state_region", "state", "region_code"),
        Index("ix_vacancies_import", "import_id"),
    )


class JobProfile(Base):
    """What suitable work means for one citizen (001 ¶3.5.2, ¶2.6.1): asked in the chat or
    set by staff. Erased with the citizen's personal data."""

    __tablename__ = "job_profiles"

    citizen_id: Mapped[int] = mapped_column(
        ForeignKey("citizens.id", ondelete="CASCADE"), primary_key=True
    )
    profession: Mapped[str | None] = mapped_column(String(256))
    locality: Mapped[str | None] = mapped_column(String(256))
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)  # up to 3 (001 ¶2.6.1)
    desired_salary: Mapped[int | None] = mapped_column(Integer)
    # Average monthly earnings over the last 3 months at the last job (001 ¶3.6.3).
    previous_salary: Mapped[int | None] = mapped_column(Integer)
    experience_years: Mapped[int | None] = mapped_column(Integer)
    schedule: Mapped[str | None] = mapped_column(String(128))
    employment: Mapped[str | None] = mapped_column(String(128))
    relocate: Mapped[bool] = mapped_column(Boolean, default=False)
    disability_group: Mapped[int | None] = mapped_column(Integer)
    ipra_restrictions: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class VacancyRequest(Base):
    """A vacancy the citizen saved, or asked the centre to refer them to (for staff)."""

    __tablename__ = "vacancy_requests"
    __table_args__ = (
        UniqueConstraint("citizen_id", "vacancy_id", "kind", name="uq_vacancy_requests_once"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id", ondelete="CASCADE"))
    vacancy_id: Mapped[str] = mapped_column(ForeignKey("vacancies.id"))
    kind: Mapped[str] = mapped_column(String(16))  # referral | saved
    state: Mapped[str] = mapped_column(String(16), default="new")  # new | handled
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class VacancyOffer(Base):
    """A list of at most 10 suitable-work options the centre sent a citizen to rank
    (001 ¶3.7.2). The citizen's working order lives in the items until it is submitted."""

    __tablename__ = "vacancy_offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id", ondelete="CASCADE"))
    # claimant (to unemployed status): 2 calendar days; unemployed: 2 working days (¶3.7.2)
    citizen_status: Mapped[str] = mapped_column(String(16))
    deadline_rule: Mapped[str] = mapped_column(String(64))
    # sent | submitted | withdrawn
    state: Mapped[str] = mapped_column(String(16), default="sent")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    note: Mapped[str | None] = mapped_column(Text)  # the centre's words to the citizen
    received_at: Mapped[datetime | None]  # delivered in Telegram: the term starts (¶3.7.2)
    due_on: Mapped[date | None] = mapped_column(Date)  # the last day to return the ranking
    chosen_count: Mapped[int] = mapped_column(Integer, default=2)  # priority options, >= 2
    submitted_at: Mapped[datetime | None]
    late: Mapped[bool] = mapped_column(Boolean, default=False)  # submitted after due_on
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    __table_args__ = (Index("ix_vacancy_offers_citizen", "citizen_id", "state"),)


class VacancyOfferItem(Base):
    """One vacancy of an offer: where the centre put it, where the ranking put it, and the
    citizen's place for it (None once refused)."""

    __tablename__ = "vacancy_offer_items"
    __table_args__ = (
        UniqueConstraint("offer_id", "vacancy_id", name="uq_vacancy_offer_items_once"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("vacancy_offers.id", ondelete="CASCADE"))
    vacancy_id: Mapped[str] = mapped_column(ForeignKey("vacancies.id"))
    centre_position: Mapped[int] = mapped_column(Integer)  # 1.. as staff listed it
    suggested_rank: Mapped[int] = mapped_column(Integer)  # 1.. by the suitable-work ranking
    score: Mapped[float | None] = mapped_column(Float)  # None: the rules excluded it
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    excluded_by: Mapped[list[str]] = mapped_column(JSON, default=list)  # ranking.RULES keys
    citizen_rank: Mapped[int | None] = mapped_column(Integer)  # 1..; None when refused
    refused: Mapped[bool] = mapped_column(Boolean, default=False)
    refused_at: Mapped[datetime | None]
