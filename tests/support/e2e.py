"""Fixtures for end-to-end tests: the fake Bot API server and the real bot process."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from tests.support.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
CITIZEN_ID = 777001  # the user FakeTelegram plays

StartBot = Callable[..., Awaitable[asyncio.subprocess.Process]]


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def start_bot(
    telegram: FakeTelegram, db_url: str, tmp_path: Path
) -> AsyncIterator[StartBot]:
    processes: list[asyncio.subprocess.Process] = []

    async def start(**extra_env: str) -> asyncio.subprocess.Process:
        env = {
            **os.environ,
            "BOT__TOKEN": telegram.token,
            "BOT__API_SERVER": f"http://127.0.0.1:{telegram.port}",
            "DATABASE__URL": db_url,
            "ASSISTANT_CONFIG": str(ROOT / "config.yml"),
            # Rasa only where a test brings its own server; the rest use the local matcher.
            "NLU__ENABLED": "false",
            # The staff API only where a test asks for it, on a port of its own.
            "ADMIN__ENABLED": "false",
            # Every key rendered with exactly the variables it declares (contexts.yml).
            "TEMPLATES__STRICT_CONTEXTS": "true",
            # The fake server does not limit: a conversation is not held to one message a
            # second per chat (the pace itself is tested in tests/bot/test_sender.py).
            "BOT__CHAT_MESSAGES_PER_SECOND": "50",
            # Then a scripted citizen answers faster than a person: the flood guard is tested
            # on its own (test_e2e_telegram).
            "BOT__FLOOD_MESSAGES": "1000",
            **extra_env,
        }
        log = open(tmp_path / f"bot-{len(processes)}.log", "wb")  # noqa: SIM115, ASYNC230
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app", "telegram", cwd=ROOT, env=env, stdout=log, stderr=log
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.returncode is None:
            process.kill()
            await process.wait()
