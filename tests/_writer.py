"""A child process for the reliability tests: appends batches to an SQLite log and acknowledges.

python -m tests._writer crash PATH BATCH_SIZE        append batches until killed
python -m tests._writer race PATH WRITER COUNT       append COUNT events with expected_position
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import timeline
from timeline.support import StatementMade
from timeline.values import Person

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

        def decide(current: timeline.Timeline[object], n: int = n) -> list[StatementMade]:
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
