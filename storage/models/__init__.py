"""Tables, by area. Every datetime is timezone-aware and stored in UTC. Importing this package
registers every table on `Base.metadata` (Alembic compares against it)."""

from kernel.clock import utc_now
from storage.models.applications import Application
from storage.models.appointments import Booking, Visit
from storage.models.base import Base, UtcDateTime
from storage.models.complaints import Complaint
from storage.models.handovers import DeskTopic, Handover, HandoverMessage, Question
from storage.models.inbox import InboxUpdate
from storage.models.interviews import InterviewNotice
from storage.models.people import (
    AuditEvent,
    Citizen,
    Consent,
    Conversation,
    TurnCount,
)
from storage.models.reminders import CalendarDay, Reminder, StaffAlert
from storage.models.staff import DeskSession, StaffMember, StaffToken
from storage.models.templates import StaffDataRevision, TemplatePublication, TemplateRevision
from storage.models.vacancies import (
    JobProfile,
    Vacancy,
    VacancyImport,
    VacancyOffer,
    VacancyOfferItem,
    VacancyRequest,
)

__all__ = [
    "Application",
    "AuditEvent",
    "Base",
    "Booking",
    "CalendarDay",
    "Citizen",
    "Complaint",
    "Consent",
    "Conversation",
    "DeskSession",
    "DeskTopic",
    "Handover",
    "HandoverMessage",
    "InboxUpdate",
    "InterviewNotice",
    "JobProfile",
    "Question",
    "Reminder",
    "StaffAlert",
    "StaffDataRevision",
    "StaffMember",
    "StaffToken",
    "TemplatePublication",
    "TemplateRevision",
    "TurnCount",
    "UtcDateTime",
    "Vacancy",
    "VacancyImport",
    "VacancyOffer",
    "VacancyOfferItem",
    "VacancyRequest",
    "Visit",
    "utc_now",
]
