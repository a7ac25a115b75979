"""Every command-line entry point starts the same way: a bad setting is named in one line and
the exit status is 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.e2e import ROOT

COMMANDS = [
    ["app", "migrate"],
    ["app", "chat"],
    ["app", "admin", "token", "list"],
    ["app", "reminders", "calendar", "2026"],
    ["app", "vacancies", "import", "tests/data/vacancies_sample.json"],
    ["nlu", "serve"],
    ["nlu", "parse", "хочу работу"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_bad_setting_is_named_and_exits_2(command: list[str]) -> None:
    env = {
        **os.environ,
        "ASSISTANT_CONFIG": str(ROOT / "config.yml"),
        "DATABASE__URL": "mysql://nowhere/db",
    }
    result = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("configuration error: invalid configuration:")
    assert "database.url" in result.stderr
    assert "Traceback" not in result.stderr
