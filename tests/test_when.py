from __future__ import annotations

import datetime as dt
import itertools

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from timeline import Precision, TimeError, When
from timeline.testing import whens
from timeline.when import query_time, to_when, utc_text

UTC = dt.UTC


@pytest.mark.parametrize(
    ("text", "precision", "earliest", "latest"),
    [
        ("2025-03-03", Precision.DAY, "2025-03-03T00:00:00", "2025-03-03T23:59:59.999999"),
        ("2025-03", Precision.MONTH, "2025-03-01T00:00:00", "2025-03-31T23:59:59.999999"),
        ("2024-02", Precision.MONTH, "2024-02-01T00:00:00", "2024-02-29T23:59:59.999999"),
        ("2025", Precision.YEAR, "2025-01-01T00:00:00", "2025-12-31T23:59:59.999999"),
        ("2025-03-XX", Precision.DAY, "2025-03-01T00:00:00", "2025-03-31T23:59:59.999999"),
        ("2025-XX", Precision.MONTH, "2025-01-01T00:00:00", "2025-12-31T23:59:59.999999"),
        ("202X", Precision.YEAR, "2020-01-01T00:00:00", "2029-12-31T23:59:59.999999"),
        ("2025-03-1X", Precision.DAY, "2025-03-10T00:00:00", "2025-03-19T23:59:59.999999"),
        ("2025-03-03~", Precision.DAY, "2025-03-03T00:00:00", "2025-03-03T23:59:59.999999"),
        ("2025-03-03?", Precision.DAY, "2025-03-03T00:00:00", "2025-03-03T23:59:59.999999"),
        (
            "2025-03-01/2025-03-06",
            Precision.INTERVAL,
            "2025-03-01T00:00:00",
            "2025-03-06T23:59:59.999999",
        ),
        ("2025-03-02/..", Precision.INTERVAL, "2025-03-02T00:00:00", "9999-12-31T23:59:59.999999"),
        ("../2025-03-06", Precision.INTERVAL, "0001-01-01T00:00:00", "2025-03-06T23:59:59.999999"),
        (
            "2025-03-03T19:45:00-05:00",
            Precision.INSTANT,
            "2025-03-04T00:45:00",
            "2025-03-04T00:45:00",
        ),
    ],
)
def test_parse_bounds_and_precision(
    text: str, precision: Precision, earliest: str, latest: str
) -> None:
    w = When.parse(text)
    assert w.precision is precision
    assert w.earliest == pendulum.parse(earliest + "+00:00")
    assert w.latest == pendulum.parse(latest + "+00:00")
    assert w.earliest.tzinfo is not None
    assert w.earliest.utcoffset() == dt.timedelta(0)


def test_qualifiers_are_flags_and_do_not_move_bounds() -> None:
    plain, approx, uncertain, both = (When.parse(f"2025-03-03{q}") for q in ("", "~", "?", "%"))
    assert (approx.approximate, approx.uncertain) == (True, False)
    assert (uncertain.approximate, uncertain.uncertain) == (False, True)
    assert (both.approximate, both.uncertain) == (True, True)
    assert {w.earliest for w in (plain, approx, uncertain, both)} == {plain.earliest}
    assert len({plain, approx, uncertain, both}) == 4
    assert When.parse("2025-03-XX").unspecified
    assert not plain.unspecified


def test_interval_keeps_its_ends() -> None:
    w = When.parse("2025-03-05?/2025-03-11")
    assert w.start == When.parse("2025-03-05?")
    assert w.end == When.parse("2025-03-11")
    assert When.parse("2025-03-02/..").end is None


def test_instant_is_canonical_utc() -> None:
    assert str(When.parse("2025-03-03T19:45:00-05:00")) == "2025-03-04T00:45:00Z"
    assert str(When.parse("2025-03-03T10:00:00.5+00:00")) == "2025-03-03T10:00:00.500000Z"
    assert When.instant(dt.datetime(2025, 3, 3, 12, tzinfo=UTC)) == When.parse(
        "2025-03-03T12:00:00Z"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2025-02-30", "not a possible date"),
        ("2025-13", "not a possible date"),
        ("2025-02-3X", "2025-02-3X"),
        ("2025-03-03T10:00:00", "naive"),
        ("yesterday", "is not a date"),
        ("2025-03-05/2025-03-01", "ends before it starts"),
        ("../..", "open at both ends"),
        ("2025/2026/2027", "more than one"),
        ("2025-03-01/", "open end as '..'"),
        ("2025-03-03T25:00:00Z", "not a valid instant"),
    ],
)
def test_bad_text_raises_time_error_naming_it(text: str, message: str) -> None:
    with pytest.raises(TimeError, match=message) as info:
        When.parse(text)
    assert info.value.value == text
    assert isinstance(info.value, ValueError)


def test_naive_datetimes_are_refused_everywhere() -> None:
    naive = dt.datetime(2025, 3, 3, 12)  # noqa: DTZ001 - the point of the test
    with pytest.raises(TimeError, match="naive"):
        to_when(naive)
    with pytest.raises(TimeError, match="naive"):
        query_time(naive)
    with pytest.raises(TimeError, match="naive"):
        utc_text(naive)


def test_to_when_accepts_dates_datetimes_and_text() -> None:
    assert to_when(dt.date(2025, 3, 3)) == When.parse("2025-03-03")
    assert to_when("2025-03") == When.parse("2025-03")
    w = When.parse("2025")
    assert to_when(w) is w
    with pytest.raises(TimeError, match="cannot read a time"):
        to_when(3.5)  # type: ignore[arg-type]
    with pytest.raises(TimeError, match="expected EDTF text"):
        When.parse(20250303)  # type: ignore[arg-type]


def test_query_time_means_the_end_of_a_date() -> None:
    assert query_time("2025-03-03") == pendulum.datetime(2025, 3, 3, 23, 59, 59, 999999)
    assert query_time(dt.date(2025, 3, 3)) == query_time("2025-03-03")
    moment = dt.datetime(2025, 3, 3, 12, tzinfo=UTC)
    assert query_time(moment) == moment
    assert query_time("2025-03") == pendulum.datetime(2025, 3, 31, 23, 59, 59, 999999)


def test_when_is_immutable_and_only_made_by_parse() -> None:
    w = When.parse("2025-03-03")
    with pytest.raises(AttributeError):
        w.text = "2025"
    with pytest.raises(AttributeError):
        del w.text
    with pytest.raises(TypeError):
        When("2025")


def test_widen_is_explicit() -> None:
    w = When.parse("2025-03-03~").widen(dt.timedelta(days=1))
    assert w.earliest == pendulum.datetime(2025, 3, 2)
    assert w.latest == pendulum.datetime(2025, 3, 4, 23, 59, 59, 999999)
    assert w.precision is Precision.INTERVAL


def test_between_and_contains() -> None:
    w = When.between("2025-03-03", None)
    assert str(w) == "2025-03-03/.."
    assert w.contains("2026-01-01")
    assert not When.parse("2025-03").contains("2025-04-01")


def test_ordering_against_other_types() -> None:
    w = When.parse("2025")
    assert w != "2025"
    with pytest.raises(TypeError):
        _ = w < "2025"  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = w <= 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = w > 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = w >= 1  # type: ignore[operator]


@given(whens())
def test_str_parses_back_to_an_equal_value(w: When) -> None:
    again = When.parse(str(w))
    assert again == w
    assert hash(again) == hash(w)
    assert (again.earliest, again.latest, again.precision) == (w.earliest, w.latest, w.precision)
    assert w.earliest <= w.latest
    assert repr(w) == f"When({str(w)!r})"


@given(st.lists(whens(), min_size=2, max_size=6))
def test_order_is_total_and_follows_bounds(ws: list[When]) -> None:
    ordered = sorted(ws)
    for a, b in itertools.pairwise(ordered):
        assert a <= b
        assert (a.earliest, a.latest) <= (b.earliest, b.latest)
        assert (a < b) or (a == b)
        assert not (a > b)
        assert b >= a
