"""Valid time with honest precision: `When`, a subset of EDTF (ISO 8601-2) on top of pendulum.

A `When` is a span of time the world-event happened in, with the precision it was reported at:

==========================  ==================  ========================================
text                        precision           bounds (UTC, both inclusive)
==========================  ==================  ========================================
``2025-03-03T19:45:00Z``    instant             that microsecond
``2025-03-03``              day                 00:00:00 … 23:59:59.999999
``2025-03``                 month               1 March … 31 March, end of day
``2025``                    year                1 January … 31 December
``2025-03-XX``              day (unspecified)   the whole of March
``2025-03-03~``             day, approximate    the same bounds as ``2025-03-03``
``2025-03-03?``             day, uncertain      the same bounds as ``2025-03-03``
``2025-03-01/2025-03-06``   interval            1 March 00:00 … 6 March, end of day
``2025-03-02/..``           interval, open end  2 March 00:00 … the end of time
==========================  ==================  ========================================

``~`` and ``?`` (``%`` is both) qualify a date without moving its bounds; `When.widen` is the
explicit way to widen them. Instants must carry an offset and are stored in UTC; a naive time
raises `TimeError`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
import functools
import re
from typing import Final, TypeAlias

import pendulum

from timeline.errors import TimeError

__all__ = [
    "Precision",
    "TimeLike",
    "When",
    "fixed_utc_text",
    "query_time",
    "to_when",
    "utc_text",
]

_UTC = dt.UTC
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=_UTC)
_ONE_US: Final = dt.timedelta(microseconds=1)
_DATE_RE: Final = re.compile(
    r"(?P<y>[0-9X]{4})(?:-(?P<m>[0-9X]{2})(?:-(?P<d>[0-9X]{2}))?)?(?P<q>[?~%])?"
)
_INSTANT_RE: Final = re.compile(r"(?P<t>\d{4}-\d{2}-\d{2}T[^?~%]+)(?P<q>[?~%])?")


class Precision(enum.Enum):
    """How finely a `When` was reported."""

    INSTANT = "instant"
    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    INTERVAL = "interval"


TimeLike: TypeAlias = "When | dt.datetime | dt.date | str"
"""Anything the API accepts as a time: a `When`, an aware datetime, a date, or EDTF text."""


_EPOCH_ORDINAL: Final = dt.date(1970, 1, 1).toordinal()
_DAY_US: Final = 86_400_000_000


def _to_us(moment: dt.datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (stdlib or pendulum)."""
    offset = moment.utcoffset()
    if offset is not None:
        moment = (
            dt.datetime(  # noqa: DTZ001 - naive on purpose: plain UTC arithmetic
                moment.year,
                moment.month,
                moment.day,
                moment.hour,
                moment.minute,
                moment.second,
                moment.microsecond,
            )
            - offset
        )
    return (
        (moment.toordinal() - _EPOCH_ORDINAL) * _DAY_US
        + (moment.hour * 3600 + moment.minute * 60 + moment.second) * 1_000_000
        + moment.microsecond
    )


def _from_us(us: int) -> pendulum.DateTime:
    moment = _EPOCH + dt.timedelta(microseconds=us)
    return pendulum.DateTime(
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
        moment.microsecond,
        tzinfo=pendulum.UTC,
    )


_MIN_US: Final = _to_us(dt.datetime(1, 1, 1, tzinfo=_UTC))
_MAX_US: Final = _to_us(dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=_UTC))


def _in_utc(moment: dt.datetime) -> dt.datetime:
    """`moment` in UTC; `TimeError` if naive or outside years 0001-9999 once in UTC."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise TimeError(f"naive datetime {moment.isoformat()} has no UTC offset", value=moment)
    try:
        return moment.astimezone(_UTC)
    except OverflowError:
        raise TimeError(
            f"{moment.isoformat()} is outside years 0001-9999 once in UTC", value=moment
        ) from None


def _iso(moment: dt.datetime, *, micro: bool) -> str:
    # strftime("%Y") does not pad years before 1000 on every platform; this always does,
    # so the text is fixed-width and text order is time order
    text = (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    )
    return f"{text}.{moment.microsecond:06d}Z" if micro else f"{text}Z"


def utc_text(moment: dt.datetime) -> str:
    """Canonical text of an aware instant: UTC, ``Z``, microseconds only when non-zero."""
    moment = _in_utc(moment)
    return _iso(moment, micro=bool(moment.microsecond))


def fixed_utc_text(moment: dt.datetime) -> str:
    """Fixed-width UTC text with microseconds (``0800-12-25T12:00:00.000000Z``): text order is
    time order, which is how `recorded_at` is stored."""
    return _iso(_in_utc(moment), micro=True)


def _matching(pattern: str, lo: int, hi: int) -> list[int]:
    """Values in [lo, hi] whose zero-padded digits match `pattern` (X: any digit)."""
    width = len(pattern)
    if "X" not in pattern:
        value = int(pattern)
        return [value] if lo <= value <= hi else []
    lo = max(lo, int(pattern.replace("X", "0")))
    hi = min(hi, int(pattern.replace("X", "9")))
    return [
        value
        for value in range(lo, hi + 1)
        if all(p in ("X", c) for p, c in zip(pattern, f"{value:0{width}d}", strict=True))
    ]


class When:
    """A time in the world, with its precision and qualifiers. Immutable, hashable, totally ordered.

    >>> w = When.parse("2025-03")
    >>> w.precision, str(w.earliest), str(w.latest)
    (<Precision.MONTH: 'month'>, '2025-03-01 00:00:00+00:00', '2025-03-31 23:59:59.999999+00:00')
    >>> When.parse("2025-03-03") < When.parse("2025-03-03T12:00:00+01:00")
    True
    """

    __slots__ = (
        "_hi",
        "_lo",
        "approximate",
        "earliest",
        "end",
        "latest",
        "precision",
        "start",
        "text",
        "uncertain",
        "unspecified",
    )

    text: str
    """Canonical EDTF text; ``When.parse(str(w)) == w``."""
    earliest: pendulum.DateTime
    """The first instant the event could have happened at (UTC)."""
    latest: pendulum.DateTime
    """The last instant the event could have happened at (UTC, inclusive)."""
    precision: Precision
    approximate: bool
    """EDTF ``~``: the reported date is approximate."""
    uncertain: bool
    """EDTF ``?``: the reported date is uncertain (possibly wrong)."""
    unspecified: bool
    """EDTF ``X`` digits: part of the date is unknown (``2025-03-XX``)."""
    start: When | None
    """For an interval, its start (None when open); for a single date, None."""
    end: When | None
    """For an interval, its end (None when open); for a single date, None."""
    _lo: int
    _hi: int

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise TypeError("use When.parse(text) or timeline.when.to_when(value) to make a When")

    @classmethod
    def _make(
        cls,
        text: str,
        lo: int,
        hi: int,
        precision: Precision,
        *,
        approximate: bool = False,
        uncertain: bool = False,
        unspecified: bool = False,
        start: When | None = None,
        end: When | None = None,
    ) -> When:
        self = object.__new__(cls)
        setter = object.__setattr__
        setter(self, "text", text)
        setter(self, "_lo", lo)
        setter(self, "_hi", hi)
        setter(self, "earliest", _from_us(lo))
        setter(self, "latest", _from_us(hi))
        setter(self, "precision", precision)
        setter(self, "approximate", approximate)
        setter(self, "uncertain", uncertain)
        setter(self, "unspecified", unspecified)
        setter(self, "start", start)
        setter(self, "end", end)
        return self

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"When is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"When is immutable; cannot delete {name!r}")

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (When.parse, (self.text,))

    # --- construction -------------------------------------------------------------------
    @staticmethod
    def parse(text: str) -> When:
        """Parse EDTF text (see the module docstring); raise `TimeError` naming the text."""
        if not isinstance(text, str):
            raise TimeError(f"expected EDTF text, got {type(text).__name__}", value=text)
        return _parse(text.strip())

    @staticmethod
    def instant(moment: dt.datetime) -> When:
        """A `When` of instant precision; `moment` must be aware."""
        return _parse(utc_text(moment))

    @staticmethod
    def between(start: TimeLike | None, end: TimeLike | None) -> When:
        """The interval from `start` to `end` (either None for an open end)."""
        left = ".." if start is None else str(to_when(start))
        right = ".." if end is None else str(to_when(end))
        return When.parse(f"{left}/{right}")

    def widen(self, by: dt.timedelta) -> When:
        """An interval of instants `by` wider on each side; the explicit way to widen a date."""
        lo = max(_MIN_US, self._lo - by // _ONE_US)
        hi = min(_MAX_US, self._hi + by // _ONE_US)
        return When.parse(f"{utc_text(_from_us(lo))}/{utc_text(_from_us(hi))}")

    # --- comparison ---------------------------------------------------------------------
    @property
    def sort_key(self) -> tuple[int, int, str]:
        """(earliest, latest, text): the total order of `When`."""
        return (self._lo, self._hi, self.text)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, When):
            return self.text == other.text
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.text)

    def __lt__(self, other: When) -> bool:
        if not isinstance(other, When):
            return NotImplemented
        return self.sort_key < other.sort_key

    def __le__(self, other: When) -> bool:
        if not isinstance(other, When):
            return NotImplemented
        return self.sort_key <= other.sort_key

    def __gt__(self, other: When) -> bool:
        if not isinstance(other, When):
            return NotImplemented
        return self.sort_key > other.sort_key

    def __ge__(self, other: When) -> bool:
        if not isinstance(other, When):
            return NotImplemented
        return self.sort_key >= other.sort_key

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"When({self.text!r})"

    def contains(self, moment: TimeLike) -> bool:
        """Whether `moment` (read as `query_time` reads it) lies within the bounds."""
        us = _query_us(moment)
        return self._lo <= us <= self._hi


def _date_part(text: str, whole: str) -> When:
    match = _DATE_RE.fullmatch(text)
    if match is None:
        raise TimeError(
            f"{whole!r} is not a date: expected YYYY, YYYY-MM, YYYY-MM-DD "
            "(X for unknown digits, ~ ? % qualifiers) or an instant with a UTC offset",
            value=whole,
        )
    y, m, d, q = match["y"], match["m"], match["d"], match["q"]
    years = _matching(y, 1, 9999)
    months = _matching(m, 1, 12) if m else [1, 12]
    first: tuple[int, int, int] | None = None
    last: tuple[int, int, int] | None = None
    for year in years:
        for month in months if m else [1]:
            days = _matching(d, 1, calendar.monthrange(year, month)[1]) if d else [1]
            if days:
                first = (year, month, days[0])
                break
        if first:
            break
    for year in reversed(years):
        for month in reversed(months) if m else [12]:
            dim = calendar.monthrange(year, month)[1]
            days = _matching(d, 1, dim) if d else [dim]
            if days:
                last = (year, month, days[-1])
                break
        if last:
            break
    if first is None or last is None:
        raise TimeError(f"{whole!r} is not a possible date", value=whole)
    lo = _to_us(dt.datetime(*first, tzinfo=_UTC))
    hi = _to_us(dt.datetime(*last, 23, 59, 59, 999999, tzinfo=_UTC))
    precision = Precision.DAY if d else Precision.MONTH if m else Precision.YEAR
    return When._make(
        text,
        lo,
        hi,
        precision,
        approximate=q in ("~", "%"),
        uncertain=q in ("?", "%"),
        unspecified="X" in text,
    )


def _instant_part(text: str, whole: str) -> When:
    match = _INSTANT_RE.fullmatch(text)
    if match is None:
        raise TimeError(f"{whole!r} is not an instant", value=whole)
    try:
        moment = dt.datetime.fromisoformat(match["t"])
    except ValueError as exc:
        raise TimeError(f"{whole!r} is not a valid instant: {exc}", value=whole) from None
    if moment.tzinfo is None:
        raise TimeError(
            f"{whole!r} is a naive time: give a UTC offset such as +00:00 or Z", value=whole
        )
    q = match["q"]
    canonical = utc_text(moment) + (q or "")
    us = _to_us(moment)
    return When._make(
        canonical,
        us,
        us,
        Precision.INSTANT,
        approximate=q in ("~", "%"),
        uncertain=q in ("?", "%"),
    )


def _single(text: str, whole: str) -> When:
    return _instant_part(text, whole) if "T" in text else _date_part(text, whole)


@functools.lru_cache(maxsize=65536)
def _parse(text: str) -> When:
    if "/" not in text:
        return _single(text, text)
    parts = text.split("/")
    if len(parts) != 2:
        raise TimeError(f"{text!r} has more than one '/'", value=text)
    left, right = parts
    if left in ("..", "") and right in ("..", ""):
        raise TimeError(f"{text!r} is open at both ends", value=text)
    if "" in (left, right):
        raise TimeError(f"{text!r}: write an open end as '..'", value=text)
    start = None if left == ".." else _single(left, text)
    end = None if right == ".." else _single(right, text)
    lo = _MIN_US if start is None else start._lo
    hi = _MAX_US if end is None else end._hi
    if lo > hi:
        raise TimeError(f"{text!r} ends before it starts", value=text)
    canonical = f"{start.text if start else '..'}/{end.text if end else '..'}"
    return When._make(canonical, lo, hi, Precision.INTERVAL, start=start, end=end)


def to_when(value: TimeLike) -> When:
    """Read a `When`, an aware datetime (an instant), a date (a day) or EDTF text as a `When`."""
    if isinstance(value, When):
        return value
    if isinstance(value, str):
        return When.parse(value)
    if isinstance(value, dt.datetime):
        return When.instant(value)
    if isinstance(value, dt.date):
        return _parse(value.isoformat())
    raise TimeError(f"cannot read a time from {type(value).__name__} {value!r}", value=value)


def _query_us(value: TimeLike) -> int:
    if isinstance(value, dt.datetime):
        return _to_us(_in_utc(value))
    return to_when(value)._hi


def query_time(value: TimeLike) -> pendulum.DateTime:
    """The instant a query time means: a date or month means its *end*, an instant itself.

    >>> str(query_time("2025-03-03"))
    '2025-03-03 23:59:59.999999+00:00'
    """
    return _from_us(_query_us(value))
