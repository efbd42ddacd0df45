"""The workloads, run once for one library and one size, in a fresh process (``run_one``).

Every workload uses the same support-domain events: aid paused/resumed, loans, statements,
with valid times spread over 2022-02-24 … 2025-06 and recorded times that grow batch by batch.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

UTC = dt.UTC
FIRST_DAY = dt.date(2022, 2, 24)
DAYS = 1200
RECORDED_0 = dt.datetime(2025, 7, 1, tzinfo=UTC)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _spec(i: int, rng: random.Random) -> tuple[str, str, str, str]:
    day = (FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS))).isoformat()
    kind = ("paused", "resumed", "loan", "statement")[i % 4]
    actor = ("US", "GB", "FR", "DE", "PL")[rng.randrange(5)]
    return kind, day, actor, f"{rng.randrange(1, 5000)}000000"


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


# --- timeline -------------------------------------------------------------------------------
def support_events(n: int, rng: random.Random) -> list[Any]:
    """`n` support-domain events: aid paused/resumed, loans and statements, in turn."""
    from timeline import Money
    from timeline.support import AidPaused, AidResumed, LoanAnnounced, Person, StatementMade

    speaker = Person(name="Speaker", role="Minister", actor="RU")

    def make(i: int) -> Any:
        kind, day, actor, amount = _spec(i, rng)
        if kind == "paused":
            return AidPaused(
                id=f"e{i}", occurred=day, provider=actor, recipient="UA", channel="military"
            )
        if kind == "resumed":
            return AidResumed(
                id=f"e{i}", occurred=day, provider=actor, recipient="UA", channel="military"
            )
        if kind == "loan":
            return LoanAnnounced(
                id=f"e{i}",
                occurred=day,
                loan=f"loan-{i % 97}",
                lender=actor,
                borrower="UA",
                amount=Money(amount, "EUR"),
                stage="agreed",
            )
        return StatementMade(
            id=f"e{i}",
            occurred=day,
            speaker=speaker,
            actor="RU",
            subject=f"subject-{i % 13}",
            stance="opposes",
            quote="cannot be allowed",
        )

    return [make(i) for i in range(n)]


def run_timeline(n: int, workdir: Path) -> dict[str, float]:
    import timeline
    import timeline.support
    from timeline.support import AidPaused

    rng = random.Random(n)
    out: dict[str, float] = {}
    events = support_events(n, rng)
    batches = [events[s : s + 100] for s in range(0, n, 100)]

    path = workdir / "b100.db"
    tl = timeline.support.open(path)
    seconds, _ = _timed(
        lambda: [
            tl.append(*b, recorded_at=RECORDED_0 + dt.timedelta(minutes=k))
            for k, b in enumerate(batches)
        ]
    )
    out["append, batches of 100 (events/s)"] = n / seconds
    tl.close()

    one = timeline.support.open(workdir / "one.db")
    seconds, _ = _timed(lambda: one.append(*events))
    out["append, one batch (events/s)"] = n / seconds
    one.close()

    single_n = min(n, 2000)
    single = timeline.support.open(workdir / "single.db")
    seconds, _ = _timed(lambda: [single.append(e) for e in events[:single_n]])
    out["append, one event per append (events/s)"] = single_n / seconds
    single.close()

    before = _rss_mb()
    seconds, tl = _timed(lambda: timeline.support.open(path))
    out["open SQLite log (reads the index, no event) (ms)"] = seconds * 1000
    out["memory after open (bytes/event)"] = max(0.0, (_rss_mb() - before) * 1024 * 1024 / n)
    # every record decoded, each checked against the chain and its index row (what a full
    # listing or a cold fold of everything pays)
    seconds, count = _timed(lambda: sum(1 for _ in tl.records()))
    assert count == n
    out["open SQLite log, read + decode all (events/s)"] = n / seconds

    # what every reader pays to check each row against the hash chain (issue 11)
    from timeline.log import checked_rows

    store = tl.store
    plain, _ = _timed(lambda: sum(1 for _ in store.read()))
    checked, _ = _timed(lambda: sum(1 for _ in checked_rows(store.read())))
    out["chain check on read (us/record)"] = max(0.0, (checked - plain) / n * 1e6)
    out["chain check share of open (%)"] = 100 * max(0.0, checked - plain) / seconds

    end = RECORDED_0  # after every valid time
    seconds, _ = _timed(lambda: tl.state_at(end))
    out["fold default projection over all (events/s)"] = n / seconds

    fresh = timeline.support.open(path)
    t0 = dt.datetime(2022, 3, 1, tzinfo=UTC)
    moments = [t0 + dt.timedelta(minutes=rng.randrange(DAYS * 1440)) for _ in range(1000)]
    seconds, _ = _timed(lambda: fresh.state_at(moments[0]))
    out["state_at, first query cold (ms)"] = seconds * 1000
    fresh.close()
    for m in moments:  # warm
        tl.state_at(m)
    seconds, _ = _timed(lambda: [tl.state_at(m) for m in moments])
    out["state_at, warm, 1000 random times (ms/query)"] = seconds  # total s / 1000 * 1000

    # each new knowledge time refolds its prefix of the log (see RESULTS.md): 100 queries up to
    # 100k events, 10 at 1M, where 100 would take over 15 minutes
    count = 100 if n <= 100_000 else 10
    knowns = [RECORDED_0 + dt.timedelta(minutes=rng.randrange(len(batches))) for _ in range(count)]
    seconds, _ = _timed(
        lambda: [tl.state_at(m, known_at=k) for m, k in zip(moments, knowns, strict=False)]
    )
    out["state_at with random known_at, 100 queries (1M: 10) (ms/query)"] = seconds / count * 1000

    middle = FIRST_DAY + dt.timedelta(days=DAYS // 2)
    late = AidPaused(
        id="late", occurred=middle.isoformat(), provider="US", recipient="UA", channel="military"
    )
    seconds, _ = _timed(lambda: (tl.append(late), tl.state_at(moments[1])))
    out["late event (mid valid time) + query (ms)"] = seconds * 1000
    tl.close()

    postgres = os.environ.get("TIMELINE_BENCH_POSTGRES")
    if postgres and n <= 100_000:
        _postgres(postgres, n, batches, out)
    _kiel(rng, out)
    _physical(path, workdir, out)
    return out


def _physical(path: Path, workdir: Path, out: dict[str, float]) -> None:
    """The floor of this machine: the same stored rows written by raw ``sqlite3`` with the
    same settings (WAL, synchronous=FULL, the same UNIQUE id), in the same batches, then one
    scan. What timeline adds above it is its own work (encoding, the write and read checks,
    the hash chain, the index)."""
    import sqlite3

    source = sqlite3.connect(path)
    rows = source.execute(
        "SELECT position, recorded_at, type, version, id, data, hash FROM records"
    ).fetchall()
    source.close()
    insert = "INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?)"

    def raw(name: str, size: int) -> float:
        db = sqlite3.connect(workdir / name, isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        db.execute(
            "CREATE TABLE records (position INTEGER PRIMARY KEY, recorded_at TEXT NOT NULL, "
            "type TEXT NOT NULL, version INTEGER NOT NULL, id TEXT NOT NULL UNIQUE, "
            "data TEXT NOT NULL, hash TEXT NOT NULL)"
        )

        def write() -> None:
            for start in range(0, len(rows), size):
                db.execute("BEGIN IMMEDIATE")
                db.executemany(insert, rows[start : start + size])
                db.execute("COMMIT")

        seconds, _ = _timed(write)
        db.close()
        return len(rows) / seconds

    out["raw sqlite3, same rows: batches of 100 (events/s)"] = raw("raw100.db", 100)
    out["raw sqlite3, same rows: one batch (events/s)"] = raw("raw1.db", len(rows))
    db = sqlite3.connect(workdir / "raw1.db")
    seconds, count = _timed(lambda: sum(1 for _ in db.execute("SELECT * FROM records")))
    db.close()
    out["raw sqlite3, same rows: one scan (events/s)"] = count / seconds


def _postgres(url: str, n: int, batches: list[list[Any]], out: dict[str, float]) -> None:
    import psycopg

    import timeline
    import timeline.support

    schema = f"bench_{os.getpid()}_{n}"
    try:
        tl = timeline.support.open(url, schema=schema)
        seconds, _ = _timed(
            lambda: [
                tl.append(*b, recorded_at=RECORDED_0 + dt.timedelta(minutes=k))
                for k, b in enumerate(batches)
            ]
        )
        out["PostgreSQL: append, batches of 100 (events/s)"] = n / seconds
        tl.close()
        seconds, again = _timed(lambda: timeline.support.open(url, schema=schema))
        out["PostgreSQL: open (reads the index, no event) (ms)"] = seconds * 1000
        seconds, count = _timed(lambda: sum(1 for _ in again.records()))
        assert count == n
        out["PostgreSQL: read + decode all (events/s)"] = n / seconds
        again.close()
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _kiel(rng: random.Random, out: dict[str, float]) -> None:
    import timeline
    import timeline.support
    from timeline.sources.kiel import KielProjection, import_release

    r28 = (
        Path(__file__).resolve().parent.parent
        / "tests"
        / "data"
        / "kiel_ust_r28_bilateral_activities.csv"
    )
    if not r28.exists():
        return
    tl = timeline.open(projection=KielProjection())
    seconds, _ = _timed(lambda: import_release(tl, r28, release="R28", recorded_at="2026-05-11"))
    out["Kiel Release 28: read + import 5,565 rows (ms)"] = seconds * 1000
    days = [
        (dt.date(2022, 1, 1) + dt.timedelta(days=rng.randrange(1520))).isoformat()
        for _ in range(100)
    ]
    seconds, _ = _timed(lambda: [tl.state_at(day) for day in days])
    out["Kiel Release 28: 100 random state_at (ms/query)"] = seconds * 10


# --- eventsourcing ----------------------------------------------------------------------------
def run_eventsourcing(n: int, workdir: Path) -> dict[str, float]:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    class SupportLog(Aggregate):
        def __init__(self) -> None:
            self.aid: dict[str, str] = {}
            self.loans: dict[str, str] = {}
            self.positions: dict[str, str] = {}

        @event("Happened")
        def happened(self, kind: str, occurred: str, actor: str, amount: str, key: str) -> None:
            if kind in ("paused", "resumed"):
                self.aid[actor] = kind
            elif kind == "loan":
                self.loans[key] = amount
            else:
                self.positions[key] = "opposes"

    rng = random.Random(n)
    specs = [_spec(i, rng) for i in range(n)]

    def app_at(name: str) -> Application:
        os.environ["PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
        os.environ["SQLITE_DBNAME"] = str(workdir / name)
        return Application()

    def fill(app: Application, per_save: int) -> Any:
        log = SupportLog()
        for start in range(0, len(specs), per_save):
            for i in range(start, min(start + per_save, len(specs))):
                kind, day, actor, amount = specs[i]
                log.happened(kind=kind, occurred=day, actor=actor, amount=amount, key=f"k{i % 97}")
            app.save(log)
        return log

    out: dict[str, float] = {}
    app = app_at("es-b100.db")
    seconds, log = _timed(lambda: fill(app, 100))
    out["append, batches of 100 (events/s)"] = n / seconds

    seconds, _ = _timed(lambda: fill(app_at("es-one.db"), n))
    out["append, one batch (events/s)"] = n / seconds

    single_n = min(n, 2000)
    specs_all, specs = specs, specs[:single_n]
    seconds, _ = _timed(lambda: fill(app_at("es-single.db"), 1))
    out["append, one event per append (events/s)"] = single_n / seconds
    specs = specs_all

    reader = app_at("es-b100.db")

    def read_all() -> int:
        stored = reader.recorder.select_events(log.id)
        to_domain = reader.mapper.to_domain_event
        return len([to_domain(s) for s in stored])

    seconds, count = _timed(read_all)
    assert count == n + 1
    out["open SQLite log, read + decode all (events/s)"] = n / seconds

    seconds, _ = _timed(lambda: reader.repository.get(log.id))
    out["fold default projection over all (events/s)"] = n / seconds

    versions = [rng.randrange(1, n + 1) for _ in range(5 if n <= 100_000 else 1)]
    seconds, _ = _timed(lambda: reader.repository.get(log.id, version=versions[0]))
    out["state_at, first query cold (ms)"] = seconds * 1000
    seconds, _ = _timed(lambda: [reader.repository.get(log.id, version=v) for v in versions])
    out["state_at, warm, 1000 random times (ms/query)"] = seconds / len(versions) * 1000

    def late() -> Any:
        current = reader.repository.get(log.id)
        current.happened(kind="paused", occurred="2023-08-01", actor="US", amount="0", key="late")
        reader.save(current)
        return reader.repository.get(log.id)

    seconds, _ = _timed(late)
    out["late event (mid valid time) + query (ms)"] = seconds * 1000
    return out


def run_one(library: str, n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        runner = run_timeline if library == "timeline" else run_eventsourcing
        results = runner(n, Path(tmp))
    return {"library": library, "n": n, "results": results, "peak_rss_mb": _rss_mb()}


if __name__ == "__main__":
    print(json.dumps(run_one(sys.argv[1], int(sys.argv[2]))))
