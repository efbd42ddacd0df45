"""Where records live. Every store keeps the same contract (see `timeline.testing`):

* `append` runs one transaction: it reads the head, checks `expected_position`, asks `build` for
  the rows that continue the chain from that head, and writes them all or nothing;
* positions are 1, 2, 3, … without gaps; records are never updated or deleted;
* `read(after)` yields the records after a position, in log order.

A store may also offer `wait` (the `Waits` protocol): block until a record after a position is
committed. `Timeline.follow` uses it when it is there (PostgreSQL: LISTEN/NOTIFY; memory: a
condition variable) and polls otherwise (SQLite).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple, Protocol, runtime_checkable

from timeline.records import GENESIS, StoredRecord

__all__ = ["Build", "Head", "Store", "Waits"]


class Head(NamedTuple):
    """The last record of a log, as far as appending needs it."""

    position: int = 0
    hash: str = GENESIS
    recorded_at: str | None = None


Build = Callable[[Head], Sequence[StoredRecord]]
"""Given the head inside the write transaction, return the rows to append after it."""


class Store(Protocol):
    """The storage behind a `Timeline`."""

    @property
    def location(self) -> str:
        """A readable name: ``memory``, ``sqlite:path``, …"""
        ...

    def head(self) -> Head:
        """The current head (position 0 and `GENESIS` when empty)."""
        ...

    def read(self, after: int = 0) -> Iterator[StoredRecord]:
        """Records with position > `after`, in log order."""
        ...

    def append(self, build: Build, expected_position: int | None) -> Sequence[StoredRecord]:
        """Append atomically; `ConcurrencyError` if `expected_position` is not the head."""
        ...

    def close(self) -> None:
        """Release the storage; the store cannot be used afterwards."""
        ...


@runtime_checkable
class Waits(Protocol):
    """The optional capability of a store that can wait for new records without polling."""

    def wait(self, after: int, timeout: float) -> bool:
        """Block until a record after position `after` is committed, or `timeout` seconds pass;
        return whether one is there."""
        ...
