"""Tables. Every datetime is timezone-aware and stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kernel.clock import utc_now


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps in UTC; SQLite returns naive values, so tag them back as UTC on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; store timezone-aware values only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Stable constraint names, so that migrations can alter them on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON}  # noqa: RUF012


class Citizen(Base):
    """A person talking to the assistant through one channel.

    Before consent only the channel identifiers are kept (they are needed to answer at all);
    names and contacts are stored only after consent and erased when it is withdrawn.
    """

    __tablename__ = "citizens"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_citizens_channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    region_code: Mapped[str | None] = mapped_column(String(8))
    display_name: Mapped[str | None] = mapped_column(String(256))
    username: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    erased_at: Mapped[datetime | None]
    # Set when Telegram answered 403 (the citizen blocked the bot); cleared when they write again.
    unreachable_at: Mapped[datetime | None]


class Consent(Base):
    """Consent to personal-data processing (152-ФЗ art. 9): which text version, when given and
    when withdrawn. Kept after withdrawal as the record that processing had a legal basis."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id", ondelete="CASCADE"))
    text_version: Mapped[str] = mapped_column(String(32))
    given_at: Mapped[datetime] = mapped_column(default=utc_now)
    withdrawn_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_consents_citizen", "citizen_id"),)


class Conversation(Base):
    """Where a citizen is in the dialog; lives here so restarts and other processes see it."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(
        ForeignKey("citizens.id", ondelete="CASCADE"), unique=True
    )
    mode: Mapped[str] = mapped_column(String(16), default="bot")  # bot | queued | operator
    flow: Mapped[str | None] = mapped_column(String(64))
    step: Mapped[str | None] = mapped_column(String(64))
    slots: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    # Optimistic locking: an UPDATE that finds another version raises StaleDataError.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ProcessedUpdate(Base):
    """Telegram update ids already handled; ids may restart after a week of silence, so we
    de-duplicate by stored id rather than by "greater than the last one"."""

    __tablename__ = "processed_updates"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(default=utc_now)


class AuditEvent(Base):
    """Who did what to whom. Holds internal ids only, never personal data."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utc_now)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_audit_events_subject", "subject"),)


class Reminder(Base):
    """One message due at one time: the truth for the scheduler, which only wakes up for it.

    `pending` until a process claims it (`claimed_until`, a lease) and records the outcome:
    `sent`, `cancelled` (the citizen did what it was about, or withdrew), `expired` (overdue
    beyond the rule's grace after downtime) or `failed` (blocked, or out of attempts).
    Audience `staff` is a watchdog item: when due it raises a `StaffAlert` instead of a message.
    """

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))  # what it is about, e.g. complaint:42
    audience: Mapped[str] = mapped_column(String(16), default="citizen")  # citizen | staff
    before: Mapped[int] = mapped_column(Integer, default=0)  # the rule's offset it stands for
    deadline_on: Mapped[date] = mapped_column(Date)  # the last day of the term, region time
    due_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(256))
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    __table_args__ = (
        Index("ix_reminders_status_due", "status", "due_at"),
        Index("ix_reminders_key", "key"),
        Index("ix_reminders_citizen", "citizen_id"),
    )


class StaffAlert(Base):
    """An item for the operator desk: a deadline of the centre close or past (a watchdog), a
    reminder that expired unsent, a citizen who blocked the bot."""

    __tablename__ = "staff_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # due_soon | due_today | overdue | ...
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id", ondelete="SET NULL"))
    rule: Mapped[str | None] = mapped_column(String(64))
    key: Mapped[str | None] = mapped_column(String(64))
    deadline_on: Mapped[date | None] = mapped_column(Date)
    reminder_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminders.id", ondelete="SET NULL")
    )
    raised_at: Mapped[datetime] = mapped_column(default=utc_now)
    resolved_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_staff_alerts_open", "resolved_at", "raised_at"),
        Index("ix_staff_alerts_key", "key"),
    )


class CalendarDay(Base):
    """An administrator's correction of the production calendar for one region: a local
    holiday, or a decree published after the holidays library was released."""

    __tablename__ = "calendar_days"
    __table_args__ = (UniqueConstraint("region_code", "day", name="uq_calendar_days_region"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(8))
    day: Mapped[date] = mapped_column(Date)
    is_working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(String(256))
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class Complaint(Base):
    """A pre-trial appeal (досудебная жалоба) filed through the assistant, with every field the
    regulations require (001 ¶5.8, 004 §5.4) and where it is in its review.

    States: registered -> in_review -> upheld | rejected | left_without_answer. The answer is
    due on `due_on` (15 or 5 working days from registration, 001 ¶5.10); an upheld complaint
    must be remedied by `remedy_due_on` (5 working days from the decision, 004 §5.12)."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(16), unique=True)  # Ж-2026-000042
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id", ondelete="CASCADE"))
    region_code: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(24), default="registered")
    ground: Mapped[str] = mapped_column(String(32))
    ground_text: Mapped[str | None] = mapped_column(Text)  # the citizen's words for "other"
    respondent: Mapped[str] = mapped_column(String(32))
    respondent_name: Mapped[str | None] = mapped_column(String(256))
    body: Mapped[str] = mapped_column(String(32))  # who reviews it (001 ¶5.1)
    decision: Mapped[str] = mapped_column(Text)
    decision_on: Mapped[date] = mapped_column(Date)
    arguments: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    surname: Mapped[str] = mapped_column(String(128))
    first_name: Mapped[str] = mapped_column(String(128))
    patronymic: Mapped[str | None] = mapped_column(String(128))
    residence: Mapped[str] = mapped_column(String(512))
    phone: Mapped[str] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(256))
    postal_address: Mapped[str] = mapped_column(String(512))
    answer_channel: Mapped[str] = mapped_column(String(16))  # telegram | email | post
    registered_at: Mapped[datetime] = mapped_column(default=utc_now)
    answer_rule: Mapped[str] = mapped_column(String(64))
    due_on: Mapped[date] = mapped_column(Date)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    answer: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    remedy_due_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    __table_args__ = (
        Index("ix_complaints_citizen", "citizen_id"),
        Index("ix_complaints_state_due", "state", "due_on"),
    )


class StaffToken(Base):
    """An API token of one staff member. Only its SHA-256 is stored: the token is shown once,
    when it is issued, and a leaked table does not let anyone in."""

    __tablename__ = "staff_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_name: Mapped[str] = mapped_column(String(64), unique=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


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
