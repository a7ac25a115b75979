"""A turn knows which tables it wrote: the operators' relay is woken only by those it reads."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.operator_group import RELAYED_TABLES
from storage.database import tables_written
from storage.models import Citizen, Conversation, Handover


async def test_flushed_objects_and_orm_statements_are_counted_reads_are_not(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        written = tables_written(session)
        await session.execute(select(Conversation))
        assert written == set()
        citizen = Citizen(channel="telegram", external_id="42", chat_id=42)
        session.add(citizen)
        await session.flush()
        assert written == {"citizens"}
        citizen.display_name = "Анна"
        await session.execute(update(Handover).where(Handover.id == -1).values(state="closed"))
        await session.commit()
    assert written == {"citizens", "handovers"}
    assert written & RELAYED_TABLES == {"handovers"}
    assert "citizens" not in RELAYED_TABLES


async def test_each_session_counts_its_own_writes(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as watched, sessions() as other:
        written = tables_written(watched)
        other.add(Citizen(channel="telegram", external_id="43", chat_id=43))
        await other.commit()  # a session nobody asked about: nothing is recorded
        assert written == set()
        watched.add(Citizen(channel="telegram", external_id="44", chat_id=44))
        await watched.commit()
    assert written == {"citizens"}
