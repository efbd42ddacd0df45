"""PostgreSQL answers "which events are in effect at (at, known_at)" itself.

Its index table ``record_keys`` is written with each index block, in the same transaction;
the SQL function ``effective()`` answers from it. The
answers must be those of the process's own sorted view, for random logs with late events,
corrections and retractions, and an edited table must be found.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import timeline
from tests.test_properties import START, Mark, logs, marks, query_times
from timeline import Correction, IntegrityError, Retraction
from timeline.testing import FrozenClock

URL = os.environ.get("TIMELINE_TEST_POSTGRES")


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    if not URL:
        pytest.skip("TIMELINE_TEST_POSTGRES is not set (no server)")
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(URL, autocommit=True) as admin:
        yield admin


@pytest.fixture
def schema(server: Any) -> Iterator[str]:
    name = f"q_{uuid.uuid4().hex[:12]}"
    yield name
    server.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def _small_log(schema: str) -> timeline.Timeline[Any]:
    assert URL is not None
    tl = timeline.open(URL, schema=schema)
    tl.append(
        Mark(id="a", occurred="2020-01-01", label="x"),
        Mark(id="b", occurred="2020-06-01", label="y"),
        Mark(id="c", occurred="1950-06-01", label="before 1970"),
        recorded_at="2026-01-01T00:00:00Z",
    )
    moved = Mark(id="a", occurred="2021-06-01", label="x2")
    tl.append(Correction(id="k", target="a", replacement=moved), recorded_at="2026-01-02")
    tl.append(Retraction(id="r", target="b"), recorded_at="2026-01-03")
    return tl


QUERIES: list[tuple[str | None, str | None]] = [
    (None, None),
    ("2020-12-31", "2026-01-01T12:00:00Z"),
    (None, "2026-01-02T12:00:00Z"),
    ("1960", None),
    ("1900", None),
]


def test_the_server_answers_as_the_process_does(schema: str) -> None:
    with _small_log(schema) as tl:
        for at, known in QUERIES:
            assert tl.events(at, known_at=known, on_server=True) == tl.events(at, known_at=known)
        ids = [e.id for e in tl.events(None, known_at="2026-01-02T12:00:00Z", on_server=True)]
        assert ids == ["c", "b", "a"]  # a moved after b by its correction; b not retracted yet


def test_the_sql_function_answers_sql_users(server: Any, schema: str) -> None:
    _small_log(schema).close()
    rows = server.execute(
        f"SELECT r.id, e.lo FROM {schema}.effective(NULL) AS e "
        f"JOIN {schema}.records AS r USING (position) ORDER BY e.lo"
    ).fetchall()
    assert [r[0] for r in rows] == ["c", "k"]  # the correction k holds a's replacement
    assert rows[0][1] < 0  # valid time before 1970: negative microseconds, decoded right


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(logs(marks), st.data())
def test_server_answers_equal_the_view_for_random_logs(
    server: Any, batches: Any, data: st.DataObject
) -> None:
    assert URL is not None
    name = f"q_{uuid.uuid4().hex[:12]}"
    try:
        # closed however the example ends (hypothesis may stop one halfway)
        with timeline.open(URL, schema=name, clock=FrozenClock(START)) as tl:
            for batch in batches:
                tl.append(*(ev for _, ev in batch), recorded_at=batch[0][0])
            for _ in range(4):
                at = data.draw(st.none() | query_times)
                known = data.draw(st.none() | query_times)
                on_server = tl.events(at, known_at=known, on_server=True)
                assert on_server == tl.events(at, known_at=known)
            tl.verify()
    finally:
        server.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def test_a_log_indexed_before_the_table_existed_gets_its_rows(server: Any, schema: str) -> None:
    _small_log(schema).close()
    server.execute(f"DROP TABLE {schema}.record_keys")  # as an earlier version left it
    server.execute(f"DROP FUNCTION {schema}.effective(BIGINT, BIGINT, BIGINT)")
    assert URL is not None
    with timeline.open(URL, schema=schema) as tl:
        assert tl.events(on_server=True) == tl.events()
        tl.verify()
        tl.append(Mark(id="d", occurred="2019", label="later"))  # and appends fill it on
        assert tl.events(on_server=True) == tl.events()


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        ("UPDATE {s}.record_keys SET lo = lo - 1 WHERE position = 3", "position 3"),
        ("UPDATE {s}.record_keys SET origin = 2 WHERE position = 4", "position 1"),
        ("DELETE FROM {s}.record_keys WHERE position = 4", "does not match the log"),
    ],
)
def test_an_edited_index_table_is_an_integrity_error(
    server: Any, schema: str, edit: str, match: str
) -> None:
    with _small_log(schema) as tl:  # edited while open (opening again would mend a gap)
        server.execute(edit.format(s=schema))
        with pytest.raises((IntegrityError, timeline.StoreError), match=match):
            tl.events(on_server=True)
        with pytest.raises(IntegrityError, match="record_keys"):
            tl.verify()
        assert [e.id for e in tl.events()] == ["c", "a"]  # the process's own view is unaffected


def test_a_store_that_cannot_answer_says_so(tmp_path: Path) -> None:
    with timeline.open(tmp_path / "log.db") as tl, pytest.raises(TypeError, match="PostgreSQL"):
        tl.events(on_server=True)


def test_rows_an_older_writer_left_out_are_refused_then_filled(server: Any, schema: str) -> None:
    """A writer of an earlier version appends blocks without their rows: the server refuses to
    answer from a table behind the log, and the next writer to open the log fills it."""
    with _small_log(schema) as tl:
        server.execute(f"DELETE FROM {schema}.record_keys WHERE position > 3")
        with pytest.raises(timeline.StoreError, match="does not match the log"):
            tl.events(on_server=True)
    assert URL is not None
    with timeline.open(URL, schema=schema) as again:
        assert again.events(on_server=True) == again.events()
        again.verify()


@pytest.mark.parametrize(
    "edit",
    [
        "DELETE FROM {s}.record_keys WHERE position = 3",  # c, never corrected
        "UPDATE {s}.record_keys SET lo = -9223372036854775808 WHERE position = 3",
        "UPDATE {s}.record_keys SET origin = 1 WHERE position = 3",  # hidden under a
        "UPDATE {s}.record_keys SET lo = lo + 3e15, hi = hi + 3e15 WHERE position = 3",
    ],
)
def test_an_answer_that_leaves_an_event_out_is_an_integrity_error(
    server: Any, schema: str, edit: str
) -> None:
    """Found by review: each row was checked, but not that none was missing."""
    with _small_log(schema) as tl:
        server.execute(edit.format(s=schema))
        with pytest.raises((IntegrityError, timeline.StoreError)):
            tl.events("2030", on_server=True)
        with pytest.raises(IntegrityError, match="record_keys"):
            tl.verify()


def test_a_gap_an_older_writer_left_is_refused_and_mended(schema: str) -> None:
    """Found by review: an older writer's block between newer ones left a gap for good."""
    assert URL is not None
    with timeline.open(URL, schema=schema) as new, timeline.open(URL, schema=schema) as old:
        new.append(Mark(id="a", occurred="2020", label="1"))
        old._store._copy_keys = lambda *args, **kwargs: None  # type: ignore[attr-defined]
        old.append(Mark(id="b", occurred="2021", label="old"))
        new.append(Mark(id="c", occurred="2022", label="2"))
        with pytest.raises(timeline.StoreError, match="does not match the log"):
            new.events(on_server=True)
    with timeline.open(URL, schema=schema) as again:
        assert [e.id for e in again.events(on_server=True)] == ["a", "b", "c"]
        again.verify()


def test_a_row_beyond_the_log_is_found_and_dropped(server: Any, schema: str) -> None:
    """Found by review: verify() cut the table at the head and passed."""
    assert URL is not None
    with _small_log(schema) as tl:
        server.execute(f"INSERT INTO {schema}.record_keys VALUES (6, 0, 0, 0, 6)")
        with pytest.raises(IntegrityError, match="beyond the log"):
            tl.verify()
        with pytest.raises(timeline.StoreError, match="does not match the log"):
            tl.events(on_server=True)
    with timeline.open(URL, schema=schema) as again:  # opening mends it (derived data)
        again.verify()
        assert again.events(on_server=True) == again.events()
