"""Builds every part from the settings and the features, once, at start-up."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from admin.app import create_app
from admin.desk_sessions import SessionPolicy
from admin.server import Embedded
from app.features import FEATURES
from bot.files import TelegramFiles
from bot.parts import Companion, OperatorDesk, Parts, Reminders
from dialogs.engine import Engine
from dialogs.flow import DialogConfig
from dialogs.render import Renderer, TemplateFiles, template_files
from features.kit import Feature, Kit, SessionService
from features.operator.desk import DeskWork
from kernel.clock import utc_now
from kernel.regions import Region, Regions
from kernel.settings import DatabaseSettings, Settings
from nlu.recognizer import Recognizer, recognizer_from
from reminders.planning import QuietHours
from reminders.rules import Rule
from reminders.runner import RunnerSettings, SentHook
from reminders.store import prune_replies
from storage import inbox
from storage.database import create_engine, create_session_factory
from storage.migrate import upgrade


def dialog_config(settings: Settings) -> DialogConfig:
    return DialogConfig(
        consent_version=settings.consent.version,
        regions=regions_of(settings),
        default_region=settings.default_region,
        working_hours=(settings.working_hours.start, settings.working_hours.end),
        accept_confidence=settings.nlu.accept_confidence,
        confirm_confidence=settings.nlu.confirm_confidence,
        vacancy_page_size=settings.vacancies.page_size,
    )


def regions_of(settings: Settings) -> dict[str, Region]:
    return {
        code: Region(
            name=region.name,
            timezone=region.timezone,
            phone=region.phone,
            address=region.address,
            subsistence_minimum=region.subsistence_minimum,
        )
        for code, region in settings.regions.items()
    }


def all_rules(features: Sequence[Feature] = FEATURES) -> dict[str, Rule]:
    """Every feature's deadline rules; a rule id declared by two features is refused."""
    rules: dict[str, Rule] = {}
    for feature in features:
        for rule_id, rule in feature.rules.items():
            if rule_id in rules:
                raise ValueError(f"deadline rule {rule_id!r} is declared by two features")
            rules[rule_id] = rule
    return rules


def template_files_of(features: Sequence[Feature] = FEATURES) -> TemplateFiles:
    return template_files({f.name: f.templates for f in features if f.templates is not None})


def renderer(features: Sequence[Feature] = FEATURES, *, strict: bool = False) -> Renderer:
    """`strict`: a key rendered with other variables than it declares is an error (tests)."""
    return Renderer(template_files_of(features), strict=strict)


def engine(
    settings: Settings, recognizer: Recognizer | None, features: Sequence[Feature] = FEATURES
) -> Engine:
    return Engine(dialog_config(settings), (f.chat for f in features), recognizer=recognizer)


class Application:
    """The features built on one process's database and settings."""

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        features: Sequence[Feature] = FEATURES,
    ) -> None:
        self.settings = settings
        self.features = tuple(features)
        self.kit = Kit(
            settings=settings,
            sessions=sessions,
            regions=Regions.of(
                {code: region.timezone for code, region in settings.regions.items()},
                settings.default_region,
            ),
            quiet_hours=QuietHours(
                settings.reminders.quiet_hours.start, settings.reminders.quiet_hours.end
            ),
            files=TelegramFiles(settings.bot.token.get_secret_value(), settings.bot.api_server)
            if settings.bot.token is not None
            else None,
        )
        for feature in self.features:
            self.kit.alert_kinds.update(feature.alert_kinds)
        factories: dict[str, SessionService] = {}
        for feature in self.features:
            for name, factory in (feature.services(self.kit) if feature.services else {}).items():
                if name in factories:
                    raise ValueError(f"service {name!r} is declared by two features")
                factories[name] = factory
        self.service_factories: Mapping[str, SessionService] = factories

    def services(self, session: AsyncSession) -> dict[str, object]:
        """Every feature's domain services on one unit of work's session."""
        return {name: factory(session) for name, factory in self.service_factories.items()}

    def staff_app(self, clock: Callable[[], datetime] = utc_now) -> FastAPI:
        routers = [feature.staff(self.kit) for feature in self.features if feature.staff]
        admin = self.settings.admin
        return create_app(
            self.kit.sessions,
            routers,
            self.service_factories,
            clock,
            token_lifetime=timedelta(days=admin.token_days),
            docs=admin.docs,
            failed_logins_per_minute=admin.failed_logins_per_minute,
            pages=[feature.desk for feature in self.features if feature.desk],
            kit=self.kit,
            session_policy=SessionPolicy(
                lifetime=timedelta(hours=admin.session_hours),
                idle=timedelta(minutes=admin.session_idle_minutes),
                secure=not admin.plain_http,
            ),
            failed_logins_per_account=admin.failed_logins_per_account,
            nudge=self.kit.nudge,
            texts=template_files_of(self.features),
        )

    def operator_desk(self) -> OperatorDesk | None:
        """The operators' Telegram group (`operators.chat_id`) and/or the web desk."""
        config = self.settings.operators
        if config.chat_id is None and not config.web_desk:
            return None
        names = {code: region.name for code, region in self.settings.regions.items()}
        return OperatorDesk(
            chat_id=config.chat_id,
            work=lambda session: DeskWork(
                session, self.kit.regions, names, config, self.kit.quiet_hours
            ),
            refresh_seconds=config.queue_refresh_seconds,
            sweep_seconds=config.relay_sweep_seconds,
        )

    def on_reminder_sent(self) -> dict[str, SentHook]:
        hooks: dict[str, SentHook] = {}
        for feature in self.features:
            if feature.on_reminder_sent is not None:
                hooks.update(feature.on_reminder_sent(self.kit))
        return hooks

    def reminders(self) -> Reminders | None:
        config = self.settings.reminders
        if not config.enabled:
            return None
        return Reminders(
            settings=RunnerSettings(
                sweep_seconds=config.sweep_seconds,
                lease_seconds=config.lease_seconds,
                batch=config.batch,
                max_attempts=config.max_attempts,
                retry_seconds=config.retry_seconds,
            ),
            rules=all_rules(self.features),
            regions=self.kit.regions,
            quiet_hours=self.kit.quiet_hours,
            on_sent=self.on_reminder_sent(),
            # Telegram update ids older than a day will not come again (storage/inbox.py);
            # the bot's replies are kept a day (reminders/store.py).
            housekeeping=(inbox.prune, prune_replies),
        )


def database_engine(settings: DatabaseSettings) -> AsyncEngine:
    return create_engine(
        settings.url,
        echo=settings.echo,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
    )


async def build_parts(settings: Settings, features: Sequence[Feature] = FEATURES) -> Parts:
    """Migrate the database (idempotent; processes take turns) and build every part."""
    await upgrade(settings.database.url)
    db = database_engine(settings.database)
    sessions = create_session_factory(db)
    application = Application(settings, sessions, features)
    recognizer = recognizer_from(settings.nlu)
    companions: list[Companion] = []
    if settings.admin.enabled:
        admin = settings.admin
        companions.append(Embedded(application.staff_app(), admin.host, admin.port))
    return Parts(
        operators=application.operator_desk(),
        engine=engine(settings, recognizer, features),
        renderer=renderer(features, strict=settings.templates.strict_contexts),
        db=db,
        sessions=sessions,
        recognizer=recognizer,
        services=application.services,
        reminders=application.reminders(),
        companions=companions,
        nudges=application.kit.nudges,
        template_refresh_seconds=settings.templates.refresh_seconds,
    )
