"""The Rasa side of the house, run from the bot's environment: create `.venv-rasa`, train the
model when its inputs changed, start and stop `rasa run`, evaluate.

Rasa 3.6 needs Python 3.10 and pins aiogram 2, SQLAlchemy 1.4 and pydantic 1, so it lives in
its own virtual environment and its own process; the bot talks to it over HTTP only.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "nlu"
VENV = ROOT / ".venv-rasa"
RASA = VENV / "bin" / "rasa"
INSTALL_STAMP = VENV / ".installed-stamp"
MODEL = PROJECT / "models" / "nlu.tar.gz"
FINGERPRINT = PROJECT / "models" / "nlu.fingerprint"
HELDOUT = PROJECT / "heldout" / "test_nlu.yml"
RESULTS = PROJECT / "results"
# What the model is built from: a change to any of these retrains it.
MODEL_INPUTS = (
    "config.yml",
    "domain.yml",
    "data/**/*.yml",
    "components/**/*.py",
    "lookups/*.txt",
    "constraints.txt",
)


class SetupError(Exception):
    """Something the Rasa side needs is missing; the message says what to do."""


def rasa_env() -> dict[str, str]:
    # Rasa runs in nlu/ and imports the custom components as `components.*` from there.
    return {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }


# --- the environment ---------------------------------------------------------------------


def find_python310() -> str:
    """RASA_PYTHON, else python3.10 on PATH, else a pyenv 3.10."""
    candidates = [os.environ.get("RASA_PYTHON"), shutil.which("python3.10")]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.10.*/bin/python3.10")))
    for candidate in candidates:
        if candidate and _is_python310(candidate):
            return candidate
    raise SetupError(
        "Rasa 3.6 needs Python 3.10, and none was found. Install it (e.g. `pyenv install "
        "3.10.13`, or your system's python3.10 package) or set RASA_PYTHON=/path/to/python3.10."
    )


def _is_python310(path: str) -> bool:
    # A pyenv shim named python3.10 exists even where that version is not selected: run it.
    try:
        probe = subprocess.run(
            [path, "-c", "import sys; print(sys.version_info[:2] == (3, 10))"],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    except OSError:
        return False
    return probe.stdout.strip() == "True"


def setup() -> None:
    """Create .venv-rasa and install Rasa with the pinned versions; skip when up to date."""
    requirements = PROJECT / "requirements.txt"
    constraints = PROJECT / "constraints.txt"
    wanted = _digest([requirements, constraints])
    if INSTALL_STAMP.exists() and INSTALL_STAMP.read_text() == wanted:
        return
    python = find_python310()
    print(f"==> creating {VENV.name} with {python} and installing Rasa (about 2 minutes)")
    if not (VENV / "bin" / "python").exists():
        subprocess.run([python, "-m", "venv", str(VENV)], check=True)
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "-r", str(requirements), "-c", str(constraints)], check=True)
    INSTALL_STAMP.write_text(wanted)


# --- training ------------------------------------------------------------------------------


def model_inputs() -> list[Path]:
    files: set[Path] = set()
    for pattern in MODEL_INPUTS:
        files.update(p for p in PROJECT.glob(pattern) if p.is_file())
    return sorted(files)


def _digest(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def train(force: bool = False) -> bool:
    """Train when the data, config or components changed. True when it trained."""
    fingerprint = _digest(model_inputs())
    if (
        not force
        and MODEL.exists()
        and FINGERPRINT.exists()
        and FINGERPRINT.read_text() == fingerprint
    ):
        print("==> NLU model is up to date")
        return False
    _require_rasa()
    print("==> training the NLU model (about a minute)")
    started = time.monotonic()
    log = RESULTS.parent / "models" / "train.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        completed = subprocess.run(
            [
                str(RASA), "train", "nlu", "--config", "config.yml", "--nlu", "data",
                "--out", "models", "--fixed-model-name", "nlu",
            ],
            cwd=PROJECT, env=rasa_env(), stdout=out, stderr=subprocess.STDOUT, check=False,
        )  # fmt: skip
    if completed.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-20:]
        raise SetupError("rasa train failed:\n" + "\n".join(tail))
    FINGERPRINT.write_text(fingerprint)
    print(f"==> NLU model trained in {time.monotonic() - started:.0f} s")
    return True


def _require_rasa() -> None:
    if not RASA.exists():
        raise SetupError(f"{RASA} is missing: run `make nlu-setup` (or `python -m nlu setup`)")


# --- the server ----------------------------------------------------------------------------


def start_server(port: int, token: str, log_path: Path) -> subprocess.Popen[bytes]:
    """Start `rasa run --enable-api` on 127.0.0.1 with the trained model, logging to a file."""
    _require_rasa()
    if not MODEL.exists():
        raise SetupError(f"{MODEL} is missing: run `python -m nlu train`")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("ab")
    command = [
        str(RASA), "run", "--enable-api", "--interface", "127.0.0.1", "--port", str(port),
        # One argument: a token that starts with "-" would otherwise read as an option.
        f"--auth-token={token}", "--model", str(MODEL), "--cors", "[]",
    ]  # fmt: skip
    try:
        return subprocess.Popen(
            [str(VENV / "bin" / "python"), "-c", _DIE_WITH_PARENT, *command],
            cwd=PROJECT, env=rasa_env(), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    finally:
        log.close()


# Runs in the child before it becomes Rasa: ask Linux to send SIGTERM when the parent dies
# (prctl PR_SET_PDEATHSIG survives exec), so a killed bot or test run leaves no Rasa behind.
_DIE_WITH_PARENT = """
import ctypes, os, signal, sys
try:
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
except OSError:
    pass
os.execv(sys.argv[1], sys.argv[1:])
"""


def is_ready(url: str, token: str) -> bool:
    """True once the server answers /status with a loaded model."""
    try:
        with urllib.request.urlopen(f"{url}/status?token={token}", timeout=2) as response:
            return response.status == 200 and b"model_file" in response.read()
    except (urllib.error.URLError, OSError):
        return False


def wait_ready(
    url: str, token: str, process: subprocess.Popen[bytes], timeout: float = 180
) -> float:
    """Seconds it took the server to load its model; raises SetupError if it died or hung."""
    started = time.monotonic()
    while not is_ready(url, token):
        if process.poll() is not None:
            raise SetupError(f"rasa run exited with code {process.returncode}")
        if time.monotonic() - started > timeout:
            raise SetupError(f"rasa run did not load its model within {timeout:.0f} s")
        time.sleep(0.5)
    return time.monotonic() - started


def stop_server(process: subprocess.Popen[bytes], grace: float = 10) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def running_server(port: int, token: str, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    process = start_server(port, token, log_path)
    try:
        yield process
    finally:
        stop_server(process)


def serve(url: str, token: str, log_path: Path) -> int:
    """Run Rasa until SIGTERM or SIGINT, reporting progress while it loads its model.

    The signal handler only sets a flag: stopping the child from inside the handler could
    re-enter Popen's wait and deadlock."""
    port = urllib.parse.urlsplit(url).port or 5005
    stop = threading.Event()

    def request_stop(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    process = start_server(port, token, log_path)
    print(f"[nlu] starting Rasa on {url} (log: {log_path})", file=sys.stderr)
    started = last_report = time.monotonic()
    ready = False
    while not stop.is_set() and process.poll() is None:
        if not ready and is_ready(url, token):
            ready = True
            took = time.monotonic() - started
            print(f"[nlu] Rasa is ready ({took:.0f} s)", file=sys.stderr)
        if not ready and time.monotonic() - last_report >= 10:
            last_report = time.monotonic()
            print(f"[nlu] Rasa is loading… {last_report - started:.0f} s", file=sys.stderr)
        stop.wait(0.5)
    if process.poll() is not None and not stop.is_set():
        print(
            f"[nlu] Rasa exited with code {process.returncode}; the bot answers from its "
            f"local matcher (log: {log_path})",
            file=sys.stderr,
        )
        return 1
    stop_server(process)
    return 0


# --- evaluation ----------------------------------------------------------------------------

_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def heldout_examples() -> list[tuple[str, str]]:
    """(text, intent) pairs of the held-out file, entity markup removed."""
    return [(_ANNOTATION.sub(r"\1", text), intent) for text, intent in _heldout()]


def heldout_texts() -> list[str]:
    """The held-out texts with their entity markup ("[водителем](profession)")."""
    return [text for text, _ in _heldout()]


def _heldout() -> list[tuple[str, str]]:
    data = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))
    pairs = []
    for block in data["nlu"]:
        for line in block["examples"].splitlines():
            text = line.strip().removeprefix("- ").strip()
            if text:
                pairs.append((text, str(block["intent"])))
    return pairs


def evaluate(folds: int = 5) -> dict[str, dict[str, object]]:
    """5-fold cross-validation on the training data and a test on the held-out file, with
    Rasa's own `rasa test nlu`; reports land in nlu/results/ (ignored by git)."""
    _require_rasa()
    runs = {
        "cross-validation": [
            "test", "nlu", "--nlu", "data", "--config", "config.yml", "--cross-validation",
            "--folds", str(folds), "--out", "results/cross-validation",
        ],
        "held-out": [
            "test", "nlu", "--nlu", str(HELDOUT.relative_to(PROJECT)), "--model",
            str(MODEL.relative_to(PROJECT)), "--out", "results/held-out",
        ],
    }  # fmt: skip
    reports: dict[str, dict[str, object]] = {}
    for name, arguments in runs.items():
        print(f"==> rasa {' '.join(arguments)}")
        subprocess.run([str(RASA), *arguments], cwd=PROJECT, env=rasa_env(), check=True)
        report_file = RESULTS / name / "intent_report.json"
        reports[name] = json.loads(report_file.read_text())
    return reports
