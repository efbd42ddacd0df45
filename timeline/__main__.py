"""The command line: ``python -m timeline demo | show | events | import | export | verify``.

Errors (bad dates, missing files, corrupt logs) print one line on stderr and exit with 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import timeline
from timeline.errors import StoreError, TimelineError
from timeline.log import Timeline, verify_store
from timeline.seed import fill
from timeline.stores.sqlite import SQLiteStore
from timeline.support.report import format_state, table
from timeline.when import to_when

DEMO_DB = "timeline-demo.db"


class CommandError(Exception):
    """A user error the command line reports in one line."""


def _open(db: str | None, *, must_exist: bool = True) -> Timeline[Any]:
    if db is None:
        return timeline.load_seed()
    if must_exist and not Path(db).exists():
        raise CommandError(f"{db}: no such file")
    return timeline.open(db)


def _time(text: str | None, name: str) -> str | None:
    if text is None:
        return None
    try:
        to_when(text)
    except TimelineError as exc:
        raise CommandError(f"{name}: {exc}") from None
    return text


def _title(at: str, known_at: str | None) -> str:
    return f"State of support at {at} (known at {known_at or 'the latest record'})"


def cmd_demo(args: argparse.Namespace) -> None:
    path = Path(args.db)
    seeded = fill(timeline.open())
    tl = timeline.open(path)
    if tl.head == 0:
        fill(tl)
    elif tl.head_hash != seeded.head_hash:
        raise CommandError(f"{path}: exists and holds another log; remove it or pass --db")
    tl.verify(head_hash=seeded.head_hash)
    print(f"Seed timeline: {tl.head} records in {path} (hash chain verified)\n")
    for at in ("2025-02-27", "2025-03-02", "2025-03-04", "2025-03-07", "2025-03-12"):
        state = tl.state_at(at)
        print(
            f"{at}: US military aid {state.aid_status('US', 'military') or 'no pause recorded'}; "
            f"US intelligence {state.aid_status('US', 'intelligence') or 'no pause recorded'}; "
            f"UK commitments {_totals(state.totals(provider='GB'))}"
        )
    then = tl.state_at("2025-03-12", known_at="2025-03-07")
    print(
        f"2025-03-12 as known on 2025-03-07: US military aid {then.aid_status('US', 'military')}"
        " (the resumption was not known yet)\n"
    )
    print(format_state(tl.state_at("2025-03-07"), _title("2025-03-07", None)))
    print("\nWhat changed between 2025-02-27 and 2025-03-07:")
    for change in tl.diff("2025-02-27", "2025-03-07"):
        print(f"  {change}")
    print("\nWhat the log learned after 2025-03-07 about the state on 2025-04-30:")
    for change in tl.revisions("2025-04-30", "2025-03-07"):
        print(f"  {change}")
    tl.close()


def _totals(totals: dict[str, Any]) -> str:
    return "; ".join(f"{k} {v:,f}" for k, v in sorted(totals.items())) or "none"


def cmd_show(args: argparse.Namespace) -> None:
    at = _time(args.at, "--at")
    known = _time(args.known_at, "--known-at")
    assert at is not None
    tl = _open(args.db)
    print(format_state(tl.state_at(at, known_at=known), _title(at, known)))


def cmd_events(args: argparse.Namespace) -> None:
    start = _time(args.start, "--from")
    end = _time(args.end, "--to")
    tl = _open(args.db)
    events = tl.events(at=end)
    if start is not None:
        lo = to_when(start).earliest
        events = [e for e in events if e.occurred.latest >= lo]
    print(
        table(
            ["occurred", "type", "id", "source"],
            [
                (
                    e.occurred,
                    e.event_type,
                    e.id,
                    (e.source.quote or e.source.title or "")[:60] if e.source else "",
                )
                for e in events
            ],
            indent="",
        )
    )


def cmd_import(args: argparse.Namespace) -> None:
    if not Path(args.file).exists():
        raise CommandError(f"{args.file}: no such file")
    tl = _open(args.db, must_exist=False)
    records = timeline.import_jsonl(args.file, into=tl)
    print(f"imported {len(records)} records into {args.db}; head is now {tl.head}")


def cmd_export(args: argparse.Namespace) -> None:
    count = _open(args.db).export_jsonl(args.file)
    print(f"exported {count} records to {args.file}")


def cmd_verify(args: argparse.Namespace) -> None:
    if not Path(args.db).exists():
        raise CommandError(f"{args.db}: no such file")
    store = SQLiteStore(args.db)  # verify the stored columns without decoding the events
    try:
        head = verify_store(store, head_hash=args.head_hash)
        print(f"ok: {store.head().position} records, head hash {head}")
    finally:
        store.close()


def cmd_kiel_import(args: argparse.Namespace) -> None:
    from timeline.sources.kiel import import_release

    if not Path(args.file).exists():
        raise CommandError(f"{args.file}: no such file")
    recorded_at = _time(args.recorded_at, "--recorded-at")
    tl = _open(args.db, must_exist=False)
    report = import_release(tl, args.file, release=args.release, recorded_at=recorded_at or "")
    print(report)
    print(f"head is now {tl.head} in {args.db}")


def cmd_totals(args: argparse.Namespace) -> None:
    from timeline.sources.kiel import KielProjection

    at = _time(args.at, "--at")
    known = _time(args.known_at, "--known-at")
    assert at is not None
    tl = _open(args.db)
    state = tl.state_at(at, known_at=known, projection=KielProjection())
    allocated = state.totals(args.by, measure="allocation")
    committed = state.totals(args.by, measure="commitment")
    keys = sorted(set(allocated) | set(committed), key=lambda k: -allocated.get(k, 0))
    print(f"Kiel totals at {at} (known at {known or 'the latest record'}), EUR, by {args.by}")
    print(
        table(
            [args.by, "allocated", "committed"],
            [(k, f"{allocated.get(k, 0):,.0f}", f"{committed.get(k, 0):,.0f}") for k in keys],
            indent="",
        )
    )


def cmd_copy(args: argparse.Namespace) -> None:
    head = timeline.copy_log(args.source, args.target)
    print(f"copied {args.source} -> {args.target}; head hash {head} (verified)")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m timeline", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo", help="load the seed into an SQLite file and show the state across the pause"
    )
    demo.add_argument(
        "--db", default=DEMO_DB, help=f"SQLite file to create or reuse (default {DEMO_DB})"
    )
    demo.set_defaults(run=cmd_demo)
    show = sub.add_parser("show", help="the state of support at a time")
    show.add_argument("--at", required=True, help="valid time, e.g. 2025-03-05")
    show.add_argument("--known-at", help="knowledge time (default: everything recorded)")
    show.add_argument("--db", help="SQLite log (default: the seed timeline in memory)")
    show.set_defaults(run=cmd_show)
    events = sub.add_parser("events", help="the effective events in valid-time order")
    events.add_argument("--from", dest="start")
    events.add_argument("--to", dest="end")
    events.add_argument("--db")
    events.set_defaults(run=cmd_events)
    imp = sub.add_parser("import", help="append a JSON Lines file to a log, atomically")
    imp.add_argument("file")
    imp.add_argument("--db", required=True)
    imp.set_defaults(run=cmd_import)
    exp = sub.add_parser("export", help="write a log as JSON Lines")
    exp.add_argument("--db", required=True)
    exp.add_argument("file")
    exp.set_defaults(run=cmd_export)
    ver = sub.add_parser("verify", help="check the hash chain")
    ver.add_argument("--db", required=True)
    ver.add_argument("--head-hash", help="a head hash published earlier (detects truncation)")
    ver.set_defaults(run=cmd_verify)
    kiel = sub.add_parser("kiel", help="the Kiel Ukraine Support Tracker")
    kiel_sub = kiel.add_subparsers(dest="kiel_command", required=True)
    kimp = kiel_sub.add_parser(
        "import", help="append a release as one batch, superseding earlier ones"
    )
    kimp.add_argument("file")
    kimp.add_argument("--release", required=True, help="a name for the release, e.g. R28")
    kimp.add_argument("--recorded-at", required=True, help="the release's date")
    kimp.add_argument("--db", required=True)
    kimp.set_defaults(run=cmd_kiel_import)
    tot = sub.add_parser("totals", help="cumulative Kiel totals (EUR) at a time")
    tot.add_argument("--at", required=True)
    tot.add_argument("--known-at")
    tot.add_argument("--by", choices=["donor", "type"], default="donor")
    tot.add_argument("--db", required=True)
    tot.set_defaults(run=cmd_totals)
    cp = sub.add_parser("copy", help="copy a log between SQLite, PostgreSQL and JSONL, losslessly")
    cp.add_argument("source", help="an SQLite file, a postgresql:// URL or a .jsonl file")
    cp.add_argument(
        "target", help="an empty (or new) SQLite file, postgresql:// URL or .jsonl file"
    )
    cp.set_defaults(run=cmd_copy)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except (CommandError, TimelineError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"error: {message}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader stopped reading (``| head``): not an error; silence the final flush
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (OSError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
