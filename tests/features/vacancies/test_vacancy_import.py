"""The feed importer on SQLite and PostgreSQL: the sample feed, bad records, upserts, closing
what a full import no longer lists, and the command a newcomer runs."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from features.vacancies.feed import BadRecord, parse_record
from features.vacancies.importer import import_feed
from storage.models import Vacancy, VacancyImport

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "tests" / "data" / "vacancies_sample.json"
GOOD_IN_SAMPLE = 15


def sample_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads(SAMPLE.read_text())["results"]["vacancies"]
    return items


def write_feed(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"results": {"vacancies": items}}, ensure_ascii=False))
    return path


async def _states(sessions: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    async with sessions() as session:
        rows = await session.execute(select(Vacancy.id, Vacancy.state))
        return {row.id: row.state for row in rows}


async def test_the_sample_feed_imports_and_bad_records_are_reported(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    report = await import_feed(sessions, SAMPLE)

    assert report.counts() == {
        "new": GOOD_IN_SAMPLE,
        "updated": 0,
        "unchanged": 0,
        "closed": 0,
        "rejected": 6,
    }
    reasons = {(bad.vacancy_id, bad.reason) for bad in report.rejected}
    assert ("b0000001-0000-4000-8000-000000000001", "no job-name") in reasons
    assert (
        "b0000001-0000-4000-8000-000000000002",
        "salary_min 80000 is above salary_max 40000",
    ) in reasons
    assert ("b0000001-0000-4000-8000-000000000003", "region_code 'нет' is not a region code") in (
        reasons
    )
    assert ("b0000001-0000-4000-8000-000000000004", "lat 'north' is not a number") in reasons
    assert (None, "no id") in reasons
    assert (None, "an item without a 'vacancy' object") in reasons

    async with sessions() as session:
        driver = await session.get_one(Vacancy, "a0000001-0000-4000-8000-000000000001")
        run = (await session.scalars(select(VacancyImport))).one()
    assert driver.region_code == "63"
    assert driver.salary_min == 60000
    assert driver.salary_max == 80000
    assert driver.lat == pytest.approx(53.195)
    assert driver.duty is not None
    assert "<p>" not in driver.duty
    assert "соблюдение техники безопасности" in driver.duty
    assert driver.contacts == [{"type": "Телефон", "value": "+7 (846) 200-00-00"}]
    assert driver.search_lemmas == "водитель автомобиль водительский удостоверение категория c e"
    assert run.finished_at is not None
    assert run.counts["rejected"] == 6


async def test_a_second_import_updates_closes_and_reopens(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await import_feed(sessions, SAMPLE)
    items = [copy.deepcopy(item) for item in sample_items()[:GOOD_IN_SAMPLE]]
    items[0]["vacancy"]["salary_max"] = 85000  # changed
    dropped = items.pop()["vacancy"]["id"]  # no longer in the feed

    report = await import_feed(sessions, write_feed(tmp_path / "day2.json", items))
    assert report.counts() == {
        "new": 0,
        "updated": 1,
        "unchanged": GOOD_IN_SAMPLE - 2,
        "closed": 1,
        "rejected": 0,
    }
    states = await _states(sessions)
    assert states[dropped] == "closed"
    async with sessions() as session:
        first = await session.get_one(Vacancy, items[0]["vacancy"]["id"])
    assert first.salary_max == 85000

    # It comes back: open again, counted as updated.
    report = await import_feed(sessions, SAMPLE)
    assert report.updated == 2  # the reopened one and the first one's salary back
    assert (await _states(sessions))[dropped] == "open"


async def test_a_partial_import_closes_nothing(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await import_feed(sessions, SAMPLE)
    one = write_feed(tmp_path / "one.json", sample_items()[:1])
    report = await import_feed(sessions, one, full=False)
    assert report.closed == 0
    assert set((await _states(sessions)).values()) == {"open"}


async def test_a_directory_is_read_file_by_file_and_a_repeated_id_counts_once_more(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    items = sample_items()[:GOOD_IN_SAMPLE]
    write_feed(tmp_path / "1.json", items[:10])
    write_feed(tmp_path / "2.json", [*items[10:], items[0]])
    report = await import_feed(sessions, tmp_path)
    assert (report.new, report.unchanged) == (GOOD_IN_SAMPLE, 1)


async def test_a_truncated_file_keeps_what_came_before_the_break(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    whole = json.dumps({"results": {"vacancies": sample_items()[:3]}}, ensure_ascii=False)
    broken = tmp_path / "broken.json"
    broken.write_text(whole[: whole.index('"a0000001-0000-4000-8000-000000000003"')])
    report = await import_feed(sessions, broken, full=False)
    assert report.new == 2
    assert len(report.rejected) == 1
    assert "not valid JSON" in report.rejected[0].reason


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"salary_min": "много"}, "salary 'много' is not a number"),
        ({"salary_max": -5}, "salary -5 is out of range"),
        ({"creation-date": "вчера"}, "creation-date 'вчера' is not a date"),
        ({"company": "ООО"}, "company is not an object"),
        ({"company": {"inn": "1"}}, "no company name"),
        ({"requirement": {"experience": 500}}, "experience 500 is out of range"),
        ({"work_places": "NaN"}, "work_places 'NaN' is not a number"),
    ],
)
def test_each_bad_field_is_named(change: dict[str, Any], reason: str) -> None:
    raw = {**sample_items()[0]["vacancy"], **change}
    with pytest.raises(BadRecord) as caught:
        parse_record(raw)
    assert caught.value.reason == reason
    assert caught.value.vacancy_id == raw["id"]


def test_zero_coordinates_and_zero_salary_mean_not_stated() -> None:
    raw = copy.deepcopy(sample_items()[0]["vacancy"])
    raw["addresses"]["address"][0].update(lat="0", lng="0")
    raw.update(salary_min=0, salary_max=0)
    record = parse_record(raw)
    assert (record.lat, record.lng, record.salary_min, record.salary_max) == (None,) * 4


def test_the_import_command_reports_counts_and_rejects(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}
    done = subprocess.run(
        [sys.executable, "-m", "app", "vacancies", "import", str(SAMPLE)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert lines[0] == "new: 15, updated: 0, unchanged: 0, closed: 0, rejected: 6"
    assert "rejected b0000001-0000-4000-8000-000000000002: salary_min 80000" in done.stdout
    assert "vacancies:" in done.stderr  # the progress bar

    missing = subprocess.run(
        [sys.executable, "-m", "app", "vacancies", "import", str(tmp_path / "nope.json")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr


def test_the_import_command_names_a_bad_setting_instead_of_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE__URL": "mysql://nowhere"}
    done = subprocess.run(
        [sys.executable, "-m", "app", "vacancies", "import", str(SAMPLE)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("configuration error:")
    assert "database.url" in done.stderr
    assert "Traceback" not in done.stderr
