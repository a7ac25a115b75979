"""An update's inbox row, settled in the transactions its handler commits anyway.

The handler's first commit marks the row handled (and holds the sender's next update while
the replies go out); the commit that marks the turn's last reply sent ends that hold. Both
ride on commits the turn makes in any case, so settling the row costs no transaction of its
own (bench/README.md, "The whole bot"). The mark lives in the session's `info`; one listener,
registered once for every session, acts on it: a listener added per session costs about half
a millisecond an update, and a session without a mark pays one dict lookup per commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage.inbox import end_hold, mark_handled
from storage.writes_at_commit import take_waiting

INBOX_MARK = "inbox_mark"


@dataclass
class InboxMark:
    """What the session's commits still owe the update's inbox row. A state counts once its
    commit has succeeded: a commit that fails leaves it to the next one, or to the middleware
    (bot/middlewares.py) after the handler."""

    row: int
    clock: Callable[[], datetime]
    hold: timedelta
    handled: bool = False  # marked handled, held while the replies go out
    release_next: bool = False  # the next commit ends the hold
    released: bool = False
    _committing: str = ""


def _before_commit(sync_session: Session) -> None:
    mark = sync_session.info.get(INBOX_MARK)
    if not isinstance(mark, InboxMark):
        return
    mark._committing = ""
    if not mark.handled:
        writes = take_waiting(sync_session)  # the turn's count: one round trip with the mark
        connection = sync_session.connection()
        mark_handled(connection, mark.row, mark.clock(), "handled", mark.hold, together=writes)
        mark._committing = "handled"
    elif mark.release_next and not mark.released:
        end_hold(sync_session.connection(), mark.row)
        mark._committing = "released"


def _after_commit(sync_session: Session) -> None:
    mark = sync_session.info.get(INBOX_MARK)
    if not isinstance(mark, InboxMark):
        return
    if mark._committing == "handled":
        mark.handled = True
    elif mark._committing == "released":
        mark.released = True
    mark._committing = ""


# In front of the listener that makes the writes waiting for the commit one by one
# (storage/writes_at_commit.py): the mark takes them first.
event.listen(Session, "before_commit", _before_commit, insert=True)
event.listen(Session, "after_commit", _after_commit)


def mark_on_commit(
    session: AsyncSession, row: int, clock: Callable[[], datetime], hold: timedelta
) -> InboxMark:
    """The session's next commit marks `row` handled."""
    mark = InboxMark(row, clock, hold)
    session.info[INBOX_MARK] = mark
    return mark


def holding_mark(session: AsyncSession) -> InboxMark | None:
    """The session's update, when it is marked handled and still holds its sender (its
    replies are going out); the caller that ends the hold sets `released`."""
    mark = session.info.get(INBOX_MARK)
    if isinstance(mark, InboxMark) and mark.handled and not mark.released:
        return mark
    return None


def release_with_next_commit(session: AsyncSession) -> None:
    """The turn's replies are all settled: the session's next commit ends the row's hold.
    A session without an inbox row (a test, the staff's tools) is left as it is."""
    mark = session.info.get(INBOX_MARK)
    if isinstance(mark, InboxMark):
        mark.release_next = True
