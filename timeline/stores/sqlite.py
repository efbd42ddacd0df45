"""The embedded default: one SQLite file (stdlib `sqlite3`), WAL mode, append-only by trigger.

Durability: every append batch is one ``BEGIN IMMEDIATE … COMMIT`` transaction. With the
default ``synchronous=FULL`` a batch whose `append` returned survives a crash of the process *and*
of the machine (the WAL is fsynced at each commit). ``durability="normal"`` keeps atomicity and
survives a killed process, but the last commits may be lost on power failure; it is several times
faster for one-event appends. Several processes may append to one file: the write lock is taken
before the head is read, so `expected_position` is checked inside the write transaction.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final, Literal

from timeline.errors import ConcurrencyError, DuplicateEventId, IntegrityError, StoreError
from timeline.records import StoredRecord
from timeline.stores import Build, Head, MakeIndex, SnapshotRow

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

SCHEMA_VERSION: Final = 3
_APPLICATION_ID: Final = 0x544C4E31  # "TLN1": marks the file as a timeline

_SCHEMA: Final = f"""
CREATE TABLE timeline_schema (
    version    INTEGER NOT NULL,
    applied_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
INSERT INTO timeline_schema (version) VALUES (1);
CREATE TABLE records (
    position    INTEGER PRIMARY KEY,
    recorded_at TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    id          TEXT    NOT NULL UNIQUE,
    data        TEXT    NOT NULL,
    hash        TEXT    NOT NULL
);
CREATE TRIGGER records_no_update BEFORE UPDATE ON records
BEGIN SELECT RAISE(ABORT, 'timeline records are append-only: UPDATE refused'); END;
CREATE TRIGGER records_no_delete BEFORE DELETE ON records
BEGIN SELECT RAISE(ABORT, 'timeline records are append-only: DELETE refused'); END;
CREATE TRIGGER timeline_schema_no_update BEFORE UPDATE ON timeline_schema
BEGIN SELECT RAISE(ABORT, 'the schema table is append-only'); END;
PRAGMA application_id = {_APPLICATION_ID};
"""  # noqa: S608 - only module constants are interpolated

# Version 2: an insert must land at head + 1 with a new id. This also refuses
# `INSERT OR REPLACE`, whose REPLACE would otherwise delete the row it collides with without
# firing the DELETE trigger (SQLite fires delete triggers on REPLACE only with
# recursive_triggers on).
_INSERT_TRIGGER: Final = """
CREATE TRIGGER records_insert_at_head BEFORE INSERT ON records
WHEN NEW.position IS NOT (SELECT coalesce(max(position), 0) + 1 FROM records)
BEGIN SELECT RAISE(ABORT, 'timeline records are append-only: insert only at the head'); END
"""
_ID_TRIGGER: Final = """
CREATE TRIGGER records_new_id BEFORE INSERT ON records
WHEN EXISTS (SELECT 1 FROM records WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: records.id'); END
"""
_SCHEMA_2: Final = (
    f"{_INSERT_TRIGGER}; {_ID_TRIGGER}; INSERT INTO timeline_schema (version) VALUES (2);"  # noqa: S608 - module constants only
)

# Version 3: the bitemporal index (derived data, written in the append's transaction) and the
# snapshot cache (outside the chain; dropped and rebuilt at will). The records are untouched:
# a version-2 log gains the tables when a writer opens it, and its readers derive the index
# rows the log lacks (see `Timeline`).
_SCHEMA_3: Final = """
CREATE TABLE IF NOT EXISTS record_index (
    first INTEGER PRIMARY KEY,
    count INTEGER NOT NULL,
    data  BLOB    NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
    projection TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    count      INTEGER NOT NULL,
    head       INTEGER NOT NULL,
    key        TEXT    NOT NULL,
    state      TEXT    NOT NULL,
    PRIMARY KEY (projection, version, count)
);
INSERT INTO timeline_schema (version) VALUES (3);
"""
_INSERT_INDEX: Final = "INSERT OR REPLACE INTO record_index (first, count, data) VALUES (?, ?, ?)"

_INSERT: Final = (
    "INSERT INTO records (position, recorded_at, type, version, id, data, hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_HEAD: Final = "SELECT position, hash, recorded_at FROM records ORDER BY position DESC LIMIT 1"

_SELECT: Final = "SELECT position, recorded_at, type, version, id, data, hash FROM records"


def _runs(positions: Sequence[int], size: int = 900) -> Iterator[Sequence[int]]:
    """`positions` in chunks of at most `size` (SQLite's bound on '?' marks is higher)."""
    for start in range(0, len(positions), size):
        yield positions[start : start + size]


Durability = Literal["full", "normal"]


def _store_error(exc: sqlite3.Error, path: str) -> StoreError:
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return StoreError(f"the log is read-only ({text})", path=path)
    if "full" in text:
        return StoreError(f"the disk is full; nothing was written ({text})", path=path)
    if "not a database" in text:
        return StoreError("not a timeline: the file is not an SQLite database", path=path)
    return StoreError(text, path=path)


class SQLiteStore:
    """Records in one SQLite file (created if missing)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        durability: Durability = "full",
        create: bool = True,
    ) -> None:
        if durability not in ("full", "normal"):
            raise ValueError(f"durability must be 'full' or 'normal', not {durability!r}")
        self.path = str(Path(path))
        self._create = create
        self._has_index: bool | None = None
        if Path(self.path).is_dir():
            raise StoreError("is a directory, not a timeline file", path=self.path)
        if not create:
            if not Path(self.path).exists():
                raise StoreError("no such file", path=self.path)
            if Path(self.path).stat().st_size == 0:
                raise StoreError("not a timeline: the file is empty", path=self.path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        except sqlite3.Error as exc:
            raise _store_error(exc, self.path) from None
        try:
            self._open(durability)
        except sqlite3.Error as exc:
            self._db.close()
            raise _store_error(exc, self.path) from None
        except StoreError:
            self._db.close()
            raise

    def _open(self, durability: Durability) -> None:
        db = self._db
        db.execute("PRAGMA busy_timeout = 30000")
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables and not self._create:
            raise StoreError(
                "not a timeline: an SQLite file without a records table", path=self.path
            )
        if not tables:
            try:
                db.execute("PRAGMA journal_mode = WAL")
                db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} {_SCHEMA_2} {_SCHEMA_3} COMMIT;")
            except sqlite3.Error:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                # another process may have created it meanwhile
                tables = {
                    row[0]
                    for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
                }
                if "records" not in tables:
                    raise
        elif "records" not in tables or "timeline_schema" not in tables:
            raise StoreError(
                "not a timeline: an SQLite file without a records table", path=self.path
            )
        (version,) = db.execute("SELECT max(version) FROM timeline_schema").fetchone()
        if version in (1, 2):
            # a writer adds what versions 2 and 3 add; a reader (create=False) changes nothing
            version = self._upgrade(version) if self._create else SCHEMA_VERSION
        if version != SCHEMA_VERSION:
            raise StoreError(
                f"schema version {version} is not {SCHEMA_VERSION}; use a matching timeline",
                path=self.path,
            )
        db.execute(f"PRAGMA synchronous = {durability.upper()}")

    def _upgrade(self, version: int) -> int:
        """Add version 2's insert trigger and version 3's tables (records are not touched). A
        read-only file stays as it is and is still read: its readers check every row against the
        chain anyway, and derive the index it lacks."""
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            (version,) = db.execute("SELECT max(version) FROM timeline_schema").fetchone()
            if version == 1:
                db.execute(_INSERT_TRIGGER)
                db.execute(_ID_TRIGGER)
                db.execute("INSERT INTO timeline_schema (version) VALUES (2)")
            if version in (1, 2):
                for statement in _SCHEMA_3.split(";"):
                    if statement.strip():
                        db.execute(statement)
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            if "readonly" in str(exc):
                return SCHEMA_VERSION
            raise
        return SCHEMA_VERSION

    @property
    def location(self) -> str:
        return f"sqlite:{self.path}"

    def head(self) -> Head:
        try:
            row = self._db.execute(_HEAD).fetchone()
        except sqlite3.Error as exc:
            raise _store_error(exc, self.path) from None
        return Head() if row is None else Head(*row)

    def read(self, after: int = 0) -> Iterator[StoredRecord]:
        try:
            cursor = self._db.execute(
                "SELECT position, recorded_at, type, version, id, data, hash FROM records "
                "WHERE position > ? ORDER BY position",
                (after,),
            )
            cursor.arraysize = 4096
            while batch := cursor.fetchmany():
                yield from map(StoredRecord._make, batch)
        except sqlite3.Error as exc:
            raise _store_error(exc, self.path) from None

    def append(self, build: Build, expected_position: int | None) -> Sequence[StoredRecord]:
        return self._append(build, expected_position, None)

    def append_indexed(
        self, build: Build, expected_position: int | None, index: MakeIndex
    ) -> Sequence[StoredRecord]:
        return self._append(build, expected_position, index)

    def _append(
        self, build: Build, expected_position: int | None, index: MakeIndex | None
    ) -> Sequence[StoredRecord]:
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _store_error(exc, self.path) from None
        rows: list[StoredRecord] = []
        try:
            row = db.execute(_HEAD).fetchone()
            head = Head() if row is None else Head(*row)
            if expected_position is not None and expected_position != head.position:
                raise ConcurrencyError(expected_position, head.position)
            rows = list(build(head))
            if rows and rows[0].position != head.position + 1:
                raise IntegrityError(
                    "rows to append do not follow the head", position=rows[0].position
                )
            db.executemany(_INSERT, rows)
            if index is not None and rows and self._indexed():
                db.execute(_INSERT_INDEX, (rows[0].position, len(rows), index(rows)))
            db.execute("COMMIT")
        except BaseException as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error) and "records.id" in str(exc):
                raise self._duplicate(rows) from None
            if isinstance(exc, sqlite3.Error):
                raise _store_error(exc, self.path) from None
            raise
        return rows

    # --- the index and the snapshots (`timeline.stores.Indexed`) -------------------------
    def _indexed(self) -> bool:
        """Whether the file has version 3's tables (a version-2 file opened to read has not)."""
        if self._has_index is None:
            self._has_index = bool(
                self._db.execute(
                    "SELECT 1 FROM sqlite_master WHERE type='table' AND name='record_index'"
                ).fetchone()
            )
        return self._has_index

    def read_index(self, after: int = 0) -> Iterator[tuple[int, bytes]]:
        if not self._indexed():
            return
        try:
            cursor = self._db.execute(
                "SELECT first, count, data FROM record_index WHERE first + count > ? "
                "ORDER BY first",
                (after + 1,),
            )
            while batch := cursor.fetchmany(1024):
                for first, count, data in batch:
                    if not isinstance(data, bytes) or len(data) != 32 * count:
                        raise IntegrityError(
                            "the index has a damaged block (its size is not its count)",
                            position=first if isinstance(first, int) else 0,
                        )
                    yield first, data
        except sqlite3.Error as exc:
            raise _store_error(exc, self.path) from None

    def add_index(self, first: int, data: bytes) -> bool:
        return self._write(_INSERT_INDEX, [(first, len(data) // 32, data)])

    def read_page(self, after: int, limit: int) -> list[StoredRecord]:
        try:
            return list(
                map(
                    StoredRecord._make,
                    self._db.execute(
                        "SELECT position, recorded_at, type, version, id, data, hash FROM records "
                        "WHERE position > ? ORDER BY position LIMIT ?",
                        (after, limit),
                    ),
                )
            )
        except sqlite3.Error as exc:
            raise _store_error(exc, self.path) from None

    def read_rows(self, positions: Sequence[int]) -> list[StoredRecord]:
        rows: list[StoredRecord] = []
        try:
            for chunk in _runs(positions):
                first, last = chunk[0], chunk[-1]
                if last - first < 4 * len(chunk):  # dense: one range, filtered
                    wanted = set(chunk)
                    rows.extend(
                        StoredRecord._make(row)
                        for row in self._db.execute(
                            f"{_SELECT} WHERE position BETWEEN ? AND ? ORDER BY position",
                            (first, last),
                        )
                        if row[0] in wanted
                    )
                else:
                    marks = ",".join("?" * len(chunk))
                    rows.extend(
                        map(
                            StoredRecord._make,
                            self._db.execute(
                                f"{_SELECT} WHERE position IN ({marks}) ORDER BY position",
                                chunk,
                            ),
                        )
                    )
        except sqlite3.Error as exc:
            raise _store_error(exc, self.path) from None
        return rows

    def positions_of(self, ids: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        try:
            for start in range(0, len(ids), 500):
                chunk = list(ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                found.update(
                    self._db.execute(
                        f"SELECT id, position FROM records WHERE id IN ({marks})",  # noqa: S608 - '?' marks only
                        chunk,
                    )
                )
        except sqlite3.Error as exc:
            raise _store_error(exc, self.path) from None
        return found

    def read_snapshots(self, projection: str, *, states: bool = True) -> list[SnapshotRow]:
        if not self._indexed():
            return []
        state = "state" if states else "''"
        try:
            return list(
                map(
                    SnapshotRow._make,
                    self._db.execute(
                        f"SELECT projection, version, count, head, key, {state} FROM snapshots "  # noqa: S608 - a constant
                        "WHERE projection = ? ORDER BY count",
                        (projection,),
                    ),
                )
            )
        except sqlite3.Error as exc:
            raise _store_error(exc, self.path) from None

    def read_snapshot_state(self, projection: str, version: int, entries: int) -> str | None:
        if not self._indexed():
            return None
        try:
            row = self._db.execute(
                "SELECT state FROM snapshots WHERE projection = ? AND version = ? AND count = ?",
                (projection, version, entries),
            ).fetchone()
        except sqlite3.Error as exc:
            raise _store_error(exc, self.path) from None
        if row is None or isinstance(row[0], bytes):
            return None  # a binary row holds no JSON state
        return str(row[0])

    def write_snapshots(self, rows: Sequence[SnapshotRow]) -> bool:
        return self._write(
            "INSERT OR REPLACE INTO snapshots (projection, version, count, head, key, state) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )

    def drop_snapshots(self, projection: str | None = None) -> int:
        if not self._indexed() or not self._create:
            return 0
        where, args = ("WHERE projection = ?", (projection,)) if projection else ("", ())
        try:
            cursor = self._db.execute(f"DELETE FROM snapshots {where}", args)  # noqa: S608 - constant text
        except sqlite3.Error as exc:
            raise _store_error(exc, self.path) from None
        return cursor.rowcount

    def _write(self, sql: str, rows: Sequence[tuple[object, ...]]) -> bool:
        """Write derived data (index rows a reader derived, snapshots) in one transaction;
        False, with nothing written, when the file is read-only or older than version 3."""
        if not self._indexed() or not self._create:
            return False  # a reader (create=False) changes nothing in the file
        if not rows:
            return True
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(sql, rows)
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            if "readonly" in str(exc) or "read-only" in str(exc):
                return False
            raise _store_error(exc, self.path) from None
        return True

    def _duplicate(self, rows: Sequence[StoredRecord]) -> DuplicateEventId:
        seen: set[str] = set()
        for row in rows:
            if row.id in seen:
                return DuplicateEventId(row.id)
            seen.add(row.id)
        ids = [row.id for row in rows]
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(
                r[0]
                for r in self._db.execute(
                    f"SELECT id FROM records WHERE id IN ({marks})",  # noqa: S608 - '?' marks only
                    chunk,
                )
            )
        return DuplicateEventId(next(id_ for id_ in ids if id_ in found))

    def close(self) -> None:
        self._db.close()
