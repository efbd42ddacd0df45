"""Progress reports: on a terminal they count and give a rate; elsewhere, or when asked, silence."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

import timeline
from timeline import support
from timeline.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_counts_total_and_rate() -> None:
    out = Terminal()
    with Progress("copying", total=4, stream=out) as bar:
        for _ in range(4):
            bar.advance()
    last = out.getvalue().split("\r")[-1]
    assert last.startswith("copying: 4/4 (100%) ")
    assert last.endswith("/s done\n")


def test_off_a_terminal_or_when_asked_nothing_is_written() -> None:
    pipe = io.StringIO()
    with Progress("copying", total=4, stream=pipe) as bar:
        bar.advance(4)
    assert pipe.getvalue() == ""
    quiet = Terminal()
    with Progress("copying", stream=quiet, enabled=False) as bar:
        bar.advance(4)
    assert quiet.getvalue() == ""


def _fail_while(bar: Progress) -> None:
    with bar:
        bar.advance()
        raise RuntimeError("boom")


def test_a_failure_is_reported_as_such() -> None:
    out = Terminal()
    with pytest.raises(RuntimeError, match="boom"):
        _fail_while(Progress("importing", stream=out))
    assert out.getvalue().endswith(" failed\n")


def test_export_import_and_copy_report_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    seed = support.load_seed()
    seed.export_jsonl(tmp_path / "seed.jsonl")
    timeline.import_jsonl(tmp_path / "seed.jsonl", into=support.open())
    timeline.copy_log(tmp_path / "seed.jsonl", tmp_path / "copy.db", progress=True)
    err = terminal.getvalue()
    assert f"exporting seed.jsonl: {seed.head}/{seed.head} (100%)" in err
    assert "reading seed.jsonl:" in err
    quiet = Terminal()
    monkeypatch.setattr(sys, "stderr", quiet)
    seed.export_jsonl(tmp_path / "quiet.jsonl", progress=False)
    assert quiet.getvalue() == ""


@pytest.mark.skipif(not hasattr(pty, "openpty"), reason="needs a pseudo-terminal")
def test_the_command_line_reports_on_a_terminal_and_quiet_silences_it(tmp_path: Path) -> None:
    log = tmp_path / "seed.db"
    support.fill(support.open(log)).close()

    def stderr_of(*args: str) -> str:
        main, child = pty.openpty()
        done = subprocess.run(
            [sys.executable, "-m", "timeline", *args],
            stdout=subprocess.PIPE,
            stderr=child,
            timeout=120,
            check=False,
        )
        os.close(child)
        assert done.returncode == 0
        chunks = []
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            if len(chunk) < 4096:
                break
        os.close(main)
        return b"".join(chunks).decode()

    shown = stderr_of("export", "--db", str(log), str(tmp_path / "a.jsonl"))
    assert "exporting a.jsonl: 24/24 (100%)" in shown
    assert stderr_of("export", "--db", str(log), str(tmp_path / "b.jsonl"), "--quiet") == ""
