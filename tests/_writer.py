"""A child process for the reliability tests: appends batches to a log and acknowledges.

python -m tests._writer crash PATH BATCH_SIZE        append batches until killed
python -m tests._writer race PATH WRITER COUNT       append COUNT events with expected_position

PATH is an SQLite file or a PostgreSQL URL. The tests start it with `spawn` (or the
``spawn_writer`` fixture, which also kills what is left at teardown) and talk to it only through
`read_line` and `finish`, which time out instead of hanging on a stuck child.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

import timeline
from timeline.support import StatementMade
from timeline.support.actors import Person

SPEAKER = Person(name="Writer")
ROOT = Path(__file__).resolve().parent.parent


def spawn(*args: str) -> subprocess.Popen[str]:
    """Start this module as a child process (for the tests)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests._writer", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_line(child: subprocess.Popen[str], timeout: float = 30.0) -> str:
    """The child's next line on stdout; fails the test, with the child's stderr, if none comes.

    Waits at most `timeout` seconds (a hung child would block a plain ``readline()`` forever)
    and kills the child when the line does not come or stdout closes first. Reads the pipe a
    byte at a time, so nothing after the line is taken out of it: a later ``communicate()``
    gets the rest. Use it for every line read from a child, never ``child.stdout.readline()``.
    """
    assert child.stdout is not None
    fd = child.stdout.fileno()
    deadline = time.monotonic() + timeout
    line = bytearray()
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                _fail(child, f"no line from the child within {timeout} s", bytes(line))
            byte = os.read(fd, 1)
            if not byte:
                _fail(child, "the child closed stdout before a whole line", bytes(line))
            line += byte
    return line.decode()


def finish(child: subprocess.Popen[str], timeout: float = 60.0) -> tuple[str, str]:
    """``child.communicate()`` for at most `timeout` seconds: (stdout, stderr), or a failed test."""
    try:
        return child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _fail(child, f"the child did not finish within {timeout} s", b"")


def _fail(child: subprocess.Popen[str], what: str, partial: bytes) -> NoReturn:
    import pytest

    child.kill()
    try:
        out, err = child.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        out, err = "", "(no stderr: the killed child did not exit within 10 s)"
    pytest.fail(
        f"{what} (exit status {child.returncode})\n"
        f"stdout: {partial.decode(errors='replace') + (out or '')!r}\n"
        f"stderr:\n{err}",
        pytrace=False,
    )


def event(id_: str) -> StatementMade:
    return StatementMade(
        id=id_,
        occurred="2025-03-06",
        speaker=SPEAKER,
        actor="GB",
        subject="test",
        stance="supports",
    )


def crash(path: str, size: int) -> None:
    tl = timeline.open(path)
    batch = len({r.event.id.split("-")[0] for r in tl.records()})
    while True:
        tl.append(*(event(f"b{batch}-{i}") for i in range(size)))
        print(f"ack {batch}", flush=True)
        batch += 1


def race(path: str, writer: str, count: int) -> None:
    tl = timeline.open(path)
    conflicts = 0
    for n in range(count):

        def decide(current: timeline.Timeline[Any], n: int = n) -> list[StatementMade]:
            nonlocal conflicts
            conflicts += 1
            return [event(f"w{writer}-{n}")]

        tl.append_retrying(decide, attempts=500)
        conflicts -= 1
    print(f"conflicts {conflicts}", flush=True)


if __name__ == "__main__":
    mode, path, *rest = sys.argv[1:]
    if mode == "crash":
        crash(path, int(rest[0]))
    else:
        race(path, rest[0], int(rest[1]))
