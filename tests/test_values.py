from __future__ import annotations

from decimal import Decimal

import pytest

from timeline import CurrencyMismatch, InvalidValue, Money, Source, UnknownCurrency, When
from timeline.support import Person
from timeline.support.actors import actor_code


@pytest.mark.parametrize(
    ("text", "amount", "currency", "approximate"),
    [
        ("£2.26bn", "2260000000", "GBP", False),
        ("$38m", "38000000", "USD", False),
        ("€800 billion", "800000000000", "EUR", False),
        ("nearly £30m", "30000000", "GBP", True),
        ("about €150bn", "150000000000", "EUR", True),
        ("£30 million", "30000000", "GBP", False),
        ("USD 50bn", "50000000000", "USD", False),
        ("2.26bn GBP", "2260000000", "GBP", False),
        ("£752m", "752000000", "GBP", False),
        ("£1,250", "1250", "GBP", False),
        ("£2.5", "2.5", "GBP", False),
        ("300 euros", "300", "EUR", False),
    ],
)
def test_parse_as_news_writes_it(text: str, amount: str, currency: str, approximate: bool) -> None:
    money = Money.parse(text)
    assert money == Money(Decimal(amount), currency, approximate)


@pytest.mark.parametrize(
    ("text", "error", "field"),
    [
        ("£", InvalidValue, "amount"),
        ("12", InvalidValue, "currency"),
        ("£-3m", InvalidValue, "amount"),
        ("XYZ 3", UnknownCurrency, "currency"),
        ("£3 USD", InvalidValue, "currency"),
    ],
)
def test_parse_refuses_what_it_cannot_read(text: str, error: type[Exception], field: str) -> None:
    with pytest.raises(error) as info:
        Money.parse(text)
    assert info.value.field == field  # type: ignore[attr-defined]


def test_parse_refuses_non_text() -> None:
    with pytest.raises(InvalidValue, match="cannot read money"):
        Money.parse(5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal(-1), "negative"),
        (Decimal("NaN"), "not finite"),
        (Decimal("Infinity"), "not finite"),
        ("ten", "not a number"),
        (1.5, "not a float"),
        (True, "not a float"),
    ],
)
def test_money_refuses_bad_amounts(amount: object, message: str) -> None:
    with pytest.raises(InvalidValue, match=message) as info:
        Money(amount, "GBP")  # type: ignore[arg-type]
    assert info.value.field == "amount"


def test_money_refuses_unknown_currency() -> None:
    with pytest.raises(UnknownCurrency, match="'gbp' is not an ISO 4217"):
        Money(Decimal(1), "gbp")


def test_adding_money_keeps_currencies_apart() -> None:
    total = Money.parse("£1m") + Money.parse("nearly £2m")
    assert total == Money(Decimal(3000000), "GBP", approximate=True)
    with pytest.raises(CurrencyMismatch, match="GBP with EUR") as info:
        _ = Money.parse("£1m") + Money.parse("€1m")
    assert (info.value.left, info.value.right) == ("GBP", "EUR")
    assert Money.parse("£1").__add__(3) is NotImplemented  # type: ignore[operator]


def test_money_str() -> None:
    assert str(Money.parse("nearly £30m")) == "~GBP 30,000,000"


def test_source_converts_published() -> None:
    source = Source(title="t", published="2025-03-06?")
    assert source.published == When.parse("2025-03-06?")
    assert Source().published is None


def test_actor_codes() -> None:
    assert actor_code("GB") == "GB"
    assert actor_code("NATO") == "NATO"
    with pytest.raises(InvalidValue, match="'UK' is not an ISO 3166-1") as info:
        actor_code("UK")
    assert info.value.field == "actor"
    with pytest.raises(InvalidValue, match="'XX'"):
        Person(name="x", actor="XX")
