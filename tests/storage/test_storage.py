"""Storage on the real migrated schema: SQLite always, PostgreSQL when TEST_POSTGRES_URL is set."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from dialogs.flow import DialogConfig
from reminders.store import stage_replies
from storage import inbox
from storage.database import create_engine
from storage.inbox import Received
from storage.migrate import upgrade
from storage.models import AuditEvent, Base, Citizen, Consent, Conversation, InboxUpdate
from storage.repositories import SqlDialogStore
from tests.conftest import POSTGRES_URL, drop_postgres_database, fresh_postgres_database
from tests.support import wiring
from tests.support.chat import EngineChat

HOLD = timedelta(seconds=30)


async def test_models_match_migrations(db_engine: AsyncEngine) -> None:
    def diff(connection):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with db_engine.connect() as connection:
        assert await connection.run_sync(diff) == []


async def test_migrations_are_idempotent(db_url: str, db_engine: AsyncEngine) -> None:
    await upgrade(db_url)  # second run: nothing to do, no error
    async with db_engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"citizens", "consents", "conversations", "inbox_updates", "audit_events"} <= tables


async def test_sqlite_uses_wal(empty_db_url: str, db_engine: AsyncEngine) -> None:
    if not empty_db_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    async with db_engine.connect() as connection:
        mode = await connection.scalar(text("PRAGMA journal_mode"))
        timeout = await connection.scalar(text("PRAGMA busy_timeout"))
    assert (mode, timeout) == ("wal", 5000)


async def test_conversation_survives_a_new_engine_and_session(
    dialog_config: DialogConfig, sessions: async_sessionmaker[AsyncSession]
) -> None:
    engine = wiring.engine(dialog_config)
    async with sessions() as session:
        chat = EngineChat(engine, SqlDialogStore(session))
        await chat.send("/start")
        await chat.press("buttons.consent_accept")
        await session.commit()

    async with sessions() as session:  # as after a restart: nothing kept in memory
        chat = EngineChat(wiring.engine(dialog_config), SqlDialogStore(session))
        await chat.send("Москва")
        await session.commit()
        assert chat.templates() == ["onboarding.done"]
        citizen = await session.scalar(select(Citizen))
        assert citizen is not None
        assert (citizen.region_code, citizen.display_name) == ("77", "Анна Петрова")
        consent = await session.scalar(select(Consent))
        assert consent is not None
        assert consent.given_at.tzinfo is not None


async def test_a_turn_reads_the_citizen_conversation_and_consent_in_force_at_once(
    db_engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    async with sessions() as session:
        store = SqlDialogStore(session)
        citizen = await store.citizen("telegram", "7", 7)
        await store.conversation(citizen)
        for days, withdrawn in ((0, False), (1, True), (2, False), (3, True)):
            given = start + timedelta(days=days)
            session.add(
                Consent(
                    citizen_id=citizen.id,
                    text_version=f"v{days}",
                    given_at=given,
                    withdrawn_at=given + timedelta(hours=1) if withdrawn else None,
                )
            )
        await session.commit()
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(db_engine.sync_engine, "before_cursor_execute", record)
    async with sessions() as session:
        store = SqlDialogStore(session)
        citizen = await store.citizen("telegram", "7", 7)
        conversation = await store.conversation(citizen)
        consent = await store.active_consent(citizen)
    event.remove(db_engine.sync_engine, "before_cursor_execute", record)
    assert len(statements) == 1
    assert conversation.citizen_id == citizen.id
    assert consent is not None
    assert consent.text_version == "v2"  # the newest not withdrawn
    assert not store.may_owe_replies(citizen)  # no reply pending: nothing to look for

    async with sessions() as session:  # a reply left pending (its process died)
        await stage_replies(
            session, citizen.id, [{"text": "ответ"}], owner="gone", now=start, lease=HOLD
        )
        await session.commit()
    async with sessions() as session:
        store = SqlDialogStore(session)
        assert store.may_owe_replies(await store.citizen("telegram", "7", 7))
        newcomer = await store.citizen("telegram", "8", 8)
        assert not store.may_owe_replies(newcomer)

    async with sessions() as session:  # asked again in the same turn: read again
        store = SqlDialogStore(session)
        citizen = await store.citizen("telegram", "7", 7)
        await store.active_consent(citizen)
        await store.withdraw_consent(citizen)
        assert await store.active_consent(citizen) is None


async def test_withdrawal_anonymises_and_is_audited(
    dialog_config: DialogConfig, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as session:
        chat = EngineChat(wiring.engine(dialog_config), SqlDialogStore(session))
        for step in ("/start", "да", "Москва"):
            await chat.send(step)
        await chat.press("buttons.my_data")
        await chat.press("buttons.withdraw")
        await chat.press("buttons.withdraw_confirm")
        await session.commit()

    async with sessions() as session:
        citizen = await session.scalar(select(Citizen))
        assert citizen is not None
        assert (citizen.display_name, citizen.username) == (None, None)
        assert citizen.erased_at is not None
        consent = await session.scalar(select(Consent))
        assert consent is not None
        assert consent.withdrawn_at is not None
        actions = list(await session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
        assert actions == ["consent:given", "consent:withdrawn"]
        events = list(await session.scalars(select(AuditEvent)))
        assert all("Анна" not in str(event.details) for event in events)


async def test_a_redelivered_update_is_stored_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first = [Received(7, 1, {"update_id": 7}), Received(8, 1, {"update_id": 8})]
    async with sessions() as session:
        assert await inbox.store(session, 42, first) == 2
        assert await inbox.store(session, 42, first[:1]) == 0  # Telegram sent it again
        assert await inbox.store(session, 43, first[:1]) == 1  # another bot, same update id
    async with sessions() as session:
        assert await inbox.backlog(session) == 3


async def test_each_sender_s_oldest_update_is_leased_once_and_in_order(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    now = datetime(2026, 11, 30, 9, tzinfo=UTC)
    received = [Received(7, 1, {}), Received(8, 2, {}), Received(9, 1, {})]
    async with sessions() as session:
        await inbox.store(session, 42, received)
    async with sessions() as session:
        taken = await inbox.lease(session, now, 60, set())
        assert [row.update_id for row in taken] == [7, 8]  # 9 waits for 7: the same person
        assert await inbox.lease(session, now, 60, set()) == []  # held
        later = await inbox.lease(session, now + timedelta(seconds=61), 60, set())
        assert [row.update_id for row in later] == [7, 8]  # its process died: taken again
        await inbox.finish(session, later[0].id, now, "handled")
        assert [row.update_id for row in await inbox.lease(session, now, 60, set())] == [9]
        assert await inbox.lease(session, now + timedelta(seconds=200), 60, {1, 2}) == []


async def test_a_lease_names_busy_senders_with_an_update_waiting_and_reads_only_the_asked(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The worker takes a busy person's next update as soon as the one in hand is done, so it
    must learn which busy people have one waiting: also when the one in hand is settled
    already (then the waiting one is their oldest)."""
    now = datetime(2026, 11, 30, 9, tzinfo=UTC)
    async with sessions() as session:
        await inbox.store(session, 42, [Received(7, 1, {}), Received(8, 2, {})])
        in_hand = await inbox.lease(session, now, 60, set())
        await inbox.finish(session, in_hand[0].id, now, "handled")  # 7: settled, still in hand
        await inbox.store(session, 42, [Received(9, 1, {}), Received(10, 2, {})])
        await inbox.store(session, 42, [Received(11, 3, {})])
        behind: set[int] = set()
        taken = await inbox.lease(session, now, 60, {1, 2}, senders={1, 2}, behind=behind)
        assert taken == []  # 9 and 10 wait for their people's updates in hand
        assert behind == {1, 2}
        nobody_behind: set[int] = set()
        taken = await inbox.lease(session, now, 60, {1}, senders={3}, behind=nobody_behind)
        assert [row.update_id for row in taken] == [11]  # only the asked sender's
        assert nobody_behind == set()


async def test_a_handled_update_holds_its_sender_until_its_replies_have_left(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Another process must not answer the sender's next message while the replies to the
    last one are still being sent; a process that died lets go when the hold lapses."""
    now = datetime(2026, 11, 30, 9, tzinfo=UTC)
    async with sessions() as session:
        await inbox.store(session, 42, [Received(7, 1, {}), Received(8, 1, {})])
        first = (await inbox.lease(session, now, 60, set()))[0].id
        await session.run_sync(
            lambda s: inbox.mark_handled(s.connection(), first, now, "handled", HOLD)
        )
        await session.commit()
        assert await inbox.lease(session, now + timedelta(seconds=1), 60, set()) == []
        lapsed = now + HOLD + timedelta(seconds=1)
        assert [r.update_id for r in await inbox.lease(session, lapsed, 60, set())] == [8]
    async with sessions() as session:
        await inbox.store(session, 42, [Received(9, 2, {}), Received(10, 2, {})])
        third = (await inbox.lease(session, now, 60, set()))[0].id
        await session.run_sync(
            lambda s: inbox.mark_handled(s.connection(), third, now, "handled", HOLD)
        )
        await session.commit()
        await inbox.release(session, third)
        soon = now + timedelta(seconds=1)
        assert [r.update_id for r in await inbox.lease(session, soon, 60, set())] == [10]


async def test_a_restarted_process_takes_back_at_once_what_it_held_and_only_that(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    now = datetime(2026, 11, 30, 9, tzinfo=UTC)
    async with sessions() as session:
        await inbox.store(session, 42, [Received(7, 1, {}), Received(8, 2, {})])
        mine = await inbox.lease(session, now, 60, set(), holder="host:polling")
        assert [r.update_id for r in mine] == [7, 8]
        other = (
            await session.scalars(select(InboxUpdate).where(InboxUpdate.update_id == 8))
        ).one()
        other.leased_by = "other:8081"  # another live process holds this one
        await session.commit()
        assert await inbox.let_go(session, "host:polling") == 1  # killed, started again
        again = await inbox.lease(session, now + timedelta(seconds=1), 60, set())
        assert [r.update_id for r in again] == [7]  # at once, not after the hold


async def test_the_handled_mark_commits_with_the_handlers_changes_only(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The mark is not visible before the handler commits and does not survive its
    rollback (on SQLite a SAVEPOINT-first pattern committed it alone)."""
    now = datetime(2026, 11, 30, 9, tzinfo=UTC)
    async with sessions() as session:
        await inbox.store(session, 42, [Received(7, 1, {})])
        row = (await inbox.lease(session, now, 60, set()))[0].id
    handler = sessions()
    await handler.run_sync(lambda s: inbox.mark_handled(s.connection(), row, now, "handled", HOLD))
    handler.add(AuditEvent(actor="test", action="turn"))
    await handler.flush()
    async with sessions() as other:
        assert await inbox.backlog(other) == 1  # not visible before the commit
    await handler.rollback()
    await handler.close()
    async with sessions() as other:
        assert await inbox.backlog(other) == 1  # gone with the rollback
        assert list(await other.scalars(select(AuditEvent))) == []
    async with sessions() as handler:
        assert await handler.run_sync(
            lambda s: inbox.mark_handled(s.connection(), row, now, "handled", HOLD)
        )
        handler.add(AuditEvent(actor="test", action="turn"))
        await handler.commit()
    async with sessions() as other:
        assert await inbox.backlog(other) == 0
        assert len(list(await other.scalars(select(AuditEvent)))) == 1
        # A second handling finds it done.
        assert not await other.run_sync(
            lambda s: inbox.mark_handled(s.connection(), row, now, "handled", HOLD)
        )


async def test_concurrent_conversation_changes_are_detected(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as setup:
        store = SqlDialogStore(setup)
        citizen = await store.citizen("telegram", "5", 5)
        await store.conversation(citizen)
        await setup.commit()

    async with sessions() as first, sessions() as second:
        one = await first.scalar(select(Conversation))
        two = await second.scalar(select(Conversation))
        assert one is not None
        assert two is not None
        one.step = "a"
        await first.commit()
        two.step = "b"
        with pytest.raises(StaleDataError):
            await second.commit()


async def test_naive_datetimes_are_refused(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        session.add(AuditEvent(actor="t", action="t", details={}, at=datetime(2026, 1, 1)))
        with pytest.raises(Exception, match="naive datetime"):
            await session.commit()


@pytest.mark.postgres
async def test_processes_starting_together_migrate_one_at_a_time() -> None:
    if POSTGRES_URL is None:
        pytest.skip("TEST_POSTGRES_URL is not set")
    url = await fresh_postgres_database()
    try:
        # Three processes start at once on an empty database: none may fail half-way.
        await asyncio.gather(*(upgrade(url) for _ in range(3)))
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                versions = (await connection.execute(text("SELECT * FROM alembic_version"))).all()
        finally:
            await engine.dispose()
        assert len(versions) == 1
    finally:
        await drop_postgres_database(url)
