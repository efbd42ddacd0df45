"""The command line: ``python -m timeline demo | show | events | import | export | verify``.

Errors (bad dates, missing files, corrupt logs) print one line on stderr and exit with 2.
Commands that only read never create or change a file. The event types a log needs are loaded
from the ``timeline.event_types`` entry-point group (the support domain and Kiel are there)
and from ``--module NAME``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import timeline
from timeline import publish, support
from timeline._open import _is_url, open_store
from timeline.errors import StoreError, TimelineError, UnknownEventType
from timeline.log import Timeline
from timeline.projection import Snapshots
from timeline.support import notebook as support_notebook
from timeline.support.report import format_state, table
from timeline.transfer import export_store, removed_on_failure
from timeline.values import Money
from timeline.verify import checked_rows, verify_store
from timeline.when import to_when

ENTRY_POINTS = "timeline.event_types"
"""The entry-point group of modules that register event types (``module = "package.events"``)."""

DEMO_DB = "timeline-demo.db"


class CommandError(Exception):
    """A user error the command line reports in one line."""


def load_event_modules(extra: Sequence[str] = ()) -> list[str]:
    """Import every module of the `ENTRY_POINTS` group and `extra`; return their names."""
    names = [ep.value for ep in entry_points(group=ENTRY_POINTS)]
    names += list(extra)
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - any failure to import is one line for the user
            raise CommandError(f"--module {name}: cannot import it: {exc}") from None
    return names


def _open(db: str | None) -> Timeline[support.SupportState]:
    """An existing log, read-only in effect: a missing or empty file is an error, not created."""
    if db is None:
        return support.load_seed()
    return support.open(db, create=False)


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
    seeded = support.load_seed()
    tl = support.open(path)
    if tl.head == 0:
        support.fill(tl)
    elif tl.head_hash != seeded.head_hash:
        raise CommandError(f"{path}: exists and holds another log; remove it or pass --db")
    tl.verify(head_hash=seeded.head_hash)
    print(f"Seed timeline: {tl.head} records in {path} (hash chain verified)\n")
    for at in ("2025-02-27", "2025-03-02", "2025-03-04", "2025-03-07", "2025-03-12"):
        state = tl.state_at(at)
        print(
            f"{at}: US military aid {state.aid_status('US', 'military') or 'no pause recorded'}; "
            f"US intelligence {state.aid_status('US', 'intelligence') or 'no pause recorded'}; "
            f"UK commitments {_totals(state.amounts(provider='GB'))}"
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
    for change in tl.revisions("2025-04-30", known_before="2025-03-07"):
        print(f"  {change}")
    tl.close()


def _totals(amounts: dict[str, Money]) -> str:
    return "; ".join(str(m) for _, m in sorted(amounts.items())) or "none"


def cmd_show(args: argparse.Namespace) -> None:
    at = _time(args.at, "--at")
    known = _time(args.known_at, "--known-at")
    assert at is not None
    with _open(args.db) as tl:
        print(format_state(tl.state_at(at, known_at=known), _title(at, known)))


def cmd_events(args: argparse.Namespace) -> None:
    start = _time(args.start, "--from")
    end = _time(args.end, "--to")
    try:
        tl = _open(args.db)
    except UnknownEventType as exc:
        _stored_listing(args.db, exc)
        return
    with tl:
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


def _stored_listing(db: str | None, exc: UnknownEventType) -> None:
    """`events` for a log whose types are not all registered: the records as stored."""
    assert db is not None  # the seed's types are always registered
    print(f"note: {exc}; listing the records as stored (corrections not applied)", file=sys.stderr)
    store = open_store(db, create=False)
    try:
        rows = []
        for row in checked_rows(store.read()):
            data = json.loads(row.data)
            occurred = data.get("occurred", "") if isinstance(data, dict) else ""
            rows.append((row.position, row.recorded_at, occurred, row.type, row.id))
    finally:
        store.close()
    print(table(["position", "recorded_at", "occurred", "type", "id"], rows, indent=""))


def cmd_import(args: argparse.Namespace) -> None:
    if not Path(args.file).is_file():
        raise CommandError(f"{args.file}: no such file")
    with removed_on_failure(args.db):
        tl = timeline.open(args.db)
        try:
            records = timeline.import_jsonl(args.file, into=tl, progress=_progress(args))
            print(f"imported {len(records)} records into {args.db}; head is now {tl.head}")
        finally:
            tl.close()


def cmd_export(args: argparse.Namespace) -> None:
    # at the stored level: every row is checked against the chain, none is decoded, so a log
    # of any event types exports
    store = open_store(args.db, create=False)
    try:
        count = export_store(store, args.file, overwrite=args.force, progress=_progress(args))
    finally:
        store.close()
    print(f"exported {count} records to {args.file}")


def cmd_verify(args: argparse.Namespace) -> None:
    try:  # the chain, then every index row recomputed from its event
        tl = timeline.open(args.db, create=False)
        try:
            head = tl.verify(head_hash=args.head_hash)
            print(f"ok: {tl.head} records and their index, head hash {head}")
        finally:
            tl.close()
    except UnknownEventType as exc:
        # the stored columns alone, without decoding events: the chain still verifies
        store = open_store(args.db, create=False)
        try:
            head = verify_store(store, head_hash=args.head_hash)
            position = store.head().position
        finally:
            store.close()
        print(f"ok: {position} records, head hash {head}; the index was not checked ({exc})")


def _snapshot_projection(name: str) -> Any:
    """`kiel`, or ``module:Class`` of a projection with snapshot support."""
    if name == "kiel":
        from timeline.sources.kiel import KielProjection

        return KielProjection()
    module, _, attribute = name.partition(":")
    if not attribute:
        raise CommandError(f"--projection {name!r}: give 'kiel' or module:Class")
    try:
        made = getattr(importlib.import_module(module), attribute)()
    except Exception as exc:  # noqa: BLE001 - whatever the named object does, one line
        raise CommandError(f"--projection {name!r}: {type(exc).__name__}: {exc}") from None
    if not isinstance(made, Snapshots):
        raise CommandError(
            f"--projection {name!r}: {type(made).__name__} cannot be snapshotted: give it "
            "snapshot_name, snapshot_version, dump_state and load_state"
        )
    return made


def cmd_snapshots(args: argparse.Namespace) -> None:
    if not Path(args.db).exists() and not _is_url(args.db):
        raise CommandError(f"{args.db}: no such file")
    tl = timeline.open(args.db)  # snapshots are written: the file may be brought to version 3
    try:
        if args.action == "drop":
            count = tl.drop_snapshots()
            print(f"dropped {count} snapshot rows from {args.db}")
            return
        projection = _snapshot_projection(args.projection)
        try:
            count = tl.save_snapshots(projection, every=args.every, progress=_progress(args))
        except (TypeError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        if count == 0 and len(tl) >= args.every:
            raise CommandError(f"{args.db} is read-only: no snapshot was stored")
        print(f"stored {count} snapshots of {projection.snapshot_name} in {args.db}")
    finally:
        tl.close()


def cmd_kiel_import(args: argparse.Namespace) -> None:
    from timeline.sources.kiel import import_release

    for name in args.files:
        if not Path(name).is_file():
            raise CommandError(f"{name}: no such file")
    recorded_at = _time(args.recorded_at, "--recorded-at")
    with removed_on_failure(args.db):
        tl = timeline.open(args.db)
        try:
            report = import_release(
                tl,
                *args.files,
                release=args.release,
                recorded_at=recorded_at or "",
                progress=_progress(args),
            )
            print(report)
            print(f"head is now {tl.head} in {args.db}")
        finally:
            tl.close()


def cmd_kiel_reconcile(args: argparse.Namespace) -> None:
    from timeline.sources.kiel import KielProjection, read_summary, reconcile

    at = _time(args.at, "--at")
    known = _time(args.known_at, "--known-at")
    assert at is not None
    summary = read_summary(args.summary)  # before the log: a wrong file fails first
    with _open(args.db) as tl:
        state = tl.state_at(at, known_at=known, projection=KielProjection(), certain=True)
    print(
        f"Kiel totals at {at} (known at {known or 'the latest record'}), certain, beside {args.summary}"
    )
    print(reconcile(state, summary))


def cmd_totals(args: argparse.Namespace) -> None:
    from timeline.sources.kiel import KielProjection, Measure

    at = _time(args.at, "--at")
    known = _time(args.known_at, "--known-at")
    assert at is not None
    with _open(args.db) as tl:
        state = tl.state_at(at, known_at=known, projection=KielProjection(), certain=args.certain)
    group = not args.eu_apart
    measures: tuple[Measure, ...] = ("commitment", "allocation", "disbursement")
    sums = {m: state.totals(args.by, measure=m, group_eu=group) for m in measures}
    allocated = sums["allocation"]
    keys = sorted(set().union(*sums.values()), key=lambda k: -allocated.get(k, 0))
    counted = "dates certain by then" if args.certain else "counted from their earliest date"
    print(
        f"Kiel totals at {at} (known at {known or 'the latest record'}; {counted}), "
        f"EUR, by {args.by}"
    )
    print(
        table(
            [args.by, "committed", "allocated", "disbursed"],
            [
                (
                    k,
                    *(f"{sums[m][k]:,.0f}" if k in sums[m] else "" for m in measures),
                )
                for k in keys
            ],
            indent="",
        )
    )


def _group(ev: timeline.Event) -> str:
    """The row of an event on the page: its first actor, else its type."""
    return support_notebook.actors(ev).split(", ")[0] or ev.event_type


def cmd_html(args: argparse.Namespace) -> None:
    with _open(args.db) as tl:
        written = publish.to_html(
            tl, args.out, title=args.title, group=_group, overwrite=args.force
        )
        records = tl.head
    print(f"wrote {written.path} ({len(written.html.encode()):,} bytes, {records} records)")


def cmd_timelinejs(args: argparse.Namespace) -> None:
    with _open(args.db) as tl:
        state = tl.state_at("9999-12-31")
        eras = [
            publish.Era(
                p.start.earliest,
                p.end.latest if p.end else None,
                f"{p.provider} {p.channel.value} aid paused",
            )
            for p in state.pauses()
        ]
        doc = publish.to_timelinejs(
            tl, args.out, title=args.title, group=_group, eras=eras, overwrite=args.force
        )
    print(f"wrote {args.out} ({len(doc['events'])} events, {len(eras)} eras)")


def cmd_copy(args: argparse.Namespace) -> None:
    head = timeline.copy_log(args.source, args.target, progress=_progress(args))
    print(f"copied {args.source} -> {args.target}; head hash {head} (verified)")


def _quiet(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--quiet", action="store_true", help="no progress report (none is shown off a terminal)"
    )


def _progress(args: argparse.Namespace) -> bool | None:
    return False if getattr(args, "quiet", False) else None


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--module",
        action="append",
        default=[],
        metavar="NAME",
        help="import this module first: it registers event types the log holds (repeatable)",
    )
    p = argparse.ArgumentParser(prog="python -m timeline", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    def add(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], **kwargs)

    demo = add("demo", help="load the seed into an SQLite file and show the state across the pause")
    demo.add_argument(
        "--db", default=DEMO_DB, help=f"SQLite file to create or reuse (default {DEMO_DB})"
    )
    demo.set_defaults(run=cmd_demo)
    show = add("show", help="the state of support at a time")
    show.add_argument("--at", required=True, help="valid time, e.g. 2025-03-05")
    show.add_argument("--known-at", help="knowledge time (default: everything recorded)")
    show.add_argument("--db", help="SQLite log (default: the seed timeline in memory)")
    show.set_defaults(run=cmd_show)
    events = add("events", help="the effective events in valid-time order")
    events.add_argument("--from", dest="start")
    events.add_argument("--to", dest="end")
    events.add_argument("--db")
    events.set_defaults(run=cmd_events)
    imp = add("import", help="append a JSON Lines file to a log, atomically")
    imp.add_argument("file")
    imp.add_argument("--db", required=True)
    imp.set_defaults(run=cmd_import)
    _quiet(imp)
    exp = add("export", help="write a log as JSON Lines")
    exp.add_argument("--db", required=True)
    exp.add_argument("file", help="a new file (an existing one only with --force)")
    exp.add_argument("--force", action="store_true", help="replace an existing file")
    _quiet(exp)
    exp.set_defaults(run=cmd_export)
    ver = add("verify", help="check the hash chain")
    ver.add_argument("--db", required=True)
    ver.add_argument("--head-hash", help="a head hash published earlier (detects truncation)")
    ver.set_defaults(run=cmd_verify)
    snap = add("snapshots", help="store (or drop) a projection's snapshots beside a log")
    snap.add_argument("action", choices=["save", "drop"])
    snap.add_argument("--db", required=True)
    snap.add_argument(
        "--projection",
        default="kiel",
        help="'kiel' (the default) or module:Class of a projection with snapshot support",
    )
    snap.add_argument("--every", type=int, default=2048, help="events between snapshots")
    snap.set_defaults(run=cmd_snapshots)
    _quiet(snap)
    kiel = add("kiel", help="the Kiel Ukraine Support Tracker")
    kiel_sub = kiel.add_subparsers(dest="kiel_command", required=True)
    kimp = kiel_sub.add_parser(
        parents=[common],
        name="import",
        help="append a release as one batch, superseding earlier ones",
    )
    kimp.add_argument(
        "files", nargs="+", metavar="FILE", help="the main data, then optionally disbursements"
    )
    kimp.add_argument("--release", required=True, help="a name for the release, e.g. R28")
    kimp.add_argument("--recorded-at", required=True, help="the release's date")
    kimp.add_argument("--db", required=True)
    kimp.set_defaults(run=cmd_kiel_import)
    _quiet(kimp)
    krec = kiel_sub.add_parser(
        parents=[common],
        name="reconcile",
        help="the totals at a release beside Kiel's own Country Summary",
    )
    krec.add_argument("summary", help="Kiel's Country Summary as CSV")
    krec.add_argument("--at", required=True, help="the release's date")
    krec.add_argument("--known-at")
    krec.add_argument("--db", required=True)
    krec.set_defaults(run=cmd_kiel_reconcile)
    tot = add("totals", help="cumulative Kiel totals (EUR) at a time")
    tot.add_argument("--at", required=True)
    tot.add_argument("--known-at")
    tot.add_argument(
        "--certain",
        action="store_true",
        help="count a row only once its latest possible date has passed (as Kiel's series)",
    )
    tot.add_argument(
        "--eu-apart",
        action="store_true",
        help="list the European Investment Bank and Peace Facility apart from the EU",
    )
    tot.add_argument("--by", choices=["donor", "type"], default="donor")
    tot.add_argument("--db", required=True)
    tot.set_defaults(run=cmd_totals)
    cp = add("copy", help="copy a log between SQLite, PostgreSQL and JSONL, losslessly")
    cp.add_argument("source", help="an SQLite file, a postgresql:// URL or a .jsonl file")
    cp.add_argument(
        "target", help="an empty (or new) SQLite file, postgresql:// URL or .jsonl file"
    )
    cp.set_defaults(run=cmd_copy)
    _quiet(cp)
    for name, run, what in (
        ("html", cmd_html, "one self-contained HTML page with a 'known at' slider"),
        ("timelinejs", cmd_timelinejs, "the TimelineJS 3 JSON of the events"),
    ):
        pub = add(name, help=f"publish {what}")
        pub.add_argument("out", help="the file to write")
        pub.add_argument("--db", help="the log (default: the seed timeline)")
        pub.add_argument("--title", default="Support for Ukraine", help="the page's title")
        pub.add_argument("--force", action="store_true", help="replace an existing file")
        pub.set_defaults(run=run)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        load_event_modules(getattr(args, "module", []))
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
