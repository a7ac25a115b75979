"""Staff accounts on a real migrated database, and the commands administrators run."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin import accounts, tokens
from storage.models import AuditEvent
from tests.support.e2e import ROOT

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)


async def test_a_token_is_issued_only_to_an_active_staff_member(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        with pytest.raises(tokens.TokenError, match="нет работающего сотрудника 'nobody'"):
            await tokens.issue(session, "nobody", by="test")
        await accounts.add(session, "ivanova", "operator", ["63"], by="test")
        token = await tokens.issue(session, "ivanova", by="test")
        await session.commit()
    async with sessions() as session:
        member = await tokens.verify(session, token, NOW + timedelta(minutes=1))
        assert member is not None
        assert (member.name, member.role, member.regions) == ("ivanova", "operator", ["63"])


async def test_deactivating_a_member_takes_their_access_away_at_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        await accounts.add(session, "petrov", "supervisor", ["50"], by="test")
        token = await tokens.issue(session, "petrov", by="test")
        await session.commit()
    async with sessions() as session:
        await accounts.deactivate(session, "petrov", by="cli:root")
        await session.commit()
    async with sessions() as session:
        assert await tokens.verify(session, token, NOW) is None
        with pytest.raises(tokens.TokenError):  # no new token for a deactivated member
            await tokens.issue(session, "petrov", by="test")
        with pytest.raises(accounts.AccountError, match="нет работающего сотрудника"):
            await accounts.deactivate(session, "petrov", by="test")
        [member] = await accounts.listing(session)
        assert (member.active, member.deactivated_at is not None) == (False, True)
        [token_row] = await tokens.listing(session)
        assert token_row.revoked_at is not None
        actions = await session.scalars(
            select(AuditEvent.action).where(AuditEvent.subject == "staff:petrov")
        )
        assert list(actions) == ["staff:added", "staff_token:issued", "staff:deactivated"]


async def test_names_roles_and_telegram_ids_are_checked(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        await accounts.add(session, "sidorova", "admin", ["*"], by="test", telegram_id=1001)
        with pytest.raises(accounts.AccountError, match="уже есть"):
            await accounts.add(session, "sidorova", "operator", ["63"], by="test")
        with pytest.raises(accounts.AccountError, match="уже у другого сотрудника"):
            await accounts.add(session, "kozlov", "operator", ["63"], by="test", telegram_id=1001)
        with pytest.raises(accounts.AccountError, match="роль: одна из"):
            await accounts.add(session, "kozlov", "root", ["63"], by="test")
        with pytest.raises(accounts.AccountError, match="печатных"):
            await accounts.add(session, "bad\x00name", "operator", ["63"], by="test")


def test_regions_are_checked_against_the_configured_ones() -> None:
    known = {"63", "50", "69"}
    assert accounts.parse_regions("63, 50", known) == ["50", "63"]
    assert accounts.parse_regions("all", known) == ["*"]
    with pytest.raises(accounts.AccountError, match="неизвестный регион"):
        accounts.parse_regions("63,99", known)
    with pytest.raises(accounts.AccountError, match="хотя бы один регион"):
        accounts.parse_regions(" , ", known)


async def test_a_password_is_stored_as_an_argon2_hash_and_checked(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        with pytest.raises(accounts.AccountError, match="не короче 12"):
            await accounts.add(session, "orlova", "operator", ["63"], by="t", password="short")
        member = await accounts.add(
            session, "orlova", "operator", ["63"], by="t", password="длинный пароль 2026"
        )
        await session.commit()
    assert member.password_hash is not None
    assert member.password_hash.startswith("$argon2id$")
    assert "пароль" not in member.password_hash
    assert accounts.password_matches(member, "длинный пароль 2026")
    assert not accounts.password_matches(member, "длинный пароль 2025")
    member.active = False
    assert not accounts.password_matches(member, "длинный пароль 2026")


def admin(db: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "admin", *args],
        cwd=ROOT,
        env={
            **os.environ,
            "ASSISTANT_CONFIG": str(ROOT / "config.yml"),
            "DATABASE__URL": f"sqlite+aiosqlite:///{db}",
        },
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_staff_commands(tmp_path: Path) -> None:
    db = tmp_path / "staff.db"
    added = admin(
        db,
        *("staff", "add", "ivanova", "--role", "operator", "--regions", "63"),
        *("--telegram-id", "5001", "--password"),
        stdin="пароль оператора\n",
    )
    assert (added.returncode, added.stdout) == (
        0,
        "added: ivanova\toperator\t63\tactive\ttelegram 5001\tpassword set\n",
    )
    unknown = admin(db, "staff", "add", "petrov", "--role", "operator", "--regions", "99")
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("error: неизвестный регион: 99; есть:")
    token = admin(db, "token", "add", "ivanova")
    assert token.returncode == 0
    assert len(token.stdout.strip()) >= 40
    assert admin(db, "token", "add", "nobody").returncode == 1
    assert admin(db, "token", "list").stdout.startswith("ivanova\tactive until 20")
    assert admin(db, "staff", "deactivate", "ivanova").returncode == 0
    listed = admin(db, "staff", "list")
    assert listed.stdout.startswith("ivanova\toperator\t63\tdeactivated")
    tokens_listed = admin(db, "token", "list")
    assert tokens_listed.stdout.startswith("ivanova\trevoked")
