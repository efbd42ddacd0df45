"""`follow`: records as they are committed, by this or any other writer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Protocol

from timeline.records import Record
from timeline.stores import Store, Waits

__all__ = ["Followable", "follow"]


class Followable(Protocol):
    """What `follow` needs of a log (a `Timeline` is one)."""

    @property
    def head(self) -> int:
        """The current head position, after taking in what others appended."""
        ...

    @property
    def store(self) -> Store:
        """The store, for its optional `wait`."""
        ...

    def records(self, *, after: int = 0) -> Iterator[Record]:
        """Records after position `after`."""
        ...


def follow(
    tl: Followable,
    *,
    after: int | None = None,
    timeout: float | None = None,
    poll: float = 0.2,
) -> Iterator[Record]:
    """Yield `tl`'s records as they are committed, in log order; see `Timeline.follow`."""
    position = tl.head if after is None else after
    store = tl.store
    wait = store.wait if isinstance(store, Waits) else None
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        if position < tl.head:  # tl.head takes in what others appended
            for record in tl.records(after=position):
                yield record
                position = record.position
            deadline = None if timeout is None else time.monotonic() + timeout
            continue
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            return
        if wait is not None:
            wait(position, 5.0 if remaining is None else remaining)
        else:
            time.sleep(poll if remaining is None else min(poll, remaining))
