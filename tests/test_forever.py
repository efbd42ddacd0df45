"""Issue 11, finding by finding: what append or import accepts, every later reader opens,
unchanged. Each test reproduces one numbered finding of the issue and failed on the code
before the fix."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest

import timeline
from tests import _user_events
from timeline.__main__ import main
from timeline.errors import (
    DataError,
    EventDefinitionError,
    IntegrityError,
    InvalidEvent,
    InvalidValue,
    StoreError,
    TimeError,
)
from timeline.sources.kiel import read_release
from timeline.support import AidPaused, Person, StatementMade, TalksHeld
from timeline.support.state import SupportProjection
from timeline.values import Money, Source
from timeline.when import When

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
_READER = """
import json, sys
import timeline, timeline.support, timeline.sources.kiel, tests._user_events
from timeline.codec import to_dict
with timeline.open(sys.argv[1], create=False) as tl:
    print(json.dumps([[r.event.id, to_dict(r.event)] for r in tl.records()]))
"""


def in_new_process(path: Path) -> list[Any]:
    """The records of a log as a fresh Python process reads them."""
    done = subprocess.run(
        [sys.executable, "-c", _READER, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result: list[Any] = json.loads(done.stdout)
    return result


def _shout(value: str) -> str:
    return value + "!"


def say(subject: str, *, occurred: str = "2025", id: str | None = None) -> StatementMade:  # noqa: A002
    extra: dict[str, Any] = {"id": id} if id else {}
    return StatementMade(
        occurred=occurred,
        speaker=Person(name="A"),
        actor="GB",
        subject=subject,
        stance="supports",
        **extra,
    )


def write_lines(path: Path, *objects: object) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objects), encoding="utf-8")
    return path


def log_of_one_raw_row(path: Path, type_: str, id_: str, data: str) -> None:
    """A log holding one row written as the library never would, with a valid hash."""
    timeline.open(path).close()
    stamp = "2025-03-01T00:00:00.000000Z"
    digest = timeline.records.chain_hash(timeline.records.GENESIS, 1, stamp, type_, 1, id_, data)
    raw = sqlite3.connect(path)
    raw.execute(
        "INSERT INTO records VALUES (1, ?, ?, 1, ?, ?, ?)", (stamp, type_, id_, data, digest)
    )
    raw.commit()
    raw.close()


PAUSE = {
    "type": "aid.paused",
    "version": 1,
    "data": {"occurred": "2025-03-03", "provider": "US", "recipient": "UA", "channel": "military"},
}


# 1 -------------------------------------------------------------------------------------------
def test_1_an_imported_line_without_id_keeps_one_id_forever(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with timeline.open(path) as tl:
        (record,) = timeline.import_jsonl(write_lines(tmp_path / "in.jsonl", PAUSE), into=tl)
        first_id = record.event.id
        tl.append(timeline.Retraction(target=first_id))
    assert next(row[0] for row in in_new_process(path)) == first_id
    with timeline.open(path) as tl:
        assert tl.record(first_id).position == 1
        assert tl.events() == []  # the retraction still finds its target


def test_1_an_exported_line_without_id_is_refused(tmp_path: Path) -> None:
    with timeline.open() as tl:
        (record,) = tl.append(
            AidPaused(occurred="2025-03-03", provider="US", recipient="UA", channel="military")
        )
        line = {
            "position": 1,
            "recorded_at": timeline.records.recorded_text(record.recorded_at),
            **PAUSE,
        }
        data = json.dumps(PAUSE["data"], sort_keys=True, separators=(",", ":"))
        line["hash"] = timeline.records.chain_hash(
            timeline.records.GENESIS, 1, str(line["recorded_at"]), "aid.paused", 1, "x", data
        )
    with pytest.raises(DataError, match=r"line 1: .*does not decode to the same event twice"):
        timeline.import_jsonl(write_lines(tmp_path / "in.jsonl", line), into=timeline.open())


# 2 -------------------------------------------------------------------------------------------
def test_2_a_metaevent_that_is_not_a_correction_or_retraction_is_refused_at_definition() -> None:
    with pytest.raises(EventDefinitionError, match=r"must subclass timeline.Correction"):

        @timeline.event("test.note-about", version=1)
        class NoteAbout(timeline.MetaEvent):
            text: str


def test_2_a_user_retraction_subclass_works_and_reopens(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with timeline.open(path) as tl:
        tl.append(say("x", id="s", occurred="2025-03-03"))
        tl.append(_user_events.Flagged(target="s", severity=3))
    with timeline.open(path) as tl:
        assert tl.events() == []
        assert tl.history("s")[-1].event == _user_events.Flagged(
            id=tl.history("s")[-1].event.id, target="s", severity=3
        )


# 3 -------------------------------------------------------------------------------------------
def test_3_years_before_1000_are_stored_padded_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    ev = say("x", id="carolus", occurred="0800-12-25T12:00:00Z")
    with timeline.open(path) as tl:
        tl.append(ev, recorded_at="0999-01-01")
    assert str(ev.occurred) == "0800-12-25T12:00:00Z"
    with timeline.open(path) as tl:
        (record,) = tl.records()
        assert record.event == ev
        assert record.recorded_at.year == 999
    assert in_new_process(path)[0][1]["occurred"] == "0800-12-25T12:00:00Z"


def test_3_recorded_at_before_the_head_is_refused_in_any_century(tmp_path: Path) -> None:
    with timeline.open(tmp_path / "log.db") as tl:
        tl.append(
            say("x", occurred="2025"),
            recorded_at="2025-03-01",
        )
        with pytest.raises(TimeError, match="never decreases"):
            tl.append(
                say("y", occurred="2025"),
                recorded_at="0999-01-01",
            )
        assert tl.head == 1


def test_3_verify_refuses_a_recorded_at_that_is_not_fixed_width(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with timeline.open(path) as tl:
        tl.append(
            say("x", occurred="2025"),
            recorded_at="2025-03-01",
        )
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER records_no_update")
    raw.execute("UPDATE records SET recorded_at = '999-01-01T00:00:00.000000Z'")
    raw.commit()
    raw.close()
    store = timeline.stores.sqlite.SQLiteStore(path)
    with pytest.raises(IntegrityError, match=r"position 1: recorded_at .* stored form"):
        timeline.verify.verify_store(store)
    store.close()


# 4 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda: AidPaused(
            occurred="2025-03-03",
            provider="US",
            recipient="UA",
            channel="military",
            scope=3,  # type: ignore[arg-type]
        ),
        lambda: Source(title=5),  # type: ignore[arg-type]
        lambda: Money(1, "GBP", approximate="no"),  # type: ignore[arg-type]
        lambda: Person(name=None),  # type: ignore[arg-type]
    ],
)
def test_4_values_of_the_wrong_type_never_reach_the_log(make: Any) -> None:
    tl = timeline.open()
    with pytest.raises(InvalidValue) as info:
        tl.append(make())
    assert info.value.field is not None
    assert tl.head == 0


# 5 -------------------------------------------------------------------------------------------
def test_5_imported_data_is_stored_as_converted(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    line = {
        "type": "user.tagged",
        "version": 1,
        "data": {"id": "t", "occurred": "2025", "tag": "  DESIGN "},
    }
    with timeline.open(path) as tl:
        (record,) = timeline.import_jsonl(write_lines(tmp_path / "in.jsonl", line), into=tl)
        assert isinstance(record.event, _user_events.Tagged)
        assert record.event.tag == "design"
    assert in_new_process(path)[0][1]["tag"] == "design"
    raw = sqlite3.connect(path)
    assert '"tag":"design"' in raw.execute("SELECT data FROM records").fetchone()[0]
    raw.close()


def test_5_a_converter_that_changes_its_own_output_is_refused_at_append() -> None:
    @timeline.event("test.shouting", version=1)
    class Shouting(timeline.Event):
        text: str = attrs.field(converter=_shout)

    tl = timeline.open()
    with pytest.raises(InvalidEvent, match="text: 'hi!' would be read back as 'hi!!'"):
        tl.append(Shouting(occurred="2025", text="hi"))
    assert tl.head == 0


def test_5_rows_stored_unconverted_by_an_earlier_version_read_the_same_on_both_paths(
    tmp_path: Path,
) -> None:
    # what the earlier import stored: data as given, with a valid hash
    path = tmp_path / "log.db"
    data = '{"id":"t","note":"","occurred":"2025","source":null,"tag":"  DESIGN ","weight":1.0}'
    log_of_one_raw_row(path, "user.tagged", "t", data)
    with timeline.open(path) as tl:
        assert (
            getattr(tl.record("t").event, "tag", None) == "design"
        )  # as the importing session saw it


# 6 -------------------------------------------------------------------------------------------
def test_6_no_reader_presents_an_edited_row(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    timeline.support.fill(timeline.open(path))
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER records_no_update")
    raw.execute("UPDATE records SET data = replace(data, '2.26', '9.26') WHERE position = 5")
    raw.commit()
    raw.close()
    # opening reads the index, not the events: every path that decodes the row checks it
    for read in (
        lambda tl: tl.events(),
        lambda tl: list(tl.records()),
        lambda tl: tl.state_at("2025-12-31"),
        lambda tl: tl.record("uk-era-loan-agreed"),
        lambda tl: tl.history("uk-era-loan-agreed"),
        lambda tl: tl.verify(),
    ):
        with pytest.raises(IntegrityError, match="position 5: hash does not match"):
            read(timeline.open(path))


def test_6_insert_or_replace_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    timeline.support.fill(timeline.open(path))
    raw = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match=r"append-only|UNIQUE"):
        raw.execute("INSERT OR REPLACE INTO records SELECT * FROM records WHERE position = 2")
    raw.close()
    timeline.open(path).verify()


def test_6_a_schema_1_file_gets_the_insert_trigger_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    raw = sqlite3.connect(path)
    raw.executescript(timeline.stores.sqlite._SCHEMA)
    raw.close()
    timeline.open(path).close()
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT max(version) FROM timeline_schema").fetchone() == (3,)
    names = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    assert {"records_insert_at_head", "records_new_id"} <= names
    tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"record_index", "snapshots"} <= tables
    raw.close()


# 7 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["€1,5 billion", "£1,2,3", "£1,,000", "$1,5000"])
def test_7_a_comma_is_only_a_thousands_separator(text: str) -> None:
    with pytest.raises(InvalidValue, match="comma only separates thousands"):
        Money.parse(text)


def test_7_thousands_separators_still_read() -> None:
    assert Money.parse("€1,500,000.5").amount == Money.parse("€1500000.5").amount


# 8 -------------------------------------------------------------------------------------------
def test_8_export_never_writes_over_the_log_or_an_existing_file(
    tmp_path: Path, capsys: Any
) -> None:
    db = tmp_path / "victim.db"
    timeline.support.fill(timeline.open(db))
    head_hash = timeline.open(db).head_hash
    assert main(["export", "--db", str(db), str(db)]) == 2
    assert "is the log itself" in capsys.readouterr().err
    timeline.open(db).verify(head_hash=head_hash)
    with pytest.raises(StoreError, match="is the log itself"):
        timeline.open(db).export_jsonl(db, overwrite=True)
    other = tmp_path / "notes.txt"
    other.write_text("keep me")
    assert main(["export", "--db", str(db), str(other)]) == 2
    assert other.read_text() == "keep me"
    assert main(["export", "--db", str(db), str(other), "--force"]) == 0
    assert len(other.read_text().splitlines()) == timeline.open(db).head


# 9 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "command", [["show", "--at", "2025-03-05"], ["verify"], ["events"], ["export", "out.jsonl"]]
)
def test_9_read_commands_create_no_file(tmp_path: Path, command: list[str]) -> None:
    missing, empty = tmp_path / "missing.db", tmp_path / "empty.db"
    empty.touch()
    for db in (missing, empty):
        assert main([*command, "--db", str(db)]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]
    assert empty.stat().st_size == 0


def test_9_failed_imports_leave_no_file(tmp_path: Path) -> None:
    bad = write_lines(tmp_path / "bad.jsonl", {"type": "nope", "version": 1, "data": {}})
    assert main(["import", str(bad), "--db", str(tmp_path / "new.db")]) == 2
    broken = tmp_path / "broken.csv"
    broken.write_text("not,a,kiel,file\n1,2,3,4\n")
    assert (
        main(
            [
                "kiel",
                "import",
                str(broken),
                "--release",
                "R1",
                "--recorded-at",
                "2025-01-01",
                "--db",
                str(tmp_path / "k.db"),
            ]
        )
        == 2
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl", "broken.csv"]


def test_9_copy_to_an_upper_case_jsonl_name_writes_json_lines(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    timeline.support.fill(timeline.open(db))
    assert main(["copy", str(db), str(tmp_path / "out.JSONL")]) == 0
    first = (tmp_path / "out.JSONL").read_text().splitlines()[0]
    assert json.loads(first)["position"] == 1


# 10 ------------------------------------------------------------------------------------------
def test_10_out_of_range_instants_are_time_errors(capsys: Any) -> None:
    with pytest.raises(TimeError, match="outside years 0001-9999"):
        When.parse("0001-01-01T00:00:00+01:00")
    with pytest.raises(TimeError):
        timeline.open().state_at(dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))))
    assert main(["show", "--at", "0001-01-01T00:00:00+01:00"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_10_a_lone_surrogate_is_refused_before_writing(tmp_path: Path) -> None:
    tl = timeline.open()
    with pytest.raises(InvalidEvent, match="subject: text with a lone surrogate"):
        tl.append(say("\ud800", occurred="2025"))
    assert tl.head == 0
    line = {
        "type": "statement.made",
        "version": 1,
        "data": {
            "occurred": "2025",
            "speaker": {"name": "A"},
            "actor": "GB",
            "subject": "\ud800",
            "stance": "supports",
        },
    }
    with pytest.raises(DataError, match="line 1:"):
        timeline.import_jsonl(write_lines(tmp_path / "in.jsonl", line), into=tl)
    assert tl.head == 0


def test_10_a_reordered_log_is_an_integrity_error(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    timeline.support.fill(timeline.open(path))
    raw = sqlite3.connect(path)
    for trigger in ("records_no_update", "records_insert_at_head"):
        raw.execute(f"DROP TRIGGER {trigger}")
    raw.execute("UPDATE records SET position = -position WHERE position IN (3, 4)")
    raw.execute("UPDATE records SET position = 4 WHERE position = -3")
    raw.execute("UPDATE records SET position = 3 WHERE position = -4")
    raw.commit()
    raw.close()
    with pytest.raises(IntegrityError, match="position 3"):
        timeline.open(path).events()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("Countries,date\n".encode("latin-1") + "É".encode("latin-1"), "not UTF-8"),
        (gzip.compress(b"\xff\xfe garbage"), "not UTF-8"),
        (b"\x1f\x8b broken gzip", "damaged gzip"),
        (None, "cells where the header has"),
        (None, "unexpected end of data"),
    ],
)
def test_10_bad_kiel_files_are_data_errors(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    header = (
        (DATA / "kiel_ust_r28_bilateral_activities.csv").read_text(encoding="utf-8").splitlines()[0]
    )
    if content is None and "cells" in message:
        content = (header + "\nshort,row\n").encode()
    elif content is None:
        content = (header + '\n"unbalanced,quote\n').encode()
    path = tmp_path / "kiel.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        read_release(path, "R1")


def test_10_unstorable_field_types_are_refused_at_definition_and_nan_at_construction() -> None:
    with pytest.raises(EventDefinitionError, match="datetime cannot be stored exactly"):

        @timeline.event("test.dated", version=1)
        class Dated(timeline.Event):
            when: dt.datetime

    with pytest.raises(InvalidEvent, match="nan"):
        _user_events.Tagged(occurred="2025", tag="x", weight=float("nan"))


# 11 ------------------------------------------------------------------------------------------
def test_11_the_cli_reads_a_kiel_log(tmp_path: Path, capsys: Any) -> None:
    db = tmp_path / "k.db"
    csv = DATA / "kiel_ust_r28_bilateral_activities.csv"
    assert (
        main(
            [
                "kiel",
                "import",
                str(csv),
                "--release",
                "R28",
                "--recorded-at",
                "2026-05-11",
                "--db",
                str(db),
            ]
        )
        == 0
    )
    capsys.readouterr()
    # a fresh process, which has imported nothing but the command line
    done = subprocess.run(
        [sys.executable, "-m", "timeline", "events", "--db", str(db)],
        cwd=ROOT,
        timeout=120,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "aid.allocated" in done.stdout
    assert main(["export", "--db", str(db), str(tmp_path / "k.jsonl")]) == 0
    assert main(["copy", str(db), str(tmp_path / "k2.db")]) == 0


def test_11_a_log_of_unknown_types_is_listed_exported_and_copied(
    tmp_path: Path, capsys: Any
) -> None:
    db = tmp_path / "alien.db"
    log_of_one_raw_row(db, "alien.thing", "a1", '{"id":"a1","occurred":"2025-03-03"}')
    assert main(["events", "--db", str(db)]) == 0
    captured = capsys.readouterr()
    assert "alien.thing" in captured.out
    assert "--module" in captured.err
    assert main(["export", "--db", str(db), str(tmp_path / "a.jsonl")]) == 0
    assert main(["copy", str(db), str(tmp_path / "a2.db")]) == 0
    assert main(["verify", "--db", str(tmp_path / "a2.db")]) == 0
    assert main(["events", "--db", str(db), "--module", "no.such.module"]) == 2


# 12 ------------------------------------------------------------------------------------------
def test_12_states_with_thousands_of_talks_compare_and_refuse_hash_plainly() -> None:
    projection = SupportProjection()
    talks = [TalksHeld(occurred="2025-03-04", host="GB", topic=f"t{i}") for i in range(3000)]
    one = timeline.fold(projection, talks)
    two = timeline.fold(projection, talks)
    assert one == two
    assert one != timeline.fold(projection, talks[:-1])
    with pytest.raises(TypeError, match="unhashable type: 'SupportState'"):
        hash(one)


# 13 ------------------------------------------------------------------------------------------
def test_13_kiel_rows_split_as_csv_does_and_keep_their_physical_line(tmp_path: Path) -> None:
    original = DATA / "kiel_ust_2024_delivery_sheet.csv"  # it has free-text columns
    lines = original.read_text(encoding="utf-8").splitlines()
    plain = read_release(original, "R28")
    # quote a cell of the first data row and put a newline and a U+2028 inside it
    header = next(__import__("csv").reader([lines[0]]))
    cells = next(__import__("csv").reader([lines[1]]))
    column = header.index("specific_type") if "specific_type" in header else 0
    cells[column] = cells[column] + "\nsecond line\u2028third"
    out = __import__("io").StringIO()
    __import__("csv").writer(out, lineterminator="\n").writerow(cells)
    path = tmp_path / "multi.csv"
    path.write_text(
        "\n".join([lines[0], out.getvalue().rstrip("\n"), *lines[2:]]) + "\n", encoding="utf-8"
    )
    edited = read_release(path, "R28")
    assert edited.rows_read == plain.rows_read
    # every row after the edited one starts one physical line later, so its id says where it is
    later = {e.id for e in edited.events} - {e.id for e in plain.events}
    assert later
    assert all(int(i.rsplit("-", 1)[1]) > 2 for i in later)


# found by an adversarial review of the fixes ------------------------------------------------
def test_review_a_field_left_out_of_equality_is_still_checked() -> None:
    @timeline.event("test.eq-false", version=1)
    class Quiet(timeline.Event):
        note: str = attrs.field(eq=False, converter=_shout)

    tl = timeline.open()
    with pytest.raises(InvalidEvent, match="note"):
        tl.append(Quiet(occurred="2025", note="a"))
    assert tl.head == 0


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        ("list[int]", "mutable"),
        ("dict[str, int]", "mutable"),
        ("int | str", "only `X | None`"),
    ],
)
def test_review_field_types_that_could_not_read_back_are_refused(
    annotation: str, message: str
) -> None:
    namespace: dict[str, Any] = {}
    exec(
        f"class Holder(timeline.Event):\n    value: {annotation}\n",
        {"timeline": timeline},
        namespace,
    )
    with pytest.raises(EventDefinitionError, match=message):
        timeline.event("test.holder", version=1)(namespace["Holder"])


def test_review_init_false_fields_are_refused() -> None:
    with pytest.raises(EventDefinitionError, match="init=False"):

        @timeline.event("test.computed", version=1)
        class Computed(timeline.Event):
            pid: int = attrs.field(init=False, default=1)


@pytest.mark.parametrize(("name", "version"), [("x.\ud800", 1), ("x.big", 2**63)])
def test_review_type_names_and_versions_the_store_cannot_hold(name: str, version: int) -> None:
    with pytest.raises(EventDefinitionError):

        @timeline.event(name, version=version)
        class Odd(timeline.Event):
            pass


@pytest.mark.parametrize("amount", ["sNaN", "NaN", "1E+9999999"])
def test_review_decimals_that_cannot_be_summed_are_refused(amount: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidValue):
        Money(amount, "EUR")
    line = {
        "type": "deal.signed",
        "version": 1,
        "data": {
            "occurred": "2025-03-06",
            "buyer": "GB",
            "supplier": "Anduril",
            "beneficiary": "UA",
            "amount": {"amount": amount, "currency": "GBP", "approximate": False},
        },
    }
    with pytest.raises(DataError, match="line 1"):
        timeline.import_jsonl(write_lines(tmp_path / "in.jsonl", line), into=timeline.open())


def test_review_floats_are_numbers_on_import(tmp_path: Path) -> None:
    for weight in ("1.5", True):
        line = {
            "type": "user.tagged",
            "version": 1,
            "data": {"occurred": "2025", "tag": "a", "weight": weight},
        }
        with pytest.raises(DataError, match="weight"):
            timeline.import_jsonl(write_lines(tmp_path / "in.jsonl", line), into=timeline.open())


def test_review_export_refuses_the_logs_wal_file(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    tl = timeline.open(db)
    timeline.support.fill(tl)
    with pytest.raises(StoreError, match="is the log itself"):
        tl.export_jsonl(tmp_path / "b.db-wal", overwrite=True)
    tl.verify()


def test_review_a_reader_leaves_a_schema_1_file_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    raw = sqlite3.connect(path)
    raw.executescript(timeline.stores.sqlite._SCHEMA)
    raw.close()
    before = path.read_bytes()
    assert main(["verify", "--db", str(path)]) == 0
    assert path.read_bytes() == before


def test_review_import_without_recorded_at_follows_a_head_in_the_future(tmp_path: Path) -> None:
    tl = timeline.open()
    tl.append(say("x"), recorded_at="2099-01-01")
    (record,) = timeline.import_jsonl(write_lines(tmp_path / "in.jsonl", PAUSE), into=tl)
    assert record.recorded_at.year == 2099
