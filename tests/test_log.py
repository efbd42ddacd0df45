from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import timeline
from timeline import (
    ConcurrencyError,
    Correction,
    DataError,
    DuplicateEventId,
    Event,
    IntegrityError,
    InvalidEvent,
    Retraction,
    TimeError,
)
from timeline.records import GENESIS
from timeline.testing import FrozenClock


@timeline.event("test.note", version=1)
class Note(Event):
    text: str


class Texts:
    """A projection whose result depends on order: the notes' texts in fold order."""

    def initial(self) -> tuple[str, ...]:
        return ()

    def apply(self, state: tuple[str, ...], event: Event) -> tuple[str, ...]:
        return (*state, event.text) if isinstance(event, Note) else state


TEXTS = Texts()


def note(id_: str, occurred: str, text: str | None = None) -> Note:
    return Note(id=id_, occurred=occurred, text=text or id_)


def test_empty_timeline() -> None:
    tl = timeline.open()
    assert tl.head == 0
    assert tl.head_hash == GENESIS
    assert list(tl.records()) == []
    assert tl.events() == []
    state = tl.state_at("2025-03-03")
    assert isinstance(state, timeline.Happened)
    assert len(state) == 0
    assert state.last is None
    assert tl.verify() == GENESIS
    assert tl.append() == []
    assert repr(tl) == "<Timeline memory head=0>"


def test_append_returns_records_with_chain(clock: FrozenClock) -> None:
    tl = timeline.open(clock=clock)
    recs = tl.append(note("a", "2025-03-01"), note("b", "2025-02-01"))
    assert [r.position for r in recs] == [1, 2]
    assert recs[0].recorded_at == clock.now
    assert recs[1].hash != recs[0].hash
    assert tl.head == 2
    assert len(tl) == 2
    assert tl.head_hash == recs[1].hash
    assert tl.verify() == recs[1].hash
    assert tl.record("a") is recs[0]
    with pytest.raises(KeyError):
        tl.record("zzz")


def test_events_are_in_valid_time_order_with_position_tiebreak(clock: FrozenClock) -> None:
    tl = timeline.open(clock=clock)
    tl.append(
        note("late", "2025-03-05"),
        note("month", "2025-03"),
        note("day", "2025-03-01"),
        note("day2", "2025-03-01"),
    )
    assert [e.id for e in tl.events()] == ["day", "day2", "month", "late"]
    assert [e.id for e in tl.events(at="2025-03-01")] == ["day", "day2", "month"]


def test_state_at_bare_date_includes_that_day(clock: FrozenClock) -> None:
    tl = timeline.open(clock=clock)
    tl.append(note("a", "2025-03-03T23:30:00Z"), note("b", "2025-03-04T00:00:00Z"))
    assert tl.state_at("2025-03-03", projection=TEXTS) == ("a",)
    assert tl.state_at(dt.date(2025, 3, 3), projection=TEXTS) == ("a",)
    assert tl.state_at(dt.datetime(2025, 3, 3, 23, tzinfo=dt.UTC), projection=TEXTS) == ()


def test_certain_counts_an_event_once_its_latest_has_passed(clock: FrozenClock) -> None:
    tl = timeline.open(clock=clock)
    tl.append(note("span", "2025-03-03/2025-03-05"), note("day", "2025-03-04"))
    assert tl.state_at("2025-03-04", projection=TEXTS) == ("span", "day")
    assert tl.state_at("2025-03-04", projection=TEXTS, certain=True) == ("day",)
    assert tl.state_at("2025-03-05", projection=TEXTS, certain=True) == ("span", "day")


def test_known_at_sees_a_prefix_of_the_log(clock: FrozenClock) -> None:
    tl = timeline.open(clock=clock)
    tl.append(note("a", "2025-03-01"), recorded_at="2025-03-06")
    tl.append(note("b", "2025-02-01"), recorded_at="2025-03-10T12:00:00Z")
    assert tl.state_at("2025-03-31", projection=TEXTS) == ("b", "a")
    assert tl.state_at("2025-03-31", known_at="2025-03-09", projection=TEXTS) == ("a",)
    assert tl.state_at("2025-03-31", known_at="2025-03-01", projection=TEXTS) == ()
    assert [r.position for r in tl.records(known_at="2025-03-09")] == [1]
    assert [e.id for e in tl.events(known_at="2025-03-09")] == ["a"]


def test_recorded_at_never_decreases(clock: FrozenClock) -> None:
    tl = timeline.open(clock=clock)
    tl.append(note("a", "2025"), recorded_at="2025-03-10")
    with pytest.raises(TimeError, match="before the head's"):
        tl.append(note("b", "2025"), recorded_at="2025-03-09")
    assert tl.head == 1
    clock.now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)  # a clock behind the log
    rec = tl.append(note("c", "2025"))[0]
    assert rec.recorded_at == tl.record("a").recorded_at
    with pytest.raises(TimeError, match="naive"):
        tl.append(note("d", "2025"), recorded_at=dt.datetime(2025, 5, 1))  # noqa: DTZ001


def test_stale_expected_position_writes_nothing(clock: FrozenClock) -> None:
    tl = timeline.open(clock=clock)
    tl.append(note("a", "2025"), expected_position=0)
    with pytest.raises(
        ConcurrencyError, match="expected the head at position 0 but it is at 1"
    ) as info:
        tl.append(note("b", "2025"), note("c", "2025"), expected_position=0)
    assert (info.value.expected, info.value.actual) == (0, 1)
    assert tl.head == 1
    tl.append(note("b", "2025"), expected_position=1)
    assert tl.head == 2


def test_duplicate_ids_write_nothing(clock: FrozenClock) -> None:
    tl = timeline.open(clock=clock)
    tl.append(note("a", "2025"))
    with pytest.raises(DuplicateEventId, match="'a'") as info:
        tl.append(note("b", "2025"), note("a", "2025"))
    assert info.value.event_id == "a"
    with pytest.raises(DuplicateEventId, match="'c'"):
        tl.append(note("c", "2025"), note("c", "2025"))
    assert tl.head == 1


def test_non_events_are_refused() -> None:
    tl = timeline.open()
    with pytest.raises(InvalidEvent, match="item 0 of the batch is not an event"):
        tl.append("hello")  # type: ignore[arg-type]


def test_corrections_and_retractions(clock: FrozenClock) -> None:
    tl = timeline.open(clock=clock)
    tl.append(note("a", "2025-03-01", "first"), note("b", "2025-03-02"))
    clock.tick(days=1)
    tl.append(
        Correction(
            id="fix", target="a", replacement=note("x", "2025-03-05", "moved"), reason="date"
        )
    )
    assert [e.text for e in tl.events()] == ["b", "moved"]  # type: ignore[attr-defined]
    assert tl.events()[1].id == "a"  # the effective event keeps the original id
    before = clock.now - dt.timedelta(hours=1)
    assert tl.state_at("2025-03-31", known_at=before, projection=TEXTS) == ("first", "b")
    clock.tick(days=1)
    tl.append(Retraction(id="gone", target="a", reason="wrong"))
    assert tl.state_at("2025-03-31", projection=TEXTS) == ("b",)
    clock.tick(days=1)
    tl.append(Correction(id="back", target="a", replacement=note("y", "2025-02-01", "restored")))
    assert tl.state_at("2025-03-31", projection=TEXTS) == ("restored", "b")
    assert [r.event.id for r in tl.history("a")] == ["a", "fix", "gone", "back"]
    with pytest.raises(KeyError):
        tl.history("nope")


def test_meta_events_must_target_an_original_event(clock: FrozenClock) -> None:
    tl = timeline.open(clock=clock)
    tl.append(note("a", "2025"))
    tl.append(Retraction(id="r", target="a"))
    with pytest.raises(InvalidEvent, match="targets 'zzz', which is not an event") as info:
        tl.append(Retraction(target="zzz"))
    assert info.value.field == "target"
    with pytest.raises(InvalidEvent, match="targets 'r'"):
        tl.append(Correction(target="r", replacement=note("q", "2025")))
    # a target in the same batch is fine
    tl.append(note("c", "2025"), Retraction(target="c"))
    assert [e.id for e in tl.events()] == []


def test_diff_and_revisions_for_a_projection_without_diff(clock: FrozenClock) -> None:
    tl = timeline.open(clock=clock)
    tl.append(note("a", "2025-03-01"), recorded_at="2025-03-02")
    tl.append(note("b", "2025-03-05"), recorded_at="2025-03-06")
    changes = tl.diff("2025-03-02", "2025-03-06", projection=TEXTS)
    assert [str(c) for c in changes] == ["('a',) → ('a', 'b')"]
    assert tl.diff("2025-03-02", "2025-03-03", projection=TEXTS) == []
    revisions = tl.revisions("2025-03-31", known_before="2025-03-03", projection=TEXTS)
    assert [str(c) for c in revisions] == ["('a',) → ('a', 'b')"]


def test_unhashable_projection_still_answers(clock: FrozenClock) -> None:
    class Listy:
        __hash__ = None  # type: ignore[assignment]

        def initial(self) -> list[str]:
            return []

        def apply(self, state: list[str], event: Event) -> list[str]:
            return [*state, event.id]

    tl = timeline.open(clock=clock)
    tl.append(note("a", "2025"))
    assert tl.state_at("2025-12-31", projection=Listy()) == ["a"]


def _raw(path: Path) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(path)
    rows = con.execute("SELECT * FROM records ORDER BY position").fetchall()
    con.close()
    return rows


def test_sqlite_log_reopens_identical(db_path: Path, clock: FrozenClock) -> None:
    with timeline.open(db_path, clock=clock) as tl:
        tl.append(note("a", "2025-03-01"), note("b", "2025-03-02"))
        tl.append(Correction(target="a", replacement=note("a2", "2025-03-03")))
        records = list(tl.records())
        state = tl.state_at("2025-03-31", projection=TEXTS)
    with timeline.open(db_path) as again:
        assert list(again.records()) == records
        assert again.state_at("2025-03-31", projection=TEXTS) == state
        assert again.verify() == records[-1].hash


def test_two_timelines_on_one_file_see_each_other(db_path: Path, clock: FrozenClock) -> None:
    one = timeline.open(db_path, clock=clock)
    two = timeline.open(db_path, clock=clock)
    one.append(note("a", "2025"))
    assert two.head == 1
    two.append(note("b", "2025"), expected_position=1)
    assert [e.id for e in one.events()] == ["a", "b"]
    with pytest.raises(ConcurrencyError):
        one.append(note("c", "2025"), expected_position=1)
    one.close()
    two.close()


def test_verify_names_the_position_of_a_flipped_byte(db_path: Path, clock: FrozenClock) -> None:
    with timeline.open(db_path, clock=clock) as tl:
        tl.append(*(note(f"n{i}", "2025-03-01", f"text {i}") for i in range(5)))
    raw = sqlite3.connect(db_path)
    raw.execute("DROP TRIGGER records_no_update")  # what an attacker with the file can do
    raw.execute("UPDATE records SET data = replace(data, 'text 3', 'text 8') WHERE position = 4")
    raw.commit()
    raw.close()
    with pytest.raises(IntegrityError, match="position 4: hash does not match") as info:
        # opening reads the index; every read of the row checks it, not only verify()
        timeline.open(db_path).events()
    assert info.value.position == 4
    store = timeline.stores.sqlite.SQLiteStore(db_path)
    with pytest.raises(IntegrityError, match="position 4: hash does not match"):
        timeline.verify.verify_store(store)
    store.close()


def test_verify_detects_removed_and_truncated_records(db_path: Path, clock: FrozenClock) -> None:
    with timeline.open(db_path, clock=clock) as tl:
        tl.append(*(note(f"n{i}", "2025-03-01") for i in range(5)))
        published = tl.head_hash
    raw = sqlite3.connect(db_path)
    raw.execute("DROP TRIGGER records_no_delete")
    raw.execute("DELETE FROM records WHERE position = 5")
    raw.commit()
    store = timeline.stores.sqlite.SQLiteStore(db_path)
    reopened = timeline.Timeline(store, projection=TEXTS)
    reopened.verify()  # the remaining chain is intact ...
    with pytest.raises(IntegrityError, match=r"published head hash .* is not in the log"):
        reopened.verify(head_hash=published)  # ... but the published head is gone
    raw.execute("DELETE FROM records WHERE position = 2")
    raw.commit()
    raw.close()
    with pytest.raises(IntegrityError, match="position 3: expected position 2"):
        timeline.Timeline(timeline.stores.sqlite.SQLiteStore(db_path), projection=TEXTS).verify()


def test_verify_detects_recorded_at_going_backwards(db_path: Path, clock: FrozenClock) -> None:
    with timeline.open(db_path, clock=clock) as tl:
        tl.append(note("a", "2025"), recorded_at="2025-03-02")
        tl.append(note("b", "2025"), recorded_at="2025-03-03")
    raw = sqlite3.connect(db_path)
    raw.execute("DROP TRIGGER records_no_update")
    raw.execute("UPDATE records SET recorded_at = '2025-03-01T00:00:00.000000Z' WHERE position = 2")
    raw.commit()
    raw.close()
    with pytest.raises(IntegrityError, match="position 2: recorded_at goes backwards"):
        timeline.open(db_path).events()


def test_unreadable_stored_data_is_an_integrity_error(db_path: Path, clock: FrozenClock) -> None:
    with timeline.open(db_path, clock=clock) as tl:
        tl.append(note("a", "2025"))
    raw = sqlite3.connect(db_path)
    raw.execute("DROP TRIGGER records_no_update")
    raw.execute("UPDATE records SET data = '{not json' WHERE position = 1")
    raw.commit()
    raw.close()
    with pytest.raises(IntegrityError, match="position 1: hash does not match"):
        timeline.open(db_path).events()


# --- export and import -------------------------------------------------------------------
def test_export_then_import_reproduces_records_and_hashes(
    tmp_path: Path, clock: FrozenClock
) -> None:
    tl = timeline.load_seed()
    tl.append(
        Correction(target="uk-anduril-drones", replacement=note("z", "2025-03-06")),
        recorded_at="2025-05-01",
    )
    path = tmp_path / "log.jsonl"
    assert tl.export_jsonl(path) == tl.head
    copy = timeline.open(tmp_path / "copy.db", clock=clock)
    timeline.import_jsonl(path, into=copy)
    assert list(copy.records()) == list(tl.records())
    assert copy.head_hash == tl.head_hash
    assert copy.verify(head_hash=tl.head_hash) == tl.head_hash
    line = json.loads(path.read_text().splitlines()[0])
    assert set(line) == {"position", "recorded_at", "type", "version", "id", "data", "hash"}


def _lines(n: int) -> list[dict[str, Any]]:
    return [
        {
            "type": "test.note",
            "version": 1,
            "recorded_at": "2025-03-06T00:00:00Z",
            "data": {"id": f"n{i}", "occurred": "2025-03-01", "source": None, "text": f"t{i}"},
        }
        for i in range(n)
    ]


def _write(path: Path, lines: list[Any]) -> Path:
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


def test_import_of_plain_event_lines(tmp_path: Path, clock: FrozenClock) -> None:
    tl = timeline.open(clock=clock)
    recs = timeline.import_jsonl(_write(tmp_path / "in.jsonl", _lines(3)), into=tl)
    assert [r.position for r in recs] == [1, 2, 3]
    assert tl.verify()
    lines = _lines(2)
    for line in lines:
        del line["recorded_at"]
        line["data"]["id"] += "-b"
    timeline.import_jsonl(_write(tmp_path / "in2.jsonl", lines), into=tl)
    assert tl.record("n0-b").recorded_at == clock.now


def test_one_bad_line_among_a_thousand_writes_nothing(tmp_path: Path, clock: FrozenClock) -> None:
    tl = timeline.open(tmp_path / "log.db", clock=clock)
    tl.append(note("before", "2025"), recorded_at="2025-03-01")
    lines: list[Any] = _lines(1000)
    lines[736]["data"]["occurred"] = "2025-02-30"
    with pytest.raises(DataError, match=r"line 737: .*not a possible date") as info:
        timeline.import_jsonl(_write(tmp_path / "in.jsonl", lines), into=tl)
    assert info.value.line == 737
    assert tl.head == 1
    assert len(_raw(tmp_path / "log.db")) == 1


@pytest.mark.parametrize(
    ("mutate", "line", "message"),
    [
        (lambda ls: ls.__setitem__(2, "{not json"), 3, "not valid JSON"),
        (lambda ls: ls.__setitem__(2, "[1, 2]"), 3, "expected a JSON object"),
        (lambda ls: ls[2].__setitem__("extra", 1), 3, "unknown keys"),
        (lambda ls: ls[2].pop("data"), 3, "missing keys"),
        (lambda ls: ls[2].__setitem__("type", "nope"), 3, "no event type is registered"),
        (lambda ls: ls[3]["data"].__setitem__("id", "n1"), 4, "duplicate event id 'n1'"),
        (lambda ls: ls[2].__setitem__("recorded_at", "2025-03-01T00:00:00Z"), 3, "never decreases"),
        (lambda ls: ls[2].__setitem__("recorded_at", "2025-03-07T00:00:00"), 3, "naive"),
        (lambda ls: ls[2].__setitem__("recorded_at", "2025-03-07"), 3, "exact instant"),
        (lambda ls: ls[2].__setitem__("recorded_at", 5), 3, "must be a string"),
        (lambda ls: ls[2].pop("recorded_at"), 3, "on every line or on none"),
        (lambda ls: ls[2].__setitem__("id", "other"), 3, "differs from the event's id"),
        (lambda ls: ls[2].__setitem__("position", 3), 3, "position and hash must be on every line"),
        (lambda ls: ls.__setitem__(2, '{"a":' * 100000), 3, "not valid JSON"),
        (
            lambda ls: ls.__setitem__(
                2, '{"type": "test.note", "version": 1, "data": ' + "1" * 5000 + "}"
            ),
            3,
            "not valid JSON",
        ),
    ],
)
def test_import_errors_name_the_line(
    tmp_path: Path, clock: FrozenClock, mutate: Any, line: int, message: str
) -> None:
    tl = timeline.open(clock=clock)
    tl.append(note("first", "2025"), recorded_at="2025-03-02")
    lines: list[Any] = _lines(5)
    mutate(lines)
    with pytest.raises(DataError, match=f"line {line}: .*{message}") as info:
        timeline.import_jsonl(_write(tmp_path / "in.jsonl", lines), into=tl)
    assert info.value.line == line
    assert tl.head == 1


def test_import_of_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(json.dumps(_lines(1)[0]).encode() + b"\n\xff\xfe\n")
    with pytest.raises(DataError, match="line 2: not valid JSON"):
        timeline.import_jsonl(path, into=timeline.open())


def test_import_checks_the_exported_chain(tmp_path: Path) -> None:
    tl = timeline.load_seed()
    path = tmp_path / "log.jsonl"
    tl.export_jsonl(path)
    lines = path.read_text().splitlines()
    changed = lines[4].replace("Oval Office", "Oval Room")
    with pytest.raises(DataError, match="line 1: hash does not match"):
        timeline.import_jsonl(
            _write(path, [lines[0].replace('"2025-02-28"', '"2025-02-27"'), *lines[1:]]),
            into=timeline.open(),
        )
    gap = [json.loads(x) for x in lines]
    del gap[1]
    with pytest.raises(DataError, match="line 2: position 3 should be 2"):
        timeline.import_jsonl(_write(path, gap), into=timeline.open())
    no_hash = [json.loads(x) for x in lines]
    del no_hash[0]["hash"]
    with pytest.raises(DataError, match="line 1: an exported record needs recorded_at and hash"):
        timeline.import_jsonl(_write(path, no_hash), into=timeline.open())
    del changed


def test_import_checks_targets_and_existing_ids(tmp_path: Path, clock: FrozenClock) -> None:
    tl = timeline.open(clock=clock)
    tl.append(note("n1", "2025"), recorded_at="2025-03-01")
    lines: list[Any] = _lines(3)
    with pytest.raises(DataError, match="line 2: event id 'n1' is already in the log"):
        timeline.import_jsonl(_write(tmp_path / "a.jsonl", lines), into=tl)
    lines = [
        *_lines(1),
        {
            "type": "timeline.retraction",
            "version": 1,
            "recorded_at": "2025-03-06T00:00:00Z",
            "data": {"id": "r", "target": "missing", "reason": None, "source": None},
        },
    ]
    lines[0]["data"]["id"] = "fresh"
    with pytest.raises(DataError, match=r"line 2: .*targets 'missing'"):
        timeline.import_jsonl(_write(tmp_path / "b.jsonl", lines), into=tl)
    assert tl.head == 1


def test_import_missing_file_and_export_to_bad_place(tmp_path: Path) -> None:
    with pytest.raises(timeline.StoreError, match="cannot read the import"):
        timeline.import_jsonl(tmp_path / "missing.jsonl", into=timeline.open())
    with pytest.raises(timeline.StoreError, match="cannot write the export"):
        timeline.load_seed().export_jsonl(tmp_path / "no" / "such" / "dir.jsonl")
