"""The cost of administrators' texts, in one process on SQLite:

    .venv/bin/python -m bench.texts [--renders 2000]

- rendering a message with and without published revisions in front of the files (what every
  reply pays);
- checking an edit as the editor does on each keystroke pause and on save: a message, and a
  shared part (`complaint._names`, checked through every text that imports it);
- a publication reaching a process: saving and publishing a revision, then the refresh that
  reads the publications (what each process does every `templates.refresh_seconds`).

Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from admin import texts
from app.build import renderer, template_files_of
from bot.template_refresh import TemplateRefresh
from dialogs.template_check import TemplateChecker
from storage.database import create_engine, create_session_factory
from storage.migrate import upgrade

FILES = template_files_of()


def timings(work: Callable[[], object], times: int) -> list[float]:
    taken = []
    for _ in range(times):
        started = time.perf_counter()
        work()
        taken.append((time.perf_counter() - started) * 1000)
    return taken


def report(name: str, taken: list[float]) -> None:
    taken = sorted(taken)
    p95 = taken[int(len(taken) * 0.95) - 1]
    print(f"{name:52} p50 {statistics.median(taken):8.3f} ms   p95 {p95:8.3f} ms")


async def main(renders: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await upgrade(url)
        engine = create_engine(url)
        sessions = create_session_factory(engine)
        bot = renderer()
        context = {"has_consent": True}
        bot.text("menu.main", context)  # compiled once, as in a running bot
        report(
            "render menu.main (files only)",
            timings(lambda: bot.text("menu.main", context), renders),
        )

        checker = TemplateChecker(FILES.loader, FILES.declarations, FILES.source)
        menu = FILES.source("menu.main") or ""
        names = FILES.source("complaint._names") or ""
        report("check an edit of menu.main", timings(lambda: checker.check("menu.main", menu), 50))
        report("check an edit of complaint._names (+ importers)",
               timings(lambda: checker.check("complaint._names", names), 10))  # fmt: skip

        refresh = TemplateRefresh(sessions, bot)
        await refresh.load()
        taken_publish, taken_load = [], []
        for round_ in range(20):
            started = time.perf_counter()
            async with sessions() as db:
                text = f"<b>Главное меню</b>, версия {round_}. Выберите раздел:"
                revision = await texts.save(db, FILES, "menu.main", text, comment="", by="bench")
                await texts.publish(db, FILES, "menu.main", revision.number, by="bench")
                await db.commit()
            taken_publish.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            assert await refresh.load()
            taken_load.append((time.perf_counter() - started) * 1000)
        report("save + publish a revision (checked, SQLite)", taken_publish)
        report("a process reloads the published texts", taken_load)
        bot.text("menu.main", context)
        report("render menu.main (a published revision)",
               timings(lambda: bot.text("menu.main", context), renders))  # fmt: skip
        idle = []
        for _ in range(50):
            started = time.perf_counter()
            await refresh.load()  # nothing changed: one read of the version
            idle.append((time.perf_counter() - started) * 1000)
        report("the periodic check when nothing changed", idle)
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--renders", type=int, default=2000)
    asyncio.run(main(parser.parse_args().renders))
