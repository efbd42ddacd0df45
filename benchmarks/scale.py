"""The scale workloads of issue #13: a Kiel-shaped log of N events, opened by a fresh process.

The log holds N `AidAllocated` events (donors, aid types and months at random, amounts in EUR)
folded by `KielProjection`, whose state is bounded, so that it can be snapshotted. The first 90 %
of the records fall anywhere in 2022-01 … 2025-12; the last 10 % (appended last) only in the last
10 % of that valid time, as news about recent months does. Measured in this process: appending,
saving the snapshots; in a fresh process (``python -m benchmarks.scale open PATH``): opening, the
first `state_at` (with snapshots), resident memory after 100 random `state_at`, a query at a new
knowledge time before the last 10 % of records, warm queries. The physical limit is the same
rows written with one raw ``sqlite3`` ``executemany`` and read back with one scan.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

UTC = dt.UTC
RECORDED_0 = dt.datetime(2026, 1, 1, tzinfo=UTC)
MONTHS = 48  # 2022-01 … 2025-12
DONORS = [f"Donor {i:02d}" for i in range(40)]
TYPES = ["military", "financial", "humanitarian"]
BATCH = 10_000


def _month(index: int) -> str:
    return f"{2022 + index // 12}-{index % 12 + 1:02d}"


def kiel_events(n: int, rng: random.Random, start: int = 0, stop: int | None = None) -> list[Any]:
    """Events `start` … `stop` of the N (the same for the same `rng` state and N)."""
    from timeline import Money
    from timeline.sources.kiel import AidAllocated

    late_from = int(n * 0.9)
    events = []
    for i in range(start, n if stop is None else stop):
        month = rng.randrange(MONTHS) if i < late_from else rng.randrange(MONTHS - 5, MONTHS)
        events.append(
            AidAllocated(
                id=f"k{i}",
                occurred=_month(month),
                donor=rng.choice(DONORS),
                aid_type=rng.choice(TYPES),
                value=Money(Decimal(rng.randrange(1, 50_000)) * 1000, "EUR"),
                release="bench",
                line=i + 1,
            )
        )
    return events


def _rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def build(url: str, n: int, out: dict[str, float], *, schema: str | None = None) -> None:
    """Append the N events in batches of `BATCH`, then save the snapshots (timed)."""
    import timeline
    from timeline.progress import Progress
    from timeline.sources.kiel import KielProjection

    rng = random.Random(n)
    tl = timeline.open(url, projection=KielProjection(), schema=schema)
    seconds = 0.0
    with Progress(f"appending {n:,} events", total=n) as bar:  # silent off a terminal
        for k, first in enumerate(range(0, n, BATCH)):
            batch = kiel_events(n, rng, first, min(n, first + BATCH))  # made outside the timing
            moment = RECORDED_0 + dt.timedelta(minutes=k)
            took, _ = _timed(
                lambda batch=batch, moment=moment: tl.append(*batch, recorded_at=moment)
            )
            seconds += took
            bar.advance(len(batch))
    prefix = "PostgreSQL: " if schema else ""
    out[f"{prefix}append, batches of {BATCH:,} (events/s)"] = n / seconds
    seconds, saved = _timed(tl.save_snapshots)
    out[f"{prefix}save snapshots ({saved} states) (s)"] = seconds
    tl.close()


def fresh(url: str, n: int, *, schema: str | None = None) -> dict[str, float]:
    """Run `probe` in a new process and return what it measured."""
    args = [sys.executable, "-m", "benchmarks.scale", "probe", url, str(n), schema or ""]
    done = subprocess.run(
        args,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def probe(url: str, n: int, schema: str | None) -> dict[str, float]:
    """What a fresh process pays: open, first query, memory, a new knowledge time, warm queries."""
    import timeline
    from timeline.sources.kiel import KielProjection

    out: dict[str, float] = {}
    prefix = "PostgreSQL: " if schema else ""
    before = _rss_mb()
    seconds, tl = _timed(
        lambda: timeline.open(url, projection=KielProjection(), schema=schema, create=False)
    )
    out[f"{prefix}open, fresh process (ms)"] = seconds * 1000
    rng = random.Random(7)
    times = [f"{_month(rng.randrange(MONTHS))}-15" for _ in range(1100)]
    seconds, _ = _timed(lambda: tl.state_at(times[0]))
    out[f"{prefix}first state_at, snapshots present (ms)"] = seconds * 1000
    for t in times[1:101]:
        tl.state_at(t)
    out[f"{prefix}resident memory after open + 100 random state_at (MB)"] = _rss_mb() - before
    cut = RECORDED_0 + dt.timedelta(minutes=int(n * 0.9) // BATCH - 1)  # before the last 10 %
    # the later records touch only 2025-08 … 2025-12: below that, the latest view's
    # checkpoints are this knowledge's too; at the end, the touched months are folded again
    seconds, _ = _timed(lambda: tl.state_at("2025-06-30", known_at=cut))
    out[f"{prefix}new known_at, later records in the last 10 % of valid time (ms)"] = seconds * 1000
    seconds, _ = _timed(lambda: tl.state_at("2025-12-31", known_at=cut))
    out[f"{prefix}  … the same knowledge, at the end of valid time (ms)"] = seconds * 1000
    if schema:  # the same question answered by the server (record_keys) and by this process
        early = "2022-01-31"  # about 1/48 of the events
        at_us = int(dt.datetime(2022, 2, 1, tzinfo=UTC).timestamp() * 1e6) - 1
        seconds, _ = _timed(lambda: tl.store.effective(at_us, None, int(n * 0.9)))  # type: ignore[attr-defined]
        out[f"{prefix}effective() on the server alone: which records (ms)"] = seconds * 1000
        seconds, on_server = _timed(lambda: tl.events(early, known_at=cut, on_server=True))
        out[f"{prefix}events(at, known_at, on_server=True), decoding them (ms)"] = seconds * 1000
        seconds, here = _timed(lambda: tl.events(early, known_at=cut))
        out[f"{prefix}  … the same by this process's view, decoded already (ms)"] = seconds * 1000
        assert on_server == here
    for t in times[101:1101]:
        tl.state_at(t)
    seconds, _ = _timed(lambda: [tl.state_at(t) for t in times[101:1101]])
    out[f"{prefix}warm state_at, 1000 random times (ms/query)"] = seconds
    out[f"{prefix}resident memory at the end (MB)"] = _rss_mb() - before
    tl.close()
    return out


def physical(path: Path, n: int, out: dict[str, float]) -> None:
    """The same rows, written by one raw ``executemany`` and read by one scan: the floor."""
    source = sqlite3.connect(path)
    rows = source.execute(
        "SELECT position, recorded_at, type, version, id, data, hash FROM records"
    ).fetchall()
    source.close()
    raw_path = path.with_name("raw.db")
    db = sqlite3.connect(raw_path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute(
        "CREATE TABLE records (position INTEGER PRIMARY KEY, recorded_at TEXT, type TEXT, "
        "version INTEGER, id TEXT UNIQUE, data TEXT, hash TEXT)"
    )

    def write() -> None:
        db.execute("BEGIN")
        db.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        db.execute("COMMIT")

    seconds, _ = _timed(write)
    out["raw sqlite3: executemany of the same rows (events/s)"] = n / seconds
    db.close()
    db = sqlite3.connect(raw_path)
    seconds, count = _timed(lambda: sum(1 for _ in db.execute("SELECT * FROM records")))
    out["raw sqlite3: scan of the same rows (events/s)"] = count / seconds
    db.close()


def run_scale(n: int, workdir: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    path = workdir / "kiel.db"
    build(str(path), n, out)
    out.update(fresh(str(path), n))
    out["log file size (bytes/event)"] = sum(p.stat().st_size for p in workdir.glob("kiel.db*")) / n
    physical(path, n, out)
    postgres = os.environ.get("TIMELINE_BENCH_POSTGRES")
    if postgres:
        import psycopg

        schema = f"bench_scale_{os.getpid()}"
        try:
            build(postgres, n, out, schema=schema)
            out.update(fresh(postgres, n, schema=schema))
        finally:
            with psycopg.connect(postgres, autocommit=True) as admin:
                admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    return out


if __name__ == "__main__":
    if sys.argv[1] == "probe":
        print(json.dumps(probe(sys.argv[2], int(sys.argv[3]), sys.argv[4] or None)))
    else:  # python -m benchmarks.scale N [--json]: one run, printed
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            results = run_scale(int(sys.argv[1]), Path(tmp))
        if "--json" in sys.argv:
            print(json.dumps(results))
        else:
            for name, value in results.items():
                print(f"{value:>14,.3f}  {name}")
