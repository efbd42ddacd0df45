"""The Kiel Ukraine Support Tracker import, checked against the CSV recomputed plainly."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import timeline
from timeline import DataError
from timeline.__main__ import main
from timeline.sources.kiel import (
    AidAllocated,
    AidCommitted,
    KielProjection,
    import_release,
    monthly_series,
    read_release,
)

DATA = Path(__file__).resolve().parent / "data"
R28 = DATA / "kiel_ust_r28_bilateral_activities.csv"
SHEET = DATA / "kiel_ust_2024_delivery_sheet.csv"
CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def r28() -> Any:
    return read_release(R28, "R28", recorded_at="2026-05-11")


@pytest.fixture(scope="module")
def both() -> timeline.Timeline[Any]:
    tl = timeline.open(projection=KielProjection())
    import_release(tl, SHEET, release="2024-Q1", recorded_at="2024-06-22")
    import_release(tl, R28, release="R28", recorded_at="2026-05-11")
    return tl


def _month_start(index: str) -> str:
    n = int(index) - 1
    return f"{2022 + n // 12:04d}-{n % 12 + 1:02d}-01"


def plain_totals(donor: str, day: str, measure: str) -> Decimal:
    """What the tracker says a donor had allocated (or committed) by the end of `day`."""
    total = Decimal(0)
    seen = set()
    with R28.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["giver"] != donor or row["maal"].lower() != measure:
                continue
            start = row["dato"] or (
                _month_start(row["maaned_nr"]) if int(row["maaned_nr"]) > 0 else None
            )
            if start is None or start > day:
                continue
            if measure == "commitment":
                key = (
                    row["giver"],
                    row["dato"] or row["maaned_nr"],
                    row["kategori"],
                    row["verdi_eur_activity"],
                )
                if key in seen:
                    continue
                seen.add(key)
                total += Decimal(row["verdi_eur_activity"])
            else:
                total += Decimal(row["verdi_eur"])
    return total


def test_every_row_is_accounted_for_and_the_total_matches_kiel(r28: Any) -> None:
    assert r28.rows_read == 5565
    assert len(r28.events) + len(r28.set_aside) == 5565
    total = r28.events_eur("allocation") + r28.set_aside_eur("allocation")
    assert round(total / Decimal(10**9), 2) == Decimal(
        "349.93"
    )  # the README's (and Kiel's) headline
    reasons = {s.reason for s in r28.set_aside}
    assert reasons == {
        "no date and no month",
        "zero-valued item line (the value sits on its package row)",
        "repeat of a commitment's activity value",
    }
    assert sum(1 for s in r28.set_aside if s.reason == "no date and no month") == 117
    assert "R28" in str(r28)


@pytest.mark.parametrize(
    "donor", ["Germany", "United States", "United Kingdom", "Czechia", "Sweden", "Belgium"]
)
@pytest.mark.parametrize("day", ["2022-03-31", "2023-06-30", "2024-12-31", "2026-02-28"])
def test_cumulative_allocations_and_commitments_to_the_cent(
    both: timeline.Timeline[Any], donor: str, day: str
) -> None:
    state = both.state_at(day)
    for measure in ("allocation", "commitment"):
        got = state.totals(measure=measure).get(donor, Decimal(0))
        assert got.quantize(CENT) == plain_totals(donor, day, measure).quantize(CENT), measure


def test_quirks_each_handled_on_purpose(r28: Any) -> None:
    events = {e.line: e for e in r28.events}
    reversals = [e for e in r28.events if e.reversal]
    assert sorted(e.donor for e in reversals) == ["Czechia", "Sweden"]  # the two negative rows
    assert all(e.value.amount > 0 for e in reversals)
    with R28.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    month_only = [e for e in r28.events if e.occurred.precision.value == "month"]
    assert 0 < len(month_only) <= r28.notes["no date: month precision from the month index"] == 167
    for e in month_only:  # no date in the row; the month index gives the month
        row = rows[e.line - 2]
        assert row["dato"] == ""
        assert str(e.occurred) == _month_start(row["maaned_nr"])[:7]
    assert r28.notes["month index disagrees with the date (the date is used)"] == 37
    commitment = next(e for e in r28.events if isinstance(e, AidCommitted))
    assert commitment.value.amount > 0  # taken from the activity column, not the zero sub-activity
    # exact duplicate allocation rows are separate sub-activities: all of them are events
    first_dup = next(
        i
        for i, r in enumerate(rows)
        if r["maal"] == "Allocation"
        and float(r["verdi_eur"]) > 0
        and r["dato"]
        and rows[i + 1] == r
    )
    assert first_dup + 2 in events
    assert first_dup + 3 in events


def test_older_sheet_format_markers_and_currencies() -> None:
    report = read_release(SHEET, "2024-Q1")
    assert report.rows_read == 3176
    assert len(report.events) + len(report.set_aside) == 3176
    assert sum(1 for s in report.set_aside if s.reason == "missing value (Kiel's '.')") == 82
    assert report.notes["damaged unit price (e.g. 280NULL49) dropped"] > 0
    currencies = {e.original_currency for e in report.events}
    assert {"USD", "EUR", "HRK"} <= currencies
    assert all(
        e.specific_type is None or e.specific_type == e.specific_type.strip() for e in report.events
    )
    assert not any(e.item and "NULL" in e.item for e in report.events)
    assert all(isinstance(e, (AidAllocated, AidCommitted)) for e in report.events)


def test_releases_are_knowledge_not_overwrites(both: timeline.Timeline[Any]) -> None:
    between = "2025-01-01"
    older = both.state_at("2023-12-31", known_at=between)
    newer = both.state_at("2023-12-31")
    sheet_only = timeline.open(projection=KielProjection())
    import_release(sheet_only, SHEET, release="2024-Q1", recorded_at="2024-06-22")
    assert older == sheet_only.state_at("2023-12-31")
    assert newer.totals()["Germany"].quantize(CENT) == plain_totals(
        "Germany", "2023-12-31", "allocation"
    ).quantize(CENT)
    revisions = both.revisions("2023-12-31", known_before=between)
    changed = {c.donor for c in revisions}  # type: ignore[attr-defined]
    assert {"Germany", "United States", "Canada"} <= changed
    assert any(
        str(c).startswith("Canada allocations: EUR 4,645,117,479 → EUR 6,152,973,929")
        for c in revisions
    )
    assert both.state_at("2023-12-31", known_at="2024-01-01").totals() == {}
    with pytest.raises(DataError, match="already in the log"):
        import_release(both, R28, release="R28", recorded_at="2026-06-01")


def test_analyst_queries(both: timeline.Timeline[Any]) -> None:
    state = both.state_at("2026-02-28")
    top = state.top(3)
    assert [d for d, _ in top] == ["United States", "EU (Commission and Council)", "Germany"]
    by_type = state.totals("type")
    assert set(by_type) == {"military", "financial", "humanitarian"}
    assert sum(by_type.values()) == sum(state.totals().values())
    gaps = state.unallocated()
    assert all(v > 0 for v in gaps.values())
    committed, allocated = state.totals(measure="commitment"), state.totals()
    for donor, gap in gaps.items():
        assert gap == committed[donor] - allocated.get(donor, Decimal(0))
    assert state.totals(donor="Germany", aid_type="military").keys() == {"Germany"}


def test_monthly_series(both: timeline.Timeline[Any]) -> None:
    pytest.importorskip("pandas")
    frame = monthly_series(both, ["Germany", "United States"], end="2025-12")
    assert list(frame.columns) == ["Germany", "United States"]
    assert str(frame.index[0]) == "2022-01"
    assert frame["Germany"].is_monotonic_increasing
    assert frame.loc[frame.index[-1], "Germany"] == pytest.approx(
        float(plain_totals("Germany", "2025-12-31", "allocation"))
    )


def test_not_a_kiel_file(tmp_path: Path) -> None:
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match=r"line 1: .*not a Kiel"):
        read_release(bad, "x")
    broken = tmp_path / "broken.csv"
    broken.write_text(
        R28.read_text(encoding="utf-8").splitlines()[0]
        + "\nGermany,2022-03-01,Military,Allocation,12x,0,0,3,True,0\n"
    )
    with pytest.raises(DataError, match=r"line 2: .*'12x' is not a number"):
        read_release(broken, "x")
    with pytest.raises(DataError, match="cannot read"):
        read_release(tmp_path / "missing.csv", "x")


def test_cli_kiel_import_and_totals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "kiel.db")
    assert (
        main(
            [
                "kiel",
                "import",
                str(SHEET),
                "--release",
                "2024-Q1",
                "--recorded-at",
                "2024-06-22",
                "--db",
                db,
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "kiel",
                "import",
                str(R28),
                "--release",
                "R28",
                "--recorded-at",
                "2026-05-11",
                "--db",
                db,
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "5565 rows read, 2784 events, 2781 rows set aside" in out
    assert (
        main(
            ["totals", "--at", "2023-12-31", "--known-at", "2025-01-01", "--by", "type", "--db", db]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "known at 2025-01-01" in out
    assert "military" in out
    assert main(["totals", "--at", "2023-12-31", "--db", db]) == 0
    assert "United States" in capsys.readouterr().out.splitlines()[3]
    assert (
        main(
            [
                "kiel",
                "import",
                "missing.csv",
                "--release",
                "x",
                "--recorded-at",
                "2026-01-01",
                "--db",
                db,
            ]
        )
        == 2
    )
    assert main(["totals", "--at", "2023-13-01", "--db", db]) == 2
