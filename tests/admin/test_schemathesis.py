"""The staff API against its own OpenAPI description: schemathesis generates valid and invalid
requests for every operation (examples, coverage, fuzzing and stateful phases, a fixed seed, a
bounded number of cases) and sends them over HTTP to the real server process on a seeded
database. Every check must pass: no server error, no undocumented status, no response that
breaks its schema, invalid input refused and valid input accepted."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path

import httpx

from features.applications.service import SqlApplications
from features.appointments.service import SqlVisits
from features.vacancies.importer import import_feed
from kernel.regions import Regions
from reminders.planning import QuietHours
from storage.database import create_engine, create_session_factory
from storage.migrate import upgrade
from tests.features.vacancies.test_vacancy_import import SAMPLE
from tests.support.cases import citizen_with_a_complaint
from tests.support.e2e import ROOT
from tests.support.rasa import free_port
from tests.support.staff import staff_token

SEED = 20261129
EXAMPLES = 25  # per operation and phase: the whole run takes well under a minute here
NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)
REGIONS = Regions.of({"63": "Europe/Samara", "50": "Europe/Moscow"}, "63")
# Real ids, so that part of the generated requests reach records instead of 404.
CONFIG = """
[dictionaries.numbers]
values = {numbers}
[dictionaries.ids]
values = [1, 2]

[dictionaries.keys]
values = ["menu.main", "buttons.menu"]

[parameters]
"path.number" = {{ dictionary = "numbers", probability = 0.5 }}
"path.citizen_id" = {{ dictionary = "ids", probability = 0.5 }}
"path.offer_id" = {{ dictionary = "ids", probability = 0.5 }}
"path.visit_id" = {{ dictionary = "ids", probability = 0.5 }}
"path.key" = {{ dictionary = "keys", probability = 0.5 }}

# A template that parses and fits the schema may still fail the editor's checks (unknown
# variables, Telegram HTML): those are refused with 422 and the list of problems, by design.
[[operations]]
include-tag = "texts"
checks.positive_data_acceptance.expected-statuses = ["2xx", 401, 403, 404, 422]
"""


async def seed(url: str) -> tuple[str, list[str]]:
    """The vacancy sample, a citizen with a complaint and an application in regions 63 and 50,
    and an
    administrator of every region; returns the administrator's token and the numbers."""
    await upgrade(url)
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    try:
        await import_feed(sessions, SAMPLE)
        async with sessions() as session:
            numbers = []
            quiet = QuietHours(clock_time(21), clock_time(9))
            applications = SqlApplications(session, REGIONS, quiet)
            visits = SqlVisits(session, REGIONS, quiet)
            for i, region in enumerate(("63", "50")):
                citizen, number = await citizen_with_a_complaint(
                    session, REGIONS, region, 9000 + i, NOW
                )
                application = await applications.submit(citizen, "job_search", {}, NOW)
                numbers += [number, str(application.number)]
                await visits.create(
                    citizen.id,
                    kind="in_person",
                    place="г. Самара, ул. Ленина, 2",
                    purpose="Подбор вакансий",
                    starts_at=datetime(2026, 12, 2, 7, tzinfo=UTC),
                    actor="staff:seed",
                    now=NOW,
                )
            await session.commit()
        token = await staff_token(sessions, "fuzzer", "admin", ["*"])
    finally:
        await engine.dispose()
    return token, numbers


def wait_until_serving(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "the staff API exited"
        try:
            if httpx.get(f"{base}/openapi.json").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the staff API did not come up")


def test_every_operation_conforms_to_the_openapi_description(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'staff.db'}"
    token, numbers = asyncio.run(seed(url))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "ASSISTANT_CONFIG": str(ROOT / "config.yml"),
        "DATABASE__URL": url,
        # schemathesis checks that calls without a token are refused, many a minute.
        "ADMIN__FAILED_LOGINS_PER_MINUTE": "1000000",
        "LOGGING__LEVEL": "WARNING",
    }
    (tmp_path / "schemathesis.toml").write_text(
        CONFIG.format(numbers="[" + ", ".join(f'"{n}"' for n in numbers) + "]"),
        encoding="utf-8",
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "admin", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until_serving(base, server)
        run = subprocess.run(
            [
                *(str(Path(sys.executable).with_name("schemathesis")), "run"),
                f"{base}/openapi.json",
                *("--header", f"Authorization: Bearer {token}"),
                *("--checks", "all"),
                *("--seed", str(SEED), "--max-examples", str(EXAMPLES)),
                *("--workers", "1", "--generation-database", "none", "--no-color"),
                *("--request-timeout", "30"),
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    assert run.returncode == 0, run.stdout[-6000:]
    assert "Tested: 28" in run.stdout, run.stdout[-3000:]
    assert "Traceback" not in errors.decode(), errors.decode()[-3000:]
