"""Builds the parts from settings, once, at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.settings import Settings
from dialogs.engine import Engine
from dialogs.flow import DialogConfig, Region
from dialogs.render import Renderer
from storage.database import create_engine, create_session_factory
from storage.migrate import upgrade


@dataclass
class Parts:
    engine: Engine
    renderer: Renderer
    db: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]


def dialog_config(settings: Settings) -> DialogConfig:
    return DialogConfig(
        consent_version=settings.consent.version,
        regions={
            code: Region(name=region.name, timezone=region.timezone)
            for code, region in settings.regions.items()
        },
        default_region=settings.default_region,
    )


async def build_parts(settings: Settings) -> Parts:
    """Migrate the database (idempotent) and build the engine, the renderer and sessions."""
    await upgrade(settings.database.url)
    db = create_engine(settings.database.url, echo=settings.database.echo)
    return Parts(
        engine=Engine(dialog_config(settings)),
        renderer=Renderer(),
        db=db,
        sessions=create_session_factory(db),
    )
