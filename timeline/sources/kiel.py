"""The Kiel Institute's Ukraine Support Tracker as a bitemporal timeline, counted as Kiel counts.

Each row of a release becomes an `AidAllocated` or `AidCommitted` event, each row of Kiel's
financial-disbursements sheet an `AidDisbursed` event, or a row is *set aside* with its reason
in the `ImportReport`; every row is accounted for. Importing a release appends one atomic batch
recorded at the release's date; that batch also retracts every event of the releases imported
before it, so a query whose ``known_at`` falls between two releases answers from the older one,
and ``known_at=None`` from the newest. `KielProjection` folds the events into cumulative EUR
totals by donor, aid type and measure, following Kiel's methodology (Trebesch et al., Kiel
Working Paper 2218, and the tracker's own Country Summary):

* **allocations** are the *redistributed* sub-activity value (``tot_sub_activity_value_EUR_redistr``),
  which moves most undated value onto the same donor's dated rows; the plain value is kept on
  each event as `KielActivity.sub_activity_value`;
* **commitments** are Kiel's measure of everything pledged, allocated or not: the activity value
  (``tot_activity_value_EUR``) of every row, allocation and commitment rows alike (Kiel writes it
  once per activity, on its first row; item lines carry 0). No row is de-duplicated;
* **disbursements** are the financial aid paid out per donor and month;
* the European Investment Bank and the European Peace Facility count under
  "EU (Commission and Council)", as in Kiel's summary (``group_eu=False`` lists them apart).

Time, each rule on purpose (see ``docs/kiel.md``):

* a row is placed in **Kiel's month** (``month``, when Kiel's ``month_exists_dummy`` says it
  exists): a date inside that month refines it to the day; a date outside it is kept as
  `KielActivity.announced` and the event is placed in Kiel's month, as Kiel's monthly series does;
* a dated row without a month Kiel counts keeps its date;
* a row with neither is **undated**: its ``occurred`` is the interval from the tracker's start
  (January 2022) to the release, so ``state_at(..., certain=True)`` counts it only at the
  release, and the default (``certain=False``) from January 2022 — the docs say which to use;
* zero-valued item lines (every value 0) → set aside; negative rows → reversals (non-negative
  amounts that the totals subtract); ``.`` and ``NULL`` → missing; a row whose value is missing
  is set aside; damaged numbers such as ``280NULL49`` in unit prices → dropped and counted.

The older extract format (the early-2024 "delivery" sheet) has neither a redistributed nor an
activity column: its allocations are the plain value (``redistributed=False``) and each row
adds its own value to the commitments measure (the sub-activities of a package sum to it).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final, Literal

import attrs

from timeline import _html
from timeline.errors import DataError, InvalidValue, TimeError
from timeline.events import Event, Retraction, abstract_event, event, upcaster
from timeline.log import Timeline
from timeline.progress import Progress
from timeline.projection import Change, Reducer, on
from timeline.support.events import Channel
from timeline.values import Money, Source, currency_code, optional_when
from timeline.when import TimeLike, When, to_when

__all__ = [
    "EU",
    "EU_INSTITUTIONS",
    "AidAllocated",
    "AidCommitted",
    "AidDisbursed",
    "DonorTotalChanged",
    "ImportReport",
    "KielActivity",
    "KielPipelineRow",
    "KielProjection",
    "KielState",
    "Reconciliation",
    "SetAside",
    "SummaryCell",
    "import_release",
    "monthly_series",
    "pipeline_series",
    "read_release",
    "read_summary",
    "reconcile",
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
DISBURSEMENT_COLUMNS: Final = ("giver", "aar", "maaned", "verdi_eur_mrd")
SUMMARY_COLUMNS: Final = (
    "land",
    *(
        f"{t}_{m}"
        for m in ("allocation", "commitment")
        for t in ("financial", "humanitarian", "military")
    ),
)
MAX_EUR: Final = Decimal(10) ** 13
"""A row above EUR 10 trillion (thirty times all aid to Ukraine) is a damaged cell, not aid."""
_RELEASE_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}")
TRACKER_START: Final = "2022-01"
"""Month 1 of Kiel's month index: the earliest an undated row can be."""
_TRACKER_FIRST_DAY: Final = When.parse(TRACKER_START).earliest
EU: Final = "EU (Commission and Council)"
EU_INSTITUTIONS: Final[Mapping[str, str]] = {
    "European Investment Bank": EU,
    "European Peace Facility": EU,
    "EU Institutions": EU,
}
"""Donors counted under "EU (Commission and Council)" with ``group_eu=True``: the two that Kiel's
Country Summary folds into it, and the label of Kiel's disbursements sheet ("EU Institutions",
which that sheet does not break down)."""
_CHANNELS: Final = {
    "military": Channel.MILITARY,
    "financial": Channel.FINANCIAL,
    "humanitarian": Channel.HUMANITARIAN,
}
Measure = Literal["allocation", "commitment", "disbursement"]
_MEASURES: Final = ("allocation", "commitment", "disbursement")


@abstract_event
class KielActivity(Event):
    """One row of a Kiel release: a donor's aid of one type, valued in EUR by Kiel."""

    donor: str
    aid_type: Channel = attrs.field(converter=Channel)
    value: Money
    """What the row adds to its measure: an allocation's (redistributed) value, a commitment's
    activity value, a disbursement's amount."""
    reversal: bool = False
    """A negative row of the tracker: its values are subtracted from the totals."""
    activity_value: Money | None = None
    """An allocation row's activity value: what it adds to Kiel's commitments measure (0 on the
    item lines of a package, whose value sits on its first row); None when not known."""
    sub_activity_value: Money | None = None
    """The plain sub-activity value, before Kiel's redistribution."""
    redistributed: bool = False
    """True when `value` is Kiel's redistributed value (Release-28 format)."""
    announced: When | None = attrs.field(default=None, converter=optional_when)
    """The row's own date, when it lies outside the month Kiel counts the row in (`occurred`)."""
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


@event("aid.allocated", version=2)
class AidAllocated(KielActivity):
    """Aid earmarked or delivered (Kiel's measure "Allocation")."""


@event("aid.committed", version=2)
class AidCommitted(KielActivity):
    """Aid pledged and not yet allocated (a "Commitment" row); `value` is its activity value."""


@event("aid.disbursed", version=1)
class AidDisbursed(KielActivity):
    """Financial aid paid out in one month (Kiel's sheet "Financial disb per Month")."""


@upcaster("aid.allocated", from_version=1)
def _allocated_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 stored the plain sub-activity value and no activity value."""
    return {**data, "sub_activity_value": data.get("value"), "redistributed": False}


@upcaster("aid.committed", from_version=1)
def _committed_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 commitments already carried their activity value."""
    return {**data, "redistributed": False}


@attrs.frozen
class SetAside:
    """A row that did not become an event, and why."""

    line: int
    reason: str
    value_eur: Decimal | None
    measure: Measure
    file: str = ""


@attrs.frozen
class ImportReport:
    """What an import did with every row of its file(s)."""

    source: str
    release: str
    rows_read: int
    events: tuple[KielActivity, ...]
    set_aside: tuple[SetAside, ...]
    notes: Mapping[str, int]
    formats: tuple[str, ...] = ()
    """What each file was, by its header: "main data" or "disbursements"."""

    def events_eur(self, measure: Measure = "allocation") -> Decimal:
        """Sum of what the events add to one measure (reversals subtracted), as the
        projection counts it: commitments include the activity values of allocations."""
        total = Decimal(0)
        for e in self.events:
            for m, amount in _contributions(e):
                if m == measure:
                    total += -amount if e.reversal else amount
        return total

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


def _contributions(ev: KielActivity) -> Iterator[tuple[Measure, Decimal]]:
    """What one event adds (before its sign) to each measure."""
    if isinstance(ev, AidDisbursed):
        yield "disbursement", ev.value.amount
    elif isinstance(ev, AidCommitted):
        yield "commitment", ev.value.amount
    else:
        yield "allocation", ev.value.amount
        if ev.activity_value is not None:
            yield "commitment", ev.activity_value.amount


def _combine(reports: Sequence[ImportReport]) -> ImportReport:
    if len(reports) == 1:
        return reports[0]
    notes: Counter[str] = Counter()
    for r in reports:
        notes.update(r.notes)
    return ImportReport(
        " + ".join(r.source for r in reports),
        reports[0].release,
        sum(r.rows_read for r in reports),
        tuple(e for r in reports for e in r.events),
        tuple(s for r in reports for s in r.set_aside),
        dict(notes),
        tuple(f for r in reports for f in r.formats),
    )


@attrs.define
class _Context:
    release: str
    source: Source
    file: str
    undated: When
    notes: Counter[str] = attrs.field(factory=Counter)
    release_day: When | None = None
    """The release's day, when known: no row can be placed after it."""


def _measure(text: str) -> Literal["allocation", "commitment"]:
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
    if abs(value) > MAX_EUR:
        raise ValueError(f"{text!r} is beyond any aid figure (more than EUR 10 trillion)")
    return value


def _flag(text: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "1", ""):
        return True
    if value in ("false", "0"):
        return False
    raise ValueError(f"month_exists {text!r} is neither True nor False")


def _month(index: str) -> When | None:
    text = index.strip()
    if text in ("", "NULL", "."):
        return None
    try:
        n = int(text)
    except ValueError:
        raise ValueError(f"month index {index!r} is not a whole number") from None
    if n < 0 or n > 12 * 100:
        raise ValueError(f"month index {index!r} is outside 0 (unknown) to 1200")
    if n == 0:
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
    """Read a Kiel CSV (either extract format, or the financial-disbursements sheet, detected by
    its header) into events and a report.

    Undated rows are placed in the interval from January 2022 to the release: to the date of
    `recorded_at`, or without it to the latest date in the file.
    """
    path = Path(path)
    _check_release(release)
    header, rows_with_lines = _csv_rows(path)
    parse: Any
    if all(c in header for c in R28_COLUMNS):
        parse, date_column, kind = _r28_row, "dato", "main data"
    elif all(c in header for c in SHEET_COLUMNS):
        parse, date_column, kind = _sheet_row, "date", "main data"
    elif all(c in header for c in DISBURSEMENT_COLUMNS):
        parse, date_column, kind = _disbursement_row, "", "disbursements"
    else:
        raise DataError(
            f"{path}: not a Kiel Ukraine Support Tracker extract (columns {header})", line=1
        )
    rows = list(rows_with_lines)
    if recorded_at is not None:
        published: When | None = to_when(recorded_at)
        until = str(published.latest.date()) if published is not None else ""
    else:
        published = None
        dates = [r[date_column].strip() for _, r in rows if date_column and r[date_column].strip()]
        until = max([*dates, TRACKER_START])  # a damaged early date is reported by its row
    try:
        undated = When.parse(f"{TRACKER_START}/{until}")
    except ValueError as exc:
        raise DataError(f"{path.name}: the release's date {until!r}: {exc}") from None
    source = Source(
        title=f"Kiel Institute, Ukraine Support Tracker ({release})",
        publisher="Kiel Institute for the World Economy",
        published=published,
        url="https://www.ifw-kiel.de/topics/war-against-ukraine/ukraine-support-tracker/",
    )
    events: list[KielActivity] = []
    set_aside: list[SetAside] = []
    context = _Context(release, source, path.name, undated)
    if published is not None:
        context.release_day = When.parse(until)
    with Progress(f"reading {path.name}", total=len(rows), enabled=progress) as bar:
        for line, row in rows:
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
        str(path.name),
        release,
        len(rows),
        tuple(events),
        tuple(set_aside),
        dict(context.notes),
        (kind,),
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
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise DataError(f"{path.name}: the header repeats {', '.join(repeated)}", line=1)

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


def _values(
    *values: Decimal | None,
) -> tuple[bool, list[Decimal | None]]:
    """Whether the row is a reversal, and its values made non-negative; mixed signs are an error."""
    negative = any(v is not None and v < 0 for v in values)
    if negative and any(v is not None and v > 0 for v in values):
        raise ValueError(f"values {[str(v) for v in values if v is not None]} mix signs")
    return negative, [abs(v) if v is not None else None for v in values]


def _place(date_text: str, month: When | None, context: _Context) -> tuple[When, When | None]:
    """(occurred, announced) of a row: see the module's rules."""
    notes = context.notes
    day = When.parse(date_text) if date_text else None
    if day is not None and month is not None:
        if month.earliest <= day.earliest <= month.latest:
            return day, None
        notes["date outside Kiel's month: placed in the month, the date kept as `announced`"] += 1
        return month, day
    if day is not None:
        return day, None
    if month is not None:
        notes["no date: placed in Kiel's month"] += 1
        return month, None
    notes["undated: placed between the tracker's start and the release"] += 1
    return context.undated, None


def _r28_row(row: dict[str, str], line: int, context: _Context) -> KielActivity | SetAside:
    measure = _measure(row["maal"])
    notes = context.notes
    plain = _decimal(row["verdi_eur"])
    has_redistributed = "verdi_eur_redistr" in row
    redistributed = _decimal(row["verdi_eur_redistr"]) if has_redistributed else plain
    activity = _decimal(row["verdi_eur_activity"])
    value = activity if measure == "commitment" else redistributed
    if value is None:
        return SetAside(line, "missing value", None, measure, context.file)
    reversal, (value_abs, plain_abs, activity_abs) = _values(value, plain, activity)
    assert value_abs is not None
    if not value and not plain and not activity:
        return SetAside(
            line,
            "zero-valued item line (the value sits on its package row)",
            Decimal(0),
            measure,
            context.file,
        )
    exists = _flag(row.get("maaned_finnes", ""))
    month = _month(row["maaned_nr"])
    if month is not None and not exists:
        notes["month index ignored: Kiel's month_exists_dummy is False"] += 1
        month = None
    occurred, announced = _place(row["dato"].strip(), month, context)
    if not has_redistributed:
        notes["no redistributed column: the plain value is used"] += 1
    return _build(
        AidCommitted if measure == "commitment" else AidAllocated,
        line=line,
        context=context,
        donor=row["giver"],
        occurred=occurred,
        announced=announced,
        aid_type=row["kategori"],
        value=value_abs,
        reversal=reversal,
        activity_value=activity_abs if measure == "allocation" else None,
        sub_activity_value=plain_abs if measure == "allocation" else None,
        redistributed=has_redistributed and measure == "allocation",
    )


def _sheet_row(row: dict[str, str], line: int, context: _Context) -> KielActivity | SetAside:
    measure = _measure(row["donation_type"])
    notes = context.notes
    value = _decimal(row["eur_value"])
    if value is None:
        return SetAside(line, "missing value (Kiel's '.')", None, measure, context.file)
    if value == 0:
        return SetAside(
            line,
            "zero-valued item line (the value sits on its package row)",
            value,
            measure,
            context.file,
        )
    reversal, (amount,) = _values(value)
    assert amount is not None
    occurred, announced = _place(row["date"].strip(), None, context)
    price = row.get("Unit Price in USD", "")
    if price and "NULL" in price and price != "NULL":
        notes["damaged unit price (e.g. 280NULL49) dropped"] += 1
    written = (row.get("Original Currency") or "").strip()
    currency = None if written in ("", "NULL", ".") else written
    item = (
        " / ".join(
            p for p in (_clean(row.get("Type of Item")), _clean(row.get("Sub-type of item"))) if p
        )
        or None
    )
    return _build(
        AidCommitted if measure == "commitment" else AidAllocated,
        line=line,
        context=context,
        donor=row["Countries"],
        occurred=occurred,
        announced=announced,
        aid_type=row["general_type"],
        value=amount,
        reversal=reversal,
        activity_value=amount if measure == "allocation" else None,
        sub_activity_value=amount if measure == "allocation" else None,
        redistributed=False,
        original_currency=currency,
        specific_type=_clean(row.get("specific_type")),
        item=item,
    )


def _disbursement_row(row: dict[str, str], line: int, context: _Context) -> KielActivity | SetAside:
    billions = _decimal(row["verdi_eur_mrd"])
    if billions is None:
        return SetAside(line, "missing value", None, "disbursement", context.file)
    if billions == 0:
        return SetAside(line, "zero disbursement", billions, "disbursement", context.file)
    year, month = row["aar"].strip(), row["maaned"].strip()
    if not (year.isdigit() and month.isdigit() and 1 <= int(month) <= 12):
        raise ValueError(f"year {year!r} and month {month!r} are not a month")
    reversal, (amount,) = _values(billions.scaleb(9))
    assert amount is not None
    return _build(
        AidDisbursed,
        line=line,
        context=context,
        donor=row["giver"],
        occurred=When.parse(f"{int(year):04d}-{int(month):02d}"),
        announced=None,
        aid_type="financial",
        value=amount,
        reversal=reversal,
        id_part=":disbursed-",
    )


def _aid_type(text: str) -> Channel:
    try:
        return _CHANNELS[text.strip().lower()]
    except KeyError:
        raise ValueError(f"aid type {text!r} is not Military, Humanitarian or Financial") from None


def _check_release(release: object) -> str:
    if not isinstance(release, str) or not _RELEASE_NAME.fullmatch(release):
        raise DataError(
            f"release name {release!r}: 1 to 64 letters, digits, spaces, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return release


def _build(
    cls: type[KielActivity],
    *,
    line: int,
    context: _Context,
    donor: str,
    occurred: When,
    announced: When | None,
    aid_type: str,
    value: Decimal,
    reversal: bool,
    activity_value: Decimal | None = None,
    sub_activity_value: Decimal | None = None,
    redistributed: bool = False,
    original_currency: str | None = None,
    specific_type: str | None = None,
    item: str | None = None,
    id_part: str = "-",
) -> KielActivity:
    if reversal:
        context.notes["negative value imported as a reversal"] += 1
    name = donor.strip()
    if not name:
        raise ValueError("the donor is empty")
    if not name.isprintable():
        raise ValueError(f"the donor {name!r} holds control characters")
    if occurred.latest < _TRACKER_FIRST_DAY:
        raise ValueError(
            f"the row is placed at {occurred}, before the tracker's start ({TRACKER_START})"
        )
    day = context.release_day
    if day is not None and occurred.earliest > day.latest:
        raise ValueError(f"the row is placed at {occurred}, after the release ({day})")
    return cls(
        id=f"kiel-{context.release}{id_part}{line}",
        occurred=occurred,
        source=context.source,
        donor=name,
        aid_type=_aid_type(aid_type),
        value=Money(value, "EUR"),
        reversal=reversal,
        activity_value=Money(activity_value, "EUR") if activity_value is not None else None,
        sub_activity_value=(
            Money(sub_activity_value, "EUR") if sub_activity_value is not None else None
        ),
        redistributed=redistributed,
        announced=announced,
        original_currency=original_currency,
        specific_type=specific_type,
        item=item,
        release=context.release,
        line=line,
    )


def import_release(
    tl: Timeline[Any],
    path: str | Path,
    *more: str | Path,
    release: str,
    recorded_at: TimeLike,
    progress: bool | None = None,
) -> ImportReport:
    """Append a release as one atomic batch recorded at `recorded_at`, superseding earlier ones.

    `path` and `more` are the release's files: its main data (either extract format) and,
    optionally, its financial-disbursements sheet. The batch retracts every Kiel event still in
    force, then adds the release's events; so queries that know of this release see only it,
    and older knowledge times still see theirs. Nothing is appended when any file is bad.
    """
    _check_release(release)
    reports = [
        read_release(p, release, recorded_at=recorded_at, progress=progress) for p in (path, *more)
    ]
    kinds = Counter(f for r in reports for f in r.formats)
    for kind, n in kinds.items():
        if n > 1:
            raise DataError(f"release {release!r}: {n} files of {kind}; give one of each")
    main = next((r for r in reports if "main data" in r.formats), None)
    if main is None:
        raise DataError(
            f"release {release!r}: no main data (only disbursements); a release replaces the "
            "one before it, so it needs its main data"
        )
    if not main.events:
        raise DataError(
            f"release {release!r}: {main.source} has no rows with a value; importing it would "
            "retract every earlier release"
        )
    earlier = {r.event.release for r in tl.records() if isinstance(r.event, KielActivity)}
    if release in earlier:
        raise DataError(f"release {release!r} is already in the log")
    in_force = [e for e in tl.events() if isinstance(e, KielActivity)]
    report = _combine(reports)
    retractions = [
        Retraction(target=e.id, reason=f"superseded by Kiel release {release}") for e in in_force
    ]
    tl.append(*retractions, *report.events, recorded_at=recorded_at)
    return report


Key = tuple[str, Channel, str]


def _channel(aid_type: Channel | str | None) -> Channel | None:
    if aid_type is None or isinstance(aid_type, Channel):
        return aid_type
    try:
        return _aid_type(aid_type)
    except ValueError as exc:
        raise InvalidValue(str(exc), field="aid_type") from None


def _donor(name: str, group_eu: bool) -> str:
    return EU_INSTITUTIONS.get(name, name) if group_eu else name


@attrs.frozen
class KielPipelineRow:
    """One donor's aid of one type, by Kiel's measures: `committed` (everything pledged,
    allocated or not), `allocated` (earmarked or delivered) and, for financial aid, `disbursed`
    (paid out; None for the types whose disbursements Kiel does not publish). EUR."""

    donor: str
    aid_type: Channel
    committed: Decimal
    allocated: Decimal
    disbursed: Decimal | None


@attrs.frozen
class KielState:
    """Cumulative EUR by (donor, aid type, measure), donors as the rows name them."""

    sums: Mapping[Key, Decimal] = attrs.field(factory=dict)

    def totals(
        self,
        by: Literal["donor", "type"] = "donor",
        *,
        measure: Measure = "allocation",
        aid_type: Channel | str | None = None,
        donor: str | None = None,
        group_eu: bool = True,
    ) -> dict[str, Decimal]:
        """EUR per donor (or per aid type), for one measure, optionally one type or donor.

        `measure` is ``"allocation"``, ``"commitment"`` (Kiel's: everything pledged, including
        what was later allocated) or ``"disbursement"`` (financial aid paid out). With
        `group_eu` (the default, as Kiel's Country Summary) the European Investment Bank and
        the European Peace Facility count under "EU (Commission and Council)".
        """
        if measure not in _MEASURES:
            raise InvalidValue(
                f"measure {measure!r} is not one of {', '.join(_MEASURES)}", field="measure"
            )
        kind = _channel(aid_type)
        out: dict[str, Decimal] = {}
        for (d, t, m), value in self.sums.items():
            name = _donor(d, group_eu)
            if (
                m != measure
                or (kind is not None and t is not kind)
                or (donor is not None and name != donor)
            ):
                continue
            label = name if by == "donor" else t.value
            out[label] = out.get(label, Decimal(0)) + value
        return dict(sorted(out.items()))

    def top(
        self, n: int = 10, *, measure: Measure = "allocation", group_eu: bool = True
    ) -> list[tuple[str, Decimal]]:
        """The `n` donors with the largest totals."""
        totals = self.totals(measure=measure, group_eu=group_eu)
        return sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:n]

    def _repr_html_(self) -> str:
        allocated = self.totals(measure="allocation")
        committed = self.totals(measure="commitment")
        disbursed = self.totals(measure="disbursement")
        donors = sorted(set(allocated) | set(committed), key=lambda d: -allocated.get(d, 0))
        return _html.table(
            ["donor", "committed (bn EUR)", "allocated (bn EUR)", "disbursed (bn EUR)"],
            [
                (
                    d,
                    f"{committed.get(d, 0) / 10**9:,.3f}",
                    f"{allocated.get(d, 0) / 10**9:,.3f}",
                    f"{disbursed[d] / 10**9:,.3f}" if d in disbursed else "",
                )
                for d in donors
            ],
        )

    def unallocated(
        self, *, aid_type: Channel | str | None = None, group_eu: bool = True
    ) -> dict[str, Decimal]:
        """Per donor, Kiel's commitments not (yet) allocated: commitments − allocations of the
        same aid type (or of all types), where positive."""
        committed = self.totals(measure="commitment", aid_type=aid_type, group_eu=group_eu)
        allocated = self.totals(measure="allocation", aid_type=aid_type, group_eu=group_eu)
        gaps = {d: c - allocated.get(d, Decimal(0)) for d, c in committed.items()}
        return {d: g for d, g in gaps.items() if g > 0}

    def pipeline(self, *, group_eu: bool = True) -> list[KielPipelineRow]:
        """Per donor and aid type: committed, allocated and (financial aid) disbursed."""
        rows: dict[tuple[str, Channel], dict[str, Decimal]] = {}
        for (d, t, m), value in self.sums.items():
            cell = rows.setdefault((_donor(d, group_eu), t), {})
            cell[m] = cell.get(m, Decimal(0)) + value
        zero = Decimal(0)
        return [
            KielPipelineRow(
                donor,
                kind,
                cell.get("commitment", zero),
                cell.get("allocation", zero),
                cell.get("disbursement", zero) if kind is Channel.FINANCIAL else None,
            )
            for (donor, kind), cell in sorted(
                rows.items(), key=lambda kv: (kv[0][0], kv[0][1].value)
            )
        ]


class KielProjection(Reducer[KielState]):
    """Folds `AidAllocated`, `AidCommitted` and `AidDisbursed` into a `KielState`.

    Its state is bounded (one sum per donor, aid type and measure), so its snapshots are small:
    `Timeline.save_snapshots` stores them, and a fresh process answers from the nearest one.
    """

    snapshot_name = "timeline.sources.kiel.KielProjection"
    snapshot_version = 1

    def initial(self) -> KielState:
        return KielState()

    def dump_state(self, state: KielState) -> list[list[str]]:
        """The sums as ``[donor, aid type, measure, EUR]`` rows (amounts as exact text)."""
        return sorted(
            [donor, channel.value, measure, str(amount)]
            for (donor, channel, measure), amount in state.sums.items()
        )

    def load_state(self, data: Any) -> KielState:
        """The state `dump_state` wrote."""
        sums: dict[Key, Decimal] = {}
        for donor, channel, measure, amount in data:
            if measure not in _MEASURES:
                raise ValueError(f"unknown measure {measure!r}")
            sums[str(donor), Channel(channel), measure] = Decimal(amount)
        return KielState(sums)

    @on(AidAllocated, AidCommitted, AidDisbursed)
    def _add(self, state: KielState, ev: KielActivity) -> KielState:
        sums = dict(state.sums)
        for measure, amount in _contributions(ev):
            key = (ev.donor, ev.aid_type, measure)
            sums[key] = sums.get(key, Decimal(0)) + (-amount if ev.reversal else amount)
        return KielState(sums)

    def diff(self, before: KielState, after: KielState) -> list[Change]:
        """Per donor and measure, the totals that changed."""
        changes: list[Change] = []
        for measure in _MEASURES:
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


# --- reconciliation with Kiel's own Country Summary ---------------------------------------

SummaryKey = tuple[str, Channel, Literal["allocation", "commitment"]]
TOLERANCE: Final = Decimal("0.005") * 10**9
"""Half a unit of the third decimal of Kiel's figures in bn EUR."""


def read_summary(path: str | Path) -> dict[SummaryKey, Decimal]:
    """Kiel's Country Summary (bn EUR per donor, aid type and measure) as EUR per cell."""
    path = Path(path)
    header, rows = _csv_rows(path)
    if not all(c in header for c in SUMMARY_COLUMNS):
        raise DataError(f"{path}: not Kiel's Country Summary (columns {header})", line=1)
    cells: dict[SummaryKey, Decimal] = {}
    for line, row in rows:
        donor = row["land"].strip()
        if not donor:
            raise DataError(f"{path.name}: the donor is empty", line=line)
        for kind in ("financial", "humanitarian", "military"):
            for measure in ("allocation", "commitment"):
                column = f"{kind}_{measure}"
                try:
                    value = _decimal(row[column])
                except ValueError as exc:
                    raise DataError(f"{path.name}: {column}: {exc}", line=line) from None
                if value is not None and value < 0:
                    raise DataError(
                        f"{path.name}: {column}: {value} is negative (a total of aid given)",
                        line=line,
                    )
                key: SummaryKey = (donor, _CHANNELS[kind], measure)
                if key in cells:
                    raise DataError(f"{path.name}: {donor} appears twice", line=line)
                cells[key] = (value or Decimal(0)) * 10**9
    return cells


@attrs.frozen
class SummaryCell:
    """One cell of Kiel's Country Summary beside the library's figure (EUR)."""

    donor: str
    aid_type: Channel
    measure: str
    library: Decimal
    kiel: Decimal

    @property
    def residual(self) -> Decimal:
        """The library's figure minus Kiel's."""
        return self.library - self.kiel


@attrs.frozen
class Reconciliation:
    """Every cell of Kiel's Country Summary beside the library's totals."""

    cells: tuple[SummaryCell, ...]

    def residuals(self, tolerance: Decimal = TOLERANCE) -> list[SummaryCell]:
        """The cells whose residual exceeds `tolerance` (EUR; default 0.005 bn)."""
        return [c for c in self.cells if abs(c.residual) > tolerance]

    def _rows(self) -> list[tuple[str, str, str, str, str, str]]:
        return [
            (
                c.donor,
                c.aid_type.value,
                c.measure,
                f"{c.library / 10**9:,.3f}",
                f"{c.kiel / 10**9:,.3f}",
                f"{c.residual / 10**9:+,.4f}",
            )
            for c in self.residuals()
        ]

    def __str__(self) -> str:
        off = self.residuals()
        donors = len({c.donor for c in self.cells})
        lines = [
            f"{len(self.cells) - len(off)} of {len(self.cells)} cells ({donors} donors × aid type "
            f"× measure) within 0.005 bn EUR of Kiel's Country Summary"
        ]
        for row in self._rows():
            lines.append("  {} {} {}: library {} bn, Kiel {} bn ({} bn)".format(*row))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return _html.table(
            ["donor", "aid type", "measure", "library (bn EUR)", "Kiel (bn EUR)", "residual"],
            self._rows(),
            caption=str(self).splitlines()[0],
        )


def reconcile(
    state: KielState, summary: str | Path | Mapping[SummaryKey, Decimal]
) -> Reconciliation:
    """Compare `state` (with the EU grouped, as Kiel's summary does) with Kiel's Country Summary
    (a path to its CSV, or `read_summary`'s cells). Donors on one side only count as 0 on the
    other."""
    cells = read_summary(summary) if isinstance(summary, (str, Path)) else dict(summary)
    ours: dict[SummaryKey, Decimal] = {}
    for measure in ("allocation", "commitment"):
        for kind in _CHANNELS.values():
            for donor, value in state.totals(measure=measure, aid_type=kind).items():
                ours[(donor, kind, measure)] = value
    keys = sorted(set(cells) | set(ours), key=lambda k: (k[0], k[2], k[1].value))
    return Reconciliation(
        tuple(
            SummaryCell(d, t, m, ours.get((d, t, m), Decimal(0)), cells.get((d, t, m), Decimal(0)))
            for d, t, m in keys
        )
    )


# --- frames (extra notebook) ---------------------------------------------------------------


def _month_label(text: str, name: str) -> str:
    try:
        when = When.parse(text)
    except (TimeError, ValueError) as exc:
        raise TimeError(f"{name} {text!r}: {exc}", value=text) from None
    if when.precision.value != "month":
        raise TimeError(f"{name} {text!r} is not a month (YYYY-MM)", value=text)
    return text


def _months(start: str, last: str) -> list[str]:
    start = _month_label(start, "start")
    last = _month_label(last, "end")
    months = []
    year, month = int(start[:4]), int(start[5:7])
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _last_month(tl: Timeline[Any], known_at: TimeLike | None, start: str) -> str:
    return max(
        (str(e.occurred.latest.date())[:7] for e in tl.events(known_at=known_at)), default=start
    )


def _month_ends(
    tl: Timeline[Any],
    known_at: TimeLike | None,
    start: str,
    end: str | None,
    certain: bool,
) -> Iterator[tuple[str, KielState]]:
    """(month, state at its end) for each month from `start` to `end` (default: the last month
    any event may lie in), one projection object so the checkpoints are shared."""
    projection = KielProjection()
    for label in _months(start, end or _last_month(tl, known_at, start)):
        yield label, tl.state_at(label, known_at=known_at, projection=projection, certain=certain)


def monthly_series(
    tl: Timeline[Any],
    donors: Sequence[str] | None = None,
    *,
    measure: Measure = "allocation",
    aid_type: Channel | str | None = None,
    known_at: TimeLike | None = None,
    start: str = TRACKER_START,
    end: str | None = None,
    certain: bool = True,
    group_eu: bool = True,
) -> Any:
    """Cumulative EUR per donor at the end of each month, as a pandas DataFrame (extra notebook).

    With `certain` (the default, as Kiel's monthly series) a row counts from the end of the
    month it is placed in, and an undated row only at the release.
    """
    from timeline.notebook import require

    pd = require("pandas")
    rows = {}
    for label, state in _month_ends(tl, known_at, start, end, certain):
        totals = state.totals(measure=measure, aid_type=aid_type, group_eu=group_eu)
        chosen = donors if donors is not None else list(totals)
        rows[pd.Period(label, "M")] = {d: float(totals.get(d, Decimal(0))) for d in chosen}
    return pd.DataFrame.from_dict(rows, orient="index").fillna(0.0)


_PIPELINE_COLUMNS: Final[tuple[tuple[str, Measure], ...]] = (
    ("committed", "commitment"),
    ("allocated", "allocation"),
    ("disbursed", "disbursement"),
)


def pipeline_series(
    tl: Timeline[Any],
    donor: str,
    *,
    aid_type: Channel | str | None = Channel.FINANCIAL,
    known_at: TimeLike | None = None,
    start: str = TRACKER_START,
    end: str | None = None,
    certain: bool = True,
) -> Any:
    """One donor's cumulative committed, allocated and disbursed EUR at the end of each month,
    as a pandas DataFrame (extra notebook): pledged against delivered, as known at `known_at`.
    Kiel publishes disbursements for financial aid only (the default `aid_type`)."""
    from timeline.notebook import require

    pd = require("pandas")
    rows = {}
    for label, state in _month_ends(tl, known_at, start, end, certain):
        rows[pd.Period(label, "M")] = {
            column: float(
                state.totals(measure=measure, aid_type=aid_type, donor=donor).get(donor, 0)
            )
            for column, measure in _PIPELINE_COLUMNS
        }
    return pd.DataFrame.from_dict(rows, orient="index")
