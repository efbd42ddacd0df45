"""A log shared on a PostgreSQL server (psycopg 3; extra ``timeline-asof[postgres]``).

The same contract as SQLite: one transaction per batch, ``expected_position`` checked after taking
the log's write lock inside that transaction, triggers that refuse UPDATE, DELETE and TRUNCATE, a
schema-version table, and the same hash chain over the same bytes (``data`` is kept as the exact
canonical JSON text, not JSONB, which would reorder it). Each commit sends a NOTIFY so that
`Timeline.follow` wakes up at once in other processes.

One database may hold several logs, one per schema: ``timeline.open(url, schema="team")``, or
``?schema=team`` at the end of the URL. The default schema is ``timeline``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Sequence
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from timeline.errors import ConcurrencyError, DuplicateEventId, IntegrityError, StoreError
from timeline.records import StoredRecord
from timeline.stores import (
    RETRACTED,
    Build,
    Head,
    IndexRow,
    MakeIndex,
    SnapshotRow,
    pack_index,
    unpack_index,
)

__all__ = ["PostgresStore", "split_url"]

SCHEMA_VERSION: Final = 3
_BINARY: Final = "\x01"
"""Starts a binary snapshot state, base64 after it, in the TEXT column; a text state that
starts with it or with `_ESCAPED` gets `_ESCAPED` in front, so every state reads back as it was
written, of the same type."""
_ESCAPED: Final = "\x02"


def _state_text(row: SnapshotRow) -> SnapshotRow:
    state = row.state
    if isinstance(state, bytes):
        return row._replace(state=_BINARY + base64.b64encode(state).decode("ascii"))
    if state.startswith((_BINARY, _ESCAPED)):
        return row._replace(state=_ESCAPED + state)
    return row


def _state_value(row: SnapshotRow) -> SnapshotRow:
    state = row.state
    if not isinstance(state, str):
        return row
    if state.startswith(_ESCAPED):
        return row._replace(state=state[1:])
    if state.startswith(_BINARY):
        try:
            return row._replace(state=base64.b64decode(state[1:], validate=True))
        except ValueError:
            return row  # damaged: the reader finds it is not what it wrote and skips it
    return row


_NAME: Final = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _psycopg() -> Any:
    try:
        import psycopg
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            "psycopg is needed for PostgreSQL logs; pip install 'timeline-asof[postgres]'"
        ) from exc
    return psycopg


def split_url(url: str, schema: str | None = None) -> tuple[str, str]:
    """(connection URL without our ``schema`` parameter, schema name)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    named = [v for k, v in query if k == "schema"]
    rest = [(k, v) for k, v in query if k != "schema"]
    chosen = schema or (named[-1] if named else "timeline")
    if not _NAME.fullmatch(chosen):
        raise StoreError(f"schema name {chosen!r} must be lower-case letters, digits and _")
    return urlunsplit(parts._replace(query=urlencode(rest))), chosen


def _ddl(schema: str) -> str:
    return f"""
CREATE SCHEMA IF NOT EXISTS {schema};
CREATE TABLE IF NOT EXISTS {schema}.timeline_schema (
    version    INTEGER NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS {schema}.records (
    position    BIGINT  PRIMARY KEY,
    recorded_at TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    id          TEXT    NOT NULL UNIQUE,
    data        TEXT    NOT NULL,
    hash        TEXT    NOT NULL
);
CREATE OR REPLACE FUNCTION {schema}.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'timeline records are append-only: % refused', TG_OP;
END $$;
DROP TRIGGER IF EXISTS records_append_only ON {schema}.records;
CREATE TRIGGER records_append_only BEFORE UPDATE OR DELETE ON {schema}.records
    FOR EACH ROW EXECUTE FUNCTION {schema}.refuse_change();
DROP TRIGGER IF EXISTS records_no_truncate ON {schema}.records;
CREATE TRIGGER records_no_truncate BEFORE TRUNCATE ON {schema}.records
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.refuse_change();
-- version 2: an insert lands at head + 1 or not at all (ON CONFLICT … DO UPDATE is an
-- UPDATE, refused above; a duplicate id violates UNIQUE)
CREATE OR REPLACE FUNCTION {schema}.insert_at_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.position IS DISTINCT FROM
            (SELECT coalesce(max(position), 0) + 1 FROM {schema}.records) THEN
        RAISE EXCEPTION 'timeline records are append-only: insert only at the head, not at %',
            NEW.position;
    END IF;
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS records_insert_at_head ON {schema}.records;
CREATE TRIGGER records_insert_at_head BEFORE INSERT ON {schema}.records
    FOR EACH ROW EXECUTE FUNCTION {schema}.insert_at_head();
-- version 3: the bitemporal index (derived data written in the append's transaction, one
-- packed block per batch) and the snapshot cache
CREATE TABLE IF NOT EXISTS {schema}.record_index (
    first BIGINT  PRIMARY KEY,
    count INTEGER NOT NULL,
    data  BYTEA   NOT NULL
);
CREATE TABLE IF NOT EXISTS {schema}.snapshots (
    projection TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    count      BIGINT  NOT NULL,
    head       BIGINT  NOT NULL,
    key        TEXT    NOT NULL,
    state      TEXT    NOT NULL,
    PRIMARY KEY (projection, version, count)
);
-- the index as rows (written by the writer in the transaction of the block they come from),
-- so that the events in effect at (at, known_at) are a query the server answers: effective()
CREATE TABLE IF NOT EXISTS {schema}.record_keys (
    position    BIGINT PRIMARY KEY,
    recorded_us BIGINT NOT NULL,
    lo          BIGINT NOT NULL,
    hi          BIGINT NOT NULL,
    origin      BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS record_keys_origin ON {schema}.record_keys (origin, position);
-- the records in effect at valid time at_us (their earliest at or before it; NULL: any) as
-- known at known_us (recorded at or before it; NULL: now) among the first upto records (NULL:
-- all), in valid-time order: for each event, its latest version by then (a correction, whose
-- replacement is in effect), none if that is a retraction
CREATE OR REPLACE FUNCTION {schema}.effective(
    at_us BIGINT, known_us BIGINT DEFAULT NULL, upto BIGINT DEFAULT NULL
)
    RETURNS TABLE ("position" BIGINT, origin BIGINT, lo BIGINT, hi BIGINT)
    LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
    IF (SELECT count(*) FROM {schema}.record_keys) <>
            coalesce((SELECT max(r.position) FROM {schema}.records AS r), 0) THEN
        RAISE EXCEPTION 'record_keys does not match the log (rows missing or extra): a writer '
            'of timeline 0.2 or later mends it when it opens the log';
    END IF;
    RETURN QUERY
    SELECT k.position, k.origin, k.lo, k.hi FROM (
        SELECT DISTINCT ON (r.origin) r.position, r.origin, r.lo, r.hi
        FROM {schema}.record_keys AS r
        WHERE (known_us IS NULL OR r.recorded_us <= known_us)
            AND (upto IS NULL OR r.position <= upto)
        ORDER BY r.origin, r.position DESC
    ) AS k
    WHERE k.lo <> {RETRACTED} AND (at_us IS NULL OR k.lo <= at_us)
    ORDER BY k.lo, k.hi, k.origin;
END $$;
INSERT INTO {schema}.timeline_schema (version)
    SELECT {SCHEMA_VERSION} WHERE NOT EXISTS (
        SELECT 1 FROM {schema}.timeline_schema WHERE version >= {SCHEMA_VERSION}
    );
"""


def _insert_index(schema: str) -> str:
    return (
        f"INSERT INTO {schema}.record_index (first, count, data) VALUES (%s, %s, %s) "
        "ON CONFLICT (first) DO UPDATE SET count = EXCLUDED.count, data = EXCLUDED.data"
    )


class PostgresStore:
    """Records in one schema of a PostgreSQL database."""

    def __init__(self, url: str, *, schema: str | None = None) -> None:
        self._psycopg = _psycopg()
        self.url, self.schema = split_url(url, schema)
        self._channel = f"timeline_{self.schema}"
        self._listener: Any = None
        try:
            self._db = self._psycopg.connect(self.url, autocommit=True)
        except self._psycopg.Error as exc:
            raise StoreError(
                f"cannot connect: {str(exc).strip().splitlines()[0]}", path=self._safe_url()
            ) from None
        try:
            with self._db.transaction():
                # one set-up at a time, however many processes open the log at once
                self._db.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self._channel,))
                self._db.execute(_ddl(self.schema))
                row = self._db.execute(
                    f"SELECT max(version) FROM {self.schema}.timeline_schema"
                ).fetchone()
        except self._psycopg.Error as exc:
            self._db.close()
            raise StoreError(str(exc).strip().splitlines()[0], path=self._safe_url()) from None
        if row is None or row[0] != SCHEMA_VERSION:
            self._db.close()
            raise StoreError(
                f"schema version {row and row[0]} is not {SCHEMA_VERSION}", path=self._safe_url()
            )
        try:
            self._fill_keys()
        except self._psycopg.Error as exc:
            self._db.close()
            raise StoreError(str(exc).strip().splitlines()[0], path=self._safe_url()) from None

    def _safe_url(self) -> str:
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        return f"postgresql://{host}{':' + str(parts.port) if parts.port else ''}{parts.path}#{self.schema}"

    @property
    def location(self) -> str:
        return self._safe_url()

    def head(self) -> Head:
        row = self._db.execute(
            f"SELECT position, hash, recorded_at FROM {self.schema}.records ORDER BY position DESC LIMIT 1"
        ).fetchone()
        return Head() if row is None else Head(*row)

    def read(self, after: int = 0) -> Iterator[StoredRecord]:
        with self._db.cursor() as cursor:
            cursor.execute(
                f"SELECT position, recorded_at, type, version, id, data, hash FROM {self.schema}.records "
                "WHERE position > %s ORDER BY position",
                (after,),
            )
            while batch := cursor.fetchmany(5000):
                yield from map(StoredRecord._make, batch)

    def append(self, build: Build, expected_position: int | None) -> Sequence[StoredRecord]:
        return self._append(build, expected_position, None)

    def append_indexed(
        self, build: Build, expected_position: int | None, index: MakeIndex
    ) -> Sequence[StoredRecord]:
        return self._append(build, expected_position, index)

    def _append(
        self, build: Build, expected_position: int | None, index: MakeIndex | None
    ) -> Sequence[StoredRecord]:
        psycopg = self._psycopg
        rows: list[StoredRecord] = []
        try:
            with self._db.transaction():
                # EXCLUSIVE blocks other writers until commit, not readers
                self._db.execute(f"LOCK TABLE {self.schema}.records IN EXCLUSIVE MODE")
                head = self.head()
                if expected_position is not None and expected_position != head.position:
                    raise ConcurrencyError(expected_position, head.position)
                rows = list(build(head))
                if rows and rows[0].position != head.position + 1:
                    raise IntegrityError(
                        "rows to append do not follow the head", position=rows[0].position
                    )
                with self._db.cursor() as cursor:
                    cursor.executemany(
                        f"INSERT INTO {self.schema}.records "
                        "(position, recorded_at, type, version, id, data, hash) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                        rows,
                    )
                    if index is not None and rows:
                        block = index(rows)
                        cursor.execute(
                            _insert_index(self.schema), (rows[0].position, len(rows), block)
                        )
                        self._copy_keys(cursor, rows[0].position, block)
                if rows:
                    self._db.execute(
                        "SELECT pg_notify(%s, %s)", (self._channel, str(rows[-1].position))
                    )
        except psycopg.errors.UniqueViolation:
            ids = [row.id for row in rows]
            dup = next((i for n, i in enumerate(ids) if i in ids[:n]), None)
            if dup is None:
                found = {
                    r[0]
                    for r in self._db.execute(
                        f"SELECT id FROM {self.schema}.records WHERE id = ANY(%s)", (ids,)
                    )
                }
                dup = next(i for i in ids if i in found)
            raise DuplicateEventId(dup) from None
        except psycopg.Error as exc:
            raise StoreError(str(exc).strip().splitlines()[0], path=self._safe_url()) from None
        return rows

    # --- the index and the snapshots (`timeline.stores.Indexed`) -------------------------
    def read_index(self, after: int = 0) -> Iterator[tuple[int, bytes]]:
        while True:  # in pages, so that memory stays bounded however long the log
            rows = self._db.execute(
                f"SELECT first, count, data FROM {self.schema}.record_index "
                "WHERE first + count > %s ORDER BY first LIMIT 1000",
                (after + 1,),
            ).fetchall()
            for first, count, data in rows:
                if len(data) != 32 * count:
                    raise IntegrityError(
                        "the index has a damaged block (its size is not its count)",
                        position=first,
                    )
                yield first, bytes(data)
            if len(rows) < 1000:
                return
            after = rows[-1][0] + rows[-1][1] - 1

    def effective(
        self, at_us: int | None, known_us: int | None, upto: int | None = None
    ) -> list[tuple[int, int, int, int]]:
        """(position, origin, earliest, latest) of the records in effect at valid time `at_us`
        as known at `known_us` (microseconds since the epoch; None: any, now) among the first
        `upto` records, in valid-time order, answered by the server from ``record_keys``
        (the SQL function ``effective(at_us, known_us, upto)`` of the log's schema)."""
        try:
            return [
                (int(p), int(o), int(lo), int(hi))
                for p, o, lo, hi in self._db.execute(
                    "SELECT position, origin, lo, hi "
                    f"FROM {self.schema}.effective(%s::bigint, %s::bigint, %s::bigint)",
                    (at_us, known_us, upto),
                )
            ]
        except self._psycopg.Error as exc:
            raise StoreError(str(exc).strip().splitlines()[0], path=self._safe_url()) from None

    def read_keys(self) -> bytes:
        """Every row of `record_keys` in position order, packed as index blocks are."""
        rows = self._db.execute(
            f"SELECT position, recorded_us, lo, hi, origin FROM {self.schema}.record_keys "
            "ORDER BY position"
        ).fetchall()
        for expected, row in enumerate(rows, 1):
            if row[0] != expected:
                raise IntegrityError("the index table record_keys has a gap", position=expected)
        return pack_index([IndexRow(*row) for row in rows])

    def add_index(self, first: int, data: bytes) -> bool:
        try:
            with self._db.transaction(), self._db.cursor() as cursor:
                cursor.execute(_insert_index(self.schema), (first, len(data) // 32, data))
                self._copy_keys(cursor, first, data)
        except (
            self._psycopg.errors.ReadOnlySqlTransaction,
            self._psycopg.errors.InsufficientPrivilege,
        ):
            return False
        except self._psycopg.Error as exc:
            raise StoreError(str(exc).strip().splitlines()[0], path=self._safe_url()) from None
        return True

    def _copy_keys(self, cursor: Any, first: int, block: bytes) -> None:
        """Write the rows of `record_keys` of one index block (in the caller's transaction)."""
        values = unpack_index(block)
        last = first + len(values) // 4 - 1
        cursor.execute(
            f"DELETE FROM {self.schema}.record_keys WHERE position BETWEEN %s AND %s",
            (first, last),
        )
        with cursor.copy(
            f"COPY {self.schema}.record_keys (position, recorded_us, lo, hi, origin) FROM STDIN"
        ) as copy:
            for offset in range(0, len(values), 4):
                copy.write_row((first + offset // 4, *values[offset : offset + 4]))

    def _fill_keys(self) -> None:
        """Give a log indexed before `record_keys` existed (or appended to by an older
        version since) the rows its index blocks hold and the table lacks."""
        with self._db.transaction(), self._db.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self._channel,))
            cursor.execute(  # rows of no record (derived data: nothing is lost)
                f"DELETE FROM {self.schema}.record_keys WHERE position > "
                f"(SELECT coalesce(max(position), 0) FROM {self.schema}.records)"
            )
            row = cursor.execute(
                f"SELECT count(*), coalesce(max(position), 0) FROM {self.schema}.record_keys"
            ).fetchone()
            count, have = (int(row[0]), int(row[1])) if row else (0, 0)
            if count != have:  # a gap (an older writer appended between newer ones): again
                have = 0
            blocks = cursor.execute(
                f"SELECT first, data FROM {self.schema}.record_index "
                "WHERE first + count - 1 > %s ORDER BY first",
                (have,),
            ).fetchall()
            for first, data in blocks:
                self._copy_keys(cursor, int(first), bytes(data))

    def read_page(self, after: int, limit: int) -> list[StoredRecord]:
        return list(
            map(
                StoredRecord._make,
                self._db.execute(
                    "SELECT position, recorded_at, type, version, id, data, hash FROM "
                    f"{self.schema}.records WHERE position > %s ORDER BY position LIMIT %s",
                    (after, limit),
                ),
            )
        )

    def read_rows(self, positions: Sequence[int]) -> list[StoredRecord]:
        rows: list[StoredRecord] = []
        select = f"SELECT position, recorded_at, type, version, id, data, hash FROM {self.schema}.records"
        for start in range(0, len(positions), 5000):
            chunk = list(positions[start : start + 5000])
            if chunk[-1] - chunk[0] < 4 * len(chunk):  # dense: one range, filtered
                wanted = set(chunk)
                found = self._db.execute(
                    f"{select} WHERE position BETWEEN %s AND %s ORDER BY position",
                    (chunk[0], chunk[-1]),
                ).fetchall()
                rows.extend(StoredRecord._make(r) for r in found if r[0] in wanted)
            else:
                found = self._db.execute(
                    f"{select} WHERE position = ANY(%s) ORDER BY position", (chunk,)
                ).fetchall()
                rows.extend(map(StoredRecord._make, found))
        return rows

    def positions_of(self, ids: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for start in range(0, len(ids), 5000):
            chunk = list(ids[start : start + 5000])
            found.update(
                self._db.execute(
                    f"SELECT id, position FROM {self.schema}.records WHERE id = ANY(%s)",
                    (chunk,),
                ).fetchall()
            )
        return found

    def read_snapshots(self, projection: str, *, states: bool = True) -> list[SnapshotRow]:
        state = "state" if states else "''"
        return [
            _state_value(SnapshotRow._make(row))
            for row in self._db.execute(
                f"SELECT projection, version, count, head, key, {state} FROM "
                f"{self.schema}.snapshots WHERE projection = %s ORDER BY count",
                (projection,),
            )
        ]

    def read_snapshot_state(self, projection: str, version: int, entries: int) -> str | None:
        row = self._db.execute(
            f"SELECT state FROM {self.schema}.snapshots "
            "WHERE projection = %s AND version = %s AND count = %s",
            (projection, version, entries),
        ).fetchone()
        if row is None:
            return None
        state = _state_value(SnapshotRow("", 0, 0, 0, "", str(row[0]))).state
        return state if isinstance(state, str) else None  # a binary row holds no JSON state

    def write_snapshots(self, rows: Sequence[SnapshotRow]) -> bool:
        return self._write(
            f"INSERT INTO {self.schema}.snapshots "
            "(projection, version, count, head, key, state) VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (projection, version, count) DO UPDATE SET "
            "head = EXCLUDED.head, key = EXCLUDED.key, state = EXCLUDED.state",
            [_state_text(row) for row in rows],
        )

    def drop_snapshots(self, projection: str | None = None) -> int:
        where, args = ("WHERE projection = %s", (projection,)) if projection else ("", ())
        try:
            cursor = self._db.execute(f"DELETE FROM {self.schema}.snapshots {where}", args)
        except self._psycopg.Error as exc:
            raise StoreError(str(exc).strip().splitlines()[0], path=self._safe_url()) from None
        return int(cursor.rowcount)

    def _write(self, sql: str, rows: Sequence[tuple[object, ...]]) -> bool:
        if not rows:
            return True
        try:
            with self._db.transaction(), self._db.cursor() as cursor:
                cursor.executemany(sql, rows)
        except self._psycopg.errors.ReadOnlySqlTransaction:
            return False
        except self._psycopg.errors.InsufficientPrivilege:
            return False
        except self._psycopg.Error as exc:
            raise StoreError(str(exc).strip().splitlines()[0], path=self._safe_url()) from None
        return True

    def wait(self, after: int, timeout: float) -> bool:
        """Block until a record after `after` is committed (LISTEN/NOTIFY) or `timeout` passes."""
        if self._listener is None:
            self._listener = self._psycopg.connect(self.url, autocommit=True)
            self._listener.execute(f"LISTEN {self._channel}")
        if self.head().position > after:
            return True
        for _ in self._listener.notifies(timeout=timeout, stop_after=1):
            return True
        return self.head().position > after

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
        self._db.close()
