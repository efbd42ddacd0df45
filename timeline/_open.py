"""`open` and `import_jsonl`: where the generic core meets its default projection."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from timeline.errors import StoreError
from timeline.log import Clock, Timeline
from timeline.projection import Projection
from timeline.records import Record
from timeline.stores import Store
from timeline.stores.memory import MemoryStore
from timeline.stores.sqlite import Durability, SQLiteStore
from timeline.support.state import SupportProjection

__all__ = ["copy_log", "import_jsonl", "open"]


def open(  # noqa: A001 - `timeline.open` mirrors the builtin on purpose
    path: str | os.PathLike[str] | Store | None = None,
    *,
    projection: Projection[Any] | None = None,
    clock: Clock | None = None,
    durability: Durability = "full",
    schema: str | None = None,
) -> Timeline[Any]:
    """Open a timeline: in memory (no `path`), an SQLite file (created if missing), or a log on a
    PostgreSQL server (``postgresql://…``, extra ``timeline[postgres]``; `schema` names the log).

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
            from timeline.stores.postgres import PostgresStore

            store = PostgresStore(text, schema=schema)
        else:
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


def copy_log(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> str:
    """Copy a log between stores (SQLite file, ``postgresql://…`` URL, ``.jsonl`` file) losslessly.

    The target must be empty (or, for JSON Lines, not exist yet). Records keep their positions,
    recorded_at and hashes; the copy verifies with the same head hash, which is returned.
    """
    source_text, target_text = os.fspath(source), os.fspath(target)
    if target_text.endswith(".jsonl") and Path(target_text).exists():
        raise StoreError("the target exists; copy into a new file", path=target_text)
    with tempfile.TemporaryDirectory() as tmp:
        if source_text.endswith(".jsonl"):
            staged = Path(source_text)
            if not staged.exists():
                raise StoreError("no such file", path=source_text)
        else:
            if (
                not source_text.startswith(("postgresql://", "postgres://"))
                and not Path(source_text).exists()
            ):
                raise StoreError("no such file", path=source_text)
            with open(source_text) as src:
                src.verify()
                staged = Path(tmp) / "copy.jsonl"
                src.export_jsonl(staged)
        if target_text.endswith(".jsonl"):
            shutil.copyfile(staged, target_text)
            check = open()
            import_jsonl(target_text, into=check)
            return check.verify()
        with open(target_text) as dst:
            if dst.head:
                raise StoreError(f"the target already holds {dst.head} records", path=target_text)
            import_jsonl(staged, into=dst)
            return dst.verify()
