"""The in-memory index behind as-of queries: compact columns per record, sorted views, checkpoints.

`Columns` holds, per record, what the as-of machinery needs without decoding the event (the
`timeline.stores.IndexRow` columns): recorded-at, valid-time bounds and origin, in `array`s of
machine integers (32 bytes a record). Events are decoded only when a fold or a listing needs
them (see `Timeline`).

A `View` reflects one prefix of the log (everything recorded by some `known_at`). It keeps the
effective entries (corrections applied, retractions removed) as one sorted list of packed
integer keys ``(occurred.earliest, occurred.latest, origin position)`` and, per projection,
the state after every `CHECKPOINT_EVERY` entries in that order. ``state(at)`` binary-searches
the number of entries that occurred by `at`, starts from the checkpoint at or before it and
folds the rest. New records invalidate only the checkpoints after the earliest valid time they
touch. Checkpoints may have holes: a persisted snapshot fills one far along the list.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from itertools import accumulate
from typing import Any, Final

from timeline.errors import IntegrityError
from timeline.events import Event
from timeline.projection import Projection
from timeline.when import _MIN_US

__all__ = ["CHECKPOINT_EVERY", "RETRACTED", "Columns", "View", "pack"]

CHECKPOINT_EVERY: Final = 32
_BULK: Final = 64  # above this many changes (or 1/64 of the view), rebuild instead of inserting
_MAX_PROJECTIONS: Final = 8
RETRACTED: Final = -(1 << 63)
"""The valid-time bounds of a retraction in `Columns` (it has none)."""

_ORIGIN_BITS: Final = 40
_HI_SHIFT: Final = _ORIGIN_BITS
_LO_SHIFT: Final = _ORIGIN_BITS + 64
_ORIGIN_MASK: Final = (1 << _ORIGIN_BITS) - 1
_HI_MASK: Final = (1 << 64) - 1
MAX_POSITION: Final = _ORIGIN_MASK
TOP: Final = 1 << 200  # above every key


def pack(lo: int, hi: int, origin: int) -> int:
    """One sortable integer for the key ``(lo, hi, origin)``."""
    return ((lo - _MIN_US) << _LO_SHIFT) | ((hi - _MIN_US) << _HI_SHIFT) | origin


def bound(at_us: int) -> int:
    """The least key above every key whose `lo` is at or before `at_us`."""
    return (at_us - _MIN_US + 1) << _LO_SHIFT


def origin_of(key: int) -> int:
    return key & _ORIGIN_MASK


def hi_of(key: int) -> int:
    return ((key >> _HI_SHIFT) & _HI_MASK) + _MIN_US


class Columns:
    """Per record (index ``position - 1``): recorded-at, valid-time bounds, origin.

    `meta` maps the origin of every corrected or retracted event to the positions of its
    corrections and retractions, in log order.
    """

    __slots__ = ("hi", "lo", "meta", "origin", "recorded")

    def __init__(self) -> None:
        self.recorded = array("q")
        self.lo = array("q")
        self.hi = array("q")
        self.origin = array("q")
        self.meta: dict[int, list[int]] = {}

    def __len__(self) -> int:
        return len(self.recorded)

    def extend(
        self, rows: Sequence[tuple[int, int, int | None, int | None, int]], after: int
    ) -> None:
        """Take in index rows that follow position `after` (checked: no gap, no position that
        points forward, recorded-at never decreasing); all or nothing."""
        position, last = after, self.recorded[-1] if self.recorded else -(1 << 63)
        meta: list[tuple[int, int]] = []
        for row in rows:
            position += 1
            at, recorded, lo, hi, origin = row
            if at != position:
                raise IntegrityError(
                    f"index row for position {at} where {position} was expected", position=at
                )
            if recorded < last:
                raise IntegrityError("recorded_at goes backwards (index)", position=at)
            last = recorded
            if origin != at:
                if not 0 < origin < at:
                    raise IntegrityError(
                        f"the index says this record is about position {origin}", position=at
                    )
                meta.append((origin, at))
            if lo is None or hi is None:
                if origin == at:
                    raise IntegrityError("the index gives an event no valid time", position=at)
            elif lo > hi:
                raise IntegrityError("the index's valid time ends before it starts", position=at)
        if position >= MAX_POSITION:  # pragma: no cover - a trillion records
            raise IntegrityError("the log is longer than the index can address", position=position)
        self.recorded.extend(row[1] for row in rows)
        self.lo.extend(RETRACTED if row[2] is None else row[2] for row in rows)
        self.hi.extend(RETRACTED if row[3] is None else row[3] for row in rows)
        self.origin.extend(row[4] for row in rows)
        for origin, at in meta:
            self.meta.setdefault(origin, []).append(at)

    def key(self, source: int, origin: int) -> int:
        """The key of the version of `origin` that the record at `source` holds."""
        return pack(self.lo[source - 1], self.hi[source - 1], origin)

    def least_touched(self, after: int, upto: int) -> int:
        """A lower bound of the keys that the records in (after, upto] add or remove: below it,
        the views of knowledge `after` and `upto` hold the same entries."""
        least = TOP
        lo, hi, origins, meta = self.lo, self.hi, self.origin, self.meta
        for position in range(after + 1, upto + 1):
            origin = origins[position - 1]
            if origin == position:
                least = min(least, pack(lo[position - 1], hi[position - 1], position))
                continue
            for version in (origin, *meta.get(origin, ())):  # every version it ever had
                if version <= upto and lo[version - 1] != RETRACTED:
                    least = min(least, pack(lo[version - 1], hi[version - 1], origin))
        return least

    def version_at(self, origin: int, upto: int) -> int:
        """The position holding `origin`'s effective version in the first `upto` records (0:
        retracted)."""
        source = origin
        for position in self.meta.get(origin, ()):
            if position > upto:
                break
            source = position
        return 0 if self.lo[source - 1] == RETRACTED else source


Fetch = Callable[[Sequence[int]], list[Event]]
"""Given source positions, the effective events they hold (decoded on demand)."""


class View:
    """Effective entries of a log prefix, sorted in valid-time order, with projection checkpoints."""

    def __init__(self, columns: Columns, fetch: Fetch) -> None:
        self.columns = columns
        self.fetch = fetch
        self.size = 0
        self.keys: list[int] = []
        self.version: dict[int, int] = {}  # origin -> source (0: retracted), for touched origins
        self._pending = 0  # records taken in after `size` but not yet merged
        self._latest_max: list[int] = []
        self._checkpoints: dict[object, list[Any]] = {}
        self._base: tuple[View, int, int] | None = None

    # --- building -------------------------------------------------------------------------
    def add(self, upto: int) -> None:
        """Take in the records up to position `upto`. Cheap: merged on the next read."""
        self._pending = max(self._pending, upto)

    def _merge(self) -> None:
        upto = self._pending
        if upto <= self.size:
            return
        columns, before = self.columns, self.size
        changes = upto - before
        if not self.keys or changes > max(_BULK, len(self.keys) // 64):
            first = columns.least_touched(before, upto) if self.keys else 0
            self._rebuild(upto)
        else:
            first = self._insert(upto)
        self.size = upto
        self._invalidate(bisect_left(self.keys, first))

    def _rebuild(self, upto: int) -> None:
        columns = self.columns
        lo, hi, origins = columns.lo, columns.hi, columns.origin
        touched = {
            origin: columns.version_at(origin, upto)
            for origin, positions in columns.meta.items()
            if positions[0] <= upto
        }
        m, shift_lo, shift_hi = _MIN_US, _LO_SHIFT, _HI_SHIFT
        keys = [
            ((l - m) << shift_lo) | ((h - m) << shift_hi) | p
            for p, l, h, o in zip(range(1, upto + 1), lo, hi, origins, strict=False)
            if o == p and p not in touched
        ]
        keys.extend(columns.key(source, origin) for origin, source in touched.items() if source)
        keys.sort()
        self.keys = keys
        self.version = touched

    def _insert(self, upto: int) -> int:
        columns, keys, version = self.columns, self.keys, self.version
        origins, lo = columns.origin, columns.lo
        first = TOP
        for position in range(self.size + 1, upto + 1):
            origin = origins[position - 1]
            if origin == position:
                key = columns.key(position, position)
                keys.insert(bisect_right(keys, key), key)
                first = min(first, key)
                continue
            old = version.get(origin, origin)
            if old:
                key = columns.key(old, origin)
                index = bisect_left(keys, key)
                if index == len(keys) or keys[index] != key:
                    raise IntegrityError(
                        f"the record changes position {origin}, which is not in effect",
                        position=position,
                    )
                del keys[index]
                first = min(first, key)
            if lo[position - 1] == RETRACTED:
                version[origin] = 0
            else:
                version[origin] = position
                key = columns.key(position, origin)
                keys.insert(bisect_right(keys, key), key)
                first = min(first, key)
        return first

    @classmethod
    def derived(cls, latest: View, upto: int) -> View:
        """The view of the first `upto` records, built from the latest view: the entries below
        the least key that later records touch are the same, the rest is recomputed."""
        latest._merge()
        columns = latest.columns
        view = cls(columns, latest.fetch)
        least = columns.least_touched(upto, latest.size)
        cut = bisect_left(latest.keys, least)
        touched = {
            columns.origin[p - 1] for p in range(upto + 1, latest.size + 1)
        }  # new events (beyond upto) and the origins later records changed
        keys = latest.keys[:cut]
        tail = [k for k in latest.keys[cut:] if (k & _ORIGIN_MASK) not in touched]
        version = {
            o: s for o, s in latest.version.items() if o <= upto and o not in touched
        }
        for origin in touched:
            if origin > upto:
                continue
            source = columns.version_at(origin, upto)
            if columns.meta.get(origin) and columns.meta[origin][0] <= upto:
                version[origin] = source
            if source:
                tail.append(columns.key(source, origin))
        tail.sort()
        keys.extend(tail)
        view.keys, view.version, view.size, view._pending = keys, version, upto, upto
        view._base = (latest, least, latest.size)
        return view

    # --- reading --------------------------------------------------------------------------
    def sorted_keys(self) -> list[int]:
        self._merge()
        return self.keys

    def events(self, start: int = 0, stop: int | None = None) -> list[Event]:
        """The effective events from `start` to `stop` in valid-time order (decoded now)."""
        keys = self.sorted_keys()[start:stop]
        version = self.version
        return self.fetch([version.get(o, o) for o in (k & _ORIGIN_MASK for k in keys)])

    def __len__(self) -> int:
        return len(self.sorted_keys())

    def _invalidate(self, index: int) -> None:
        keep = index // CHECKPOINT_EVERY + 1
        for checkpoints in self._checkpoints.values():
            del checkpoints[keep:]
        del self._latest_max[index:]

    def count_by(self, at_us: int) -> int:
        """How many entries have ``occurred.earliest <= at``."""
        return bisect_right(self.sorted_keys(), bound(at_us))

    def _certain_prefix(self, at_us: int, n: int) -> int:
        """Length of the longest prefix of which every event has ``occurred.latest <= at``."""
        latest_max = self._latest_max
        if len(latest_max) < n:
            seed = latest_max[-1] if latest_max else -(1 << 63)
            his = (hi_of(k) for k in self.keys[len(latest_max) : n])
            running = accumulate(his, max, initial=seed)
            next(running)  # the seed itself is not an event
            latest_max.extend(running)
        return bisect_right(latest_max, at_us, 0, n)

    def state(self, projection: Projection[Any], at_us: int, certain: bool) -> Any:
        """The fold of the entries counted at `at_us` (see `Timeline.state_at`)."""
        n = self.count_by(at_us)
        exact = self._certain_prefix(at_us, n) if certain else n
        state = self.state_after(projection, exact)
        if certain and exact < n:
            apply = projection.apply
            keys = self.keys
            late = [i for i in range(exact, n) if hi_of(keys[i]) <= at_us]
            for ev in self.events_at(late):
                state = apply(state, ev)
        return state

    def events_at(self, indexes: Sequence[int]) -> list[Event]:
        keys, version = self.keys, self.version
        origins = (keys[i] & _ORIGIN_MASK for i in indexes)
        return self.fetch([version.get(o, o) for o in origins])

    # --- checkpoints ----------------------------------------------------------------------
    def checkpoints(self, projection: Projection[Any]) -> list[Any] | None:
        """The checkpoint list of `projection` (index i: the state after i * CHECKPOINT_EVERY
        entries, or None where unknown); None for an unhashable projection."""
        try:
            return self._checkpoints[projection]
        except KeyError:
            checkpoints = [projection.initial()]
            if len(self._checkpoints) >= _MAX_PROJECTIONS:
                del self._checkpoints[next(iter(self._checkpoints))]
            self._checkpoints[projection] = checkpoints
            return checkpoints
        except TypeError:
            return None

    def _borrow(self, projection: Projection[Any], checkpoints: list[Any], n: int) -> None:
        """Start `checkpoints` from the base view's, as far as they are the same states."""
        assert self._base is not None
        base, below, size = self._base
        if base.size != size or base._pending > size:  # the base took in more records
            self._base = None
            return
        usable = min(n, bisect_left(base.keys, below)) // CHECKPOINT_EVERY
        if usable == 0:
            return
        shared = base.checkpoints(projection)
        if shared is None:
            return
        if len(shared) <= usable or shared[usable] is None:
            base.state_after(projection, usable * CHECKPOINT_EVERY)
        if len(shared) > usable:
            checkpoints[:] = shared[: usable + 1]

    def state_after(self, projection: Projection[Any], n: int) -> Any:
        """The fold of the first `n` entries."""
        self._merge()
        every = CHECKPOINT_EVERY
        target = n // every
        checkpoints = self.checkpoints(projection)
        if checkpoints is None:  # unhashable projection: no checkpoints, fold from the start
            state = projection.initial()
            for ev in self.events(0, n):
                state = projection.apply(state, ev)
            return state
        if len(checkpoints) == 1 and self._base is not None:
            self._borrow(projection, checkpoints, n)
        start = min(target, len(checkpoints) - 1)
        while checkpoints[start] is None:
            start -= 1
        apply = projection.apply
        state = checkpoints[start]
        index = start * every
        stop = target * every
        while index < stop:  # fill the checkpoints up to `target`, a page of events at a time
            chunk_stop = min(stop, index + 64 * every)
            events = self.events(index, chunk_stop)
            for offset in range(0, len(events), every):
                for ev in events[offset : offset + every]:
                    state = apply(state, ev)
                slot = (index + offset) // every + 1
                if slot < len(checkpoints):
                    checkpoints[slot] = state
                else:
                    checkpoints.append(state)
            index = chunk_stop
        for ev in self.events(stop, n):
            state = apply(state, ev)
        return state

    def place(self, projection: Projection[Any], count: int, state: Any) -> bool:
        """Put a state known from elsewhere (a persisted snapshot) at checkpoint `count` (a
        multiple of `CHECKPOINT_EVERY`); False when the projection keeps no checkpoints."""
        checkpoints = self.checkpoints(projection)
        if checkpoints is None:
            return False
        slot = count // CHECKPOINT_EVERY
        if len(checkpoints) <= slot:
            checkpoints.extend([None] * (slot + 1 - len(checkpoints)))
        if checkpoints[slot] is None:
            checkpoints[slot] = state
        return True

    def known_slot(self, projection: Projection[Any], n: int) -> int:
        """The highest checkpoint slot at or below entry `n` that holds a state (0: none)."""
        checkpoints = self._checkpoints.get(projection) if _hashable(projection) else None
        if not checkpoints:
            return 0
        slot = min(n // CHECKPOINT_EVERY, len(checkpoints) - 1)
        while slot and checkpoints[slot] is None:
            slot -= 1
        return slot


def _hashable(obj: object) -> bool:
    try:
        hash(obj)
    except TypeError:
        return False
    return True
