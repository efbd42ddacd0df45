"""`open` and `import_jsonl`: where the generic core meets its default projection."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from timeline.log import Clock, Timeline
from timeline.projection import Projection
from timeline.records import Record
from timeline.stores import Store
from timeline.stores.memory import MemoryStore
from timeline.stores.sqlite import Durability, SQLiteStore
from timeline.support.state import SupportProjection, SupportState

__all__ = ["import_jsonl", "open"]


def open(  # noqa: A001 - `timeline.open` mirrors the builtin on purpose
    path: str | os.PathLike[str] | Store | None = None,
    *,
    projection: Projection[Any] | None = None,
    clock: Clock | None = None,
    durability: Durability = "full",
) -> Timeline[Any]:
    """Open a timeline: in memory (no `path`), or an SQLite file (created if missing).

    The default projection is `SupportState`'s; pass `projection` for another domain.
    `durability` is the SQLite trade-off described in `timeline.stores.sqlite`.

    >>> tl = open()
    >>> tl.head
    0
    """
    store: Store
    if path is None:
        store = MemoryStore()
    elif isinstance(path, (str, os.PathLike)):
        text = os.fspath(path)
        if text.startswith(("postgresql://", "postgres://")):
            raise NotImplementedError("PostgreSQL stores are not available yet")
        store = SQLiteStore(Path(text), durability=durability)
    else:
        store = path
    return Timeline(store, projection=projection or SupportProjection(), clock=clock)


def import_jsonl(path: str | os.PathLike[str], *, into: Timeline[Any]) -> list[Record]:
    """Append every record of a JSON Lines export to `into`, as one atomic batch.

    Each line is an object with ``type``, ``version`` and ``data`` and optionally
    ``recorded_at`` (on every line or none; never decreasing, not before `into`'s head),
    ``id``, and ``position`` with ``hash`` (an export: positions 1, 2, … and a hash chain that
    must verify). Into an empty timeline an export reproduces the records exactly, hashes
    included; into a non-empty one the records get new positions and hashes. Any bad line
    raises `DataError` naming it, and nothing is written.
    """
    return into.import_jsonl(Path(path))


SupportTimeline = Timeline[SupportState]
