"""Where records live. Every store keeps the same contract (see `timeline.testing`):

* `append` runs one transaction: it reads the head, checks `expected_position`, asks `build` for
  the rows that continue the chain from that head, and writes them all or nothing;
* positions are 1, 2, 3, … without gaps; records are never updated or deleted;
* `read(after)` yields the records after a position, in log order.

A store may also keep the *bitemporal index* (the `Indexed` protocol; every store of this package
does): per record, written in the append's transaction, what the as-of machinery needs without
decoding the event (`IndexRow`), plus the cache of projection snapshots (`SnapshotRow`). A
timeline over a store without it derives the index by decoding every record when it opens.

A store may also offer `wait` (the `Waits` protocol): block until a record after a position is
committed. `Timeline.follow` uses it when it is there (PostgreSQL: LISTEN/NOTIFY; memory: a
condition variable) and polls otherwise (SQLite).
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Callable, Iterator, Sequence
from typing import Final, NamedTuple, Protocol, runtime_checkable

from timeline.records import GENESIS, StoredRecord

__all__ = [
    "RETRACTED",
    "Answers",
    "Build",
    "Head",
    "IndexRow",
    "Indexed",
    "MakeIndex",
    "SnapshotRow",
    "Store",
    "Waits",
    "pack_index",
    "unpack_index",
]


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


@runtime_checkable
class Answers(Protocol):
    """The optional capability of a store whose server holds the index as rows and answers
    "which records are in effect at (at, known_at)" itself (PostgreSQL: ``effective()``)."""

    def effective(
        self, at_us: int | None, known_us: int | None, upto: int | None = None
    ) -> list[tuple[int, int, int, int]]:
        """(position, origin, earliest, latest) of the records in effect at valid time `at_us`
        as known at `known_us` (microseconds; None: any, now) among the first `upto` records
        (None: all), in valid-time order."""
        ...

    def read_keys(self) -> bytes:
        """The server's index rows, every position in order, packed as `pack_index` packs."""
        ...


class IndexRow(NamedTuple):
    """What the as-of machinery needs of one record, without decoding its event.

    Derived data, written at append beside the record (packed by `pack_index`): a reader that
    decodes the record checks it, and `Timeline.verify` recomputes it for every record.
    """

    position: int
    recorded_us: int
    """`recorded_at` in microseconds since the epoch (sortable)."""
    lo: int
    """Valid time: `occurred.earliest` in microseconds (of the replacement, for a correction;
    `RETRACTED` for a retraction)."""
    hi: int
    """Valid time: `occurred.latest` in microseconds (`RETRACTED` for a retraction)."""
    origin: int
    """The position of the event this record is about: its own for an event, the target's for
    a correction or retraction."""


RETRACTED: Final = -(1 << 63)
"""`IndexRow.lo` and `hi` of a retraction (it has no valid time)."""


def pack_index(rows: Sequence[IndexRow]) -> bytes:
    """Index rows of consecutive positions as stored: per row four little-endian signed 64-bit
    integers (recorded_us, lo, hi, origin); the position is the block's first plus the offset."""
    values = array("q")
    for row in rows:
        values.extend((row.recorded_us, row.lo, row.hi, row.origin))
    if sys.byteorder == "big":  # pragma: no cover - the stored form is little-endian
        values.byteswap()
    return values.tobytes()


def pack_columns(values: array[int]) -> bytes:
    """A column of signed 64-bit integers as little-endian bytes."""
    if sys.byteorder == "big":  # pragma: no cover
        values = array("q", values)
        values.byteswap()
    return values.tobytes()


def unpack_columns(data: bytes | memoryview) -> array[int]:
    """The column `pack_columns` packed."""
    return unpack_index(data)


def unpack_index(data: bytes | memoryview) -> array[int]:
    """The integers `pack_index` packed (four per row)."""
    values = array("q")
    values.frombytes(data)
    if sys.byteorder == "big":  # pragma: no cover
        values.byteswap()
    return values


class SnapshotRow(NamedTuple):
    """One persisted checkpoint of a projection: a cache beside the log, outside the chain."""

    projection: str
    """The projection's stable ``snapshot_name``."""
    version: int
    """The projection's ``snapshot_version`` when the state was written."""
    entries: int
    """The state is the fold of the first `entries` effective events in valid-time order..."""
    head: int
    """... of the log as it stood at this position."""
    key: str
    """The valid-time key of the last of those events: ``"earliest,latest,origin"`` (integers),
    so that a reader can tell whether the log still orders them the same way."""
    state: str | bytes
    """The state, as the projection's ``dump_state`` JSON; bytes for the library's own binary
    rows (the sorted view). A store gives back what it was given, of the same type."""


MakeIndex = Callable[[Sequence[StoredRecord]], bytes]
"""Given the rows `Build` returned, return their index block (`pack_index`)."""


@runtime_checkable
class Indexed(Store, Protocol):
    """The capability of a store that keeps the bitemporal index and the snapshot cache."""

    def append_indexed(
        self, build: Build, expected_position: int | None, index: MakeIndex
    ) -> Sequence[StoredRecord]:
        """`Store.append`, writing the index rows of the new records in the same transaction."""
        ...

    def read_index(self, after: int = 0) -> Iterator[tuple[int, bytes]]:
        """Index blocks (first position, `pack_index` data) of the records after position
        `after`, in log order; the first block may start at or before `after`. Possibly fewer
        than the records, in a log written before the index existed (the reader derives the
        rest)."""
        ...

    def add_index(self, first: int, data: bytes) -> bool:
        """Store an index block derived by a reader (it continues the stored ones); return
        False when the store is read-only."""
        ...

    def read_page(self, after: int, limit: int) -> list[StoredRecord]:
        """At most `limit` records with position > `after`, in log order."""
        ...

    def read_rows(self, positions: Sequence[int]) -> list[StoredRecord]:
        """The records at `positions` (ascending, no repeats) that exist, in log order."""
        ...

    def positions_of(self, ids: Sequence[str]) -> dict[str, int]:
        """The positions of those of `ids` that some record holds."""
        ...

    def read_snapshots(self, projection: str, *, states: bool = True) -> list[SnapshotRow]:
        """The stored snapshots of one projection (every version), by count; with
        ``states=False``, without their states (``""``: `read_snapshot_state` reads one)."""
        ...

    def read_snapshot_state(self, projection: str, version: int, entries: int) -> str | None:
        """The JSON state of one stored snapshot, or None if there is none (or it is binary)."""
        ...

    def write_snapshots(self, rows: Sequence[SnapshotRow]) -> bool:
        """Store snapshots, replacing those of the same projection, version and count; return
        False when the store is read-only."""
        ...

    def drop_snapshots(self, projection: str | None = None) -> int:
        """Delete the snapshots of one projection (all: None); return how many."""
        ...
