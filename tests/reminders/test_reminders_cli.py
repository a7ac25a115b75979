"""`python -m app reminders`: the deadline and calendar commands staff and scripts use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.commands import reminders as main
from tests.support.e2e import ROOT


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE__URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("ASSISTANT_CONFIG", str(ROOT / "config.yml"))


@pytest.mark.usefixtures("database")
def test_the_deadline_command_as_staff_type_it() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "reminders",
            "deadline",
            "2026-12-29",
            "15wd",
            "--region",
            "63",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == "2027-01-28\n"


@pytest.mark.usefixtures("database")
@pytest.mark.parametrize(
    ("args", "printed"),
    [
        (["deadline", "2026-12-29", "5wd"], "2027-01-14"),
        (["deadline", "2026-11-21", "2cd"], "2026-11-25"),
        (["deadline", "2026-12-29", "complaint_answer"], "2027-01-28"),
        (["deadline", "2026-01-03", "0wd", "--region", "77"], "2026-01-12"),
    ],
)
def test_deadline(args: list[str], printed: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 0
    assert capsys.readouterr().out == printed + "\n"


@pytest.mark.usefixtures("database")
def test_calendar_prints_working_days_per_month(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calendar", "2026", "--region", "63"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "2026-01  15"
    assert lines[5] == "2026-06  21"
    assert lines[-1] == "total   247"


@pytest.mark.usefixtures("database")
def test_a_day_override_changes_that_regions_deadlines_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["day", "2026-11-24", "off", "--region", "63", "--note", "местный праздник"]) == 0
    assert main(["deadline", "2026-11-23", "3wd", "--region", "63"]) == 0
    assert main(["deadline", "2026-11-23", "3wd", "--region", "77"]) == 0
    assert main(["day", "2026-11-24", "clear", "--region", "63"]) == 0
    assert main(["deadline", "2026-11-23", "3wd", "--region", "63"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "2026-11-24 in region 63: off",
        "2026-11-27",
        "2026-11-26",
        "2026-11-24 in region 63: clear",
        "2026-11-26",
    ]


@pytest.mark.usefixtures("database")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["deadline", "2026-12-29", "15 days"], "expected a number of days such as 15wd"),
        (["deadline", "2026-12-29", "5wd", "--region", "99"], "unknown region '99'"),
    ],
)
def test_bad_input_gets_a_clear_message(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_rules_lists_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert "complaint_answer" in out
    assert "003 p.36(в)" in out
