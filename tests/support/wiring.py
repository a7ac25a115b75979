"""The installation's features, wired by hand for tests: the engine on every feature's chat,
the deadline catalogue, the domain services and the staff app on chosen regions and quiet
hours (the composition root builds the same from settings)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin.app import create_app
from app.build import all_rules, renderer
from app.features import FEATURES
from dialogs.engine import Engine
from dialogs.flow import DialogConfig
from dialogs.ports import IntentRecognizer
from dialogs.registry import Registry
from features.applications import staff as application_routes
from features.applications.ports import SERVICE as APPLICATIONS
from features.applications.service import SqlApplications
from features.appointments import staff as visit_routes
from features.appointments.bookings import SqlBookings
from features.appointments.ports import BOOKINGS
from features.appointments.ports import SERVICE as VISITS
from features.appointments.service import SqlVisits
from features.complaints import staff as complaint_routes
from features.complaints.ports import SERVICE as COMPLAINTS
from features.complaints.service import SqlComplaints
from features.interviews import staff as interview_routes
from features.interviews.ports import SERVICE as INTERVIEWS
from features.interviews.service import SqlInterviews
from features.kit import SessionService
from features.offers import staff as offer_routes
from features.offers.ports import SERVICE as OFFERS
from features.offers.service import SqlOffers
from features.operator.ports import SERVICE as HANDOVERS
from features.operator.question_flow import SERVICE as QUESTIONS
from features.operator.questions import SqlQuestions
from features.operator.service import SqlHandovers
from features.vacancies.catalogue import VacancyCatalogue
from features.vacancies.ports import SERVICE as VACANCIES
from features.vacancies.service import SearchRules, SqlVacancies
from kernel.clock import utc_now
from kernel.regions import Regions
from kernel.settings import AppointmentSettings, OperatorSettings
from reminders.planning import QuietHours

CHATS = tuple(feature.chat for feature in FEATURES)
# An operators' group, answering around the clock (tests of working hours set their own).
OPERATORS = OperatorSettings(chat_id=-1001234567890, schedule="always", crisis_lines=["112"])
RULES = all_rules()
SEARCH_RULES = SearchRules(commute_km=30, subsistence_minimum={})
RENDERER = renderer(strict=True)


def engine(
    config: DialogConfig,
    clock: Callable[[], datetime] = utc_now,
    recognizer: IntentRecognizer | None = None,
) -> Engine:
    return Engine(config, CHATS, clock=clock, recognizer=recognizer)


def service_factories(
    regions: Regions, quiet: QuietHours, catalogue: VacancyCatalogue | None = None
) -> dict[str, SessionService]:
    factories: dict[str, SessionService] = {
        COMPLAINTS: lambda db: SqlComplaints(db, regions, quiet),
        APPLICATIONS: lambda db: SqlApplications(db, regions, quiet),
        VISITS: lambda db: SqlVisits(db, regions, quiet),
        INTERVIEWS: lambda db: SqlInterviews(db, regions, quiet),
        BOOKINGS: lambda db: SqlBookings(db, regions, quiet, AppointmentSettings()),
        HANDOVERS: lambda db: SqlHandovers(db, regions, OPERATORS),
        QUESTIONS: lambda db: SqlQuestions(db, regions, quiet),
    }
    if catalogue is not None:
        factories[VACANCIES] = lambda db: SqlVacancies(db, catalogue, SEARCH_RULES)
        factories[OFFERS] = lambda db: SqlOffers(db, regions, quiet, catalogue, SEARCH_RULES)
    return factories


def services(
    session: AsyncSession, regions: Regions, quiet: QuietHours, catalogue: VacancyCatalogue | None
) -> dict[str, object]:
    factories = service_factories(regions, quiet, catalogue)
    return {name: factory(session) for name, factory in factories.items()}


def staff_app(
    sessions: async_sessionmaker[AsyncSession],
    regions: Regions,
    quiet: QuietHours,
    clock: Callable[[], datetime] = utc_now,
    *,
    catalogue: VacancyCatalogue | None = None,
) -> FastAPI:
    routers: list[Any] = [
        complaint_routes.router,
        application_routes.router,
        visit_routes.router,
        interview_routes.router,
    ]
    if catalogue is not None:
        routers.append(offer_routes.router)
    return create_app(sessions, routers, service_factories(regions, quiet, catalogue), clock)


# The features' declarations merged (without the engine's own help, menu and cancel).
REGISTRY = Registry(CHATS)
# The citizen menu's sections, and those a citizen without consent sees.
SECTIONS = tuple(
    name for name, section in REGISTRY.sections.items() if section.place and not section.footer
)
GUEST_SECTIONS = tuple(
    name for name, section in REGISTRY.sections.items() if section.guest_place is not None
)
