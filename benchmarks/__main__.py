"""``python -m benchmarks``: timeline and eventsourcing, same workloads, one run, one table.

Each (library, size, repeat) runs in a fresh process so that peak memory is its own; the
table shows medians over the repeats. ``--write`` also writes benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import timeline
from timeline.progress import Progress

HERE = Path(__file__).resolve().parent
ES_LIMIT = 100_000  # eventsourcing rebuilds are linear: beyond this a run takes too long
QUERY_UNITS = ("(ms)", "(ms/query)")
HAND_WRITTEN = "<!-- Above: written by `--write`. Below: by hand, kept by `--write`. -->"


def measure(library: str, n: int) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.workloads", library, str(n)],
        cwd=HERE.parent,
        timeout=3600,  # a hung run fails the session instead of blocking it
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(proc.stdout.splitlines()[-1])
    return result


def scale_run(n: int) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale", str(n), "--json"],
        cwd=HERE.parent,
        timeout=7200,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(proc.stdout.splitlines()[-1])
    return result


def median_results(runs: list[dict[str, object]]) -> dict[str, float]:
    names = runs[0]["results"].keys()  # type: ignore[union-attr]
    out = {name: statistics.median(r["results"][name] for r in runs) for name in names}  # type: ignore[index]
    out["peak memory (MB)"] = statistics.median(r["peak_rss_mb"] for r in runs)  # type: ignore[misc]
    return out


def fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="write benchmarks/RESULTS.md")
    parser.add_argument(
        "--scale",
        type=int,
        default=1_000_000,
        help="events of the scale run (benchmarks/scale.py); 0 skips it",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    runs = sum(
        (args.repeat if n <= ES_LIMIT else 1) * (2 if n <= ES_LIMIT else 1) for n in sizes
    ) + bool(args.scale)
    bar = Progress("benchmark runs", total=runs)  # one line on a terminal, silent elsewhere
    lines = [
        "| N | workload | timeline | eventsourcing | timeline / eventsourcing |",
        "|---:|---|---:|---:|---:|",
    ]

    def counted(library: str, n: int) -> dict[str, object]:
        result = measure(library, n)
        bar.advance()
        return result

    for n in sizes:
        repeat = args.repeat if n <= ES_LIMIT else 1
        ours = median_results([counted("timeline", n) for _ in range(repeat)])
        theirs = (
            median_results([counted("eventsourcing", n) for _ in range(repeat)])
            if n <= ES_LIMIT
            else {}
        )
        for name, value in ours.items():
            other = theirs.get(name)
            if other is None or not other:
                ratio = "—"
            elif name.endswith(QUERY_UNITS) or name.startswith(("peak", "memory")):
                ratio = (
                    f"{other / value:,.1f}× faster"
                    if name.endswith(QUERY_UNITS)
                    else f"{value / other:.2f}"
                )
            else:
                ratio = f"{value / other:,.1f}×"
            lines.append(f"| {n:,} | {name} | {fmt(value)} | {fmt(other)} | {ratio} |")
        print("\n".join(lines[-len(ours) :]), flush=True)
    table = "\n".join(lines)
    print("\n" + table)
    scale_table = ""
    if args.scale:
        scale = scale_run(args.scale)
        bar.advance()
        scale_table = (
            f"\n\n## Scale: {args.scale:,} Kiel-shaped events (`python -m benchmarks.scale`)\n\n"
            "| workload | timeline |\n|---|---:|\n"
            + "\n".join(f"| {name} | {fmt(value)} |" for name, value in scale.items())
        )
        print(scale_table)
    bar.close()
    if args.write:
        machine = f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}"
        versions = (
            f"Python {platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version}, "
            f"timeline {timeline.__version__}, eventsourcing {version('eventsourcing')}, "
            f"attrs {version('attrs')}, cattrs {version('cattrs')}, pendulum {version('pendulum')}"
        )
        results = HERE / "RESULTS.md"
        kept = results.read_text(encoding="utf-8") if results.exists() else ""
        hand_written = kept.partition(HAND_WRITTEN)[2] if HAND_WRITTEN in kept else ""
        results.write_text(
            "# Benchmark results\n\n"
            f"Command: `python -m benchmarks --sizes {args.sizes} --repeat {args.repeat} --write` "
            "(what `nox -s bench -- --write` runs)\n\n"
            f"Machine: {machine}\n\nVersions: {versions}\n\n"
            "Medians over the repeats (1M: one run, timeline only: an eventsourcing rebuild of a "
            '1M-event stream takes minutes per query). "state_at" for eventsourcing is '
            "`repository.get(id, version=v)` (its time travel); it has no knowledge-time queries.\n\n"
            + table
            + scale_table
            + "\n\n"
            + HAND_WRITTEN
            + hand_written,
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
