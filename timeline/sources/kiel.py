"""The Kiel Institute's Ukraine Support Tracker as a bitemporal timeline.

Each row of a release becomes an `AidAllocated` or `AidCommitted` event, or is *set aside* with
its reason in the `ImportReport`; every row is accounted for. Importing a release appends one
atomic batch recorded at the release's date; that batch also retracts every event of the releases
imported before it, so a query whose ``known_at`` falls between two releases answers from the
older one, and ``known_at=None`` from the newest. `KielProjection` folds the events into
cumulative EUR totals by donor, aid type and measure.

Quirks of the data (see ``tests/data/README.md``), each handled on purpose:

* no date but a month index → the event's ``occurred`` is that month (month precision);
  neither → set aside ("no date and no month"), with its value, so totals reconcile;
* a month index that disagrees with the date → the date is used, and the report counts it;
* zero-valued allocation lines (item lines whose value sits on the package row) → set aside;
* commitments carry their activity's value (``verdi_eur_activity``), repeated on each sub-activity
  row: one commitment per (donor, date or month, aid type, value), repeats set aside;
* exact duplicate allocation rows are real sub-activities → all imported;
* negative values → imported as reversals (a non-negative amount that the totals subtract);
* ``.`` (Kiel's missing value) and ``NULL`` → missing; a row whose value is missing is set aside;
* damaged numbers such as ``280NULL49`` in unit prices → the unit price is dropped and counted.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final, Literal

import attrs

from timeline import _html
from timeline.errors import DataError
from timeline.events import Event, Retraction, abstract_event, event
from timeline.log import Timeline
from timeline.progress import Progress
from timeline.projection import Change, Reducer, on
from timeline.support.events import Channel
from timeline.values import Money, Source, currency_code
from timeline.when import TimeLike, When, to_when

__all__ = [
    "AidAllocated",
    "AidCommitted",
    "DonorTotalChanged",
    "ImportReport",
    "KielProjection",
    "KielState",
    "SetAside",
    "import_release",
    "monthly_series",
    "read_release",
]

R28_COLUMNS: Final = (
    "giver",
    "dato",
    "kategori",
    "maal",
    "verdi_eur",
    "verdi_eur_activity",
    "maaned_nr",
)
SHEET_COLUMNS: Final = (
    "Countries",
    "date",
    "general_type",
    "donation_type",
    "eur_value",
    "Original Currency",
)
_CHANNELS: Final = {
    "military": Channel.MILITARY,
    "financial": Channel.FINANCIAL,
    "humanitarian": Channel.HUMANITARIAN,
}
Measure = Literal["allocation", "commitment"]


@abstract_event
class KielActivity(Event):
    """One row of a Kiel release: a donor's aid of one type, valued in EUR by Kiel."""

    donor: str
    aid_type: Channel = attrs.field(converter=Channel)
    value: Money
    reversal: bool = False
    """A negative row of the tracker: `value` is subtracted from the totals."""
    original_currency: str | None = attrs.field(
        default=None, validator=lambda _i, _a, v: _currency(v)
    )
    specific_type: str | None = None
    item: str | None = None
    release: str
    line: int


def _currency(value: str | None) -> None:
    if value is not None:
        currency_code(value)


@event("aid.allocated", version=1)
class AidAllocated(KielActivity):
    """Aid earmarked or delivered (Kiel's measure "Allocation")."""


@event("aid.committed", version=1)
class AidCommitted(KielActivity):
    """Aid pledged and not yet allocated (Kiel's measure "Commitment")."""


@attrs.frozen
class SetAside:
    """A row that did not become an event, and why."""

    line: int
    reason: str
    value_eur: Decimal | None
    measure: Measure


@attrs.frozen
class ImportReport:
    """What an import did with every row of the file."""

    source: str
    release: str
    rows_read: int
    events: tuple[KielActivity, ...]
    set_aside: tuple[SetAside, ...]
    notes: Mapping[str, int]

    def events_eur(self, measure: Measure = "allocation") -> Decimal:
        """Sum of the values of the events of one measure (reversals subtracted)."""
        kind = AidCommitted if measure == "commitment" else AidAllocated
        return sum(
            (
                -e.value.amount if e.reversal else e.value.amount
                for e in self.events
                if isinstance(e, kind)
            ),
            Decimal(0),
        )

    def set_aside_eur(self, measure: Measure = "allocation") -> Decimal:
        """Sum of the known values of the rows set aside, of one measure."""
        return sum(
            (s.value_eur or Decimal(0) for s in self.set_aside if s.measure == measure), Decimal(0)
        )

    def __str__(self) -> str:
        reasons = Counter(s.reason for s in self.set_aside)
        lines = [
            f"{self.source} as release {self.release!r}: {self.rows_read} rows read, "
            f"{len(self.events)} events, {len(self.set_aside)} rows set aside",
            *(f"  set aside: {n} × {reason}" for reason, n in sorted(reasons.items())),
            *(f"  note: {n} × {note}" for note, n in sorted(self.notes.items())),
        ]
        return "\n".join(lines)


@attrs.define
class _Context:
    release: str
    source: Source
    notes: Counter[str] = attrs.field(factory=Counter)
    commitments: set[tuple[str, str, str, Decimal]] = attrs.field(factory=set)


def _measure(text: str) -> Measure:
    measure = text.strip().lower()
    if measure == "allocation":
        return "allocation"
    if measure == "commitment":
        return "commitment"
    raise ValueError(f"measure {text!r} is neither Allocation nor Commitment")


def _decimal(text: str | None) -> Decimal | None:
    if text is None:
        return None
    text = text.strip()
    if text in ("", ".", "NULL"):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not a finite number")
    return value


def _month(index: str) -> When | None:
    n = int(index or 0)
    if n <= 0:
        return None
    year, month = divmod(n - 1, 12)
    return When.parse(f"{2022 + year:04d}-{month + 1:02d}")


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    if text in ("", "NULL", "."):
        return None
    return text[0].upper() + text[1:].lower() if text else None


def read_release(
    path: str | Path,
    release: str,
    *,
    recorded_at: TimeLike | None = None,
    progress: bool | None = None,
) -> ImportReport:
    """Read a Kiel CSV (either format, detected by its header) into events and a report."""
    path = Path(path)
    header, rows_with_lines = _csv_rows(path)
    if all(c in header for c in R28_COLUMNS):
        parse = _r28_row
    elif all(c in header for c in SHEET_COLUMNS):
        parse = _sheet_row
    else:
        raise DataError(
            f"{path}: not a Kiel Ukraine Support Tracker extract (columns {header})", line=1
        )
    published = to_when(recorded_at) if recorded_at is not None else None
    source = Source(
        title=f"Kiel Institute, Ukraine Support Tracker ({release})",
        publisher="Kiel Institute for the World Economy",
        published=published,
        url="https://www.ifw-kiel.de/topics/war-against-ukraine/ukraine-support-tracker/",
    )
    events: list[KielActivity] = []
    set_aside: list[SetAside] = []
    context = _Context(release, source)
    rows = 0
    with Progress(f"reading {path.name}", enabled=progress) as bar:
        for line, row in rows_with_lines:
            rows += 1
            bar.advance()
            try:
                outcome = parse(row, line, context)
            except (ValueError, KeyError, TypeError) as exc:
                raise DataError(f"{path.name}: {exc}", line=line) from None
            if isinstance(outcome, SetAside):
                set_aside.append(outcome)
            else:
                events.append(outcome)
    return ImportReport(
        str(path.name), release, rows, tuple(events), tuple(set_aside), dict(context.notes)
    )


def _csv_rows(path: Path) -> tuple[tuple[str, ...], Iterator[tuple[int, dict[str, str]]]]:
    """The header and (physical line where the row starts, row) of a Kiel CSV.

    Reads UTF-8 (with or without a byte-order mark), gzip-compressed or not. Rows are split the
    way CSV splits them: a quoted cell may hold a newline (or U+2028), and the line number of
    a row is the line of the file it starts on, so it stays the same however cells are written.
    A short or long row, an unbalanced quote or a NUL byte is a `DataError` naming the line.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(f"{path}: a damaged gzip file: {exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(
            f"{path.name}: not UTF-8 (byte {raw[exc.start]:#04x} at offset {exc.start}); "
            "Kiel publishes UTF-8: save the file as UTF-8",
            line=line,
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = tuple(next(reader, ()))
    except csv.Error as exc:
        raise DataError(f"{path.name}: {exc}", line=1) from None

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        start = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise DataError(f"{path.name}: {exc}", line=start) from None
            if cells and len(cells) != len(header):
                raise DataError(
                    f"{path.name}: {len(cells)} cells where the header has {len(header)}",
                    line=start,
                )
            if cells:
                yield start, dict(zip(header, cells, strict=True))
            start = reader.line_num + 1

    return header, rows()


def _when(date_text: str, month_text: str, notes: Counter[str]) -> When | None:
    month = _month(month_text) if month_text not in ("", "NULL") else None
    if date_text:
        day = When.parse(date_text)
        if month is not None and not (month.earliest <= day.earliest <= month.latest):
            notes["month index disagrees with the date (the date is used)"] += 1
        return day
    if month is not None:
        notes["no date: month precision from the month index"] += 1
    return month


def _build(
    measure: str,
    *,
    line: int,
    release: str,
    source: Source,
    donor: str,
    when: When,
    aid_type: str,
    value: Decimal,
    original_currency: str | None = None,
    specific_type: str | None = None,
    item: str | None = None,
    notes: Counter[str],
) -> KielActivity:
    cls = AidCommitted if measure == "commitment" else AidAllocated
    reversal = value < 0
    if reversal:
        notes["negative value imported as a reversal"] += 1
    return cls(
        id=f"kiel-{release}-{line}",
        occurred=when,
        source=source,
        donor=donor,
        aid_type=_CHANNELS[aid_type.strip().lower()],
        value=Money(abs(value), "EUR"),
        reversal=reversal,
        original_currency=original_currency,
        specific_type=specific_type,
        item=item,
        release=release,
        line=line,
    )


def _r28_row(row: dict[str, str], line: int, context: _Context) -> KielActivity | SetAside:
    measure = _measure(row["maal"])
    notes = context.notes
    column = "verdi_eur_activity" if measure == "commitment" else "verdi_eur"
    value = _decimal(row[column])
    if value is None:
        return SetAside(line, "missing value", None, measure)
    when = _when(row["dato"].strip(), row["maaned_nr"].strip(), notes)
    if when is None:
        return SetAside(line, "no date and no month", value, measure)
    if value == 0:
        return SetAside(
            line, "zero-valued item line (the value sits on its package row)", value, measure
        )
    if measure == "commitment":
        key = (row["giver"], row["dato"] or row["maaned_nr"], row["kategori"], value)
        if key in context.commitments:
            return SetAside(line, "repeat of a commitment's activity value", value, "commitment")
        context.commitments.add(key)
    return _build(
        measure,
        line=line,
        release=context.release,
        source=context.source,
        donor=row["giver"].strip(),
        when=when,
        aid_type=row["kategori"],
        value=value,
        notes=notes,
    )


def _sheet_row(row: dict[str, str], line: int, context: _Context) -> KielActivity | SetAside:
    measure = _measure(row["donation_type"])
    notes = context.notes
    value = _decimal(row["eur_value"])
    if value is None:
        return SetAside(line, "missing value (Kiel's '.')", None, measure)
    when = _when(row["date"].strip(), "", notes)
    if when is None:
        return SetAside(line, "no date and no month", value, measure)
    if value == 0:
        return SetAside(
            line, "zero-valued item line (the value sits on its package row)", value, measure
        )
    price = row.get("Unit Price in USD", "")
    if price and "NULL" in price and price != "NULL":
        notes["damaged unit price (e.g. 280NULL49) dropped"] += 1
    currency = (row.get("Original Currency") or "").strip() or None
    item = (
        " / ".join(
            p for p in (_clean(row.get("Type of Item")), _clean(row.get("Sub-type of item"))) if p
        )
        or None
    )
    return _build(
        measure,
        line=line,
        release=context.release,
        source=context.source,
        donor=row["Countries"].strip(),
        when=when,
        aid_type=row["general_type"],
        value=value,
        original_currency=currency,
        specific_type=_clean(row.get("specific_type")),
        item=item,
        notes=notes,
    )


def import_release(
    tl: Timeline[Any],
    path: str | Path,
    *,
    release: str,
    recorded_at: TimeLike,
    progress: bool | None = None,
) -> ImportReport:
    """Append a release as one atomic batch recorded at `recorded_at`, superseding earlier ones.

    The batch retracts every Kiel event still in force, then adds the release's events; so
    queries that know of this release see only it, and older knowledge times still see theirs.
    """
    report = read_release(path, release, recorded_at=recorded_at, progress=progress)
    in_force = [e for e in tl.events() if isinstance(e, KielActivity)]
    if any(e.release == release for e in in_force):
        raise DataError(f"release {release!r} is already in the log")
    old = [e.id for e in in_force]
    retractions = [
        Retraction(target=id_, reason=f"superseded by Kiel release {release}") for id_ in old
    ]
    tl.append(*retractions, *report.events, recorded_at=recorded_at)
    return report


Key = tuple[str, Channel, str]


@attrs.frozen
class KielState:
    """Cumulative EUR by (donor, aid type, measure)."""

    sums: Mapping[Key, Decimal] = attrs.field(factory=dict)

    def totals(
        self,
        by: Literal["donor", "type"] = "donor",
        *,
        measure: Measure = "allocation",
        aid_type: Channel | str | None = None,
        donor: str | None = None,
    ) -> dict[str, Decimal]:
        """EUR per donor (or per aid type), for one measure, optionally one type or donor."""
        kind = Channel(aid_type) if aid_type is not None else None
        out: dict[str, Decimal] = {}
        for (d, t, m), value in self.sums.items():
            if (
                m != measure
                or (kind is not None and t is not kind)
                or (donor is not None and d != donor)
            ):
                continue
            label = d if by == "donor" else t.value
            out[label] = out.get(label, Decimal(0)) + value
        return dict(sorted(out.items()))

    def top(self, n: int = 10, *, measure: Measure = "allocation") -> list[tuple[str, Decimal]]:
        """The `n` donors with the largest totals."""
        return sorted(self.totals(measure=measure).items(), key=lambda kv: (-kv[1], kv[0]))[:n]

    def _repr_html_(self) -> str:
        allocated = self.totals(measure="allocation")
        committed = self.totals(measure="commitment")
        donors = sorted(set(allocated) | set(committed), key=lambda d: -allocated.get(d, 0))
        return _html.table(
            ["donor", "allocated (bn EUR)", "committed (bn EUR)"],
            [
                (d, f"{allocated.get(d, 0) / 10**9:,.3f}", f"{committed.get(d, 0) / 10**9:,.3f}")
                for d in donors
            ],
        )

    def unallocated(self) -> dict[str, Decimal]:
        """Per donor, commitments not (yet) matched by allocations: commitments − allocations, if > 0."""
        committed = self.totals(measure="commitment")
        allocated = self.totals(measure="allocation")
        gaps = {d: c - allocated.get(d, Decimal(0)) for d, c in committed.items()}
        return {d: g for d, g in gaps.items() if g > 0}


class KielProjection(Reducer[KielState]):
    """Folds `AidAllocated` and `AidCommitted` into a `KielState`."""

    def initial(self) -> KielState:
        return KielState()

    @on(AidAllocated, AidCommitted)
    def _add(self, state: KielState, ev: KielActivity) -> KielState:
        key = (
            ev.donor,
            ev.aid_type,
            "commitment" if isinstance(ev, AidCommitted) else "allocation",
        )
        sums = dict(state.sums)
        delta = -ev.value.amount if ev.reversal else ev.value.amount
        sums[key] = sums.get(key, Decimal(0)) + delta
        return KielState(sums)

    def diff(self, before: KielState, after: KielState) -> list[Change]:
        """Per donor and measure, the totals that changed."""
        changes: list[Change] = []
        for measure in ("allocation", "commitment"):
            old, new = before.totals(measure=measure), after.totals(measure=measure)
            for donor in sorted(set(old) | set(new)):
                if old.get(donor) != new.get(donor):
                    changes.append(
                        DonorTotalChanged(
                            donor, measure, old.get(donor, Decimal(0)), new.get(donor, Decimal(0))
                        )
                    )
        return changes


@attrs.frozen
class DonorTotalChanged:
    """A donor's cumulative total of one measure changed."""

    donor: str
    measure: str
    before: Decimal
    after: Decimal

    def __str__(self) -> str:
        delta = self.after - self.before
        return (
            f"{self.donor} {self.measure}s: EUR {self.before:,.0f} → EUR {self.after:,.0f} "
            f"({'+' if delta >= 0 else '−'}{abs(delta):,.0f})"
        )


def monthly_series(
    tl: Timeline[Any],
    donors: Sequence[str] | None = None,
    *,
    measure: Measure = "allocation",
    known_at: TimeLike | None = None,
    start: str = "2022-01",
    end: str | None = None,
) -> Any:
    """Cumulative EUR per donor at the end of each month, as a pandas DataFrame (extra notebook)."""
    from timeline.notebook import require

    pd = require("pandas")
    projection = KielProjection()
    last = end or max(
        (str(e.occurred.latest.date())[:7] for e in tl.events(known_at=known_at)), default=start
    )
    months = []
    year, month = int(start[:4]), int(start[5:7])
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    rows = {}
    for label in months:
        state = tl.state_at(label, known_at=known_at, projection=projection)
        totals = state.totals(measure=measure)
        chosen = donors if donors is not None else list(totals)
        rows[pd.Period(label, "M")] = {d: float(totals.get(d, Decimal(0))) for d in chosen}
    return pd.DataFrame.from_dict(rows, orient="index").fillna(0.0)
