"""Complaints: registering them and the staff API's list and detail calls at volume.

    .venv/bin/python -m bench.complaints [--count 20000] [--url ...]

Registers `count` complaints through `complaints.service` (each with its reminders and audit
row, one commit per complaint as the flow does it), then times the staff API in process
(httpx over ASGI, auth and the audit write included): the list sorted by due date, the list of
overdue ones, filters, and one complaint in full. Without --url a fresh SQLite file. Prints
figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

from admin import tokens
from features.complaints.grounds import GROUNDS, RESPONDENTS
from features.complaints.service import ComplaintDraft, SqlComplaints
from kernel.regions import Regions
from reminders.planning import QuietHours
from storage.database import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.models import Citizen
from tests.support.wiring import staff_app

REGIONS = Regions.of({"63": "Europe/Samara", "77": "Europe/Moscow"}, "63")
START = datetime(2026, 9, 1, 7, tzinfo=UTC)


def _draft(number: int) -> ComplaintDraft:
    return ComplaintDraft(
        ground=GROUNDS[number % len(GROUNDS)].id,
        respondent=RESPONDENTS[number % len(RESPONDENTS)].id,
        decision="Не зарегистрировали заявление в срок",
        decision_on=date(2026, 8, 20),
        arguments="Заявление подано через портал, срок регистрации нарушен. " * 4,
        surname="Петрова",
        first_name="Анна",
        residence="г. Самара, ул. Ленина, д. 1",
        phone="+79001234567",
        postal_address="443000, г. Самара, ул. Ленина, д. 1",
        answer_channel="telegram",
    )


async def _register(url: str, count: int) -> float:
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    started = time.perf_counter()
    for number in range(count):
        async with sessions() as session:
            citizen = Citizen(
                channel="telegram",
                external_id=str(number),
                chat_id=number,
                region_code="63" if number % 2 else "77",
            )
            session.add(citizen)
            await session.flush()
            # Spread over three months, so some are overdue "now" and some are not.
            filed = START + timedelta(minutes=13 * number % (90 * 24 * 60))
            await SqlComplaints(session, REGIONS, QuietHours()).register(
                citizen, _draft(number), filed
            )
            await session.commit()
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return elapsed


async def _time_calls(url: str, calls: dict[str, str], repeat: int) -> dict[str, list[float]]:
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    async with sessions() as session:
        token = await tokens.issue(session, "bench", by="bench")
        await session.commit()
    app = staff_app(
        sessions, REGIONS, QuietHours(), clock=lambda: datetime(2026, 11, 23, tzinfo=UTC)
    )
    timings: dict[str, list[float]] = {name: [] for name in calls}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://bench",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        for name, path in calls.items():
            for _ in range(repeat):
                started = time.perf_counter()
                response = await client.get(path)
                timings[name].append(time.perf_counter() - started)
                response.raise_for_status()
    await engine.dispose()
    return timings


async def run(url: str | None, count: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        url = url or f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
        await upgrade(url)
        elapsed = await _register(url, count)
        print(f"registered {count} complaints in {elapsed:.1f} s ({count / elapsed:.0f}/s)")
        calls = {
            "list, first 50 by due date": "/complaints",
            "overdue=past, first 50": "/complaints?overdue=past",
            "state+body filter": "/complaints?state=registered&body=ministry&limit=50",
            "one complaint in full": "/complaints/Ж-2026-000077",
            "list, offset 10000": "/complaints?offset=10000",
        }
        for name, samples in (await _time_calls(url, calls, repeat)).items():
            samples_ms = sorted(sample * 1000 for sample in samples)
            print(
                f"{name:32} median {statistics.median(samples_ms):6.1f} ms"
                f"   p95 {samples_ms[int(len(samples_ms) * 0.95) - 1]:6.1f} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.complaints")
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--url")
    args = parser.parse_args()
    asyncio.run(run(args.url, args.count, args.repeat))


if __name__ == "__main__":
    main()
