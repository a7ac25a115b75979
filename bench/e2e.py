"""The whole bot, as a black box: the real bot process (`python -m app telegram`, polling)
against the fake Bot API (tests/support/fake_telegram.py), with N simulated citizens talking
at once, each through a realistic conversation: /start, consent, region, the vacancy search
(profession, town, pay), then the first steps of a complaint and a way out.

    .venv/bin/python -m bench.e2e [--citizens 10 50 200] [--database sqlite|postgresql://...]
        [--rasa] [--pace lifted|real] [--think 0.05] [--spread] [--echo] [--reminders 1000]
        [--show] [--profile] [--pin]

`--pace lifted` takes away the bot's own outgoing pace (the fake server does not limit): it
measures our code's capacity. `--pace real` keeps Telegram's (about 24 messages/s, 1 per chat
a second): what citizens feel. `--echo` runs a bare aiogram echo bot against the same fake
server first, as the ceiling. `--reminders N` has N reminders fall due as the citizens start.
Each citizen waits for the bot's answer before the next step, as a person does, then `--think`
seconds more (reading); with `--spread` each pause is drawn at random with that mean and
the citizens start at random moments, so updates arrive as from people acting independently.
Measured: updates handled per second, reply latency (update offered to the first message
back) p50/p95/p99, messages sent per turn, the bot process's CPU time per update (and the
bench's own and PostgreSQL's: the three share the machine), and with --reminders when the
citizens' replies and the reminders went out.
`--pin` gives the bot process the first CPU to itself and puts the bench and PostgreSQL's
processes on the others for the run (their affinity is restored after): the bot's capacity
without the two competing for its core (Linux; root to move PostgreSQL's processes).
`--profile` runs the bot under pyinstrument (a text report beside the logs). Prints the
figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bench.crash import bot_env
from bench.processes import drop_database, fresh_database
from nlu import service
from storage.database import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.models import Citizen, Reminder
from tests.support.fake_telegram import FakeTelegram, Request
from tests.support.rasa import free_port

ROOT = Path(__file__).resolve().parents[1]
FIRST_CITIZEN = 600_000
REPLY_TIMEOUT = 120.0
# (what the citizen does, the button label or the text). The vacancy search asks the
# profession, the town and the pay; the complaint's first questions are answered with their
# first button, and the citizen leaves by /cancel.
CONVERSATION: tuple[tuple[str, str], ...] = (
    ("send", "/start"),
    ("press", "✅ Согласен"),
    ("press", "Самарская область"),
    ("press", "💼 Вакансии"),
    ("send", "водитель"),
    ("send", "Самара"),
    ("send", "50000"),
    ("send", "хочу подать жалобу"),
    ("press if shown", "Подать жалобу"),  # the local matcher suggests; Rasa acts at once
    ("press first", ""),
    ("press first", ""),
    ("send", "/cancel"),
)
CITIZEN_METHODS = {"sendMessage", "editMessageText", "sendDocument", "sendPhoto"}
REMINDED_CHATS = 10**6  # the chats of the people the bulk reminders go to
# Due at once, no quiet hours, swept every second: the reminders start while citizens talk.
REMINDER_ENV = {
    "REMINDERS__SWEEP_SECONDS": "1",
    "REMINDERS__QUIET_HOURS__START": "00:00",
    "REMINDERS__QUIET_HOURS__END": "00:00",
}


async def store_due_reminders(url: str, count: int) -> None:
    """`count` people with a reminder of the 3-working-day interview term due now."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    try:
        async with create_session_factory(engine)() as session:
            citizens = [
                {"channel": "telegram", "external_id": str(REMINDED_CHATS + i),
                 "chat_id": REMINDED_CHATS + i, "region_code": "63"}
                for i in range(count)
            ]  # fmt: skip
            ids = (
                await session.execute(insert(Citizen).returning(Citizen.id), citizens)
            ).scalars()
            reminders = [
                {"citizen_id": citizen_id, "rule": "interview_result", "key": f"bench:{n}",
                 "audience": "citizen", "before": 0, "deadline_on": now.date(), "due_at": now,
                 "expires_at": now + timedelta(hours=8), "status": "pending", "attempts": 0,
                 "context": {}}
                for n, citizen_id in enumerate(ids)
            ]  # fmt: skip
            await session.execute(insert(Reminder), reminders)
            await session.commit()
    finally:
        await engine.dispose()


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    offered: list[float] = field(default_factory=list)  # when each answered update was sent
    cpu_samples: list[tuple[float, float]] = field(default_factory=list)  # (when, bot CPU s)
    failures: list[str] = field(default_factory=list)
    updates: int = 0
    seconds: float = 0.0
    messages: int = 0  # to the citizens, during the run
    think: float = 0.05  # seconds a citizen takes to read and answer, after each reply
    cpu_seconds: float = 0.0  # the bot process's own (user + system), during the run
    # The rest of the machine during the run: this process (the fake Bot API and the
    # citizens) and PostgreSQL's processes. The two cores are shared by all three.
    bench_cpu_seconds: float = 0.0
    postgres_cpu_seconds: float = 0.0
    # Spread: each pause drawn at random with `think` as its mean, and each citizen's first
    # message after one such pause, so the updates arrive as from people acting
    # independently, not in waves of everyone at once.
    spread: bool = False
    randomness: random.Random = field(default_factory=lambda: random.Random(20261205))

    def pause(self) -> float:
        return self.randomness.expovariate(1 / self.think) if self.spread else self.think


def citizen(number: int) -> dict[str, Any]:
    return {
        "id": FIRST_CITIZEN + number,
        "is_bot": False,
        "first_name": f"Житель{number}",
        "language_code": "ru",
    }


async def converse(telegram: FakeTelegram, user: dict[str, Any], run: Run, show: bool) -> None:
    """One citizen's conversation; each step waits for the first message back."""
    chat = str(user["id"])
    for action, step in CONVERSATION:
        if action in ("press", "press first"):
            await _until_shown(telegram, chat, step if action == "press" else None)
        seen = len(_to_chat(telegram, chat))
        offered = time.monotonic()
        shown = _buttons(_to_chat(telegram, chat)[-1]) if seen else []
        if action == "press if shown" and step not in shown:
            continue
        value = (shown[0] if shown else "") if action == "press first" else step
        try:
            if action == "send":
                telegram.user_sends(value, user)
            else:
                telegram.user_presses(value, user)
        except AssertionError:
            run.failures.append(f"{user['id']}: no button {value!r}")
            return
        if not await _answered(telegram, chat, seen, offered, run):
            return
        if show:
            for message in _to_chat(telegram, chat)[seen:]:
                print(f"  {value!r} -> {message.get('text', '')[:70]!r} {_buttons(message)}")


async def _answered(
    telegram: FakeTelegram, chat: str, seen: int, offered: float, run: Run
) -> bool:
    """Counts the update and the latency of its first message back; False if none came."""
    run.updates += 1
    reply = await _first_reply(telegram, chat, seen, offered)
    if reply is None:
        run.failures.append(f"{chat}: no answer to update {run.updates}")
        return False
    run.latencies.append(reply - offered)
    run.offered.append(offered)
    await asyncio.sleep(run.pause())  # the rest of the turn's messages; the person reads
    return True


async def _until_shown(telegram: FakeTelegram, chat: str, label: str | None) -> None:
    """Until the chat's newest message shows `label` (any button if None): the rest of a
    turn may still be on its way under the pace."""
    deadline = time.monotonic() + REPLY_TIMEOUT
    while time.monotonic() < deadline:
        messages = _to_chat(telegram, chat)
        shown = _buttons(messages[-1]) if messages else []
        if (label in shown) if label is not None else shown:
            return
        await asyncio.sleep(0.01)


def _buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [str(b["text"]) for row in markup.get("inline_keyboard", []) for b in row]


class ChatIndex:
    """The fake server's requests to each chat, read on from where the last look stopped:
    scanning every request for every citizen's poll made the bench itself the load."""

    def __init__(self, telegram: FakeTelegram) -> None:
        self._telegram = telegram
        self._read = 0
        self._chats: dict[str, list[Request]] = defaultdict(list)

    def of(self, chat: str) -> list[Request]:
        new = self._telegram.requests[self._read :]
        self._read += len(new)
        for request in new:
            if request.method in CITIZEN_METHODS:
                self._chats[str(request.params.get("chat_id"))].append(request)
        return self._chats[chat]


_indexes: dict[int, ChatIndex] = {}  # by id() of the fake server of the run


def _to_chat(telegram: FakeTelegram, chat: str) -> list[dict[str, Any]]:
    index = _indexes.setdefault(id(telegram), ChatIndex(telegram))
    return [r.params for r in index.of(chat) if r.method == "sendMessage"]


async def _first_reply(
    telegram: FakeTelegram, chat: str, seen: int, offered: float
) -> float | None:
    deadline = offered + REPLY_TIMEOUT
    index = _indexes.setdefault(id(telegram), ChatIndex(telegram))
    while time.monotonic() < deadline:
        arrived = [r.at for r in index.of(chat) if r.at >= offered]
        if arrived and len(_to_chat(telegram, chat)) > seen:
            return min(arrived)
        await asyncio.sleep(0.01)
    return None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def start_process(
    command: list[str], env: dict[str, str], log: Path
) -> asyncio.subprocess.Process:
    out = await asyncio.to_thread(log.open, "wb")
    return await asyncio.create_subprocess_exec(
        *command, cwd=ROOT, env=env, stdout=out, stderr=out
    )


async def until_polling(telegram: FakeTelegram, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not any(r.method == "getUpdates" for r in telegram.requests):
        if time.monotonic() > deadline:
            raise RuntimeError("the bot never asked for updates (see its log)")
        await asyncio.sleep(0.1)


async def measure(
    name: str,
    start: Callable[[FakeTelegram], Awaitable[asyncio.subprocess.Process]],
    citizens: int,
    conversation: Callable[[FakeTelegram, dict[str, Any], Run], Awaitable[None]],
    *,
    think: float = 0.05,
    spread: bool = False,
    pin: bool = False,
) -> Run:
    telegram = FakeTelegram()
    await telegram.start()
    process = await start(telegram)
    run = Run(think=think, spread=spread)
    stack = contextlib.ExitStack()
    try:
        await until_polling(telegram)
        if pin:
            stack.enter_context(pinned(process.pid))
        began, cpu_before = time.monotonic(), cpu_seconds(process.pid)
        bench_before, postgres_before = time.process_time(), postgres_cpu()

        async def sample_cpu() -> None:
            while True:
                run.cpu_samples.append((time.monotonic(), cpu_seconds(process.pid)))
                await asyncio.sleep(0.25)

        sampler = asyncio.create_task(sample_cpu()) if run.spread else None

        async def one(number: int) -> None:
            if run.spread:
                await asyncio.sleep(run.pause())
            await conversation(telegram, citizen(number), run)

        await asyncio.gather(*(one(n) for n in range(citizens)))
        if sampler is not None:
            sampler.cancel()
        run.seconds = time.monotonic() - began
        run.cpu_seconds = cpu_seconds(process.pid) - cpu_before
        run.bench_cpu_seconds = time.process_time() - bench_before
        postgres_after = postgres_cpu()
        run.postgres_cpu_seconds = sum(
            used - postgres_before.get(pid, 0.0) for pid, used in postgres_after.items()
        )
        chats = {str(citizen(n)["id"]) for n in range(citizens)}
        run.messages = sum(
            1 for r in telegram.requests
            if r.method in CITIZEN_METHODS and r.at >= began
            and str(r.params.get("chat_id")) in chats
        )  # fmt: skip
        report(name, citizens, run)
        reminded = sorted(
            r.at - began for r in telegram.requests
            if r.method == "sendMessage" and int(r.params.get("chat_id", 0)) >= REMINDED_CHATS
        )  # fmt: skip
        if reminded:
            print(
                f"  {len(reminded)} reminders sent from {reminded[0]:.1f} s to "
                f"{reminded[-1]:.1f} s after the citizens began (they talked {run.seconds:.1f} s)"
            )
    finally:
        stack.close()
        _indexes.pop(id(telegram), None)
        process.terminate()
        await process.wait()
        await telegram.stop()
    return run


@contextlib.contextmanager
def pinned(bot: int) -> Iterator[None]:
    """The bot on the first CPU alone; this process and PostgreSQL's (the postmaster too, so
    the connections it starts meanwhile follow) on the rest. Affinity is a thread's own, so
    each thread of each is moved, and put back after."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        raise RuntimeError("--pin needs two CPUs at least")
    first, rest = {cpus[0]}, set(cpus[1:])
    moved: dict[int, set[int]] = {}
    try:
        for pid in [bot, os.getpid(), *postgres_cpu()]:
            threads: list[int] = []
            with contextlib.suppress(FileNotFoundError):  # a connection's process ended
                threads = [int(task.name) for task in Path(f"/proc/{pid}/task").iterdir()]
            for thread in threads:
                with contextlib.suppress(ProcessLookupError):
                    moved[thread] = os.sched_getaffinity(thread)
                    os.sched_setaffinity(thread, first if pid == bot else rest)
        yield
    finally:
        for thread, affinity in moved.items():
            with contextlib.suppress(ProcessLookupError):
                os.sched_setaffinity(thread, affinity)


def cpu_seconds(pid: int) -> float:
    """User and system time of a process so far (Linux: /proc/PID/stat)."""
    return _cpu_of(Path(f"/proc/{pid}/stat").read_text())


def _cpu_of(stat: str) -> float:
    """User and system time in the text of a /proc/PID/stat (in clock ticks there)."""
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL process on this machine (a process that ended
    meanwhile is not counted)."""
    used: dict[int, float] = {}
    for path in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = path.read_text()
            if stat.split(" ", 2)[1] == "(postgres)":
                used[int(path.parent.name)] = _cpu_of(stat)
    return used


def report(name: str, citizens: int, run: Run) -> None:
    lat = [seconds * 1000 for seconds in run.latencies] or [0.0]

    def per_update(cpu_seconds: float) -> str:
        return f"{cpu_seconds * 1000 / max(run.updates, 1):.1f} ms"

    print(
        f"{name}, {citizens} citizens: {run.updates} updates in {run.seconds:.1f} s = "
        f"{run.updates / run.seconds:.0f} updates/s; reply latency p50 "
        f"{statistics.median(lat):.0f} ms, p95 {percentile(lat, 0.95):.0f} ms, p99 "
        f"{percentile(lat, 0.99):.0f} ms; {run.messages / max(run.updates, 1):.2f} messages "
        f"per turn; bot CPU {per_update(run.cpu_seconds)} per update (the bench "
        f"{per_update(run.bench_cpu_seconds)}, PostgreSQL {per_update(run.postgres_cpu_seconds)})"
        + (f"; {len(run.failures)} failed: {run.failures[:3]}" if run.failures else "")
        + (middle(run) if run.spread else "")
    )


def middle(run: Run) -> str:
    """With spread starts the whole run's rate understates the load: the first and last
    seconds have few citizens talking. The middle 80 % of the updates (by when they were
    sent) tell the rate and latency of the steady part."""
    if len(run.offered) < 10:
        return ""
    by_time = sorted(zip(run.offered, run.latencies, strict=True))
    low, high = len(by_time) // 10, len(by_time) * 9 // 10
    steady = by_time[low:high]
    seconds = steady[-1][0] - steady[0][0]
    lat = [latency * 1000 for _, latency in steady]
    cpu = ""
    inside = [(at, used) for at, used in run.cpu_samples if steady[0][0] <= at <= steady[-1][0]]
    if len(inside) >= 2:
        updates = sum(1 for at, _ in steady if inside[0][0] <= at <= inside[-1][0])
        used_ms = (inside[-1][1] - inside[0][1]) * 1000
        cpu = f", bot CPU {used_ms / max(updates, 1):.1f} ms per update"
    return (
        f"; middle 80 %: {len(steady) / max(seconds, 1e-9):.0f} updates/s, p50 "
        f"{statistics.median(lat):.0f} ms, p95 {percentile(lat, 0.95):.0f} ms{cpu}"
    )


async def echo_conversation(telegram: FakeTelegram, user: dict[str, Any], run: Run) -> None:
    """The same number of steps against the echo bot, all typed (it shows no buttons)."""
    chat = str(user["id"])
    for _, value in CONVERSATION:
        seen = len(_to_chat(telegram, chat))
        offered = time.monotonic()
        telegram.user_sends(value, user)
        if not await _answered(telegram, chat, seen, offered, run):
            return


async def main_async(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="e2e-bench-"))
    print(f"logs in {folder}")
    if args.echo:
        for count in args.citizens:

            async def echo(telegram: FakeTelegram) -> asyncio.subprocess.Process:
                env = bot_env(telegram, "sqlite+aiosqlite:///:memory:")
                command = [sys.executable, "-m", "bench.echo_bot"]
                return await start_process(command, env, folder / "echo.log")

            await measure("aiogram echo bot", echo, count, echo_conversation)
    for count in args.citizens:
        if args.database == "sqlite":
            url = f"sqlite+aiosqlite:///{folder}/bench-{count}.db"
            await upgrade(url)
        else:
            url = await fresh_database(args.database)
        if args.reminders:
            await store_due_reminders(url, args.reminders)
        extra = {"BOT__FLOOD_MESSAGES": "1000", **(REMINDER_ENV if args.reminders else {})}
        if args.pace == "lifted":
            extra |= {
                "BOT__MESSAGES_PER_SECOND": "100000",
                "BOT__CHAT_MESSAGES_PER_SECOND": "1000",
            }
        if args.rasa:
            extra |= args.rasa_env

        async def bot(telegram: FakeTelegram) -> asyncio.subprocess.Process:
            env = bot_env(telegram, url, **extra)  # noqa: B023 - awaited within the loop step
            log = folder / f"bot-{count}.log"  # noqa: B023
            command = [sys.executable, "-m", "app", "telegram"]
            if args.profile:  # pyinstrument writes its report when the bot exits on SIGTERM
                profile = folder / f"profile-{count}.txt"  # noqa: B023
                command[1:1] = ["-m", "pyinstrument", "-r", "text", "-o", str(profile)]
            return await start_process(command, env, log)

        async def talk(telegram: FakeTelegram, user: dict[str, Any], run: Run) -> None:
            await converse(telegram, user, run, args.show and user["id"] == FIRST_CITIZEN)

        name = f"bot ({args.database.split(':')[0]}, {'Rasa' if args.rasa else 'local matcher'}"
        name += f", pace {args.pace}, think {args.think:g} s{' spread' if args.spread else ''}"
        name += ", pinned)" if args.pin else ")"
        try:
            await measure(
                name, bot, count, talk, think=args.think, spread=args.spread, pin=args.pin
            )
        finally:
            if args.database != "sqlite":
                await drop_database(args.database, url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--citizens", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--pace", choices=("lifted", "real"), default="lifted")
    parser.add_argument("--rasa", action="store_true")
    parser.add_argument("--echo", action="store_true")
    parser.add_argument("--reminders", type=int, default=0, help="bulk reminders due at once")
    parser.add_argument("--show", action="store_true", help="print one citizen's transcript")
    parser.add_argument("--profile", action="store_true", help="the bot under pyinstrument")
    parser.add_argument(
        "--pin", action="store_true", help="the bot alone on one CPU, the rest on the others"
    )
    parser.add_argument(
        "--think", type=float, default=0.05, help="seconds a citizen reads before answering"
    )
    parser.add_argument(
        "--spread",
        action="store_true",
        help="random pauses with --think as their mean, and staggered starts",
    )
    args = parser.parse_args()
    if args.rasa:
        with rasa_server(Path(tempfile.mkdtemp(prefix="e2e-rasa-"))) as env:
            args.rasa_env = env
            asyncio.run(main_async(args))
    else:
        asyncio.run(main_async(args))


@contextlib.contextmanager
def rasa_server(folder: Path) -> Iterator[dict[str, str]]:
    """The real Rasa server with the trained model; the bot's environment to reach it."""
    port, token = free_port(), secrets.token_urlsafe(16)
    url = f"http://127.0.0.1:{port}"
    with service.running_server(port, token, folder / "rasa.log") as process:
        service.wait_ready(url, token, process, timeout=300)
        yield {"NLU__ENABLED": "true", "NLU__URL": url, "NLU__TOKEN": token}


if __name__ == "__main__":
    main()
