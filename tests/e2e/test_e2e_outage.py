"""End to end: PostgreSQL becomes unreachable for 20 s while a citizen writes (a TCP proxy
between the bot and the database drops every connection and refuses new ones). The process
does not crash, nothing the citizen sent is lost — the updates wait in Telegram, unconfirmed,
until they can be stored — and once the database is back every message is handled, once."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from sqlalchemy import make_url

from bench.crash import counted
from storage import wakeups
from tests.e2e.test_e2e_operator import citizen_sees, onboard
from tests.support.e2e import StartBot
from tests.support.fake_telegram import FakeTelegram
from tests.support.rasa import free_port

pytestmark = pytest.mark.e2e

OUTAGE_SECONDS = 20


class CuttableProxy:
    """Forwards TCP connections to PostgreSQL until `cut()`: then every connection is closed
    and new ones are refused, until `restore()`."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self.cut_off = False
        self._pipes: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def cut(self) -> None:
        self.cut_off = True
        for writer in list(self._pipes):
            writer.close()

    def restore(self) -> None:
        self.cut_off = False

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut_off:
            writer.close()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._pipes |= {writer, upstream_writer}
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            self._pipes -= {writer, upstream_writer}
            writer.close()
            upstream_writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    writer.close()


async def test_a_database_outage_loses_nothing_and_the_bot_recovers_by_itself(
    telegram: FakeTelegram, start_bot: StartBot, db_url: str
) -> None:
    if not wakeups.is_postgres(db_url):
        pytest.skip("a PostgreSQL server to cut off")
    url = make_url(db_url)
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    try:
        proxied = url.set(port=proxy.port).render_as_string(hide_password=False)
        bot = await start_bot(DATABASE__URL=proxied)
        await onboard(telegram)
        before, _ = await counted(db_url)

        proxy.cut()
        for n in range(3):
            telegram.user_sends(f"вопрос во время сбоя {n}")
            await asyncio.sleep(OUTAGE_SECONDS / 3)
        assert bot.returncode is None, "the bot process died during the outage"
        proxy.restore()

        for _ in range(600):
            turns, waiting = await counted(db_url)
            if turns - before >= 3 and waiting == 0:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1)
        assert await counted(db_url) == (before + 3, 0)
        telegram.user_sends("/menu")
        await citizen_sees(telegram, "Главное меню", "an answer after the outage")
        assert bot.returncode is None
    finally:
        await proxy.stop()
