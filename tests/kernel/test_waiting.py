"""`until_set`: an event or a timeout, and a cancellation never lost (cpython#86296)."""

from __future__ import annotations

import asyncio

from kernel.waiting import until_set


async def test_it_tells_a_set_event_from_a_timeout() -> None:
    event = asyncio.Event()
    assert await until_set(event, 0.01) is False
    event.set()
    assert await until_set(event, 10) is True


async def test_a_loop_cancelled_as_its_event_is_set_stops() -> None:
    """The shape of every sweeping loop here (the inbox worker, the operators' relay, the
    texts' refresh); with `asyncio.wait_for` on Python 3.11 this loop runs on forever."""
    event = asyncio.Event()
    rounds = 0

    async def sweeping() -> None:
        nonlocal rounds
        while True:
            await until_set(event, 60)
            event.clear()
            rounds += 1

    task = asyncio.create_task(sweeping())
    await asyncio.sleep(0)  # the loop is waiting
    event.set()
    task.cancel()  # in the same turn of the loop as the event
    done, _ = await asyncio.wait({task}, timeout=5)
    assert done == {task}
    assert task.cancelled()
    assert rounds == 0
