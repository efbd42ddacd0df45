"""The in-memory index behind as-of queries: compact columns per record, sorted views, checkpoints.

`Columns` holds, per record, what the as-of machinery needs without decoding the event (the
`timeline.stores.IndexRow` columns): recorded-at, valid-time bounds and origin, in `array`s of
machine integers (32 bytes a record), read from the store's packed index blocks. Events are
decoded only when a fold or a listing needs them (see `Timeline`).

A `View` reflects one prefix of the log (everything recorded by some `known_at`). It keeps the
effective entries (corrections applied, retractions removed) sorted by the key
``(occurred.earliest, occurred.latest, origin position)``, as three parallel arrays (24 bytes an
entry), and, per projection, the state after every `CHECKPOINT_EVERY` entries in that order.
``state(at)`` binary-searches the number of entries that occurred by `at`, starts from the
checkpoint at or before it and folds the rest. New records invalidate only the checkpoints after
the earliest valid time they touch. Checkpoints may have holes: a persisted snapshot fills one
far along the list.
"""

from __future__ import annotations

import operator
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from itertools import accumulate, compress
from typing import Any, Final

from timeline.errors import IntegrityError
from timeline.events import Event
from timeline.projection import Projection
from timeline.stores import RETRACTED, unpack_index

__all__ = ["CHECKPOINT_EVERY", "Columns", "Key", "View"]

CHECKPOINT_EVERY: Final = 32
_BULK: Final = 64  # above this many changes (or 1/64 of the view), rebuild instead of inserting
_MAX_PROJECTIONS: Final = 8
_TOP: Final = 1 << 64

Key = tuple[int, int, int]
"""(occurred.earliest, occurred.latest, origin position): the valid-time order of entries."""
TOP_KEY: Final[Key] = (_TOP, _TOP, _TOP)


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

    def extend(self, blocks: Sequence[tuple[int, bytes]], upto: int) -> None:
        """Take in the index blocks that continue the columns, up to position `upto`; checked
        (no gap, recorded-at never decreasing, every correction or retraction about an earlier
        record, every event with a valid time); all or nothing."""
        after = len(self)
        recorded, lo, hi, origin = array("q"), array("q"), array("q"), array("q")
        for first, data in blocks:
            have = after + len(recorded)
            if len(data) % 32 or first > have + 1:
                raise IntegrityError("the index has a gap or a damaged block", position=have + 1)
            values = unpack_index(data)
            skip = (have + 1 - first) * 4
            values = values[skip:]
            recorded.extend(values[0::4])
            lo.extend(values[1::4])
            hi.extend(values[2::4])
            origin.extend(values[3::4])
            if after + len(recorded) >= upto:
                break
        n = upto - after
        if len(recorded) < n:
            raise IntegrityError(
                "the index ends before the log", position=after + len(recorded) + 1
            )
        del recorded[n:], lo[n:], hi[n:], origin[n:]
        meta = self._check(after, recorded, lo, origin)
        self.recorded.extend(recorded)
        self.lo.extend(lo)
        self.hi.extend(hi)
        self.origin.extend(origin)
        for at, about in meta:
            self.meta.setdefault(about, []).append(at)

    def _check(
        self, after: int, recorded: array[int], lo: array[int], origin: array[int]
    ) -> list[tuple[int, int]]:
        """Check that the rows are possible and return the (position, origin) of every
        correction and retraction. C-level passes over the columns (a million rows in about
        0.2 s here); a row-by-row look only to name the first bad position. The valid-time
        bounds of each row are checked when its event is decoded, and by `Timeline.verify`."""
        last = self.recorded[-1] if self.recorded else RETRACTED
        previous = array("q", [last])
        previous.extend(recorded[:-1])
        if any(map(operator.gt, previous, recorded)):
            at = next(i for i, (a, b) in enumerate(zip(previous, recorded, strict=True)) if a > b)
            raise IntegrityError("recorded_at goes backwards (index)", position=after + 1 + at)
        positions = range(after + 1, after + 1 + len(origin))
        meta = list(
            compress(zip(positions, origin, strict=False), map(operator.ne, origin, positions))
        )
        for at, about in meta:
            if not 0 < about < at:
                raise IntegrityError(
                    f"the index says this record is about position {about}", position=at
                )
        if RETRACTED in lo:  # only a record about an earlier one may have no valid time
            about_itself = {at for at, _ in meta}
            for offset in (i for i, low in enumerate(lo) if low == RETRACTED):
                if after + 1 + offset not in about_itself:
                    raise IntegrityError(
                        "the index gives an event no valid time", position=after + 1 + offset
                    )
        return meta

    def key(self, source: int, origin: int) -> Key:
        """The key of the version of `origin` that the record at `source` holds."""
        return (self.lo[source - 1], self.hi[source - 1], origin)

    def least_touched(self, after: int, upto: int) -> Key:
        """A lower bound of the keys that the records in (after, upto] add or remove: below it,
        the views of knowledge `after` and `upto` hold the same entries."""
        positions = range(after + 1, upto + 1)
        origins = self.origin[after:upto]
        events = compress(
            zip(self.lo[after:upto], self.hi[after:upto], positions, strict=True),
            map(operator.eq, origins, positions),
        )
        least = min(events, default=TOP_KEY)
        lo, meta = self.lo, self.meta
        for origin in compress(origins, map(operator.ne, origins, positions)):
            for version in (origin, *meta.get(origin, ())):  # every version it ever had
                if version <= upto and lo[version - 1] != RETRACTED:
                    least = min(least, self.key(version, origin))
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


class StaleView(IntegrityError):
    """A sorted view does not match the events it names (a damaged persisted view)."""


Fetch = Callable[[Sequence[int]], list[Event]]
"""Given source positions, the effective events they hold (decoded on demand)."""


class View:
    """Effective entries of a log prefix, sorted in valid-time order, with projection checkpoints."""

    def __init__(self, columns: Columns, fetch: Fetch) -> None:
        self.columns = columns
        self.fetch = fetch
        self.size = 0
        self.lo = array("q")  # the entries' keys, sorted, as three parallel arrays
        self.hi = array("q")
        self.origin = array("q")
        self.version: dict[int, int] = {}  # origin -> source (0: retracted), for touched origins
        self._pending = 0  # records taken in after `size` but not yet merged
        self._latest_max = array("q")
        self._checkpoints: dict[object, list[Any]] = {}
        self._base: tuple[View, Key, int] | None = None

    # --- building -------------------------------------------------------------------------
    def add(self, upto: int) -> None:
        """Take in the records up to position `upto`. Cheap: merged on the next read."""
        self._pending = max(self._pending, upto)

    def _merge(self) -> None:
        upto = self._pending
        if upto <= self.size:
            return
        before = self.size
        if not self.origin or upto - before > max(_BULK, len(self.origin) // 64):
            first = self.columns.least_touched(before, upto) if self.origin else None
            self._rebuild(upto)
            index = 0 if first is None else self.find(first)
        else:
            index = self._insert(upto)
        self.size = upto
        self._invalidate(index)

    def find(self, key: Key) -> int:
        """The index of the first entry whose key is not below `key`."""
        lo, hi, origin = self.lo, self.hi, self.origin
        start = bisect_left(lo, key[0])
        stop = bisect_right(lo, key[0], start)
        if start == stop:
            return start
        found = bisect_left(range(start, stop), key[1:], key=lambda i: (hi[i], origin[i]))
        return start + found

    def entry(self, index: int) -> Key:
        return (self.lo[index], self.hi[index], self.origin[index])

    def _set(self, entries: list[Key]) -> None:
        self.lo = array("q", [k[0] for k in entries])
        self.hi = array("q", [k[1] for k in entries])
        self.origin = array("q", [k[2] for k in entries])

    def _rebuild(self, upto: int) -> None:
        columns = self.columns
        touched = {
            origin: columns.version_at(origin, upto)
            for origin, positions in columns.meta.items()
            if positions[0] <= upto
        }
        entries = [
            (lo, hi, p)
            for p, lo, hi, o in zip(
                range(1, upto + 1), columns.lo, columns.hi, columns.origin, strict=False
            )
            if o == p and p not in touched
        ]
        entries.extend(columns.key(source, origin) for origin, source in touched.items() if source)
        entries.sort()
        self._set(entries)
        self.version = touched

    def _insert(self, upto: int) -> int:
        columns, version = self.columns, self.version
        origins, lo = columns.origin, columns.lo
        first = len(self.origin)
        for position in range(self.size + 1, upto + 1):
            origin = origins[position - 1]
            if origin != position:
                old = version.get(origin, origin)
                if old:
                    key = columns.key(old, origin)
                    index = self.find(key)
                    if index == len(self.origin) or self.entry(index) != key:
                        raise IntegrityError(
                            f"the record changes position {origin}, which is not in effect",
                            position=position,
                        )
                    del self.lo[index], self.hi[index], self.origin[index]
                    first = min(first, index)
                if lo[position - 1] == RETRACTED:
                    version[origin] = 0
                    continue
                version[origin] = position
            key = columns.key(position, origin)
            index = self.find((key[0], key[1], key[2] + 1))  # after equal keys
            self.lo.insert(index, key[0])
            self.hi.insert(index, key[1])
            self.origin.insert(index, key[2])
            first = min(first, index)
        return first

    @classmethod
    def derived(cls, latest: View, upto: int) -> View:
        """The view of the first `upto` records, built from the latest view: the entries below
        the least key that later records touch are the same, the rest is recomputed."""
        latest._merge()
        columns = latest.columns
        view = cls(columns, latest.fetch)
        least = columns.least_touched(upto, latest.size)
        cut = latest.find(least)
        # new events (beyond upto: a C-level comparison) and the origins later records changed
        touched = set(columns.origin[upto : latest.size])
        changed = {o for o in touched if o <= upto}
        keep = list(map(upto.__ge__, latest.origin[cut:]))
        if changed:
            for offset, origin in enumerate(latest.origin[cut:]):
                if keep[offset] and origin in changed:
                    keep[offset] = False
        for name in ("lo", "hi", "origin"):  # C-level passes: the untouched tail as it is
            column: array[int] = getattr(latest, name)
            kept = column[:cut]
            kept.extend(compress(column[cut:], keep))
            setattr(view, name, kept)
        version = {o: s for o, s in latest.version.items() if o <= upto and o not in touched}
        added = []
        for origin in changed:
            source = columns.version_at(origin, upto)
            if columns.meta.get(origin, [upto + 1])[0] <= upto:
                version[origin] = source
            if source:
                added.append(columns.key(source, origin))
        for key in sorted(added):  # the versions known then of what later records changed
            index = view.find(key)
            view.lo.insert(index, key[0])
            view.hi.insert(index, key[1])
            view.origin.insert(index, key[2])
        view.version, view.size, view._pending = version, upto, upto
        view._base = (latest, least, latest.size)
        return view

    def load(self, size: int, lo: array[int], hi: array[int], origin: array[int]) -> None:
        """Start from sorted entries persisted for the first `size` records (a view cache)."""
        columns = self.columns
        self.lo, self.hi, self.origin = lo, hi, origin
        self.version = {
            o: columns.version_at(o, size) for o, ps in columns.meta.items() if ps[0] <= size
        }
        self.size = size
        self._invalidate(0)

    # --- reading --------------------------------------------------------------------------
    def __len__(self) -> int:
        self._merge()
        return len(self.origin)

    def sources(self, start: int = 0, stop: int | None = None) -> list[int]:
        self._merge()
        version = self.version
        if not version:
            return self.origin[start:stop].tolist()
        return [version.get(o, o) for o in self.origin[start:stop]]

    def events(self, start: int = 0, stop: int | None = None) -> list[Event]:
        """The effective events from `start` to `stop` in valid-time order (decoded now), each
        checked against its entry's valid time (`StaleView` if one does not match)."""
        events = self.fetch(self.sources(start, stop))
        for ev, lo, hi in zip(events, self.lo[start:stop], self.hi[start:stop], strict=True):
            occurred = ev.occurred
            if occurred._lo != lo or occurred._hi != hi:
                raise StaleView(f"the entry of {ev.id!r} is not its valid time", position=0)
        return events

    def _invalidate(self, index: int) -> None:
        keep = index // CHECKPOINT_EVERY + 1
        for checkpoints in self._checkpoints.values():
            del checkpoints[keep:]
        del self._latest_max[index:]

    def count_by(self, at_us: int) -> int:
        """How many entries have ``occurred.earliest <= at``."""
        self._merge()
        return bisect_right(self.lo, at_us)

    def _certain_prefix(self, at_us: int, n: int) -> int:
        """Length of the longest prefix of which every event has ``occurred.latest <= at``."""
        latest_max = self._latest_max
        if len(latest_max) < n:
            seed = latest_max[-1] if latest_max else RETRACTED
            running = accumulate(self.hi[len(latest_max) : n], max, initial=seed)
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
            hi, version = self.hi, self.version
            late = [
                version.get(self.origin[i], self.origin[i])
                for i in range(exact, n)
                if hi[i] <= at_us
            ]
            for ev in self.fetch(late):
                state = apply(state, ev)
        return state

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
        usable = min(n, base.find(below)) // CHECKPOINT_EVERY
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
        try:
            checkpoints = self._checkpoints.get(projection)
        except TypeError:
            return 0
        if not checkpoints:
            return 0
        slot = min(n // CHECKPOINT_EVERY, len(checkpoints) - 1)
        while slot and checkpoints[slot] is None:
            slot -= 1
        return slot
