"""Waiting for an event with a timeout, without losing a cancellation.

On Python 3.11 `asyncio.wait_for(event.wait(), timeout)` swallows a cancellation that arrives
in the same turn of the loop as the event is set (cpython#86296, fixed by 3.12's rewrite): a
loop that waits so between sweeps then never stops, and shutdown hangs waiting for it. Seen
once after 200 citizens in `bench/e2e.py`: the bot ignored SIGTERM for ten minutes.
`asyncio.timeout` waits in the caller's own task, so a cancellation always reaches it."""

from __future__ import annotations

import asyncio


async def until_set(event: asyncio.Event, seconds: float) -> bool:
    """Until `event` is set (True) or `seconds` have passed (False)."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True
