"""Profile the two hot paths that miss their targets, append and read + decode all
(needs pyinstrument):

python benchmarks/profile_hot.py
"""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyinstrument import Profiler

import timeline
import timeline.support
from benchmarks.workloads import support_events

N = 30_000


def main() -> None:
    events = support_events(N, random.Random(1))
    path = Path(tempfile.mkdtemp()) / "profile.db"
    tl = timeline.support.open(path)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for start in range(0, N, 100):
        tl.append(*events[start : start + 100])
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False))
    tl.close()
    profiler = Profiler(interval=0.0005)
    profiler.start()
    again = timeline.support.open(path)  # reads the index only
    sum(1 for _ in again.records())  # decodes every record, checked against chain and index
    again.close()
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False))


if __name__ == "__main__":
    main()
