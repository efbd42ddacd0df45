"""state_at equals a plain reference fold, for random logs, times and knowledge times."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

import timeline
from timeline import Correction, Event, MetaEvent, Retraction, When, _index
from timeline.projection import fold
from timeline.support import SupportProjection
from timeline.support.testing import support_events
from timeline.testing import FrozenClock, whens

UTC = dt.UTC
START = dt.datetime(2025, 3, 1, tzinfo=UTC)


@timeline.event("test.mark", version=1)
class Mark(Event):
    label: str


class Trace:
    """Order-sensitive: the labels in fold order."""

    def initial(self) -> tuple[str, ...]:
        return ()

    def apply(self, state: tuple[str, ...], event: Event) -> tuple[str, ...]:
        return (*state, f"{event.id}:{getattr(event, 'label', type(event).__name__)}")


def reference(
    log: list[tuple[dt.datetime, Any]],
    projection: Any,
    at: dt.datetime,
    known_at: dt.datetime | None,
    certain: bool,
) -> Any:
    """Written plainly: replay the known prefix, then fold what occurred by `at` in valid-time order."""
    original_position: dict[str, int] = {}
    effective: dict[str, Event] = {}
    for position, (recorded_at, ev) in enumerate(log, 1):
        if known_at is not None and recorded_at > known_at:
            break
        if isinstance(ev, Correction):
            effective[ev.target] = attrs.evolve(ev.replacement, id=ev.target)
        elif isinstance(ev, Retraction):
            effective.pop(ev.target, None)
        else:
            original_position[ev.id] = position
            effective[ev.id] = ev
    counted = [
        ev
        for ev in effective.values()
        if (ev.occurred.latest if certain else ev.occurred.earliest) <= at
    ]
    counted.sort(key=lambda e: (e.occurred.earliest, e.occurred.latest, original_position[e.id]))
    return fold(projection, counted)


@contextlib.contextmanager
def small_checkpoints(every: int, bulk: int) -> Iterator[None]:
    saved = (_index.CHECKPOINT_EVERY, _index._BULK)
    _index.CHECKPOINT_EVERY, _index._BULK = every, bulk  # type: ignore[misc]
    try:
        yield
    finally:
        _index.CHECKPOINT_EVERY, _index._BULK = saved  # type: ignore[misc]


query_times = st.builds(
    lambda days, hours: START + dt.timedelta(days=days, hours=hours),
    st.integers(-400, 800),
    st.integers(0, 23),
)


@st.composite
def logs(draw: st.DrawFn, events: st.SearchStrategy[Event]) -> list[list[tuple[dt.datetime, Any]]]:
    """Batches of (recorded_at, event): events, then corrections and retractions of earlier ones."""
    batches: list[list[tuple[dt.datetime, Any]]] = []
    originals: list[str] = []
    moment = START
    for _ in range(draw(st.integers(1, 6))):
        moment += dt.timedelta(hours=draw(st.sampled_from([0, 1, 30, 24 * 40])))
        batch: list[tuple[dt.datetime, Any]] = []
        for _ in range(draw(st.integers(1, 8))):
            kind = draw(st.sampled_from(["event", "event", "event", "correct", "retract"]))
            ev: Event | MetaEvent
            if kind == "event" or not originals:
                ev = draw(events)
                originals.append(ev.id)
            elif kind == "correct":
                ev = Correction(target=draw(st.sampled_from(originals)), replacement=draw(events))
            else:
                ev = Retraction(target=draw(st.sampled_from(originals)))
            batch.append((moment, ev))
        batches.append(batch)
    return batches


def _check(
    batches: list[list[tuple[dt.datetime, Any]]], projection: Any, data: st.DataObject
) -> None:
    clock = FrozenClock(START)
    tl = timeline.open(clock=clock, projection=projection)
    flat: list[tuple[dt.datetime, Any]] = []
    for batch in batches:
        # ids of replacements may collide with originals; that is allowed (they are nested)
        tl.append(*(ev for _, ev in batch), recorded_at=batch[0][0])
        flat.extend(batch)
        # query after every batch so that checkpoints are warm when the next one lands
        for _ in range(3):
            at = data.draw(query_times)
            known = data.draw(st.none() | query_times)
            certain = data.draw(st.booleans())
            got = tl.state_at(at, known_at=known, certain=certain)
            assert got == reference(flat, projection, at, known, certain), (at, known, certain)


marks = st.builds(Mark, id=st.uuids().map(str), occurred=whens(), label=st.sampled_from("abcdef"))


@given(logs(marks), st.data(), st.sampled_from([(2, 1), (3, 1000), (128, 64)]))
def test_state_at_equals_the_reference_fold(
    batches: Any, data: st.DataObject, sizes: tuple[int, int]
) -> None:
    with small_checkpoints(*sizes):
        _check(batches, Trace(), data)


@given(logs(support_events()), st.data())
def test_support_state_equals_the_reference_fold(batches: Any, data: st.DataObject) -> None:
    with small_checkpoints(2, 3):
        _check(batches, SupportProjection(), data)


@given(st.lists(marks, min_size=1, max_size=40), st.lists(query_times, min_size=1, max_size=10))
def test_late_event_invalidates_only_what_follows(
    events: list[Mark], times: list[dt.datetime]
) -> None:
    with small_checkpoints(3, 4):
        tl = timeline.open(clock=FrozenClock(START), projection=Trace())
        tl.append(*events)
        for t in times:  # warm every checkpoint
            tl.state_at(t)
        late = Mark(occurred=When.parse("2024-06-01"), label="late")
        tl.append(late)
        flat = [(START, e) for e in [*events, late]]
        for t in [*times, START + dt.timedelta(days=900)]:
            assert tl.state_at(t) == reference(flat, Trace(), t, None, False)


class CountingApplies(timeline.Reducer[int]):
    calls = 0

    def initial(self) -> int:
        return 0

    def apply(self, state: int, event: Event) -> int:
        type(self).calls += 1
        return state + 1


def test_an_older_knowledge_time_reuses_the_latest_checkpoints() -> None:
    """News arrives in order: records after an old knowledge time touch only later valid
    times, so a query at that knowledge folds from the latest view's checkpoints."""
    tl = timeline.open(projection=CountingApplies())
    for day in range(200):
        moment = START + dt.timedelta(days=day)
        tl.append(Mark(occurred=moment, label="a"), recorded_at=moment)
    late = START + dt.timedelta(days=199)
    assert tl.state_at(late) == 200  # warms the latest view's checkpoints
    CountingApplies.calls = 0
    known = START + dt.timedelta(days=150)
    assert tl.state_at(late, known_at=known) == 151
    assert CountingApplies.calls < 40  # from the checkpoint at 128 (or 160), not from 0
    fresh = timeline.open(projection=CountingApplies())
    for record in tl.records(known_at=known):
        fresh.append(record.event, recorded_at=record.recorded_at)
    assert fresh.state_at(late) == 151
