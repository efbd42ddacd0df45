"""A store in a Python list: for tests, notebooks and scratch work. Gone when the process ends."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from timeline.errors import ConcurrencyError, DuplicateEventId, IntegrityError
from timeline.records import StoredRecord
from timeline.stores import Build, Head

__all__ = ["MemoryStore"]


class MemoryStore:
    """Records in memory, with the same all-or-nothing append as every other store."""

    def __init__(self) -> None:
        self._rows: list[StoredRecord] = []
        self._ids: set[str] = set()
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
            self._rows.extend(rows)
            self._ids.update(ids)
            self._lock.notify_all()
            return rows

    def wait(self, after: int, timeout: float) -> bool:
        """Block until a record after `after` is appended (by any thread) or `timeout` passes."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self._rows) > after, timeout=timeout)

    def close(self) -> None:
        """Nothing to release."""
