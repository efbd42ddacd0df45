"""The Kiel Ukraine Support Tracker import, checked against Kiel's own figures and against the
CSV files recomputed plainly with the `csv` module."""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import timeline
from timeline import DataError, Money
from timeline.__main__ import main
from timeline.codec import decode, to_dict
from timeline.sources.kiel import (
    EU,
    AidAllocated,
    AidCommitted,
    AidDisbursed,
    KielProjection,
    KielState,
    import_release,
    monthly_series,
    pipeline_series,
    read_release,
    read_summary,
    reconcile,
)
from timeline.support.events import Channel

DATA = Path(__file__).resolve().parent / "data"
R28 = DATA / "kiel_ust_r28_bilateral_activities.csv"
DISBURSED = DATA / "kiel_ust_r28_financial_disbursements.csv"
SUMMARY = DATA / "kiel_ust_r28_country_summary.csv"
SHEET = DATA / "kiel_ust_2024_delivery_sheet.csv"
RELEASE = "2026-05-11"  # the date the R28 extract was published (tests/data/README.md)
CENT = Decimal("0.01")
BN = Decimal(10) ** 9
FOLDED = {"European Investment Bank": EU, "European Peace Facility": EU, "EU Institutions": EU}


def rows(path: Path = R28) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def r28() -> Any:
    return read_release(R28, "R28", recorded_at=RELEASE)


@pytest.fixture(scope="module")
def release() -> KielState:
    tl = timeline.open(projection=KielProjection())
    import_release(tl, R28, DISBURSED, release="R28", recorded_at=RELEASE)
    state: KielState = tl.state_at(RELEASE, certain=True)
    return state


@pytest.fixture(scope="module")
def both() -> timeline.Timeline[Any]:
    tl = timeline.open(projection=KielProjection())
    import_release(tl, SHEET, release="2024-Q1", recorded_at="2024-06-22")
    import_release(tl, R28, DISBURSED, release="R28", recorded_at=RELEASE)
    return tl


def kiel_cells() -> dict[tuple[str, str, str], Decimal]:
    """Kiel's methodology by hand: allocations are the redistributed value of every allocation
    row, dated or not; commitments the activity value of every row; the EIB and the EPF count
    under the EU."""
    cells: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for row in rows():
        donor = FOLDED.get(row["giver"], row["giver"])
        kind = row["kategori"].lower()
        if row["maal"] == "Allocation":
            cells[(donor, kind, "allocation")] += Decimal(row["verdi_eur_redistr"])
        cells[(donor, kind, "commitment")] += Decimal(row["verdi_eur_activity"])
    return cells


def summary_cells() -> dict[tuple[str, str, str], Decimal]:
    cells = {}
    for row in rows(SUMMARY):
        for kind in ("financial", "humanitarian", "military"):
            for measure in ("allocation", "commitment"):
                cells[(row["land"], kind, measure)] = Decimal(row[f"{kind}_{measure}"]) * BN
    return cells


def test_every_row_is_accounted_for_and_the_total_matches_kiel(r28: Any) -> None:
    assert r28.rows_read == 5565
    assert len(r28.events) + len(r28.set_aside) == 5565
    allocations = sum(Decimal(r["verdi_eur_redistr"]) for r in rows() if r["maal"] == "Allocation")
    assert r28.events_eur("allocation") == allocations  # every row's value is in an event
    assert round(r28.events_eur("allocation") / BN, 2) == Decimal("349.93")  # Kiel's headline
    assert round(r28.events_eur("commitment") / BN, 2) == Decimal("545.51")
    assert {s.reason for s in r28.set_aside} == {
        "zero-valued item line (the value sits on its package row)"
    }
    assert all(s.value_eur == 0 for s in r28.set_aside)
    assert "R28" in str(r28)


def test_release_totals_reproduce_the_csv_recomputation_to_the_cent(release: KielState) -> None:
    expected = kiel_cells()
    for (donor, kind, measure), value in expected.items():
        got = release.totals(measure=measure, aid_type=kind).get(donor, Decimal(0))  # type: ignore[arg-type]
        assert got.quantize(CENT) == value.quantize(CENT), (donor, kind, measure)


def test_release_totals_reproduce_kiels_country_summary(release: KielState) -> None:
    """All 42 donors × 3 aid types × 2 measures within 0.005 bn EUR, but one donor's
    humanitarian aid, where Kiel's summary is below the sum of Kiel's own rows."""
    summary = summary_cells()
    assert len({d for d, _, _ in summary}) == 42
    result = reconcile(release, SUMMARY)
    assert len(result.cells) == 252
    off = {(c.donor, c.aid_type.value, c.measure): c.residual for c in result.residuals()}
    assert set(off) == {
        ("Slovenia", "humanitarian", "allocation"),
        ("Slovenia", "humanitarian", "commitment"),
    }
    ours = kiel_cells()
    for key, residual in off.items():  # the rows sum to exactly this much more than the summary
        assert residual == ours[key] - summary[key]
    assert off[("Slovenia", "humanitarian", "allocation")].quantize(CENT) == Decimal("6700000.00")
    assert off[("Slovenia", "humanitarian", "commitment")].quantize(CENT) == Decimal("13400000.00")
    assert "250 of 252 cells" in str(result)
    assert result._repr_html_().count("<tr>") >= 2
    # the examples, each now as Kiel has it
    allocations = release.totals()
    for donor, bn in [("United Kingdom", "20.01"), ("France", "7.91"), ("Poland", "5.86")]:
        assert round(allocations[donor] / BN, 2) == Decimal(bn)
    commitments = release.totals(measure="commitment")
    assert round(commitments["United States"] / BN, 3) == Decimal("118.963")
    assert round(commitments["Italy"] / BN, 2) == Decimal("4.05")


def test_eu_institutions_grouped_as_kiel_or_apart(release: KielState) -> None:
    for measure in ("allocation", "commitment"):
        grouped = release.totals(measure=measure)
        apart = release.totals(measure=measure, group_eu=False)
        assert "European Investment Bank" not in grouped
        assert "European Investment Bank" in apart
        institutions = [d for d in apart if d.startswith("European")]
        assert grouped[EU] == apart[EU] + sum(apart[d] for d in institutions)
    # the Peace Facility's nine rows are all zero in this extract: it has no events to group
    apart = release.totals(group_eu=False)
    assert round(apart["European Investment Bank"] / BN, 3) == Decimal("3.168")


def test_no_real_row_is_dropped(r28: Any) -> None:
    """The EU's two 45 bn pledges of 2025-12-19 are two commitments, not one."""
    pledges = [
        e
        for e in r28.events
        if isinstance(e, AidCommitted)
        and e.donor == EU
        and str(e.occurred) == "2025-12-19"
        and e.value.amount == 45 * BN
    ]
    assert len(pledges) == 2


def _month_end(index: int) -> str:
    year, month = divmod(index - 1, 12)
    return f"{2022 + year:04d}-{month + 1:02d}"


def plain_monthly(donor: str, month_index: int, measure: str = "allocation") -> Decimal:
    """Cumulative EUR by the end of a month, as Kiel's monthly series counts: by Kiel's month
    where it exists; a dated row without one by its date; an undated row not at all."""
    total = Decimal(0)
    last = _month_end(month_index)
    for row in rows():
        if FOLDED.get(row["giver"], row["giver"]) != donor:
            continue
        if measure == "allocation" and row["maal"] != "Allocation":
            continue
        month = int(row["maaned_nr"]) if row["maaned_finnes"] == "True" else 0
        if month > 0:
            counted = month <= month_index
        else:
            counted = bool(row["dato"]) and row["dato"][:7] <= last
        if counted:
            column = "verdi_eur_redistr" if measure == "allocation" else "verdi_eur_activity"
            total += Decimal(row[column])
    return total


def test_monthly_cumulative_allocations_as_kiels_series(both: timeline.Timeline[Any]) -> None:
    uk = both.state_at("2024-12-31", certain=True).totals()["United Kingdom"]
    assert round(uk / BN, 3) == Decimal("13.498")  # Kiel's own monthly series
    for donor in ["Germany", "United States", "United Kingdom", "Czechia", "Sweden", EU]:
        for index in (3, 18, 36, 50):
            state = both.state_at(_month_end(index), certain=True)
            for measure in ("allocation", "commitment"):
                got = state.totals(measure=measure).get(donor, Decimal(0))
                assert got.quantize(CENT) == plain_monthly(donor, index, measure).quantize(CENT), (
                    donor,
                    index,
                    measure,
                )


def test_undated_value_counts_only_at_the_release_when_certain(
    both: timeline.Timeline[Any], r28: Any
) -> None:
    undated = [e for e in r28.events if str(e.occurred) == f"2022-01/{RELEASE}"]
    assert undated
    value = sum((e.value.amount for e in undated if isinstance(e, AidAllocated)), Decimal(0))
    assert value > 0
    early = "2022-01-31"
    loose = sum(both.state_at(early).totals().values(), Decimal(0))
    strict = sum(both.state_at(early, certain=True).totals().values(), Decimal(0))
    assert loose - strict == value  # counted from January 2022 unless certain
    before = sum(both.state_at("2026-02-28", certain=True).totals().values(), Decimal(0))
    at = sum(both.state_at(RELEASE, certain=True).totals().values(), Decimal(0))
    assert at - before == value


def test_disbursements_per_donor_from_the_csv(release: KielState) -> None:
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows(DISBURSED):
        expected[FOLDED.get(row["giver"], row["giver"])] += Decimal(row["verdi_eur_mrd"]) * BN
    got = release.totals(measure="disbursement")
    assert got.keys() == expected.keys()
    for donor, value in expected.items():
        assert got[donor].quantize(CENT) == value.quantize(CENT), donor
    assert round(sum(got.values()) / BN, 2) == Decimal("125.96")
    assert "EU Institutions" in release.totals(measure="disbursement", group_eu=False)


def test_financial_commitments_against_disbursements_per_donor(release: KielState) -> None:
    """Issue 15's hand computation: per donor, Kiel's financial commitments (activity values of
    the financial rows) beside what its disbursements sheet says was paid out."""
    committed: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows():
        if row["kategori"] == "Financial":
            committed[FOLDED.get(row["giver"], row["giver"])] += Decimal(row["verdi_eur_activity"])
    paid: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows(DISBURSED):
        paid[FOLDED.get(row["giver"], row["giver"])] += Decimal(row["verdi_eur_mrd"]) * BN
    pipeline = {r.donor: r for r in release.pipeline() if r.aid_type is Channel.FINANCIAL}
    assert set(paid) <= set(pipeline)
    for donor, line in pipeline.items():
        assert line.committed.quantize(CENT) == committed[donor].quantize(CENT), donor
        assert line.disbursed is not None
        assert line.disbursed.quantize(CENT) == paid[donor].quantize(CENT), donor
    assert round(pipeline[EU].committed / BN, 2) == Decimal("187.51")


def test_pipeline_committed_allocated_disbursed(release: KielState) -> None:
    pipeline = {(r.donor, r.aid_type): r for r in release.pipeline()}
    cells = kiel_cells()
    japan = pipeline[("Japan", Channel.FINANCIAL)]
    assert japan.committed.quantize(CENT) == cells[("Japan", "financial", "commitment")].quantize(
        CENT
    )
    assert japan.allocated.quantize(CENT) == cells[("Japan", "financial", "allocation")].quantize(
        CENT
    )
    assert japan.disbursed is not None
    assert 0 < japan.disbursed <= japan.committed
    assert pipeline[("Germany", Channel.MILITARY)].disbursed is None  # Kiel: financial only
    gaps = release.unallocated()
    summary = summary_cells()
    germany_gap = sum(
        summary[("Germany", t, "commitment")] - summary[("Germany", t, "allocation")]
        for t in ("financial", "humanitarian", "military")
    )
    assert abs(gaps["Germany"] - germany_gap) < Decimal("0.005") * BN  # about 21.9 bn
    assert round(gaps["Germany"] / BN, 1) == Decimal("21.9")
    assert "Australia" not in gaps or gaps["Australia"] > 0


def test_place_in_kiels_month_keep_the_date(r28: Any) -> None:
    by_line = {e.line: e for e in r28.events}
    table = rows()
    moved = [e for e in r28.events if e.announced is not None]
    assert moved
    for e in moved:
        row = table[e.line - 2]
        assert str(e.announced) == row["dato"]
        assert str(e.occurred) == _month_end(int(row["maaned_nr"]))
    month_only = [
        e for e in r28.events if e.occurred.precision.value == "month" and e.announced is None
    ]
    assert all(table[e.line - 2]["dato"] == "" for e in month_only)
    reversals = [e for e in r28.events if e.reversal]
    assert sorted(e.donor for e in reversals) == ["Czechia", "Sweden"]
    assert all(e.value.amount >= 0 for e in reversals)
    # exact duplicate allocation rows are separate sub-activities: all of them are events
    first_dup = next(
        i
        for i, r in enumerate(table)
        if r["maal"] == "Allocation"
        and float(r["verdi_eur"]) > 0
        and r["dato"]
        and table[i + 1] == r
    )
    assert first_dup + 2 in by_line
    assert first_dup + 3 in by_line
    moved_value = [e for e in r28.events if e.redistributed and e.value != e.sub_activity_value]
    assert moved_value  # Kiel's redistribution: the plain value is kept beside it


def test_older_sheet_format_same_rules() -> None:
    report = read_release(SHEET, "2024-Q1")
    assert report.rows_read == 3176
    assert len(report.events) + len(report.set_aside) == 3176
    assert sum(1 for s in report.set_aside if s.reason == "missing value (Kiel's '.')") == 82
    assert report.notes["damaged unit price (e.g. 280NULL49) dropped"] > 0
    currencies = {e.original_currency for e in report.events}
    assert {"USD", "EUR", "HRK"} <= currencies
    assert not any(e.redistributed for e in report.events)  # the extract has no such column
    values = [Decimal(r["eur_value"]) for r in rows(SHEET) if r["eur_value"] not in (".", "")]
    assert report.events_eur("commitment") == sum(values, Decimal(0))  # every row, no de-dup
    assert not any(e.item and "NULL" in e.item for e in report.events)


def test_releases_are_knowledge_not_overwrites(both: timeline.Timeline[Any]) -> None:
    between = "2025-01-01"
    older = both.state_at("2023-12-31", known_at=between)
    sheet_only = timeline.open(projection=KielProjection())
    import_release(sheet_only, SHEET, release="2024-Q1", recorded_at="2024-06-22")
    assert older == sheet_only.state_at("2023-12-31")
    then = both.state_at("2023-12-31", known_at=between, certain=True)
    now = both.state_at("2023-12-31", certain=True)
    assert round(then.totals(measure="commitment")["Germany"] / BN, 2) == Decimal("21.25")
    assert round(now.totals(measure="commitment")["Germany"] / BN, 2) == Decimal("21.35")
    revisions = both.revisions("2023-12-31", known_before=between)
    assert {"commitment", "allocation", "disbursement"} == {c.measure for c in revisions}  # type: ignore[attr-defined]
    assert both.state_at("2023-12-31", known_at="2024-01-01").totals() == {}
    with pytest.raises(DataError, match="already in the log"):
        import_release(both, R28, release="R28", recorded_at="2026-06-01")


def test_analyst_queries(both: timeline.Timeline[Any]) -> None:
    state = both.state_at(RELEASE, certain=True)
    top = state.top(3)
    assert [d for d, _ in top] == ["United States", EU, "Germany"]
    by_type = state.totals("type")
    assert set(by_type) == {"military", "financial", "humanitarian"}
    assert sum(by_type.values()) == sum(state.totals().values())
    assert state.totals(donor="Germany", aid_type="military").keys() == {"Germany"}
    with pytest.raises(ValueError, match="measure 'pledges'"):
        state.totals(measure="pledges")
    assert "disbursed (bn EUR)" in state._repr_html_()


def test_monthly_and_pipeline_series(both: timeline.Timeline[Any]) -> None:
    pytest.importorskip("pandas")
    frame = monthly_series(both, ["Germany", "United Kingdom"], end="2025-12")
    assert list(frame.columns) == ["Germany", "United Kingdom"]
    assert str(frame.index[0]) == "2022-01"
    assert frame.loc[frame.index[35], "United Kingdom"] == pytest.approx(13.498e9, rel=1e-4)
    assert frame.loc[frame.index[-1], "Germany"] == pytest.approx(
        float(plain_monthly("Germany", 48))
    )
    flows = pipeline_series(both, "Japan", end="2026-02")
    assert list(flows.columns) == ["committed", "allocated", "disbursed"]
    assert (flows["disbursed"] <= flows["committed"] + 1).all()
    assert flows["disbursed"].iloc[-1] > 0
    older = pipeline_series(both, "Japan", known_at="2025-01-01", end="2024-02")
    assert older["disbursed"].max() == 0  # the early-2024 extract has no disbursements


def test_version_1_events_still_decode_and_count_as_recorded() -> None:
    current = AidAllocated(
        id="a",
        occurred="2023-05",
        donor="Germany",
        aid_type="military",
        value=Money(Decimal("12.5"), "EUR"),
        release="R1",
        line=2,
    )
    data = to_dict(current)
    for key in ("activity_value", "sub_activity_value", "redistributed", "announced"):
        data.pop(key, None)
    old = decode("aid.allocated", 1, data)
    assert isinstance(old, AidAllocated)
    assert old.sub_activity_value == old.value
    assert not old.redistributed
    state = KielProjection().apply(KielProjection().initial(), old)
    assert state.totals() == {"Germany": Decimal("12.5")}
    assert state.totals(measure="commitment") == {}  # version 1 kept no activity value
    committed = decode("aid.committed", 1, {**data, "id": "c"})
    assert isinstance(committed, AidCommitted)
    assert not committed.redistributed


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
    assert "5565 rows read, 2897 events, 2668 rows set aside" in out
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


def test_cli_kiel_reconcile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "kiel.db")
    args = ["--release", "R28", "--recorded-at", RELEASE, "--db", db, "--quiet"]
    assert main(["kiel", "import", str(R28), str(DISBURSED), *args]) == 0
    assert "5696 rows read, 3028 events" in capsys.readouterr().out
    assert main(["kiel", "reconcile", str(SUMMARY), "--at", RELEASE, "--db", db]) == 0
    out = capsys.readouterr().out
    assert "250 of 252 cells" in out
    assert "Slovenia humanitarian allocation" in out
    assert main(["totals", "--at", "2024-12-31", "--certain", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "committed" in out
    assert "disbursed" in out
    assert "13,498,091,968" in out  # the United Kingdom, as Kiel's monthly series
    assert main(["totals", "--at", RELEASE, "--eu-apart", "--db", db]) == 0
    assert "European Investment Bank" in capsys.readouterr().out
    # the command line pointed at the wrong file: an error naming it, the log unchanged
    assert main(["kiel", "reconcile", str(R28), "--at", RELEASE, "--db", db]) == 2
    assert "not Kiel's Country Summary" in capsys.readouterr().err
    assert (
        main(
            ["kiel", "import", str(SUMMARY), "--release", "S", "--recorded-at", RELEASE, "--db", db]
        )
        == 2
    )
    assert "not a Kiel" in capsys.readouterr().err


def _r28_file(tmp_path: Path, *lines: str) -> Path:
    header = R28.read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "r.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("Germany,2022-03-01,Military,Allocation,-5,5,0,3,True,0", "mix signs"),
        ("Germany,2022-03-01,Military,Allocation,5,5,5,3,maybe,0", "month_exists 'maybe'"),
        ("Germany,2022-03-01,Military,Allocation,5,5,5,x,True,0", "month index 'x'"),
        ("Germany,2022-02-30,Military,Allocation,5,5,5,2,True,0", "2022-02-30"),
        ("Germany,2022-03-01,Naval,Allocation,5,5,5,3,True,0", "naval"),
        (",2022-03-01,Military,Allocation,5,5,5,3,True,0", "donor is empty"),
        ("Germany,2022-03-01,Military,Pledge,5,5,5,3,True,0", "neither Allocation"),
    ],
)
def test_bad_rows_are_data_errors_naming_the_line(tmp_path: Path, line: str, message: str) -> None:
    path = _r28_file(tmp_path, "Germany,2022-03-01,Military,Allocation,5,5,5,3,True,0", line)
    with pytest.raises(DataError, match="line 3") as info:
        read_release(path, "x")
    assert message.lower() in str(info.value).lower()


def test_bad_disbursements_and_summaries(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("giver,er_eu_medlem,aar,maaned,verdi_eur_mrd\nJapan,False,2023,13,0.5\n")
    with pytest.raises(DataError, match=r"line 2: .*month '13'"):
        read_release(path, "x")
    summary = tmp_path / "s.csv"
    text = SUMMARY.read_text(encoding="utf-8").splitlines()
    summary.write_text("\n".join([*text, text[1]]) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="appears twice"):
        read_summary(summary)
    summary.write_text("\n".join([text[0], text[1].replace("0.0,", "lots,", 1)]) + "\n")
    with pytest.raises(DataError, match=r"line 2: .*'lots' is not a number"):
        read_summary(summary)


def test_a_release_with_two_main_files_appends_nothing(tmp_path: Path) -> None:
    tl = timeline.open(projection=KielProjection())
    with pytest.raises(DataError, match="2 files of main data"):
        import_release(tl, R28, R28, release="R28", recorded_at=RELEASE)
    bad = tmp_path / "d.csv"
    bad.write_text("giver,er_eu_medlem,aar,maaned,verdi_eur_mrd\nJapan,False,2023,1,x\n")
    with pytest.raises(DataError, match="'x' is not a number"):
        import_release(tl, R28, bad, release="R28", recorded_at=RELEASE)
    assert tl.head == 0
    ok = import_release(tl, R28, DISBURSED, release="R28", recorded_at=RELEASE)
    assert any(isinstance(e, AidDisbursed) for e in ok.events)
    assert len({e.id for e in ok.events}) == len(ok.events)


# --- found by an adversarial review ---------------------------------------------------------
def test_an_import_that_would_retract_every_release_is_refused(tmp_path: Path) -> None:
    tl = timeline.open(projection=KielProjection())
    import_release(tl, R28, release="R28", recorded_at=RELEASE)
    head = tl.head
    header_only = tmp_path / "header.csv"
    header_only.write_text(R28.read_text(encoding="utf-8").splitlines()[0] + "\n")
    with pytest.raises(DataError, match="no rows with a value"):
        import_release(tl, header_only, release="R29", recorded_at="2026-06-01")
    with pytest.raises(DataError, match="no main data"):
        import_release(tl, DISBURSED, release="R29", recorded_at="2026-06-01")
    assert tl.head == head
    assert tl.state_at(RELEASE, certain=True).totals()  # R28 still answers


def test_rows_after_the_release_and_odd_month_indexes(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"line 7: .*2022-07-01, after the release \(2022-06-01\)"):
        read_release(R28, "R28", recorded_at="2022-06-01")
    for month, message in (("-1", "outside 0"), ("99999999", "month index '99999999'")):
        path = _r28_file(tmp_path, f"Germany,,Military,Allocation,5,5,5,{month},True,0")
        with pytest.raises(DataError, match=rf"line 2: .*{message}"):
            read_release(path, "x")
    early = _r28_file(tmp_path, "Germany,0999-03-01,Military,Allocation,5,5,5,0,False,0")
    with pytest.raises(DataError, match=r"line 2: .*0999-03-01, before the tracker's start"):
        read_release(early, "x")
    late = _r28_file(tmp_path, "Germany,9999-12-31,Military,Allocation,5,5,5,0,False,0")
    with pytest.raises(DataError, match="after the release"):
        read_release(late, "x", recorded_at=RELEASE)


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ("Germany,2022-03-01,Military,Allocation,1e400,1e400,1e400,3,True,0", "10 trillion"),
        ("Germany,2022-03-01,Cyber,Allocation,5,5,5,3,True,0", "aid type 'Cyber' is not"),
        ("Germ\x00any,2022-03-01,Military,Allocation,5,5,5,3,True,0", "control characters"),
    ],
)
def test_absurd_cells_are_data_errors(tmp_path: Path, cells: str, message: str) -> None:
    with pytest.raises(DataError, match=rf"line 2: .*{message}"):
        read_release(_r28_file(tmp_path, cells), "x")


def test_summary_and_header_checks(tmp_path: Path) -> None:
    text = SUMMARY.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "s.csv"
    bad.write_text("\n".join([text[0], text[1].replace("0.16089861705101702", "-0.16", 1)]) + "\n")
    with pytest.raises(DataError, match=r"line 2: .*humanitarian_allocation: .* negative"):
        read_summary(bad)
    header = R28.read_text(encoding="utf-8").splitlines()[0]
    twice = tmp_path / "twice.csv"
    twice.write_text(header + ",giver\nGermany,2022-03-01,Military,Allocation,5,5,5,3,True,0,X\n")
    with pytest.raises(DataError, match=r"line 1: .*repeats giver"):
        read_release(twice, "x")


@pytest.mark.parametrize("name", ["", " ", "R28\n", "a/b", "A:disbursed", "x" * 65, "R\x0028"])
def test_release_names_are_checked(name: str) -> None:
    with pytest.raises(DataError, match="release name"):
        read_release(R28, name)


def test_an_old_release_cannot_come_back_and_ids_never_clash() -> None:
    tl = timeline.open(projection=KielProjection())
    import_release(tl, SHEET, release="A", recorded_at="2024-06-22")
    import_release(tl, R28, DISBURSED, release="A-disbursed", recorded_at=RELEASE)
    with pytest.raises(DataError, match="'A' is already in the log"):
        import_release(tl, SHEET, release="A", recorded_at="2026-06-01")


def test_query_arguments_are_checked(both: timeline.Timeline[Any]) -> None:
    state = both.state_at(RELEASE, certain=True)
    with pytest.raises(timeline.InvalidValue, match="aid type 'cyber'"):
        state.totals(aid_type="cyber")
    pytest.importorskip("pandas")
    with pytest.raises(timeline.TimeError, match="end 'x'"):
        monthly_series(both, ["Germany"], end="x")
    with pytest.raises(timeline.TimeError, match="start '2022' is not a month"):
        monthly_series(both, ["Germany"], start="2022")
