"""Value objects that events of any domain carry: `Money` and `Source`."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import attrs

from timeline._codes import CURRENCIES
from timeline.errors import CurrencyMismatch, InvalidValue, UnknownCurrency
from timeline.when import When, to_when

__all__ = ["Money", "Source", "currency_code", "optional_when"]

_SYMBOLS: Final = {"£": "GBP", "$": "USD", "€": "EUR", "¥": "JPY", "₴": "UAH", "₽": "RUB"}
_SCALES: Final = {
    "": 1,
    "k": 10**3,
    "thousand": 10**3,
    "m": 10**6,
    "mn": 10**6,
    "million": 10**6,
    "bn": 10**9,
    "b": 10**9,
    "billion": 10**9,
    "tn": 10**12,
    "trillion": 10**12,
}
_HEDGES: Final = (
    "nearly",
    "almost",
    "about",
    "around",
    "approximately",
    "roughly",
    "some",
    "up to",
    "~",
)
_MONEY_RE: Final = re.compile(
    r"""(?P<pre>[A-Z]{3}\s*|[£$€¥₴₽])?\s*
        (?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*
        (?P<scale>thousand|million|billion|trillion|mn|bn|tn|[kmb])?\.?\s*
        (?P<post>[A-Z]{3}|pounds?|euros?|dollars?)?""",
    re.VERBOSE | re.IGNORECASE,
)
_WORDS: Final = {"pound": "GBP", "pounds": "GBP", "euro": "EUR", "euros": "EUR"}


def currency_code(code: str) -> str:
    """Return `code` if it is an ISO 4217 currency code, else raise `UnknownCurrency`."""
    if not isinstance(code, str) or code not in CURRENCIES:
        raise UnknownCurrency(f"{code!r} is not an ISO 4217 currency code", field="currency")
    return code


def _to_decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, (bool, float)):
        raise InvalidValue(
            f"amount {value!r}: give a Decimal, int or string, not a float", field="amount"
        )
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidValue(f"amount {value!r} is not a number", field="amount") from None
    if not amount.is_finite():
        raise InvalidValue(f"amount {value!r} is not finite", field="amount")
    if amount and abs(amount.adjusted()) > 1000:
        raise InvalidValue(f"amount {amount:.3e} is beyond 10**±1000", field="amount")
    if amount < 0:
        raise InvalidValue(f"amount {value!r} is negative", field="amount")
    return amount


def _check_bool(attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidValue(
            f"{attribute.name} must be True or False, not {value!r}", field=attribute.name
        )


def _optional_text(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise InvalidValue(
            f"{attribute.name} must be text or None, not {type(value).__name__} {value!r}",
            field=attribute.name,
        )


def _check_currency(_instance: object, _attribute: object, value: str) -> None:
    currency_code(value)


@attrs.frozen
class Money:
    """A non-negative amount in one ISO 4217 currency, exact (Decimal), maybe approximate.

    >>> Money.parse("£2.26bn")
    Money(amount=Decimal('2260000000'), currency='GBP', approximate=False)
    >>> Money.parse("nearly £30m").approximate
    True
    >>> str(Money.parse("€800 billion"))
    'EUR 800,000,000,000'
    """

    amount: Decimal = attrs.field(converter=_to_decimal)
    currency: str = attrs.field(validator=_check_currency)
    approximate: bool = attrs.field(default=False, validator=lambda _i, a, v: _check_bool(a, v))

    @classmethod
    def parse(cls, text: str) -> Money:
        """Read money as news writes it: ``£2.26bn``, ``$38m``, ``€800 billion``, ``nearly £30m``.

        A hedge word (nearly, about, around, …) sets `approximate`. ``$`` means US dollars.
        """
        if not isinstance(text, str):
            raise InvalidValue(f"cannot read money from {text!r}", field="amount")
        rest = text.strip()
        approximate = False
        lowered = rest.lower()
        for hedge in _HEDGES:
            if lowered.startswith(hedge):
                approximate = True
                rest = rest[len(hedge) :].strip()
                break
        match = _MONEY_RE.fullmatch(rest)
        if match is None:
            if re.search(r"\d,", rest):
                raise InvalidValue(
                    f"cannot read money from {text!r}: a comma only separates thousands "
                    "(1,500,000); write a decimal point for a fraction (1.5 billion)",
                    field="amount",
                )
            raise InvalidValue(f"cannot read money from {text!r}", field="amount")
        pre = (match["pre"] or "").strip()
        post = match["post"] or ""
        named = (_SYMBOLS.get(pre, pre.upper()), _WORDS.get(post.lower(), post.upper()))
        codes = [code for code in named if code]
        if len(codes) != 1:
            raise InvalidValue(
                f"{text!r} must name exactly one currency (symbol or ISO code)", field="currency"
            )
        scale = _SCALES[(match["scale"] or "").lower()]
        amount = Decimal(match["num"].replace(",", "")) * scale
        if amount == amount.to_integral_value():
            amount = amount.quantize(Decimal(1))
        return cls(amount, codes[0], approximate)

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        if other.currency != self.currency:
            raise CurrencyMismatch(self.currency, other.currency)
        return Money(
            self.amount + other.amount, self.currency, self.approximate or other.approximate
        )

    def __str__(self) -> str:
        sign = "~" if self.approximate else ""
        return f"{sign}{self.currency} {self.amount:,f}"


def optional_when(value: object) -> When | None:
    """None stays None; anything else is read as a `When` (an attrs converter)."""
    return None if value is None else to_when(value)  # type: ignore[arg-type]


@attrs.frozen(kw_only=True)
class Source:
    """Where a fact comes from. `quote` is the sentence the fact rests on, verbatim."""

    title: str | None = attrs.field(default=None, validator=_optional_text)
    publisher: str | None = attrs.field(default=None, validator=_optional_text)
    url: str | None = attrs.field(default=None, validator=_optional_text)
    published: When | None = attrs.field(default=None, converter=optional_when)
    quote: str | None = attrs.field(default=None, validator=_optional_text)
