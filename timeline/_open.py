"""`open`: a timeline over a store named by a path or URL, with a projection."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar, overload

from timeline.errors import StoreError
from timeline.log import Clock, Timeline
from timeline.projection import Happened, HappenedProjection, Projection
from timeline.stores import Store
from timeline.stores.memory import MemoryStore
from timeline.stores.sqlite import Durability, SQLiteStore

__all__ = ["open", "open_store"]

S = TypeVar("S")


def _is_url(text: str) -> bool:
    return text.startswith(("postgresql://", "postgres://"))


def _is_jsonl(text: str) -> bool:
    return not _is_url(text) and text.lower().endswith(".jsonl")


def open_store(
    path: str | os.PathLike[str],
    *,
    create: bool = True,
    durability: Durability = "full",
    schema: str | None = None,
) -> Store:
    """The store behind `path`: an SQLite file or a ``postgresql://`` URL.

    With ``create=False`` a missing or empty file is a `StoreError` and nothing is created
    (what every command that only reads uses). A ``.jsonl`` path is refused: it is an export,
    not a log (`import_jsonl` or `copy_log` read it).
    """
    text = os.fspath(path)
    if _is_url(text):
        from timeline.stores.postgres import PostgresStore

        return PostgresStore(text, schema=schema)
    if _is_jsonl(text):
        raise StoreError(
            "is a JSON Lines export, not a log: import it into a log, or copy it", path=text
        )
    return SQLiteStore(Path(text), durability=durability, create=create)


@overload
def open(  # noqa: A001
    path: str | os.PathLike[str] | Store | None = ...,
    *,
    projection: None = ...,
    clock: Clock | None = ...,
    durability: Durability = ...,
    schema: str | None = ...,
    create: bool = ...,
) -> Timeline[Happened]: ...


@overload
def open(  # noqa: A001
    path: str | os.PathLike[str] | Store | None = ...,
    *,
    projection: Projection[S],
    clock: Clock | None = ...,
    durability: Durability = ...,
    schema: str | None = ...,
    create: bool = ...,
) -> Timeline[S]: ...


def open(  # noqa: A001 - `timeline.open` mirrors the builtin on purpose
    path: str | os.PathLike[str] | Store | None = None,
    *,
    projection: Projection[Any] | None = None,
    clock: Clock | None = None,
    durability: Durability = "full",
    schema: str | None = None,
    create: bool = True,
) -> Timeline[Any]:
    """Open a timeline: in memory (no `path`), an SQLite file (created if missing, unless
    ``create=False``), or a log on a PostgreSQL server (``postgresql://…``, extra
    ``timeline-asof[postgres]``; `schema` names the log).

    `projection` is what ``state_at`` folds by default, and types the timeline
    (``open(projection=SupportProjection())`` is a ``Timeline[SupportState]``). Without it the
    state is `Happened`, the events that had occurred; a domain offers its own short way in
    (`timeline.support.open`).
    `durability` is the SQLite trade-off described in `timeline.stores.sqlite`. Every record is
    checked against the hash chain as it is read: an edited row raises `IntegrityError`.

    >>> tl = open()
    >>> tl.head
    0
    """
    store: Store
    if path is None:
        store = MemoryStore()
    elif isinstance(path, (str, os.PathLike)):
        store = open_store(path, create=create, durability=durability, schema=schema)
    else:
        store = path
    try:
        chosen: Projection[Any] = HappenedProjection() if projection is None else projection
        return Timeline(store, projection=chosen, clock=clock)
    except BaseException:
        store.close()
        raise
