"""Tools for testing code built on `timeline` (needs the ``test`` extra: pytest, hypothesis).

* Hypothesis strategies: `whens`, `moneys`, `texts`, `sources`, `ids` (the support domain's
  events are in `timeline.support.testing`).
* `StoreContract`: the test suite every `Store` must pass. Subclass it in a test module and
  give it a ``make_store`` fixture returning a fresh, empty store::

      class TestMyStore(StoreContract):
          @pytest.fixture
          def make_store(self, tmp_path):
              return lambda: MyStore(tmp_path / "x")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import strategies as st

from timeline.errors import ConcurrencyError, DuplicateEventId
from timeline.records import GENESIS, StoredRecord, chain_hash
from timeline.stores import Head, Store
from timeline.values import Money, Source
from timeline.when import When

__all__ = ["FrozenClock", "StoreContract", "ids", "moneys", "sources", "texts", "whens"]


class FrozenClock:
    """A clock for `timeline.open(clock=...)` that only moves when told to."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def tick(self, **delta: float) -> dt.datetime:
        """Move the clock forward by ``datetime.timedelta(**delta)``."""
        self.now += dt.timedelta(**delta)
        return self.now


@st.composite
def _days(
    draw: st.DrawFn, lo: dt.date = dt.date(2024, 1, 1), hi: dt.date = dt.date(2026, 12, 31)
) -> dt.date:
    return draw(st.dates(min_value=lo, max_value=hi))


@st.composite
def whens(draw: st.DrawFn, *, intervals: bool = True, open_ends: bool = True) -> When:
    """Days, months, years, instants, qualifiers, X digits and (open) intervals, 2024-2026."""
    day = draw(_days())
    qualifier = draw(st.sampled_from(["", "", "", "~", "?", "%"]))
    kind = draw(st.sampled_from(["day", "day", "month", "year", "instant", "xday", "interval"]))
    if kind == "interval" and intervals:
        other = draw(_days(lo=day))
        left = day.isoformat()
        right = other.isoformat()
        if open_ends and draw(st.booleans()) and draw(st.booleans()):
            right = ".."
        return When.parse(f"{left}{qualifier}/{right}")
    if kind == "month":
        return When.parse(f"{day:%Y-%m}{qualifier}")
    if kind == "year":
        return When.parse(f"{day:%Y}{qualifier}")
    if kind == "xday":
        return When.parse(f"{day:%Y-%m}-XX{qualifier}")
    if kind == "instant":
        seconds = draw(st.integers(0, 86_399))
        micro = draw(st.sampled_from([0, 0, 123456]))
        offset = draw(st.sampled_from([0, 60, -300, 330]))
        moment = dt.datetime.combine(day, dt.time(), dt.timezone(dt.timedelta(minutes=offset)))
        moment += dt.timedelta(seconds=seconds, microseconds=micro)
        return When.parse(moment.isoformat() + qualifier)
    return When.parse(f"{day.isoformat()}{qualifier}")


def moneys(currencies: tuple[str, ...] = ("GBP", "EUR", "USD")) -> st.SearchStrategy[Money]:
    """Non-negative amounts with up to 2 decimals in a few currencies."""
    return st.builds(
        Money,
        amount=st.decimals(min_value=0, max_value=Decimal("1e12"), places=2, allow_nan=False),
        currency=st.sampled_from(currencies),
        approximate=st.booleans(),
    )


texts = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30
)
"""Short printable text, any script (no surrogates, no control characters)."""
sources = st.none() | st.builds(
    Source, title=st.none() | texts, quote=st.none() | texts, published=st.none() | whens()
)
"""A `Source` or None."""
ids = st.uuids().map(str)
"""Event ids."""


def _rows(
    head: Head, ids: list[str], stamp: str = "2025-03-06T00:00:00.000000Z"
) -> list[StoredRecord]:
    rows = []
    previous = head.hash
    for position, id_ in enumerate(ids, head.position + 1):
        data = f'{{"id":"{id_}"}}'
        previous = chain_hash(previous, position, stamp, "test.row", 1, id_, data)
        rows.append(StoredRecord(position, stamp, "test.row", 1, id_, data, previous))
    return rows


class StoreContract:
    """The behaviour every store must have. Provide a ``make_store`` fixture."""

    @pytest.fixture
    def make_store(self) -> Callable[[], Store]:  # pragma: no cover - overridden
        raise NotImplementedError

    def test_empty_store_has_genesis_head(self, make_store: Callable[[], Store]) -> None:
        store = make_store()
        assert store.head() == Head(0, GENESIS, None)
        assert list(store.read()) == []

    def test_append_returns_rows_and_moves_head(self, make_store: Callable[[], Store]) -> None:
        store = make_store()
        rows = store.append(lambda head: _rows(head, ["a", "b"]), None)
        assert [r.position for r in rows] == [1, 2]
        assert store.head() == Head(2, rows[-1].hash, rows[-1].recorded_at)
        assert list(store.read()) == rows
        assert list(store.read(after=1)) == rows[1:]

    def test_build_sees_the_head_inside_the_transaction(
        self, make_store: Callable[[], Store]
    ) -> None:
        store = make_store()
        store.append(lambda head: _rows(head, ["a"]), None)
        seen: list[Head] = []

        def build(head: Head) -> list[StoredRecord]:
            seen.append(head)
            return _rows(head, ["b"])

        store.append(build, 1)
        assert seen[0].position == 1
        assert seen[0].hash == next(iter(store.read())).hash

    def test_stale_expected_position_writes_nothing(self, make_store: Callable[[], Store]) -> None:
        store = make_store()
        store.append(lambda head: _rows(head, ["a"]), 0)
        with pytest.raises(ConcurrencyError) as info:
            store.append(lambda head: _rows(head, ["b"]), 0)
        assert (info.value.expected, info.value.actual) == (0, 1)
        assert [r.id for r in store.read()] == ["a"]

    def test_duplicate_id_writes_nothing(self, make_store: Callable[[], Store]) -> None:
        store = make_store()
        store.append(lambda head: _rows(head, ["a"]), None)
        with pytest.raises(DuplicateEventId, match="'a'"):
            store.append(lambda head: _rows(head, ["b", "a"]), None)
        with pytest.raises(DuplicateEventId, match="'c'"):
            store.append(lambda head: _rows(head, ["c", "c"]), None)
        assert [r.id for r in store.read()] == ["a"]
        assert store.head().position == 1

    def test_failing_build_writes_nothing(self, make_store: Callable[[], Store]) -> None:
        store = make_store()

        def build(head: Head) -> list[StoredRecord]:
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            store.append(build, None)
        assert store.head().position == 0
        store.append(lambda head: _rows(head, ["a"]), None)
        assert store.head().position == 1

    def test_many_batches_stay_gapless(self, make_store: Callable[[], Store]) -> None:
        store = make_store()
        for batch in range(20):
            ids = [f"{batch}-{i}" for i in range(7)]
            store.append(lambda head, ids=ids: _rows(head, ids), None)  # type: ignore[misc]
        positions = [r.position for r in store.read()]
        assert positions == list(range(1, 141))
