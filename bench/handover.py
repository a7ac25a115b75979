"""Relay latency between citizens and operators, through the real bot process and the fake
Bot API (tests/support/fake_telegram.py), with many conversations held at once.

    .venv/bin/python -m bench.handover [--conversations 20] [--rounds 3]

Each of N citizens gives consent, asks for an operator; one operator claims every
conversation. Then, for a few rounds, every citizen writes at the same moment, and the
operator answers in every topic at the same moment. Latency is from the moment the update is
offered to the bot (the fake's getUpdates) to the moment the fake receives the bot's
copyMessage. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.support.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[1]
GROUP = -1001234567890
OPERATOR = {"id": 9001, "is_bot": False, "first_name": "Анна"}


def citizen(number: int) -> dict[str, Any]:
    return {"id": 800000 + number, "is_bot": False, "first_name": f"Гражданин{number}"}


async def until(check: Any, what: str, timeout: float = 300) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what}")
        await asyncio.sleep(0.02)
    return found


def arrivals(telegram: FakeTelegram, chat_id: int) -> dict[int, float]:
    """copyMessage calls into `chat_id`: source message id -> when the fake received it."""
    return {
        int(r.params["message_id"]): r.at
        for r in telegram.requests
        if r.method == "copyMessage" and int(r.params.get("chat_id", 0)) == chat_id
    }


async def citizens_ask(telegram: FakeTelegram, conversations: int) -> None:
    """Consent, region and /operator for each citizen, as in the e2e tests."""
    people = [citizen(n) for n in range(conversations)]
    for person in people:
        telegram.user_sends("/start", person)
    await until(lambda: len(telegram.sent()) >= conversations, "the greetings")
    for person in people:
        telegram.user_presses("✅ Согласен", person)
    await until(lambda: len(telegram.sent()) >= 2 * conversations, "the region question")
    for person in people:
        telegram.user_presses("Самарская область", person)
    await until(lambda: len(telegram.sent()) >= 3 * conversations, "the menus")
    for person in people:
        telegram.user_sends("/operator", person)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def run(conversations: int, rounds: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="handover-bench-"))
    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    env = {
        **os.environ,
        "ASSISTANT_CONFIG": str(ROOT / "config.yml"),
        "DATABASE__URL": url,
        "NLU__ENABLED": "false",
        "ADMIN__ENABLED": "false",
        "OPERATORS__CHAT_ID": str(GROUP),
        "OPERATORS__SCHEDULE": "always",
        "LOGGING__LEVEL": "WARNING",
    }
    subprocess.run(  # noqa: ASYNC221 - before anything else runs
        [sys.executable, "-m", "app", "admin", "staff", "add", "Анна", "--role", "operator",
         "--regions", "all", "--telegram-id", str(OPERATOR["id"])],
        cwd=ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    telegram = FakeTelegram()
    await telegram.start()
    env |= {"BOT__TOKEN": telegram.token, "BOT__API_SERVER": f"http://127.0.0.1:{telegram.port}"}
    log = open(folder / "bot.log", "wb")  # noqa: SIM115, ASYNC230
    bot = subprocess.Popen(  # noqa: ASYNC220 - the bot under test, a process of its own
        [sys.executable, "-m", "app", "telegram"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:
        people = [citizen(n) for n in range(conversations)]
        await citizens_ask(telegram, conversations)
        cards: list[dict[str, Any]] = await until(
            lambda: (
                (found := [m for m in telegram.to_chat(GROUP) if "Взять" in str(m)])
                and len(found) >= conversations
                and found
            ),
            "the cards",
        )
        answered = len(telegram.sent("answerCallbackQuery"))
        for claimed, card in enumerate(cards):  # claim every conversation, one at a time
            data = card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            telegram.member_presses_data(OPERATOR, data)
            await until(
                lambda n=answered + claimed: len(telegram.sent("answerCallbackQuery")) > n,
                "a claim",
            )
        threads = sorted({int(card["message_thread_id"]) for card in cards})
        to_group: list[float] = []
        to_citizens: list[float] = []
        for round_number in range(rounds):
            sent_at: dict[int, float] = {}
            for person in people:
                message_id = telegram.user_sends(f"Вопрос {round_number}", person)
                sent_at[message_id] = time.monotonic()
            await until(
                lambda sent=sent_at: set(sent) <= set(arrivals(telegram, GROUP)),
                "the citizens' relay",
            )
            arrived = arrivals(telegram, GROUP)
            to_group += [arrived[m] - t for m, t in sent_at.items()]
            answered_at: dict[int, float] = {}
            for thread in threads:
                text = f"Ответ {round_number}"
                answered_at[telegram.member_sends(GROUP, OPERATOR, text, thread)] = (
                    time.monotonic()
                )
            await until(
                lambda answered=answered_at: all(
                    any(m in arrivals(telegram, p["id"]) for p in people) for m in answered
                ),
                "the operators' relay",
            )
            for message_id, at in answered_at.items():
                reached = [arrivals(telegram, p["id"]).get(message_id) for p in people]
                to_citizens.append(min(t for t in reached if t is not None) - at)
        print(f"conversations held at once: {conversations}, rounds: {rounds}")
        for name, values in (("citizen -> topic", to_group), ("topic -> citizen", to_citizens)):
            print(
                f"{name}: {len(values)} messages, p50 {statistics.median(values):.2f} s, "
                f"p95 {percentile(values, 0.95):.2f} s, max {max(values):.2f} s"
            )
        posted = {"sendMessage", "copyMessage", "createForumTopic", "closeForumTopic"}
        window = [
            r.at
            for r in telegram.requests
            if r.method in posted and int(r.params.get("chat_id", 0)) == GROUP
        ]
        busiest = max(sum(1 for t in window if s <= t < s + 60) for s in window)
        print(
            f"messages and topics posted to the group in its busiest minute: {busiest}; "
            f"429 answers: {telegram.too_many}"
        )
    finally:
        bot.terminate()
        bot.wait(timeout=30)
        await telegram.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.conversations, args.rounds))


if __name__ == "__main__":
    main()
