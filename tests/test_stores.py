from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import timeline
import timeline.support
from timeline import StoreError
from timeline.stores import Store
from timeline.stores.memory import MemoryStore
from timeline.stores.sqlite import SQLiteStore
from timeline.testing import StoreContract


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def make_store(self) -> Callable[[], Store]:
        return MemoryStore


class TestSQLiteStore(StoreContract):
    @pytest.fixture
    def make_store(self, tmp_path: Path) -> Iterator[Callable[[], Store]]:
        made: list[SQLiteStore] = []

        def make() -> SQLiteStore:
            made.append(SQLiteStore(tmp_path / f"log{len(made)}.db"))
            return made[-1]

        yield make
        for store in made:
            store.close()


def _filled(path: Path) -> SQLiteStore:
    tl = timeline.open(path)
    tl.append(
        timeline.support.AidPaused(
            id="p", occurred="2025-03-03", provider="US", recipient="UA", channel="military"
        )
    )
    tl.close()
    return SQLiteStore(path)


def test_sqlite_triggers_refuse_update_and_delete(db_path: Path) -> None:
    _filled(db_path).close()
    raw = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only: UPDATE refused"):
        raw.execute("UPDATE records SET data = '{}' WHERE position = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only: DELETE refused"):
        raw.execute("DELETE FROM records")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute("UPDATE timeline_schema SET version = 2")
    raw.close()


def test_sqlite_schema_version_and_wal(db_path: Path) -> None:
    _filled(db_path).close()
    raw = sqlite3.connect(db_path)
    assert raw.execute("SELECT version FROM timeline_schema").fetchall() == [(1,), (2,), (3,)]
    assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert raw.execute("PRAGMA application_id").fetchone() == (0x544C4E31,)
    raw.close()


def test_sqlite_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is a text file, not SQLite " * 100)
    with pytest.raises(StoreError, match="not an SQLite database") as info:
        SQLiteStore(path)
    assert info.value.path == str(path)


def test_sqlite_refuses_another_apps_database(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE customers (id INTEGER)")
    raw.commit()
    raw.close()
    with pytest.raises(StoreError, match="not a timeline"):
        SQLiteStore(path)


def test_sqlite_refuses_a_newer_schema(db_path: Path) -> None:
    _filled(db_path).close()
    raw = sqlite3.connect(db_path)
    raw.execute("INSERT INTO timeline_schema (version) VALUES (4)")
    raw.commit()
    raw.close()
    with pytest.raises(StoreError, match="schema version 4"):
        SQLiteStore(db_path)


def test_sqlite_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory"):
        SQLiteStore(tmp_path)


def test_sqlite_bad_durability(db_path: Path) -> None:
    with pytest.raises(ValueError, match="durability"):
        SQLiteStore(db_path, durability="off")  # type: ignore[arg-type]


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_sqlite_read_only_file_gives_a_clear_error(db_path: Path) -> None:  # pragma: no cover
    _filled(db_path).close()
    for p in db_path.parent.iterdir():
        p.chmod(0o444)
    db_path.parent.chmod(0o555)
    try:
        tl = timeline.open(db_path)
        with pytest.raises(StoreError, match="read-only"):
            tl.append(
                timeline.support.AidResumed(
                    occurred="2025-03-11", provider="US", recipient="UA", channel="military"
                )
            )
    finally:
        db_path.parent.chmod(0o755)


def test_sqlite_read_only_connection_gives_a_clear_error(db_path: Path) -> None:
    store = _filled(db_path)
    store._db.execute("PRAGMA query_only = ON")
    tl = timeline.Timeline(store, projection=timeline.support.SupportProjection())
    with pytest.raises(StoreError, match="read-only") as info:
        tl.append(
            timeline.support.AidResumed(
                occurred="2025-03-11", provider="US", recipient="UA", channel="military"
            )
        )
    assert str(db_path) in str(info.value)
    assert tl.head == 1


def test_sqlite_location_and_memory_location(db_path: Path) -> None:
    assert SQLiteStore(db_path).location == f"sqlite:{db_path}"
    assert MemoryStore().location == "memory"
