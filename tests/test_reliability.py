"""Nothing lost, nothing forged: crashes, concurrent writers, hostile input, tampering, full disk.

The default run is short; ``nox -s reliability`` sets RELIABILITY_SCALE=10 (50+ kills) and
prints the figures that docs/reliability.md quotes.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import timeline
from tests._writer import finish, read_line
from timeline import DataError, IntegrityError, StoreError, TimelineError
from timeline.stores.sqlite import SQLiteStore
from timeline.verify import verify_store

SCALE = int(os.environ.get("RELIABILITY_SCALE", "1"))
FIGURES: dict[str, int] = {}
Spawn = Callable[..., subprocess.Popen[str]]


def count(name: str, n: int = 1) -> None:
    FIGURES[name] = FIGURES.get(name, 0) + n


def raw_rows(path: Path) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(path)
    rows = con.execute("SELECT position, id FROM records ORDER BY position").fetchall()
    con.close()
    return rows


def test_sigkill_at_random_moments_loses_no_acknowledged_batch(
    tmp_path: Path, spawn_writer: Spawn
) -> None:
    path = tmp_path / "crash.db"
    size = 25
    rng = random.Random(20250306)
    acked: set[int] = set()
    kills = 5 * SCALE
    for _ in range(kills):
        child = spawn_writer("crash", str(path), str(size))
        first = read_line(child)  # the writer is up and has committed once
        assert first.startswith("ack "), first
        acked.add(int(first.split()[1]))
        time.sleep(rng.uniform(0.0, 0.25))  # a random kill moment; nothing below relies on it
        child.send_signal(signal.SIGKILL)
        out, _ = finish(child, timeout=30)
        acked.update(int(line.split()[1]) for line in out.splitlines() if line.startswith("ack "))
        count("kills survived")

        with timeline.open(path) as tl:
            tl.verify()
            rows = raw_rows(path)
            assert [p for p, _ in rows] == list(range(1, len(rows) + 1))  # gapless
            batches: dict[int, int] = {}
            for _, id_ in rows:
                batch = int(id_.split("-")[0][1:])
                batches[batch] = batches.get(batch, 0) + 1
            assert all(n == size for n in batches.values()), "a batch is partly there"
            assert acked <= set(batches), "an acknowledged batch was lost"
    FIGURES["batches acknowledged"] = len(acked)


def test_four_writers_with_expected_position(tmp_path: Path, spawn_writer: Spawn) -> None:
    path = tmp_path / "race.db"
    timeline.open(path).close()
    per_writer = 15 * SCALE
    writers = [spawn_writer("race", str(path), str(w), str(per_writer)) for w in range(4)]
    conflicts = 0
    for child in writers:
        out, err = finish(child, timeout=300)
        assert child.returncode == 0, err
        conflicts += int(out.split()[-1])
    count("conflicts resolved", conflicts)
    count("concurrent appends", 4 * per_writer)
    with timeline.open(path) as tl:
        tl.verify()
        ids = [r.event.id for r in tl.records()]
    assert sorted(ids) == sorted(f"w{w}-{n}" for w in range(4) for n in range(per_writer))
    assert len(ids) == len(set(ids))
    assert [p for p, _ in raw_rows(path)] == list(range(1, len(ids) + 1))


def test_append_retrying_gives_up_after_its_attempts() -> None:
    tl = timeline.open()
    other = timeline.Timeline(tl.store, projection=tl.projection)
    from tests._writer import event

    def decide(_: object) -> list[Any]:
        other.append(event(f"sneaky-{len(list(other.records()))}"))  # someone always gets in first
        return [event(f"mine-{len(list(other.records()))}")]

    with pytest.raises(timeline.ConcurrencyError):
        tl.append_retrying(decide, attempts=3, sleep=lambda _: None)
    assert all(r.event.id.startswith("sneaky") for r in tl.records())


# --- hostile input -----------------------------------------------------------------------
VALID = {
    "type": "statement.made",
    "version": 1,
    "recorded_at": "2025-03-06T00:00:00Z",
    "data": {
        "id": "ok",
        "occurred": "2025-03-06",
        "source": None,
        "speaker": {"name": "S", "role": None, "actor": None},
        "actor": "GB",
        "subject": "x",
        "stance": "supports",
        "quote": None,
    },
}

_leaves = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10)
)
_nested = (
    _leaves
    | st.lists(_leaves, max_size=3)
    | st.dictionaries(st.text(max_size=5), _leaves, max_size=3)
)
json_values = (
    _nested
    | st.lists(_nested, max_size=3)
    | st.dictionaries(st.text(max_size=5), _nested, max_size=3)
)


def _mutated(draw: st.DrawFn, n: int) -> str:
    line = json.loads(json.dumps(VALID))
    line["data"]["id"] = f"id-{n}"
    kind = draw(
        st.sampled_from(
            [
                "valid",
                "valid",
                "garbage",
                "json",
                "field",
                "type",
                "naive",
                "deep",
                "huge",
                "dup",
                "backwards",
                "version",
                "extra",
            ]
        )
    )
    if kind == "garbage":
        return draw(st.binary(min_size=1, max_size=40)).decode("latin-1").replace("\n", " ")
    if kind == "json":
        return json.dumps(draw(json_values))
    if kind == "field":
        key = draw(st.sampled_from(sorted(line["data"])))
        line["data"][key] = draw(json_values)
    elif kind == "type":
        line["type"] = draw(st.text(max_size=12))
    elif kind == "naive":
        line["data"]["occurred"] = "2025-03-06T10:00:00"
    elif kind == "deep":
        return '{"type": ' + "[" * 50_000 + "]" * 50_000 + "}"
    elif kind == "huge":
        return '{"type": "statement.made", "version": ' + "9" * 10_000 + ', "data": {}}'
    elif kind == "dup":
        line["data"]["id"] = "id-0"
    elif kind == "backwards":
        line["recorded_at"] = "2025-03-01T00:00:00Z"
    elif kind == "version":
        line["version"] = draw(st.sampled_from([0, 2, -1, "1", None, 1.0]))
    elif kind == "extra":
        line["data"]["surprise"] = 1
    return json.dumps(line)


@st.composite
def hostile_files(draw: st.DrawFn) -> list[str]:
    return [_mutated(draw, n) for n in range(draw(st.integers(1, 12)))]


@settings(max_examples=100 * SCALE, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_files())
def test_hostile_jsonl_raises_only_timeline_errors_and_writes_nothing(lines: list[str]) -> None:
    count("bad inputs tried")
    tl = timeline.open()
    tl.append(
        timeline.support.StatementMade(
            id="base",
            occurred="2025-03-01",
            speaker=timeline.support.Person(name="b"),
            actor="GB",
            subject="x",
            stance="supports",
        ),
        recorded_at="2025-03-02",
    )
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogateescape")
        try:
            timeline.import_jsonl(path, into=tl)
        except TimelineError as exc:
            assert isinstance(exc, DataError), exc
            assert exc.line is not None
            assert f"line {exc.line}:" in str(exc)
            assert tl.head == 1
            count("bad inputs refused")
        else:
            written = [x for x in lines if x.encode("utf-8", "surrogateescape").strip()]
            assert tl.head == 1 + len(written)  # blank lines are skipped


def test_full_disk_is_a_clear_error_and_writes_nothing(db_path: Path) -> None:
    store = SQLiteStore(db_path)
    tl = timeline.Timeline(store, projection=timeline.support.SupportProjection())
    from tests._writer import event

    tl.append(event("first"))
    (pages,) = store._db.execute("PRAGMA page_count").fetchone()
    store._db.execute(f"PRAGMA max_page_count = {pages + 1}")
    with pytest.raises(StoreError, match="disk is full; nothing was written"):
        tl.append(*(event(f"big-{i}") for i in range(2000)))
    assert tl.head == 1
    store.close()
    assert [id_ for _, id_ in raw_rows(db_path)] == ["first"]


# --- tampering ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("tamper") / "seed.db"
    with timeline.open(path) as tl:
        timeline.support.fill(tl)
        return path, tl.head_hash


COLUMNS = ["recorded_at", "type", "version", "id", "data", "hash"]


@settings(max_examples=40 * SCALE, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    position=st.integers(1, 21),
    column=st.sampled_from(COLUMNS),
    where=st.integers(0, 10_000),
    byte=st.integers(32, 126),
)
def test_any_changed_byte_is_caught(
    tmp_path: Path, seeded_db: tuple[Path, str], position: int, column: str, where: int, byte: int
) -> None:
    source, _ = seeded_db
    path = tmp_path / f"t{random.random()}.db"
    path.write_bytes(source.read_bytes())
    con = sqlite3.connect(path)
    con.execute("DROP TRIGGER records_no_update")
    (value,) = con.execute(
        f"SELECT {column} FROM records WHERE position = ?", (position,)
    ).fetchone()
    text = str(value)
    index = where % len(text)
    changed = text[:index] + chr(byte) + text[index + 1 :]
    if changed == text:
        changed = text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]
    new: Any = int(changed) if column == "version" and changed.isdigit() else changed
    con.execute(f"UPDATE records SET {column} = ? WHERE position = ?", (new, position))
    con.commit()
    con.close()
    count("tampered records caught")
    store = SQLiteStore(path)
    with pytest.raises(IntegrityError) as info:
        verify_store(store)
    assert info.value.position is not None
    assert info.value.position <= position
    store.close()


def test_removed_reordered_and_truncated_records_are_caught(
    tmp_path: Path, seeded_db: tuple[Path, str]
) -> None:
    source, published = seeded_db
    for attack in ("remove", "reorder", "truncate"):
        path = tmp_path / f"{attack}.db"
        path.write_bytes(source.read_bytes())
        con = sqlite3.connect(path)
        con.execute("DROP TRIGGER records_no_update")
        con.execute("DROP TRIGGER records_no_delete")
        if attack == "remove":
            con.execute("DELETE FROM records WHERE position = 7")
        elif attack == "reorder":
            con.execute("UPDATE records SET position = -1 WHERE position = 3")
            con.execute("UPDATE records SET position = 3 WHERE position = 4")
            con.execute("UPDATE records SET position = 4 WHERE position = -1")
        else:
            con.execute("DELETE FROM records WHERE position > 18")
        con.commit()
        con.close()
        store = SQLiteStore(path)
        with pytest.raises(IntegrityError):
            verify_store(store, head_hash=published)
        count("tampered records caught")
        store.close()
