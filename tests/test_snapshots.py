"""Persisted snapshots and the lazy, index-driven read path answer exactly as a full refold.

The cross-process test sends each example's queries to a worker process that opens the log
afresh (its own connection, its own memory), so a snapshot answers there only from what was
stored: the answers must equal the plain reference fold of `test_properties`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import timeline
from tests.test_properties import (
    START,
    Mark,
    logs,
    marks,
    query_times,
    reference,
    small_checkpoints,
)
from timeline import Event, IntegrityError
from timeline.testing import FrozenClock

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("TIMELINE_TEST_POSTGRES")


class SnapTrace(timeline.Reducer[tuple[str, ...]]):
    """Order-sensitive (the labels in fold order), and snapshottable."""

    snapshot_name = "tests.SnapTrace"
    snapshot_version = 1
    applied = 0

    def initial(self) -> tuple[str, ...]:
        return ()

    def apply(self, state: tuple[str, ...], event: Event) -> tuple[str, ...]:
        type(self).applied += 1
        return (*state, f"{event.id}:{getattr(event, 'label', type(event).__name__)}")

    def dump_state(self, state: tuple[str, ...]) -> list[str]:
        return list(state)

    def load_state(self, data: Any) -> tuple[str, ...]:
        return tuple(data)


class SnapTraceV2(SnapTrace):
    """The same name, a new version whose `apply` differs: v1 snapshots must not be used."""

    snapshot_version = 2

    def apply(self, state: tuple[str, ...], event: Event) -> tuple[str, ...]:
        return (*state, f"v2:{event.id}")


WORKER = """
import json, sys
sys.path.insert(0, {root!r})
import timeline
from timeline import _index, log
from tests.test_snapshots import SnapTrace
_index.CHECKPOINT_EVERY = 2
log._PRIME_FROM = 1  # start from the persisted sorted view however short the log
for line in sys.stdin:
    ask = json.loads(line)
    tl = timeline.open(ask["url"], projection=SnapTrace()) if "schema" not in ask else \\
        timeline.open(ask["url"], schema=ask["schema"], projection=SnapTrace())
    answers = []
    for at, known, certain in ask["queries"]:
        SnapTrace.applied = 0
        state = tl.state_at(at, known_at=known, certain=certain)
        answers.append([list(state), SnapTrace.applied])
    tl.close()
    print(json.dumps(answers), flush=True)
"""


@pytest.fixture(scope="module")
def worker() -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", WORKER.format(root=str(ROOT))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    yield process
    assert process.stdin is not None
    process.stdin.close()
    process.wait(timeout=30)
    assert process.stdout is not None
    process.stdout.close()


def _ask(worker: subprocess.Popen[str], request: dict[str, Any]) -> list[Any]:
    assert worker.stdin is not None
    assert worker.stdout is not None
    worker.stdin.write(json.dumps(request) + "\n")
    worker.stdin.flush()
    answer: list[Any] = json.loads(worker.stdout.readline())
    return answer


def _run(
    where: dict[str, Any],
    open_log: Any,
    batches: list[list[tuple[dt.datetime, Any]]],
    saves: list[int],
    data: st.DataObject,
    worker: subprocess.Popen[str],
) -> None:
    tl = open_log()
    flat: list[tuple[dt.datetime, Any]] = []
    for batch, save in zip(batches, saves, strict=False):
        tl.append(*(ev for _, ev in batch), recorded_at=batch[0][0])
        flat.extend(batch)
        if save:  # snapshots of this moment; later batches may touch what they folded
            tl.save_snapshots(every=2 * save, progress=False)
    tl.close()
    queries = [
        (
            data.draw(query_times).isoformat(),
            data.draw(st.none() | query_times.map(dt.datetime.isoformat)),
            data.draw(st.booleans()),
        )
        for _ in range(4)
    ]
    queries.append((START.replace(year=2030).isoformat(), None, False))  # everything
    answers = _ask(worker, {**where, "queries": queries})
    for (at, known, certain), (state, _applied) in zip(queries, answers, strict=True):
        expected = reference(
            flat,
            SnapTrace(),
            dt.datetime.fromisoformat(at),
            None if known is None else dt.datetime.fromisoformat(known),
            certain,
        )
        assert tuple(state) == expected, (at, known, certain)


saves = st.lists(st.sampled_from([0, 0, 1, 2, 4]), min_size=6, max_size=6)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(logs(marks), saves, st.data())
def test_snapshot_answers_equal_the_full_fold_across_processes_sqlite(
    worker: subprocess.Popen[str],
    tmp_path_factory: pytest.TempPathFactory,
    batches: Any,
    saves: list[int],
    data: st.DataObject,
) -> None:
    path = tmp_path_factory.mktemp("snap") / "log.db"
    with small_checkpoints(2, 3):
        _run(
            {"url": str(path)},
            lambda: timeline.open(path, projection=SnapTrace(), clock=FrozenClock(START)),
            batches,
            saves,
            data,
            worker,
        )


@pytest.mark.skipif(not POSTGRES, reason="set TIMELINE_TEST_POSTGRES to a PostgreSQL URL")
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(logs(marks), saves, st.data())
def test_snapshot_answers_equal_the_full_fold_across_processes_postgres(
    worker: subprocess.Popen[str], batches: Any, saves: list[int], data: st.DataObject
) -> None:
    assert POSTGRES is not None
    schema = f"snap_{uuid.uuid4().hex[:12]}"
    try:
        with small_checkpoints(2, 3):
            _run(
                {"url": POSTGRES, "schema": schema},
                lambda: timeline.open(
                    POSTGRES, schema=schema, projection=SnapTrace(), clock=FrozenClock(START)
                ),
                batches,
                saves,
                data,
                worker,
            )
    finally:
        import psycopg

        with psycopg.connect(POSTGRES, autocommit=True) as db:
            db.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _marks(n: int, *, start: int = 0) -> list[Mark]:
    return [
        Mark(id=f"m{i}", occurred=(START + dt.timedelta(days=i)).date().isoformat(), label="a")
        for i in range(start, start + n)
    ]


def test_a_fresh_process_starts_from_the_nearest_snapshot(
    worker: subprocess.Popen[str], tmp_path: Path
) -> None:
    path = tmp_path / "log.db"
    with small_checkpoints(2, 3):
        tl = timeline.open(path, projection=SnapTrace())
        tl.append(*_marks(300))
        assert tl.save_snapshots(every=64, progress=False) == 4  # after 64, 128, 192, 256
        tl.close()
    end = (START + dt.timedelta(days=400)).isoformat()
    [(state, applied)] = _ask(worker, {"url": str(path), "queries": [(end, None, False)]})
    assert len(state) == 300
    assert applied == 300 - 256  # the tail after the last snapshot, not the whole log


def test_late_news_invalidates_the_snapshots_after_it_in_a_fresh_process(
    worker: subprocess.Popen[str], tmp_path: Path
) -> None:
    path = tmp_path / "log.db"
    with small_checkpoints(2, 3):
        tl = timeline.open(path, projection=SnapTrace())
        tl.append(*_marks(300))
        tl.save_snapshots(every=64, progress=False)
        # news about day 100: every snapshot from the one after 100 events is stale
        tl.append(Mark(id="late", occurred=(START + dt.timedelta(days=100)).isoformat(), label="b"))
        tl.close()
    end = (START + dt.timedelta(days=400)).isoformat()
    [(state, applied)] = _ask(worker, {"url": str(path), "queries": [(end, None, False)]})
    assert len(state) == 301
    assert "late:b" in state
    # an instant at midnight sorts before the day it starts (same earliest, earlier latest)
    assert state.index("late:b") == 100
    assert applied == 301 - 64  # from the snapshot after 64 events, the last one still valid


def test_a_new_projection_version_never_uses_old_snapshots(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    tl = timeline.open(path, projection=SnapTrace())
    tl.append(*_marks(100))
    tl.save_snapshots(every=32, progress=False)
    tl.close()
    again = timeline.open(path, projection=SnapTraceV2())
    state = again.state_at("2030-01-01")
    assert state == tuple(f"v2:m{i}" for i in range(100))


def test_snapshots_are_dropped_at_will_and_answers_stay(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    tl = timeline.open(path, projection=SnapTrace())
    tl.append(*_marks(100))
    assert tl.save_snapshots(every=32, progress=False) == 3
    assert tl.drop_snapshots("tests.SnapTrace") == 3
    assert tl.drop_snapshots() == 1  # what is left: the sorted view ("timeline.view")
    assert timeline.open(path, projection=SnapTrace()).state_at("2030-01-01") == tuple(
        f"m{i}:a" for i in range(100)
    )


def test_an_unreadable_snapshot_is_skipped_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    snapshotted(path, _marks(100))
    edit_file(path, "UPDATE snapshots SET state = '{broken' WHERE count = 96")
    with pytest.warns(RuntimeWarning, match="cannot be read"):
        state = timeline.open(path, projection=SnapTrace()).state_at("2030-01-01")
    assert state == tuple(f"m{i}:a" for i in range(100))


def test_a_projection_without_snapshot_support_is_refused_by_name(tmp_path: Path) -> None:
    tl = timeline.open(tmp_path / "log.db")
    with pytest.raises(TypeError, match="cannot be snapshotted"):
        tl.save_snapshots()
    with pytest.raises(ValueError, match="multiple of"):
        tl.save_snapshots(SnapTrace(), every=33)


# --- the index: derived data that must not open a hole in tamper evidence ------------------
def _index_block(path: Path) -> tuple[int, bytes]:
    raw = sqlite3.connect(path)
    first, data = raw.execute("SELECT first, data FROM record_index ORDER BY first").fetchone()
    raw.close()
    return first, data


def _write_block(path: Path, first: int, data: bytes) -> None:
    raw = sqlite3.connect(path)
    raw.execute("UPDATE record_index SET data = ? WHERE first = ?", (data, first))
    raw.commit()
    raw.close()


@pytest.mark.parametrize("column", [0, 1, 2, 3])
def test_an_edited_index_column_is_an_integrity_error_naming_the_position(
    tmp_path: Path, column: int
) -> None:
    from timeline.stores import unpack_index

    path = tmp_path / "log.db"
    tl = timeline.open(path, projection=SnapTrace())
    tl.append(*_marks(10))
    tl.close()
    first, data = _index_block(path)
    values = unpack_index(data)
    row = 4  # position 5
    if column == 3:
        values[row * 4 + 3] = 3  # "about position 3": an event turned into a fake correction
    elif column == 0:
        values[row * 4] -= 1  # recorded a microsecond before the record before it
    else:
        values[row * 4 + column] -= 86_400_000_000  # a day earlier
    _write_block(path, first, values.tobytes())
    with pytest.raises(IntegrityError, match="position 5") as info:
        # at open (a recorded-at out of order) or when decoding position 5 checks its index row
        timeline.open(path, projection=SnapTrace()).events()
    assert info.value.position == 5
    with pytest.raises(IntegrityError, match="position 5"):
        timeline.open(path, projection=SnapTrace()).verify()


def test_an_impossible_index_is_refused_at_open(tmp_path: Path) -> None:
    from timeline.stores import unpack_index

    path = tmp_path / "log.db"
    tl = timeline.open(path)
    tl.append(*_marks(10))
    tl.close()
    first, data = _index_block(path)
    values = unpack_index(data)
    values[2 * 4 + 3] = 9  # position 3 "about" position 9, which comes later
    _write_block(path, first, values.tobytes())
    with pytest.raises(IntegrityError, match="position 3"):
        timeline.open(path)
    _write_block(path, first, data[:-5])  # a torn block
    with pytest.raises(IntegrityError, match="damaged block"):
        timeline.open(path)


def snapshotted(path: Path, *batches: list[Any], every: int = 32) -> None:
    """A SnapTrace log at `path`: the batches appended, then its snapshots saved."""
    with timeline.open(path, projection=SnapTrace()) as tl:
        for batch in batches:
            tl.append(*batch)
        tl.save_snapshots(every=every, progress=False)


def edit_file(path: Path, *statements: str) -> None:
    """Run SQL on the SQLite file at `path` behind the library's back (a tamper, a damage)."""
    raw = sqlite3.connect(path)
    for statement in statements:
        raw.execute(statement)
    raw.commit()
    raw.close()


def back_to_version_2(path: Path) -> None:
    """Make an SQLite log what version 2 wrote: no index, no snapshots (records untouched)."""
    raw = sqlite3.connect(path)
    raw.execute("DROP TABLE record_index")
    raw.execute("DROP TABLE snapshots")
    raw.execute("DROP TRIGGER timeline_schema_no_update")
    raw.execute("DELETE FROM timeline_schema WHERE version = 3")
    raw.commit()
    raw.close()


def test_a_log_without_an_index_gets_one_derived(tmp_path: Path) -> None:
    """A version-2 file (before the index): a writer stores the derived index; a reader derives
    it in memory; both answer the same."""
    path = tmp_path / "log.db"
    tl = timeline.open(path, projection=SnapTrace())
    tl.append(*_marks(20))
    tl.append(timeline.Retraction(target="m3"))
    expected = tl.state_at("2030-01-01")
    tl.close()
    back_to_version_2(path)
    reader = timeline.open(path, projection=SnapTrace(), create=False)  # changes nothing
    assert reader.state_at("2030-01-01") == expected
    reader.close()
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT max(version) FROM timeline_schema").fetchone() == (2,)
    raw.close()
    writer = timeline.open(path, projection=SnapTrace())
    assert writer.state_at("2030-01-01") == expected
    writer.close()
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT sum(count) FROM record_index").fetchone() == (21,)
    raw.close()
    timeline.open(path).verify()


# --- the command line ------------------------------------------------------------------------
def test_the_command_line_saves_and_drops_snapshots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from timeline.__main__ import main
    from timeline.sources.kiel import KielProjection, import_release

    path = tmp_path / "kiel.db"
    tl = timeline.open(path, projection=KielProjection())
    import_release(
        tl,
        ROOT / "tests" / "data" / "kiel_ust_r28_bilateral_activities.csv",
        release="R28",
        recorded_at="2026-05-11",
    )
    expected = tl.state_at("2024-06-30")
    tl.close()
    assert main(["snapshots", "save", "--db", str(path), "--every", "1024", "--quiet"]) == 0
    assert "stored 2 snapshots of timeline.sources.kiel.KielProjection" in capsys.readouterr().out
    fresh = timeline.open(path, projection=KielProjection())
    assert fresh.state_at("2024-06-30") == expected
    assert main(["verify", "--db", str(path)]) == 0
    assert "records and their index" in capsys.readouterr().out
    assert main(["snapshots", "drop", "--db", str(path)]) == 0
    assert "dropped 3 snapshot rows" in capsys.readouterr().out  # two states and the view


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["snapshots", "save", "--db", "{missing}"], "no such file"),
        (
            [
                "snapshots",
                "save",
                "--db",
                "{log}",
                "--projection",
                "timeline.support:SupportProjection",
            ],
            "cannot be snapshotted",
        ),
        (["snapshots", "save", "--db", "{log}", "--projection", "nowhere:Nothing"], "nowhere"),
        (["snapshots", "save", "--db", "{log}", "--projection", "support"], "module:Class"),
        (["snapshots", "save", "--db", "{log}", "--every", "100"], "multiple of"),
        (["snapshots", "save", "--db", "{jsonl}"], "JSON Lines export"),
    ],
)
def test_the_command_line_refuses_what_it_cannot_snapshot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    from timeline.__main__ import main

    log = tmp_path / "log.db"
    timeline.open(log).append(*_marks(3))
    jsonl = tmp_path / "log.jsonl"
    jsonl.write_text("{}\n", encoding="utf-8")
    names = {"missing": tmp_path / "none.db", "log": log, "jsonl": jsonl}
    assert main([arg.format(**names) for arg in argv]) == 2
    assert message in capsys.readouterr().err


def test_the_command_line_verify_names_an_edited_index_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from timeline.__main__ import main
    from timeline.stores import unpack_index

    path = tmp_path / "log.db"
    timeline.open(path).append(*_marks(10))
    first, data = _index_block(path)
    values = unpack_index(data)
    values[6 * 4 + 2] += 1  # position 7 ends a microsecond later
    _write_block(path, first, values.tobytes())
    assert main(["verify", "--db", str(path)]) == 2
    assert "position 7" in capsys.readouterr().err


class PlainStore:
    """A store with only the `Store` protocol (no index, no snapshots), as a third party's."""

    def __init__(self) -> None:
        from timeline.stores.memory import MemoryStore

        self._inner = MemoryStore()

    @property
    def location(self) -> str:
        return "plain"

    def head(self) -> Any:
        return self._inner.head()

    def read(self, after: int = 0) -> Any:
        return self._inner.read(after)

    def append(self, build: Any, expected_position: int | None) -> Any:
        return self._inner.append(build, expected_position)

    def close(self) -> None:
        self._inner.close()


def test_a_store_without_the_index_capability_is_read_through_a_derived_index() -> None:
    from timeline.stores import Indexed

    store = PlainStore()
    assert not isinstance(store, Indexed)
    tl = timeline.open(store, projection=SnapTrace())
    tl.append(*_marks(50))
    tl.append(
        timeline.Correction(
            target="m3", replacement=Mark(id="x", occurred="2025-06-01", label="c")
        ),
        timeline.Retraction(target="m7"),
    )
    other = timeline.open(store, projection=SnapTrace())  # derives the index by decoding
    folded = timeline.fold(SnapTrace(), other.events("2030-01-01"))
    assert other.state_at("2030-01-01") == folded
    assert len(folded) == 49
    assert "m3:c" in folded
    assert "m7:a" not in folded
    assert [r.position for r in other.history("m3")] == [4, 51]
    assert other.record("m7").position == 8
    assert other.save_snapshots(every=32, progress=False) == 0  # nowhere to keep them
    with pytest.raises(KeyError):
        other.record("nope")


def test_an_older_knowledge_time_sees_what_later_corrections_and_retractions_changed() -> None:
    """The view of an older knowledge time is derived from the latest one: the entries that
    later records changed must come back as they were then (their old valid time, their old
    version), not as the latest view holds them."""
    tl = timeline.open(":memory:")
    tl.append(
        Mark(id="a", occurred="2020-01-01", label="x"),
        Mark(id="b", occurred="2020-06-01", label="y"),
        recorded_at="2026-01-01T00:00:00Z",
    )
    moved = Mark(id="a", occurred="2021-06-01", label="x2")
    tl.append(
        timeline.Correction(id="c", target="a", replacement=moved),
        recorded_at="2026-01-02T00:00:00Z",
    )
    tl.append(timeline.Retraction(id="r", target="b"), recorded_at="2026-01-03T00:00:00Z")
    assert [(e.id, e.label) for e in tl.events()] == [("a", "x2")]  # type: ignore[attr-defined]
    before = "2026-01-01T12:00:00Z"
    then = [(e.id, e.label) for e in tl.events("2020-12-31", known_at=before)]  # type: ignore[attr-defined]
    assert then == [("a", "x"), ("b", "y")]
    between = tl.events(known_at="2026-01-02T12:00:00Z")
    assert [(e.id, e.label) for e in between] == [("b", "y"), ("a", "x2")]  # type: ignore[attr-defined]


def test_a_copied_log_has_its_index(tmp_path: Path) -> None:
    """copy_log derives and stores the index of the copy, so it opens without decoding."""
    source = tmp_path / "source.db"
    tl = timeline.open(source)
    tl.append(*_marks(50))
    tl.append(timeline.Retraction(id="r", target="m3"))
    tl.close()
    head = timeline.copy_log(source, tmp_path / "copy.jsonl")
    assert timeline.copy_log(tmp_path / "copy.jsonl", tmp_path / "copy.db") == head
    raw = sqlite3.connect(tmp_path / "copy.db")
    ((indexed,),) = raw.execute("SELECT sum(count) FROM record_index").fetchall()
    stored = raw.execute("SELECT data FROM record_index ORDER BY first").fetchall()
    raw.close()
    assert indexed == 51
    original = sqlite3.connect(source)
    blocks = original.execute("SELECT data FROM record_index ORDER BY first").fetchall()
    assert b"".join(b for (b,) in stored) == b"".join(b for (b,) in blocks)  # the same rows
    original.close()
    assert len(timeline.open(tmp_path / "copy.db", create=False).events()) == 49


STATES: list[str | bytes] = [
    '{"a":1}',
    "base64:AAAA",  # the first marker tried for binary rows in PostgreSQL: text again now
    "\x01AAAA",
    "\x02",
    "",
    b"",
    b"\x00\x01\xff",
]


def _stores(tmp_path: Path) -> Iterator[Any]:
    yield timeline.open(":memory:").store
    yield timeline.open(tmp_path / "states.db").store
    if POSTGRES:
        yield timeline.open(POSTGRES, schema=f"snap_{uuid.uuid4().hex[:12]}").store


def test_every_store_gives_back_a_snapshot_state_as_written(tmp_path: Path) -> None:
    """Text and bytes, of the same type (found by review: PostgreSQL read a text state that
    began with its binary marker as bytes). A binary row holds no JSON state."""
    from timeline.stores import SnapshotRow

    for store in _stores(tmp_path):
        try:
            rows = [SnapshotRow("s", 1, i, 1, "1,1,1", s) for i, s in enumerate(STATES, 1)]
            assert store.write_snapshots(rows)
            back = [row.state for row in store.read_snapshots("s")]
            assert back == STATES
            assert [type(s) for s in back] == [type(s) for s in STATES]
            texts = [store.read_snapshot_state("s", 1, i) for i in range(1, len(STATES) + 1)]
            assert texts == [s if isinstance(s, str) else None for s in STATES]
        finally:
            schema = getattr(store, "schema", None)
            store.close()
            if schema:
                import psycopg

                with psycopg.connect(POSTGRES or "", autocommit=True) as db:
                    db.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def test_an_older_knowledge_time_at_the_first_instant_a_later_record_touches() -> None:
    """Below the earliest valid time that later records touch, the latest view answers for an
    older knowledge time; at that very instant it must not (the later event occurred by then)."""
    tl = timeline.open(":memory:")
    tl.append(Mark(id="a", occurred="2020-01-01", label="x"), recorded_at="2026-01-01")
    tl.append(Mark(id="b", occurred="2020-01-02", label="y"), recorded_at="2026-01-02")
    first_instant = "2020-01-02T00:00:00+00:00"
    assert [e.id for e in tl.events(first_instant, known_at="2026-01-01T12:00:00Z")] == ["a"]
    assert [e.id for e in tl.events(first_instant)] == ["a", "b"]
    assert [e.id for e in tl.events("2020-01-01", known_at="2026-01-01T12:00:00Z")] == ["a"]
    trace = tl.state_at(first_instant, known_at="2026-01-01T12:00:00Z", projection=SnapTrace())
    assert trace == ("a:x",)


def test_a_fixed_older_knowledge_time_sees_late_news_appended_after_it_asked() -> None:
    """The earliest valid time touched after a knowledge time is kept per knowledge time and
    extended as records arrive: a late event below the time asked must end the shortcut."""
    tl = timeline.open(":memory:")
    tl.append(Mark(id="a", occurred="2020-01-01", label="x"), recorded_at="2026-01-01")
    tl.append(Mark(id="b", occurred="2020-06-01", label="y"), recorded_at="2026-01-02")
    known = "2026-01-01T12:00:00Z"
    assert [e.id for e in tl.events("2020-03-01", known_at=known)] == ["a"]
    tl.append(Mark(id="late", occurred="2020-02-01", label="z"), recorded_at="2026-01-03")
    assert [e.id for e in tl.events("2020-03-01", known_at=known)] == ["a"]
    assert [e.id for e in tl.events("2020-03-01")] == ["a", "late"]
