"""The real Rasa server with the trained model, for integration tests.

`make test` sets NLU_REQUIRED=1: there a missing Rasa environment or model fails the run.
A plain `pytest` without them skips these tests and says why."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen

import pytest

from nlu import service


@dataclass
class RasaServer:
    url: str
    token: str
    process: Popen[bytes]

    def bot_env(self) -> dict[str, str]:
        return {"NLU__ENABLED": "true", "NLU__URL": self.url, "NLU__TOKEN": self.token}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def require_rasa() -> None:
    missing = [str(p) for p in (service.RASA, service.MODEL) if not p.exists()]
    if not missing:
        return
    message = f"Rasa is not set up ({', '.join(missing)} missing): run `make nlu-model`"
    if os.environ.get("NLU_REQUIRED"):
        pytest.fail(message)
    pytest.skip(message)


def _start(log_dir: Path) -> Iterator[RasaServer]:
    require_rasa()
    # A token may start with "-" (token_urlsafe gives one in 64): always try that case, which
    # Rasa's command line once read as an option.
    port, token = free_port(), "-" + secrets.token_urlsafe(16)
    url = f"http://127.0.0.1:{port}"
    with service.running_server(port, token, log_dir / f"rasa-{port}.log") as process:
        service.wait_ready(url, token, process, timeout=300)
        yield RasaServer(url, token, process)


@pytest.fixture(scope="session")
def rasa_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RasaServer]:
    """One server for the whole run: it takes about half a minute to load."""
    yield from _start(tmp_path_factory.mktemp("rasa"))


@pytest.fixture
def own_rasa_server(tmp_path: Path) -> Iterator[RasaServer]:
    """A server of the test's own, for tests that stop or kill it."""
    yield from _start(tmp_path)
