"""The in-memory index behind as-of queries: effective events in valid-time order, with checkpoints.

A `View` reflects one prefix of the log (everything recorded by some `known_at`). It keeps the
effective events (corrections applied, retractions removed) sorted by
``(occurred.earliest, occurred.latest, position of the original event)`` and, per projection,
the state after every `CHECKPOINT_EVERY` events in that order. ``state(at)`` binary-searches the
number of events that occurred by `at`, starts from the checkpoint at or before it and folds the
rest. New records invalidate only the checkpoints after the earliest valid time they touch.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate
from typing import Any, Final

import attrs

from timeline.errors import IntegrityError
from timeline.events import Correction, Event, Retraction
from timeline.projection import Projection
from timeline.records import Record

__all__ = ["CHECKPOINT_EVERY", "View"]

CHECKPOINT_EVERY: Final = 32
_BULK: Final = 64  # above this many changes, re-sort instead of inserting one by one
_MAX_PROJECTIONS: Final = 8
_TOP: Final = 1 << 62

Key = tuple[int, int, int]


def _first(pair: tuple[Key, Event]) -> Key:
    return pair[0]


def _key(ev: Event, position: int) -> Key:
    occurred = ev.occurred
    return (occurred._lo, occurred._hi, position)


class View:
    """Effective events of a log prefix, sorted in valid-time order, with projection checkpoints."""

    def __init__(self) -> None:
        self.size = 0
        self.keys: list[Key] = []
        self.events: list[Event] = []
        self.origin: dict[str, int] = {}
        self.current: dict[str, Event] = {}
        self._latest_max: list[int] = []
        self._checkpoints: dict[object, list[Any]] = {}
        self._added: dict[Key, Event] = {}
        self._removed: set[Key] = set()
        self._base: tuple[View, Key, int] | None = None

    def share_below(self, base: View, below: Key) -> None:
        """Reuse `base`'s checkpoints for the events before key `below`.

        For a view of an older knowledge time, `base` is the latest view and `below` the least
        valid-time key that any later record touches: below it both views hold the same events
        in the same order, so their checkpoints there are the same states. Only while `base`
        takes in nothing new.
        """
        self._base = (base, below, base.size)

    @classmethod
    def of(cls, records: Sequence[Record]) -> View:
        view = cls()
        view.add(records)
        return view

    def add(self, records: Iterable[Record]) -> None:
        """Take in records that follow `size`. Cheap: the sorted lists are merged on next read."""
        added, removed = self._added, self._removed
        origin, current = self.origin, self.current

        def drop(key: Key) -> None:
            if added.pop(key, None) is None:
                removed.add(key)

        for record in records:
            self.size = record.position
            ev = record.event
            if isinstance(ev, Event):
                origin[ev.id] = record.position
                current[ev.id] = ev
                added[_key(ev, record.position)] = ev
                continue
            target = ev.target
            position = origin.get(target)
            if position is None:
                # appends refuse such a record; only a log written some other way holds one
                raise IntegrityError(
                    f"{type(ev).__name__} {ev.id!r} targets {target!r}, which no earlier "
                    "record of the log holds",
                    position=record.position,
                )
            old = current.pop(target, None)
            if old is not None:
                drop(_key(old, position))
            if isinstance(ev, Correction):
                new = attrs.evolve(ev.replacement, id=target)
                current[target] = new
                added[_key(new, position)] = new
            elif not isinstance(ev, Retraction):  # pragma: no cover - refused at definition
                raise IntegrityError(
                    f"{type(ev).__name__} is neither a Correction nor a Retraction",
                    position=record.position,
                )

    def _merge(self) -> None:
        """Apply pending changes to the sorted lists; invalidate what follows the first one."""
        added, removed = self._added, self._removed
        if not added and not removed:
            return
        first = min(min(added, default=(_TOP,)), min(removed, default=(_TOP,)))
        keys, events = self.keys, self.events
        if len(added) + len(removed) > max(_BULK, len(keys) // 64):
            pairs = [pair for pair in zip(keys, events, strict=True) if pair[0] not in removed]
            pairs.extend(added.items())
            pairs.sort(key=_first)
            self.keys = [k for k, _ in pairs]
            self.events = [e for _, e in pairs]
        else:
            for key in removed:
                index = bisect_left(keys, key)
                del keys[index]
                del events[index]
            for key, ev in sorted(added.items(), key=_first):
                index = bisect_right(keys, key)
                keys.insert(index, key)
                events.insert(index, ev)
        self._added, self._removed = {}, set()
        self._invalidate(bisect_left(self.keys, first))

    def sorted_events(self) -> list[Event]:
        """The effective events in valid-time order."""
        self._merge()
        return self.events

    def _invalidate(self, index: int) -> None:
        keep = index // CHECKPOINT_EVERY + 1
        for checkpoints in self._checkpoints.values():
            del checkpoints[keep:]
        del self._latest_max[index:]

    def count_by(self, at_us: int) -> int:
        """How many events have ``occurred.earliest <= at``."""
        self._merge()
        return bisect_right(self.keys, (at_us, _TOP, _TOP))

    def _certain_prefix(self, at_us: int, n: int) -> int:
        """Length of the longest prefix of which every event has ``occurred.latest <= at``."""
        latest_max = self._latest_max
        if len(latest_max) < n:
            seed = latest_max[-1] if latest_max else -_TOP
            running = accumulate((k[1] for k in self.keys[len(latest_max) : n]), max, initial=seed)
            next(running)  # the seed itself is not an event
            latest_max.extend(running)
        return bisect_right(latest_max, at_us, 0, n)

    def state(self, projection: Projection[Any], at_us: int, certain: bool) -> Any:
        """The fold of the events counted at `at_us` (see `Timeline.state_at`)."""
        n = self.count_by(at_us)
        exact = self._certain_prefix(at_us, n) if certain else n
        state = self._state_after(projection, exact)
        if certain and exact < n:
            apply = projection.apply
            keys, events = self.keys, self.events
            for index in range(exact, n):
                if keys[index][1] <= at_us:
                    state = apply(state, events[index])
        return state

    def _borrow(self, projection: Projection[Any], checkpoints: list[Any], n: int) -> None:
        """Start `checkpoints` from the base view's, as far as they are the same states."""
        assert self._base is not None
        base, below, size = self._base
        if base.size != size:  # the base took in more records: its prefix may differ now
            self._base = None
            return
        base._merge()
        usable = min(n, bisect_left(base.keys, below)) // CHECKPOINT_EVERY
        if usable == 0:
            return
        base._state_after(projection, usable * CHECKPOINT_EVERY)
        shared = base._checkpoints.get(projection)
        if shared is not None and len(shared) > usable:
            checkpoints[:] = shared[: usable + 1]

    def _state_after(self, projection: Projection[Any], n: int) -> Any:
        try:
            checkpoints = self._checkpoints[projection]
        except KeyError:
            checkpoints = [projection.initial()]
            if len(self._checkpoints) >= _MAX_PROJECTIONS:
                del self._checkpoints[next(iter(self._checkpoints))]
            self._checkpoints[projection] = checkpoints
        except TypeError:  # unhashable projection: no checkpoints, fold from the start
            checkpoints = [projection.initial()]
        if len(checkpoints) == 1 and self._base is not None:
            self._borrow(projection, checkpoints, n)
        apply = projection.apply
        events = self.events
        every = CHECKPOINT_EVERY
        target = n // every
        while len(checkpoints) <= target:
            start = (len(checkpoints) - 1) * every
            state = checkpoints[-1]
            for ev in events[start : start + every]:
                state = apply(state, ev)
            checkpoints.append(state)
        state = checkpoints[target]
        for ev in events[target * every : n]:
            state = apply(state, ev)
        return state
