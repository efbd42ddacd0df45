"""A store in a Python list: for tests, notebooks and scratch work. Gone when the process ends."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from timeline.errors import ConcurrencyError, DuplicateEventId, IntegrityError
from timeline.records import StoredRecord
from timeline.stores import Build, Head, MakeIndex, SnapshotRow

__all__ = ["MemoryStore"]


class MemoryStore:
    """Records in memory, with the same all-or-nothing append as every other store."""

    def __init__(self) -> None:
        self._rows: list[StoredRecord] = []
        self._ids: dict[str, int] = {}
        self._index: list[tuple[int, bytes]] = []
        self._indexed = 0
        self._snapshots: dict[tuple[str, int, int], SnapshotRow] = {}
        self._lock = threading.Condition()

    @property
    def location(self) -> str:
        return "memory"

    def head(self) -> Head:
        if not self._rows:
            return Head()
        last = self._rows[-1]
        return Head(last.position, last.hash, last.recorded_at)

    def read(self, after: int = 0) -> Iterator[StoredRecord]:
        return iter(self._rows[max(after, 0) :])

    def append(self, build: Build, expected_position: int | None) -> Sequence[StoredRecord]:
        return self._append(build, expected_position, None)

    def append_indexed(
        self, build: Build, expected_position: int | None, index: MakeIndex
    ) -> Sequence[StoredRecord]:
        return self._append(build, expected_position, index)

    def _append(
        self, build: Build, expected_position: int | None, index: MakeIndex | None
    ) -> Sequence[StoredRecord]:
        with self._lock:
            head = self.head()
            if expected_position is not None and expected_position != head.position:
                raise ConcurrencyError(expected_position, head.position)
            rows = list(build(head))
            ids = [row.id for row in rows]
            for position, row in enumerate(rows, head.position + 1):
                if row.position != position:
                    raise IntegrityError("rows to append are not gapless", position=row.position)
            seen: set[str] = set()
            for id_ in ids:
                if id_ in self._ids or id_ in seen:
                    raise DuplicateEventId(id_)
                seen.add(id_)
            made = index(rows) if index is not None and rows else None
            self._rows.extend(rows)
            self._ids.update((row.id, row.position) for row in rows)
            if made is not None and self._indexed == head.position:
                self._index.append((head.position + 1, made))
                self._indexed += len(rows)
            self._lock.notify_all()
            return rows

    def read_index(self, after: int = 0) -> Iterator[tuple[int, bytes]]:
        return iter([block for block in self._index if block[0] + len(block[1]) // 32 > after + 1])

    def add_index(self, first: int, data: bytes) -> bool:
        with self._lock:
            if first == self._indexed + 1:
                self._index.append((first, data))
                self._indexed += len(data) // 32
        return True

    def read_page(self, after: int, limit: int) -> list[StoredRecord]:
        after = max(after, 0)
        return self._rows[after : after + max(limit, 0)]

    def read_rows(self, positions: Sequence[int]) -> list[StoredRecord]:
        rows = self._rows
        return [rows[p - 1] for p in positions if 0 < p <= len(rows)]

    def positions_of(self, ids: Sequence[str]) -> dict[str, int]:
        known = self._ids
        return {id_: known[id_] for id_ in ids if id_ in known}

    def read_snapshots(self, projection: str, *, states: bool = True) -> list[SnapshotRow]:
        rows = [row for key, row in self._snapshots.items() if key[0] == projection]
        if not states:
            rows = [row._replace(state="") for row in rows]
        return sorted(rows, key=lambda row: (row.entries, row.version))

    def read_snapshot_state(self, projection: str, version: int, entries: int) -> str | None:
        row = self._snapshots.get((projection, version, entries))
        return row.state if row is not None and isinstance(row.state, str) else None

    def write_snapshots(self, rows: Sequence[SnapshotRow]) -> bool:
        with self._lock:
            for row in rows:
                self._snapshots[row.projection, row.version, row.entries] = row
        return True

    def drop_snapshots(self, projection: str | None = None) -> int:
        with self._lock:
            keys = [k for k in self._snapshots if projection is None or k[0] == projection]
            for key in keys:
                del self._snapshots[key]
        return len(keys)

    def wait(self, after: int, timeout: float) -> bool:
        """Block until a record after `after` is appended (by any thread) or `timeout` passes."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self._rows) > after, timeout=timeout)

    def close(self) -> None:
        """Nothing to release."""
