from __future__ import annotations

import asyncio
import html
import re
from typing import Any, cast

import pytest
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage

from bot.sender import BULK, PacedRequests, Pacer, keyboard, window_limit_for
from bot.splitting import MAX_TEXT, split_text
from dialogs.types import RenderedButton
from tests.support.fakes import FakeClock


def test_short_text_is_one_message() -> None:
    assert split_text("привет") == ["привет"]


def test_long_text_is_split_on_paragraphs() -> None:
    paragraphs = [f"Абзац {i}: " + "слово " * 100 for i in range(20)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    parts = split_text(text)
    assert len(parts) > 1
    assert all(len(part) <= MAX_TEXT for part in parts)
    assert all(part.startswith("Абзац") for part in parts)
    assert "\n\n".join(parts).replace("\n\n", "") == text.replace("\n\n", "")


def test_a_word_longer_than_the_limit_is_cut_hard() -> None:
    parts = split_text("я" * 9000)
    assert [len(p) for p in parts] == [4096, 4096, 808]


def test_pacer_allows_a_short_burst_then_one_per_second_per_chat() -> None:
    clock = FakeClock(100.0)
    pacer = Pacer(global_rate=1000, chat_rate=1.0, chat_burst=3, clock=clock)
    delays = [pacer._delay(1) for _ in range(5)]
    assert delays[:3] == pytest.approx([0, 0, 0], abs=0.01)
    assert delays[3] == pytest.approx(1.0, abs=0.01)
    assert delays[4] == pytest.approx(2.0, abs=0.01)
    assert pacer._delay(2) < 0.01  # another chat is not held up


def test_pacer_keeps_a_group_to_about_twenty_a_minute() -> None:
    clock = FakeClock(100.0)
    pacer = Pacer(global_rate=1000, chat_rate=1.0, chat_burst=3, clock=clock)
    group = -1001234567890
    delays = [pacer._delay(group) for _ in range(5)]
    assert delays[:3] == pytest.approx([0, 0, 0], abs=0.01)
    assert delays[3:] == pytest.approx([3.0, 6.0], abs=0.01)
    assert pacer._delay(42) < 0.01  # a citizen's chat is not held up by the group


def test_pacer_global_rate() -> None:
    clock = FakeClock(100.0)
    pacer = Pacer(global_rate=10, chat_rate=100, chat_burst=100, clock=clock)
    delays = [pacer._delay(chat) for chat in range(5)]
    assert delays == pytest.approx([0, 0.1, 0.2, 0.3, 0.4])


def _busiest_second(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times))


def test_pacer_never_puts_more_than_the_rate_in_any_second() -> None:
    clock = FakeClock(100.0)
    pacer = Pacer(global_rate=25, clock=clock)
    send_times = []
    for n in range(300):
        chat = n % 40 if n % 3 else 7  # a mix of many chats and one busy chat
        send_times.append(clock() + pacer._delay(chat))
        if n % 10 == 0:
            clock.now += 0.05
    assert _busiest_second(send_times) == 25


async def test_pacer_holds_a_chat_after_429_but_not_the_others() -> None:
    clock = FakeClock(100.0)
    pacer = Pacer(global_rate=1000, clock=clock)
    await pacer.hold(1, 5.0)
    assert pacer._delay(1) == pytest.approx(5.0, abs=0.01)
    assert pacer._delay(2) < 0.01


class RecordingPacer(Pacer):
    def __init__(self) -> None:
        super().__init__(global_rate=1000)
        self.waited: list[int] = []
        self.held: list[tuple[int, float]] = []

    async def wait(self, chat_id: int, bulk: bool = False) -> None:
        self.waited.append(chat_id)

    async def hold(self, chat_id: int, seconds: float) -> None:
        self.held.append((chat_id, seconds))


async def test_an_edit_is_paced_and_retried_after_429_holding_only_its_chat() -> None:
    pacer = RecordingPacer()
    calls = 0

    async def make_request(_bot: Any, method: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise TelegramRetryAfter(method, "Too Many Requests: retry after 5", 5)
        return "done"

    edit = EditMessageText(chat_id=42, message_id=7, text="→ Да")
    answer: object = await PacedRequests(pacer)(cast(Any, make_request), cast(Any, None), edit)
    assert answer == "done"
    assert calls == 2
    assert pacer.waited == [42, 42]
    assert pacer.held == [(42, 5)]


async def test_429_after_the_last_retry_is_raised() -> None:
    pacer = RecordingPacer()

    async def make_request(_bot: Any, method: Any) -> Any:
        raise TelegramRetryAfter(method, "Too Many Requests: retry after 1", 1)

    send = SendMessage(chat_id=42, text="Здравствуйте")
    with pytest.raises(TelegramRetryAfter):
        await PacedRequests(pacer, max_retries=2)(cast(Any, make_request), cast(Any, None), send)
    assert pacer.waited == [42, 42, 42]


async def test_a_call_that_sends_nothing_to_a_chat_is_not_paced_or_retried() -> None:
    pacer = RecordingPacer()
    calls = 0

    async def make_request(_bot: Any, method: Any) -> Any:
        nonlocal calls
        calls += 1
        raise TelegramRetryAfter(method, "Too Many Requests: retry after 5", 5)

    answer = AnswerCallbackQuery(callback_query_id="1")
    with pytest.raises(TelegramRetryAfter):
        await PacedRequests(pacer)(cast(Any, make_request), cast(Any, None), answer)
    assert calls == 1
    assert pacer.waited == []


ENTITY = re.compile(r"&(?:amp|lt|gt|quot|#\d+);")


def _well_formed(part: str) -> bool:
    """Every tag closed in order, every entity whole: what Telegram's HTML parser demands."""
    stack: list[str] = []
    for closing, name in re.findall(r"<(/?)([a-z]+)[^>]*>", part):
        if not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            return False
    text = re.sub(r"<[^>]*>", "", part)
    return (
        not stack
        and "<" not in text
        and ">" not in text
        and (ENTITY.sub("", text).count("&") == 0)
    )


def test_a_long_answer_without_spaces_is_never_cut_inside_a_tag_or_an_entity() -> None:
    answer = ("Решение&отменено<см.приложение>😀" * 700)[:20_000]
    text = f"<b>Ответ на жалобу Ж-2026-000001</b>\n<i>{html.escape(answer)}</i>\n<b>Конец</b>"
    parts = split_text(text)
    assert len(parts) > 5
    assert all(len(part) <= MAX_TEXT for part in parts)
    assert all(_well_formed(part) for part in parts), [p[:40] + "…" + p[-40:] for p in parts]
    plain = "".join(html.unescape(re.sub(r"<[^>]*>", "", part)) for part in parts)
    assert "".join(plain.split()) == "".join(
        ("Ответ на жалобу Ж-2026-000001" + answer + "Конец").split()
    )


async def test_replies_go_out_before_bulk_reminders_waiting_for_the_pace() -> None:
    """Forty reminders are due at once; three citizens' replies arrive a moment later: the
    replies get the next slots, not the ones after every reminder."""
    pacer = Pacer(global_rate=100, chat_rate=1000, chat_burst=1000)
    order: list[str] = []

    async def send(name: str, chat: int, bulk: bool) -> None:
        await pacer.wait(chat, bulk=bulk)
        order.append(name)

    reminders = [asyncio.create_task(send(f"reminder{n}", 1000 + n, True)) for n in range(40)]
    await asyncio.sleep(0.05)  # a few reminders are out by now
    replies = [asyncio.create_task(send(f"reply{n}", n, False)) for n in range(3)]
    await asyncio.gather(*reminders, *replies)
    positions = [order.index(f"reply{n}") for n in range(3)]
    reminders_before = sum(1 for name in order[: max(positions)] if name.startswith("reminder"))
    assert len(order) == 43
    # Only the reminders already out, and at most one planned, came before the replies.
    assert reminders_before <= 10, order


async def test_a_reminder_is_sent_as_bulk_and_a_reply_is_not() -> None:
    pacer = RecordingBulkPacer()
    send = SendMessage(chat_id=42, text="Напоминание")
    token = BULK.set(True)
    try:
        await PacedRequests(pacer)(cast(Any, _done), cast(Any, None), send)
    finally:
        BULK.reset(token)
    await PacedRequests(pacer)(cast(Any, _done), cast(Any, None), send)
    assert pacer.bulk == [True, False]


async def _done(_bot: Any, _method: Any) -> str:
    return "done"


class RecordingBulkPacer(Pacer):
    def __init__(self) -> None:
        super().__init__(global_rate=1000)
        self.bulk: list[bool] = []

    async def wait(self, chat_id: int, bulk: bool = False) -> None:
        self.bulk.append(bulk)


def test_the_window_is_telegrams_unless_a_higher_rate_was_set_for_an_emulator() -> None:
    assert window_limit_for(24.2) == 25
    assert window_limit_for(30) == 25
    assert window_limit_for(100_000) == 100_000


async def test_a_send_due_within_a_millisecond_does_not_sleep(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []

    async def recording_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", recording_sleep)
    clock = FakeClock(100.000_004)  # between two slots of a 100,000-a-second grid
    pacer = Pacer(global_rate=100_000, chat_rate=1000, chat_burst=1000, clock=clock)
    await pacer.wait(1)
    assert slept == []
    slow = Pacer(global_rate=10, chat_rate=100, chat_burst=100, clock=FakeClock(100.0))
    await slow.wait(1)
    await slow.wait(2)  # the next slot of a 10-a-second grid is 0.1 s away: that one waits
    assert slept == [pytest.approx(0.1, abs=0.001)]


def test_equal_keyboards_are_built_once() -> None:
    def rows() -> tuple[tuple[RenderedButton, ...], ...]:
        return ((RenderedButton("Да", "flow:step:yes"), RenderedButton("Нет", "flow:step:no")),)

    first, again = keyboard(rows()), keyboard(rows())
    assert first is not None
    assert first is again
    assert [[b.text for b in row] for row in first.inline_keyboard] == [["Да", "Нет"]]
    other = keyboard(((RenderedButton("Да", "flow:other:yes"),),))
    assert other is not None
    assert other is not first
    assert other.inline_keyboard[0][0].callback_data == "flow:other:yes"
