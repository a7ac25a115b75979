"""Staff accounts for tests: a member of a role and regions, with an API token."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin import accounts, tokens


async def staff_token(
    sessions: async_sessionmaker[AsyncSession],
    name: str = "inspector",
    role: str = "supervisor",
    regions: Sequence[str] = ("*",),
) -> str:
    """Adds the staff member and returns their new token."""
    async with sessions() as session:
        await accounts.add(session, name, role, regions, by="test")
        issued = await tokens.issue(session, name, by="test")
        await session.commit()
    return issued
