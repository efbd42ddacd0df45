from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from timeline.__main__ import main


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "timeline", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


def test_demo_in_a_fresh_folder(tmp_path: Path) -> None:
    result = run("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert (tmp_path / "timeline-demo.db").exists()
    assert "Seed timeline: 24 records in timeline-demo.db (hash chain verified)" in out
    assert "2025-03-04: US military aid paused" in out
    assert "2025-03-02: US military aid no pause recorded" in out
    assert "2025-03-12: US military aid active" in out
    assert "2025-03-12 as known on 2025-03-07: US military aid paused" in out
    assert "US military aid: no record → paused (2025-03-03/2025-03-04T00:45:00Z)" in out
    assert "RU     nato-troops-in-ukraine" in out
    again = run("demo", cwd=tmp_path)  # reuses the file it made
    assert again.returncode == 0
    assert again.stdout == out


def test_demo_refuses_a_foreign_db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "other.db"
    assert main(["import", str(_jsonl(tmp_path)), "--db", str(db)]) == 0
    assert main(["demo", "--db", str(db)]) == 2
    assert "exists and holds another log" in capsys.readouterr().err


def _jsonl(tmp_path: Path) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text(
        json.dumps(
            {
                "type": "aid.paused",
                "version": 1,
                "recorded_at": "2025-03-06T00:00:00Z",
                "data": {
                    "id": "p",
                    "occurred": "2025-03-03",
                    "source": None,
                    "provider": "US",
                    "recipient": "UA",
                    "channel": "military",
                    "scope": None,
                    "people": [],
                },
            }
        )
        + "\n"
    )
    return path


def test_show_events_export_import_verify(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["show", "--at", "2025-03-12", "--known-at", "2025-03-07"]) == 0
    out = capsys.readouterr().out
    assert "State of support at 2025-03-12 (known at 2025-03-07)" in out
    assert "US        UA         military      paused" in out
    assert main(["events", "--from", "2025-03-05", "--to", "2025-03-06"]) == 0
    out = capsys.readouterr().out
    assert "lavrov-opposes-nato-troops" in out
    assert "oval-office-clash" not in out
    db = tmp_path / "log.db"
    assert main(["import", str(_jsonl(tmp_path)), "--db", str(db)]) == 0
    assert "imported 1 records" in capsys.readouterr().out
    assert main(["verify", "--db", str(db)]) == 0
    assert capsys.readouterr().out.startswith("ok: 1 records and their index, head hash ")
    assert main(["export", "--db", str(db), str(tmp_path / "out.jsonl")]) == 0
    assert "exported 1 records" in capsys.readouterr().out
    assert main(["show", "--at", "2025-03-04", "--db", str(db)]) == 0
    assert "paused" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["show", "--at", "2025-03-32"], "--at: '2025-03-32' is not a possible date"),
        (["show", "--at", "2025-03-05", "--known-at", "soon"], "--known-at: 'soon' is not a date"),
        (["events", "--from", "x"], "--from: 'x' is not a date"),
        (["show", "--at", "2025-03-05", "--db", "missing.db"], "missing.db: no such file"),
        (["import", "missing.jsonl", "--db", "x.db"], "missing.jsonl: no such file"),
        (["verify", "--db", "missing.db"], "missing.db: no such file"),
    ],
)
def test_errors_are_one_line_and_exit_2(
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == f"error: {message}\n" or (
        err.startswith("error: ") and message in err and err.count("\n") == 1
    )


def test_corrupt_log_and_bad_import_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "log.db"
    assert main(["import", str(_jsonl(tmp_path)), "--db", str(db)]) == 0
    raw = sqlite3.connect(db)
    raw.execute("DROP TRIGGER records_no_update")
    raw.execute("UPDATE records SET data = replace(data, '2025-03-03', '2025-03-04')")
    raw.commit()
    raw.close()
    capsys.readouterr()
    assert main(["verify", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert (
        err == "error: position 1: hash does not match: the record or one before it was changed\n"
    )
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    assert main(["verify", "--db", str(text)]) == 2
    assert "not an SQLite database" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{}\n")
    assert main(["import", str(bad), "--db", str(tmp_path / "new.db")]) == 2
    assert capsys.readouterr().err == "error: line 1: missing keys ['data', 'type', 'version']\n"


def test_cli_run_as_subprocess_reports_bad_date(tmp_path: Path) -> None:
    result = run("show", "--at", "2025-13-01", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "error: --at: '2025-13-01' is not a possible date\n"
    assert "Traceback" not in result.stderr


def test_a_reader_that_stops_early_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = (tmp_path / "sink").open("w")

    class ClosedPipe(io.StringIO):
        """What stdout is when `| head -1` has stopped reading."""

        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self) -> int:
            return sink.fileno()

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["events"]) == 0
    sink.close()
