"""Builds the parts from settings, once, at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from admin.app import create_app
from dialogs.engine import Engine
from dialogs.flow import DialogConfig
from dialogs.ports import Desks
from dialogs.render import Renderer
from features.complaints.service import SqlComplaints
from features.offers.service import SqlOffers
from features.vacancies.catalog import VacancyCatalog
from features.vacancies.service import SearchRules, SqlVacancies
from kernel.regions import Region, Regions
from kernel.settings import AdminSettings, Settings
from nlu.client import CircuitBreaker, NluClient
from nlu.local_matcher import LocalMatcher
from nlu.recognizer import Recognizer
from reminders.planning import QuietHours
from reminders.runner import RunnerSettings
from storage.database import create_engine, create_session_factory
from storage.migrate import upgrade


@dataclass
class Parts:
    engine: Engine
    renderer: Renderer
    db: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    recognizer: Recognizer
    regions: Regions
    quiet_hours: QuietHours
    reminders: RunnerSettings | None  # None: this process sends no reminders
    catalog: VacancyCatalog
    search_rules: SearchRules
    staff_api: AdminSettings | None = None  # None: this process serves no staff API

    def complaints(self, session: AsyncSession) -> SqlComplaints:
        """The complaint desk on one unit of work's session."""
        return SqlComplaints(session, self.regions, self.quiet_hours)

    def desks(self, session: AsyncSession) -> Desks:
        """Every domain service a turn may use, on one unit of work's session."""
        return Desks(
            complaints=self.complaints(session),
            vacancies=self.vacancy_search(session),
            offers=self.offers(session),
        )

    def vacancy_search(self, session: AsyncSession) -> SqlVacancies:
        return SqlVacancies(session, self.catalog, self.search_rules)

    def offers(self, session: AsyncSession) -> SqlOffers:
        """The centre's vacancy offers on one unit of work's session."""
        return SqlOffers(session, self.regions, self.quiet_hours, self.catalog, self.search_rules)

    def staff_app(self) -> FastAPI:
        """The staff API on this process's database and services."""
        return create_app(
            self.sessions,
            self.regions,
            self.quiet_hours,
            offers=self.offers,
            search=self.vacancy_search,
        )

    async def close(self) -> None:
        await self.recognizer.close()
        await self.db.dispose()


def dialog_config(settings: Settings) -> DialogConfig:
    return DialogConfig(
        consent_version=settings.consent.version,
        regions={
            code: Region(
                name=region.name,
                timezone=region.timezone,
                phone=region.phone,
                address=region.address,
            )
            for code, region in settings.regions.items()
        },
        default_region=settings.default_region,
        working_hours=(settings.working_hours.start, settings.working_hours.end),
        accept_confidence=settings.nlu.accept_confidence,
        confirm_confidence=settings.nlu.confirm_confidence,
        vacancy_page_size=settings.vacancies.page_size,
    )


def reminder_settings(settings: Settings) -> RunnerSettings | None:
    config = settings.reminders
    if not config.enabled:
        return None
    return RunnerSettings(
        sweep_seconds=config.sweep_seconds,
        lease_seconds=config.lease_seconds,
        batch=config.batch,
        max_attempts=config.max_attempts,
        retry_seconds=config.retry_seconds,
    )


def build_recognizer(settings: Settings) -> Recognizer:
    """Rasa through the client when enabled; the local matcher behind it either way."""
    nlu = settings.nlu
    client = None
    if nlu.enabled:
        client = NluClient(
            nlu.url,
            nlu.token.get_secret_value() if nlu.token else None,
            timeout_seconds=nlu.timeout_seconds,
            max_text_chars=nlu.max_text_chars,
            breaker=CircuitBreaker(nlu.breaker_failures, nlu.breaker_reset_seconds),
        )
    return Recognizer(client, LocalMatcher.from_file())


async def build_parts(settings: Settings) -> Parts:
    """Migrate the database (idempotent) and build the engine, the renderer and sessions."""
    await upgrade(settings.database.url)
    db = create_engine(settings.database.url, echo=settings.database.echo)
    recognizer = build_recognizer(settings)
    sessions = create_session_factory(db)
    return Parts(
        engine=Engine(dialog_config(settings), recognizer=recognizer),
        renderer=Renderer(),
        db=db,
        sessions=sessions,
        recognizer=recognizer,
        regions=Regions.of(
            {code: region.timezone for code, region in settings.regions.items()},
            settings.default_region,
        ),
        quiet_hours=QuietHours(
            settings.reminders.quiet_hours.start, settings.reminders.quiet_hours.end
        ),
        reminders=reminder_settings(settings),
        catalog=VacancyCatalog(sessions),
        search_rules=SearchRules(
            commute_km=settings.vacancies.commute_km,
            subsistence_minimum={
                code: region.subsistence_minimum
                for code, region in settings.regions.items()
                if region.subsistence_minimum is not None
            },
        ),
        staff_api=settings.admin if settings.admin.enabled else None,
    )
