"""JSON Lines export and import: one record per line, as stored, in canonical JSON."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import attrs

from timeline.codec import canonical_json, decode, decode_trusted, stored_form
from timeline.errors import DataError, StoreError, TimelineError
from timeline.events import Event, MetaEvent
from timeline.progress import Progress
from timeline.records import GENESIS, StoredRecord, chain_hash
from timeline.stores import Store
from timeline.verify import checked_rows
from timeline.when import When, fixed_utc_text

__all__ = ["ImportLine", "export", "export_store", "loads", "read"]

_KEYS: Final = frozenset({"position", "recorded_at", "type", "version", "id", "data", "hash"})
_REQUIRED: Final = frozenset({"type", "version", "data"})


def loads(text: str) -> Any:
    """`json.loads` that turns every failure (deep nesting, huge numbers) into ValueError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def _is_part_of(path: Path, log: Path) -> bool:
    """Whether `path` is the SQLite file `log` or one of its -wal, -shm, -journal files."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        part = log.with_name(log.name + suffix)
        if path.exists() and part.exists() and path.samefile(part):
            return True
        if path.resolve() == part.resolve():
            return True
    return False


def export(
    rows: Iterable[StoredRecord],
    path: Path,
    *,
    overwrite: bool = False,
    protect: Path | None = None,
    progress: bool | None = None,
    total: int | None = None,
) -> int:
    """Write `rows` as JSON Lines to `path`, all or nothing: into a temporary file beside it,
    renamed over `path` only once every row is written. An existing `path` is refused unless
    `overwrite`; `protect` (the log's own file) is refused always. `progress` as in
    `timeline.progress.Progress`."""
    if protect is not None and _is_part_of(path, protect):
        raise StoreError("is the log itself; export to another file", path=str(path))
    if path.exists() and not overwrite:
        raise StoreError(
            "exists; choose a new file (--force or overwrite=True replaces it)", path=str(path)
        )
    if path.is_dir():
        raise StoreError("is a directory", path=str(path))
    count = 0
    tmp: Path | None = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        tmp = Path(name)
        with (
            os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out,
            Progress(f"exporting {path.name}", total=total, enabled=progress) as bar,
        ):
            for row in rows:
                body = row._asdict()
                body["data"] = json.loads(row.data)
                out.write(canonical_json(body))
                out.write("\n")
                count += 1
                bar.advance()
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(path)
        tmp = None
    except OSError as exc:
        raise StoreError(
            f"cannot write the export: {exc.strerror or exc}", path=str(path)
        ) from None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    return count


def export_store(
    store: Store, path: Path, *, overwrite: bool = False, progress: bool | None = None
) -> int:
    """Export every record of `store`, each checked against the hash chain as it is read;
    the store's own file is never overwritten. Return the count."""
    own = getattr(store, "path", None)
    return export(
        checked_rows(store.read()),
        path,
        overwrite=overwrite,
        protect=Path(own) if own else None,
        progress=progress,
        total=store.head().position,
    )


@attrs.frozen
class ImportLine:
    number: int
    event: Event | MetaEvent
    version: int
    data: str
    recorded_at: str | None


def _recorded(value: object, number: int) -> str:
    if not isinstance(value, str):
        raise DataError(f"recorded_at must be a string, not {value!r}", line=number)
    try:
        when = When.parse(value)
    except TimelineError as exc:
        raise DataError(f"recorded_at: {exc}", line=number) from exc
    if when.precision.value != "instant" or when.approximate or when.uncertain:
        raise DataError(
            f"recorded_at {value!r} must be an exact instant with a UTC offset", line=number
        )
    return fixed_utc_text(when.earliest)


def read(
    path: Path, *, head_recorded_at: str | None, progress: bool | None = None
) -> list[ImportLine]:
    """Parse and check every line; raise `DataError` naming the first bad one. Writes nothing."""
    with Progress(f"reading {path.name}", enabled=progress) as bar:
        return _read(path, head_recorded_at, bar)


def _read(path: Path, head_recorded_at: str | None, bar: Progress) -> list[ImportLine]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StoreError(f"cannot read the import: {exc.strerror or exc}", path=str(path)) from None
    lines: list[ImportLine] = []
    ids: set[str] = set()
    last = head_recorded_at or ""
    previous_hash = GENESIS
    first: dict[str, Any] | None = None
    for number, line_bytes in enumerate(raw.split(b"\n"), 1):
        bar.advance()
        if not line_bytes.strip():
            continue
        try:
            text = line_bytes.decode("utf-8")
            obj = loads(text)
        except (UnicodeDecodeError, ValueError) as exc:
            raise DataError(f"not valid JSON: {exc}", line=number) from None
        if not isinstance(obj, dict):
            raise DataError(f"expected a JSON object, got {type(obj).__name__}", line=number)
        unknown = set(obj) - _KEYS
        if unknown:
            raise DataError(f"unknown keys {sorted(unknown)}", line=number)
        missing = _REQUIRED - set(obj)
        if missing:
            raise DataError(f"missing keys {sorted(missing)}", line=number)
        exported = "hash" in obj or "position" in obj
        try:
            ev = decode(obj["type"], obj["version"], obj["data"])
            if exported:
                # an exported record is kept byte for byte (its hash covers it); it must read
                # back as this same event every time, on both read paths
                version, data = obj["version"], canonical_json(obj["data"])
                data.encode("utf-8")
                again = decode(obj["type"], version, json.loads(data))
                fast = decode_trusted(obj["type"], version, data)
                if not ev == again == fast:
                    raise DataError(
                        f"data of {obj['type']!r} does not decode to the same event twice "
                        "(a field without a stable default, such as a missing 'id'?)",
                        line=number,
                    )
            else:
                # anything else is brought to its canonical stored form, at the current version
                _, version, data = stored_form(ev)
        except UnicodeEncodeError:
            raise DataError(
                "data holds a lone surrogate, which UTF-8 cannot store", line=number
            ) from None
        except TimelineError as exc:
            raise DataError(str(exc), line=number) from exc
        except (ValueError, TypeError) as exc:
            raise DataError(f"data cannot be stored: {exc}", line=number) from None
        if "id" in obj and obj["id"] != ev.id:
            raise DataError(f"id {obj['id']!r} differs from the event's id {ev.id!r}", line=number)
        if ev.id in ids:
            raise DataError(f"duplicate event id {ev.id!r}", line=number)
        ids.add(ev.id)
        recorded = _recorded(obj["recorded_at"], number) if "recorded_at" in obj else None
        if first is None:
            first = obj
        if ("recorded_at" in obj) != ("recorded_at" in first):
            raise DataError("recorded_at must be on every line or on none", line=number)
        if recorded is not None:
            if recorded < last:
                raise DataError(
                    f"recorded_at {obj['recorded_at']} is before {last} (the line before, or the "
                    "head of the log); recorded_at never decreases",
                    line=number,
                )
            last = recorded
        if exported != ("hash" in first or "position" in first):
            raise DataError("position and hash must be on every line or on none", line=number)
        if exported:
            if obj.get("position") != len(lines) + 1:
                raise DataError(
                    f"position {obj.get('position')!r} should be {len(lines) + 1}: an exported "
                    "log starts at 1 and has no gaps",
                    line=number,
                )
            if recorded is None or "hash" not in obj:
                raise DataError("an exported record needs recorded_at and hash", line=number)
            previous_hash = chain_hash(
                previous_hash, len(lines) + 1, recorded, obj["type"], version, ev.id, data
            )
            if previous_hash != obj["hash"]:
                raise DataError(
                    "hash does not match the record: the file was changed after export", line=number
                )
        lines.append(ImportLine(number, ev, version, data, recorded))
    return lines
