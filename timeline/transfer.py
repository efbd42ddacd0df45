"""Moving records in and out: JSON Lines import and export, and copying a log between stores."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from timeline import _jsonl
from timeline._open import _is_jsonl, _is_url, open, open_store  # noqa: A004 - timeline.open
from timeline.codec import decode, parse
from timeline.errors import IntegrityError, StoreError, TimelineError
from timeline.events import registered_types
from timeline.log import Timeline
from timeline.progress import Progress
from timeline.projection import HappenedProjection
from timeline.records import GENESIS, Record, StoredRecord
from timeline.stores import Store
from timeline.verify import checked_rows, verify_store

__all__ = ["copy_log", "export_store", "import_jsonl", "removed_on_failure"]


def export_store(
    store: Store,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    progress: bool | None = None,
) -> int:
    """Write every record of `store` to `path` as JSON Lines, as stored; return the count.

    Works on the stored rows (nothing is decoded), so a log of event types this process does
    not know exports too. Each row is checked against the hash chain as it is read; the file
    is written beside `path` and renamed into place when complete; an existing file is refused
    unless `overwrite`, and the log's own file always.
    """
    return _jsonl.export_store(store, Path(path), overwrite=overwrite, progress=progress)


def import_jsonl(
    path: str | os.PathLike[str], *, into: Timeline[Any], progress: bool | None = None
) -> list[Record]:
    """Append every record of a JSON Lines export to `into`, as one atomic batch.

    Each line is an object with ``type``, ``version`` and ``data`` and optionally
    ``recorded_at`` (on every line or none; never decreasing, not before `into`'s head),
    ``id``, and ``position`` with ``hash`` (an export: positions 1, 2, … and a hash chain that
    must verify). A line without ``hash`` is validated and stored in its canonical form at the
    current schema version (missing defaults filled in, converters applied), exactly as
    `Timeline.append` would store the event; an exported line is kept byte for byte, and must
    decode to the same event every time. Into an empty timeline an export reproduces the
    records exactly, hashes included; into a non-empty one the records get new positions and
    hashes. Any bad line raises `DataError` naming it, and nothing is written. A terminal shows
    the progress of reading (`timeline.progress`; ``progress=False`` silences it).
    """
    head = into.store.head()
    lines = _jsonl.read(Path(path), head_recorded_at=head.recorded_at, progress=progress)
    return into._append_imported(lines, head.position)


@contextlib.contextmanager
def removed_on_failure(path: str | os.PathLike[str]) -> Iterator[None]:
    """Remove the SQLite file at `path` (and its -wal, -shm) if the block fails and the file
    did not exist before it: a failed import or copy leaves nothing behind."""
    text = os.fspath(path)
    existed = _is_url(text) or Path(text).exists()
    try:
        yield
    except BaseException:
        if not existed:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(text + suffix).unlink(missing_ok=True)
        raise


def copy_log(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    progress: bool | None = None,
) -> str:
    """Copy a log between stores (SQLite file, ``postgresql://…`` URL, ``.jsonl`` file) losslessly.

    The target must be empty (or, for JSON Lines, not exist yet). Records keep their positions,
    recorded_at and hashes; the copy verifies with the same head hash, which is returned.

    A log is copied row by row as stored, each row checked against the hash chain, so a log
    whose event types this process does not know is copied too; rows of a registered type must
    also decode. A JSON Lines source is imported (`import_jsonl`), which needs its types. A
    failed copy leaves no target file behind.
    """
    source_text, target_text = os.fspath(source), os.fspath(target)
    if _is_jsonl(target_text) and Path(target_text).exists():
        raise StoreError("the target exists; copy into a new file", path=target_text)
    if _is_jsonl(source_text):
        if not Path(source_text).is_file():
            raise StoreError("no such file", path=source_text)
        staged = open()
        import_jsonl(source_text, into=staged, progress=progress)
        rows = list(staged.store.read())
    else:
        src = open_store(source_text, create=False)
        try:
            with Progress(
                f"reading {source_text}", total=src.head().position, enabled=progress
            ) as bar:
                rows = []
                for row in checked_rows(src.read()):
                    rows.append(_decodable(row))
                    bar.advance()
        finally:
            src.close()
    if _is_jsonl(target_text):
        _jsonl.export(rows, Path(target_text), progress=progress, total=len(rows))
        return rows[-1].hash if rows else GENESIS
    with removed_on_failure(target_text):
        dst = open_store(target_text)
        try:
            if dst.head().position:
                raise StoreError(
                    f"the target already holds {dst.head().position} records", path=target_text
                )
            dst.append(lambda _head: rows, 0)
            if all(row.type in registered_types() for row in rows):
                # derive and store the index now, so that the copy opens without decoding
                # (rows of a type this process does not know: the first writer that knows it)
                Timeline(dst, projection=HappenedProjection())
            return verify_store(dst)
        finally:
            dst.close()


def _decodable(row: StoredRecord) -> StoredRecord:
    if row.type in registered_types():
        try:
            decode(row.type, row.version, parse(row.data))
        except (TimelineError, ValueError) as exc:
            raise IntegrityError(
                f"the event does not decode: {exc}", position=row.position
            ) from None
    return row
