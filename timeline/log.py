"""`Timeline`: the append-only, bitemporal log and its as-of queries.

Two time axes, as in XTDB and Datomic: an event's `occurred` (valid time, a `When`) and its
record's `recorded_at` (transaction time, never decreasing along the log).
``state_at(at, known_at=k)`` folds, in valid-time order, the effective events that had occurred
by `at` among the records recorded by `k`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import json
import random
import threading
import time
import warnings
from array import array
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from importlib.metadata import entry_points
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Generic, TypeVar, overload

import attrs
import pendulum

from timeline import _html, _index, _jsonl, extensions, publish
from timeline._index import TOP_KEY, Columns, Key, StaleView, View
from timeline.codec import canonical_json, decode_trusted, parse, stored_form
from timeline.errors import (
    ConcurrencyError,
    DataError,
    DuplicateEventId,
    IntegrityError,
    InvalidEvent,
    TimeError,
    TimelineError,
    UnknownEventType,
)
from timeline.events import Correction, Event, MetaEvent, registered_types
from timeline.follow import follow
from timeline.progress import Progress
from timeline.projection import Changes, Projection, Snapshots, StateChanged
from timeline.records import (
    GENESIS,
    Record,
    StoredRecord,
    chain_hash,
    parse_recorded,
    recorded_text,
)
from timeline.stores import (
    RETRACTED,
    Answers,
    Build,
    Head,
    Indexed,
    IndexRow,
    MakeIndex,
    SnapshotRow,
    Store,
    pack_columns,
    pack_index,
    unpack_columns,
)
from timeline.verify import check_link, checked_rows, verify_store
from timeline.when import TimeLike, _from_us, _query_us, to_when

__all__ = ["Clock", "Timeline"]

S = TypeVar("S")
T = TypeVar("T")
Clock = Callable[[], dt.datetime]
_KNOWN_VIEWS: Final = 16
_VIEW: Final = "timeline.view"
_VIEW_FORMAT: Final = 2  # 1 (base64 text) is ignored: the view is a cache, sorted again
_PRIME_FROM: Final = 20_000  # below this many records, sorting is as quick as loading
SNAPSHOT_EVERY: Final = 2048
"""Default spacing of persisted snapshots, in events (valid-time order)."""


def _utc_now() -> dt.datetime:
    return pendulum.now("UTC")


def _recorded_us(text: str) -> int:
    return parse_recorded(text)[0]


def _installed_event_modules() -> str:
    """A hint naming the modules installed packages declare for their event types."""
    names = sorted({ep.value for ep in entry_points(group="timeline.event_types")})
    return f"; installed event modules: {', '.join(names)}" if names else ""


def _recorded_moment(value: TimeLike) -> dt.datetime:
    """A recorded_at given by the caller: an aware datetime, or a date meaning its first instant."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise TimeError(
                f"recorded_at {value.isoformat()} is naive; give a UTC offset", value=value
            )
        return value
    return to_when(value).earliest


class Timeline(Generic[S]):
    """An append-only log of events with as-of queries over valid time and knowledge time.

    Make one with `timeline.open` (memory, SQLite file) or `timeline.load_seed`.

    Opening reads the store's bitemporal index (`timeline.stores.IndexRow`: a few integers per
    record), not the events: events are decoded on demand, when a fold, a listing or a frame
    needs them, each checked against the hash chain and the index as it is decoded, and at most
    `CACHE_RECORDS` of them are kept. A projection that can be snapshotted
    (`timeline.projection.Snapshots`) starts from the nearest persisted snapshot.
    """

    CACHE_RECORDS: int = 65536
    """How many decoded records a timeline keeps (the first loaded are dropped first; at least
    16,384, so that a page of a fold fits)."""

    def __init__(
        self, store: Store, *, projection: Projection[S], clock: Clock | None = None
    ) -> None:
        self._store = store
        self._reader: Indexed = store if isinstance(store, Indexed) else _Unindexed(store)
        self._projection = projection
        self._clock = clock or _utc_now
        self._columns = Columns()
        self._head = Head()
        self._cache: OrderedDict[int, tuple[Record, Event | None]] = OrderedDict()
        self._latest = View(self._columns, self._effective)
        self._views: OrderedDict[int, View] = OrderedDict()
        # known prefix -> (log size, least key the records after the prefix touch)
        self._least: dict[int, tuple[int, Key]] = {}
        self._snapshots: dict[str, list[SnapshotRow]] = {}
        self._placed: dict[tuple[str, int], int] = {}
        self._meta_checked_upto = 0
        self._primed = False
        self._persisted_view = False  # the latest view started from the persisted one
        # one lock for taking records in, so a follower thread and a writer thread that share
        # this timeline never ingest the same record twice
        self._lock = threading.RLock()
        self._sync()

    # --- reading the store ---------------------------------------------------------------
    def _sync(self) -> None:
        """Take in the index rows of records other writers (or processes) appended since we
        last looked; derive (and store, where it can) those the store lacks."""
        with self._lock:
            known = len(self._columns)
            head = self._reader.head()
            if head.position == known and head.hash == self._head.hash:
                return
            if head.position < known or (head.position == known and known):
                raise IntegrityError(
                    f"the log changed under this reader: head {head.position} with hash "
                    f"{head.hash[:12]}…, after position {known} with hash {self._head.hash[:12]}…",
                    position=head.position,
                )
            blocks = self._blocks(known, head.position)
            self._columns.extend(blocks, head.position)
            self._head = head
            self._latest.add(head.position)

    def _blocks(self, known: int, upto: int) -> list[tuple[int, bytes]]:
        """The index blocks that cover positions (known, upto], in order: the stored ones,
        checked (whole rows, no overlap), and, where the store lacks some (a log written before
        the index, a store without one), blocks derived by decoding those records, stored where
        the store allows it."""
        blocks: list[tuple[int, bytes]] = []
        have = known
        for first, data in self._reader.read_index(after=known):
            if not isinstance(first, int) or not isinstance(data, (bytes, bytearray)):
                raise IntegrityError("the index has a damaged block", position=have + 1)
            if not data or len(data) % 32:
                raise IntegrityError("the index has a damaged block", position=max(first, 1))
            last = first - 1 + len(data) // 32
            if last <= known:
                continue  # a block before what this reader holds (the first may straddle)
            if first > have + 1:  # a gap: the records between were written without an index
                blocks.append(self._derived_block(have, min(first - 1, upto)))
                have = min(first - 1, upto)
            elif first <= have and blocks:
                raise IntegrityError(
                    f"index blocks overlap at position {first}", position=max(first, 1)
                )
            if have >= upto:
                break
            blocks.append((first, bytes(data)))
            have = last
        if have < upto:
            blocks.append(self._derived_block(have, upto))
        return blocks

    def _derived_block(self, after: int, upto: int) -> tuple[int, bytes]:
        derived = pack_index(self._derive_index(after, upto))
        self._reader.add_index(after + 1, derived)
        return (after + 1, derived)

    def _derive_index(self, after: int, upto: int) -> list[IndexRow]:
        """Index rows of the records in (after, upto], derived by decoding them (a log written
        before the index, or a store without one)."""
        rows: list[IndexRow] = []
        ids: dict[str, int] = {}
        for row in self._checked_rows(after, upto):
            record = self._decode(row)
            ev = record.event
            ids[ev.id] = row.position
            if isinstance(ev, Event):
                rows.append(
                    IndexRow(
                        row.position, _recorded_us(row.recorded_at), *_bounds(ev), row.position
                    )
                )
                continue
            origin = ids.get(ev.target) or self._reader.positions_of([ev.target]).get(ev.target)
            if origin is None or origin >= row.position:
                raise IntegrityError(
                    f"{type(ev).__name__} {ev.id!r} targets {ev.target!r}, which no earlier "
                    "record of the log holds",
                    position=row.position,
                )
            bounds = (
                _bounds(ev.replacement) if isinstance(ev, Correction) else (RETRACTED, RETRACTED)
            )
            rows.append(IndexRow(row.position, _recorded_us(row.recorded_at), *bounds, origin))
        if len(rows) != upto - after:
            raise IntegrityError(
                "records are missing from the store", position=after + len(rows) + 1
            )
        return rows

    def _decode(self, row: StoredRecord) -> Record:
        try:
            ev = decode_trusted(row.type, row.version, row.data)
        except UnknownEventType as exc:
            raise UnknownEventType(
                f"position {row.position}: {exc}; import the module that defines it "
                f"(command line: --module NAME){_installed_event_modules()}",
                event_type=exc.event_type,
            ) from None
        except TimelineError as exc:
            nested = _nested_type(row.data)
            if nested is not None and nested not in registered_types():
                raise UnknownEventType(
                    f"position {row.position}: {row.type} holds an event of type {nested!r}, "
                    "which no imported module registers; import the module that defines it "
                    f"(command line: --module NAME){_installed_event_modules()}",
                    event_type=nested,
                ) from None
            raise IntegrityError(
                f"stored event cannot be read: {exc}", position=row.position
            ) from None
        except (ValueError, TypeError, KeyError) as exc:
            raise IntegrityError(
                f"stored event cannot be read: {exc!r}", position=row.position
            ) from None
        return Record(row.position, parse_recorded(row.recorded_at)[1], ev, row.hash)

    def _load(self, positions: Sequence[int]) -> None:
        """Decode the records at `positions` (ascending) into the cache, each checked against
        the hash chain (from the stored hash before it) and against its index row."""
        with _no_gc():
            self._load_now(positions)

    def _load_now(self, positions: Sequence[int]) -> None:
        wanted = [p for p in positions if p not in self._cache]
        if not wanted:
            return
        head = len(self._columns)
        # each record with the one before it (its hash links from that one) and the one after
        # it (whose hash must link from this one's): an edit with its own hash recomputed fails
        # the second check
        need = sorted(
            {p - 1 for p in wanted if p > 1} | set(wanted) | {p + 1 for p in wanted if p < head}
        )
        rows = {row.position: row for row in self._reader.read_rows(need)}
        columns = self._columns
        targets: list[tuple[int, str, int]] = []
        loaded: list[tuple[Record, Event | None]] = []
        for position in wanted:
            if position not in rows:
                raise IntegrityError("the record is missing from the store", position=position)
            if position > 1 and position - 1 not in rows:
                raise IntegrityError("the record before is missing", position=position - 1)
            if position < head and position + 1 not in rows:
                raise IntegrityError("the record after is missing", position=position + 1)
        # the links into each wanted record and out of it, each checked once (neighbours that
        # are wanted too share a link)
        for link in sorted(set(wanted) | {p + 1 for p in wanted if p < head}):
            before = rows.get(link - 1)
            if before is None:
                check_link(rows[link], link, GENESIS, "")
            else:
                check_link(rows[link], link, before.hash, before.recorded_at)
        for position in wanted:
            row = rows[position]
            record = self._decode(row)
            ev = record.event
            if _recorded_us(row.recorded_at) != columns.recorded[position - 1]:
                raise _edited(position, "recorded_us")
            lo, hi = columns.lo[position - 1], columns.hi[position - 1]
            origin = columns.origin[position - 1]
            if isinstance(ev, Event):
                if (lo, hi) != (ev.occurred._lo, ev.occurred._hi):
                    raise _edited(position, "lo/hi")
                if origin != position:
                    raise _edited(position, "origin")
                loaded.append((record, ev))
                continue
            targets.append((position, ev.target, origin))
            if isinstance(ev, Correction):
                occurred = ev.replacement.occurred
                if (lo, hi) != (occurred._lo, occurred._hi):
                    raise _edited(position, "lo/hi")
                loaded.append((record, attrs.evolve(ev.replacement, id=ev.target)))
            else:
                if (lo, hi) != (RETRACTED, RETRACTED):
                    raise _edited(position, "lo/hi")
                loaded.append((record, None))
        if targets:  # each correction and retraction is about the record its index row says
            found = self._reader.positions_of(sorted({target for _, target, _ in targets}))
            for position, target, origin in targets:
                if found.get(target) != origin:
                    raise _edited(position, "origin")
        cache = self._cache
        for item in loaded:
            cache[item[0].position] = item
        while len(cache) > self._cache_limit:
            cache.popitem(last=False)

    @property
    def _cache_limit(self) -> int:
        return max(self.CACHE_RECORDS, 16384)  # a page of a fold must fit at once

    def _check_meta(self) -> None:
        """Decode every correction and retraction the index names (once each), so that a
        query never relies on an index row that says what a record is about without the record
        itself having been checked: an edited origin is an `IntegrityError` before any answer."""
        unchecked = [
            p for ps in self._columns.meta.values() for p in ps if p > self._meta_checked_upto
        ]
        if unchecked:
            for start in range(0, len(unchecked), 4096):
                self._load(sorted(unchecked[start : start + 4096]))
        self._meta_checked_upto = len(self._columns)

    def _effective(self, sources: Sequence[int]) -> list[Event]:
        """The effective events held at `sources` (an event, or a correction's replacement)."""
        with self._lock:  # a follower thread may load (and evict) at the same time
            return self._effective_now(sources)

    def _effective_now(self, sources: Sequence[int]) -> list[Event]:
        cache = self._cache
        if len(sources) > self._cache_limit // 2:  # more than the cache holds at once
            return self._effective_uncached(sources)
        missing = [p for p in sources if p not in cache]
        if missing:
            unique = sorted(set(missing))
            for start in range(0, len(unique), 8192):
                self._load(unique[start : start + 8192])
        out: list[Event] = []
        for p in sources:
            item = cache.get(p)
            if item is None:  # pragma: no cover - evicted by the load above: read it again
                self._load([p])
                item = cache[p]
            ev = item[1]
            if ev is None:  # pragma: no cover - a retraction is never an entry
                raise IntegrityError("a retraction is in effect as an event", position=p)
            out.append(ev)
        return out

    def _effective_uncached(self, sources: Sequence[int]) -> list[Event]:
        out: list[Event] = []
        for start in range(0, len(sources), self._cache_limit // 2):
            out.extend(self._effective(sources[start : start + self._cache_limit // 2]))
        return out

    def _record_at(self, position: int) -> Record:
        with self._lock:
            self._load([position])
            return self._cache[position][0]

    # --- properties ----------------------------------------------------------------------
    @property
    def head(self) -> int:
        """Position of the last record (0 when the log is empty)."""
        self._sync()
        return len(self._columns)

    @property
    def head_hash(self) -> str:
        """Hash of the last record: publish it, and `verify(head_hash=…)` later detects truncation."""
        self._sync()
        return self._head.hash

    @property
    def store(self) -> Store:
        """The store this timeline reads and writes."""
        return self._store

    @property
    def projection(self) -> Projection[S]:
        """The default projection of `state_at`."""
        return self._projection

    def __repr__(self) -> str:
        return f"<Timeline {self._store.location} head={len(self._columns)}>"

    def __len__(self) -> int:
        return self.head

    # --- appending -----------------------------------------------------------------------
    def append(
        self,
        *events: Event | MetaEvent,
        expected_position: int | None = None,
        recorded_at: TimeLike | None = None,
    ) -> list[Record]:
        """Append `events` as one atomic batch and return their records.

        `expected_position` makes the append conditional: if the head is elsewhere,
        `ConcurrencyError` is raised and nothing is written. `recorded_at` (default: the clock,
        in UTC) may be set to import history; it must not be before the head's. A date means its
        first instant.
        """
        if recorded_at is None:
            moment, explicit = self._clock(), False
        else:
            moment, explicit = _recorded_moment(recorded_at), True
        stamp = recorded_text(moment)
        return self._append([(ev, None, stamp) for ev in events], explicit, expected_position)

    def _append(
        self,
        items: Sequence[tuple[Event | MetaEvent, tuple[int, str] | None, str]],
        explicit: bool,
        expected_position: int | None,
    ) -> list[Record]:
        """Append (event, (stored version, data JSON) or None, recorded_at text) in one transaction.

        The stored form is given on import, so that data of an old schema version is kept as it
        was written (and hashes as they were); otherwise the event is encoded now.
        """
        if not items:
            return []
        with self._lock:
            self._sync()
            events = [ev for ev, _, _ in items]
            problem, known = self._resolve(events)
            if problem is not None:
                raise problem[1]
            encoded = []
            for ev, stored, stamp in items:
                if stored is None:
                    name, version, data_json = stored_form(ev)
                    encoded.append((name, version, ev.id, data_json, stamp))
                else:
                    encoded.append((type(ev).event_type, stored[0], ev.id, stored[1], stamp))

            def build(head: Head) -> list[StoredRecord]:
                rows = []
                previous, last = head.hash, head.recorded_at or ""
                for position, (name, version, id_, data_json, stamp) in enumerate(
                    encoded, head.position + 1
                ):
                    if stamp < last and explicit:
                        raise TimeError(
                            f"recorded_at {stamp} is before the head's {last}: the log's "
                            "recorded_at never decreases",
                            value=stamp,
                        )
                    # a clock behind another writer's must not move recorded_at backwards
                    last = max(stamp, last)
                    previous = chain_hash(previous, position, last, name, version, id_, data_json)
                    rows.append(
                        StoredRecord(position, last, name, version, id_, data_json, previous)
                    )
                return rows

            made: list[bytes] = []
            moments = _Moments()  # a batch shares one recorded_at, mostly: parse it once

            def index(rows: Sequence[StoredRecord]) -> bytes:
                made[:] = [pack_index(_index_rows(rows, events, known, moments))]
                return made[0]

            rows = self._reader.append_indexed(build, expected_position, index)
            if rows[0].position == len(self._columns) + 1:
                block = made[0] if made else index(rows)
                self._columns.extend([(rows[0].position, block)], rows[-1].position)
                last = rows[-1]
                self._head = Head(last.position, last.hash, last.recorded_at)
                self._latest.add(last.position)
                records = []
                for row, ev in zip(rows, events, strict=True):
                    record = Record(row.position, moments[row.recorded_at][1], ev, row.hash)
                    records.append(record)
                    if len(rows) <= self._cache_limit // 4:  # what was just written is read next
                        self._cache[row.position] = (record, _effective_of(ev))
                while len(self._cache) > self._cache_limit:
                    self._cache.popitem(last=False)
                return records
            self._sync()
            return [
                Record(row.position, moments[row.recorded_at][1], ev, row.hash)
                for row, ev in zip(rows, events, strict=True)
            ]

    def append_retrying(
        self,
        decide: Callable[[Timeline[S]], Sequence[Event | MetaEvent]],
        *,
        attempts: int = 50,
        backoff: float = 0.002,
        sleep: Callable[[float], None] = time.sleep,
    ) -> list[Record]:
        """Optimistic concurrency: decide the events from the current log, append them only if
        nobody appended meanwhile, and decide again if somebody did.

        `decide` is called with this timeline, synced to the current head; its events are
        appended with ``expected_position=`` that head. On `ConcurrencyError` it waits a little
        (`backoff`, doubling, with jitter) and tries again, up to `attempts` times, then re-raises.
        """
        for attempt in range(attempts):
            self._sync()
            head = len(self._columns)
            try:
                return self.append(*decide(self), expected_position=head)
            except ConcurrencyError:
                if attempt == attempts - 1:
                    raise
                sleep(backoff * (2 ** min(attempt, 6)) * (0.5 + random.random()))  # noqa: S311 - jitter
        raise AssertionError("unreachable")  # pragma: no cover

    def check_batch(self, events: Sequence[Event | MetaEvent]) -> None:
        """Raise what appending `events` would raise for their ids and targets; write nothing."""
        self._sync()
        problem, _ = self._resolve(events)
        if problem is not None:
            raise problem[1]

    def _resolve(
        self, events: Sequence[object]
    ) -> tuple[tuple[int, TimelineError] | None, dict[str, int]]:
        """(The first problem of a batch, as (index, error), or None; and the positions of the
        ids and targets the log already holds.)"""
        for index, ev in enumerate(events):
            if not isinstance(ev, (Event, MetaEvent)):
                return (
                    index,
                    InvalidEvent(f"item {index} of the batch is not an event: {ev!r}"),
                ), {}
        batch_events: Sequence[Event | MetaEvent] = events  # type: ignore[assignment]
        asked = {ev.id for ev in batch_events}
        asked.update(ev.target for ev in batch_events if isinstance(ev, MetaEvent))
        known = self._reader.positions_of(sorted(asked))
        known = {k: v for k, v in known.items() if v <= len(self._columns)}
        origins = self._columns.origin
        batch: dict[str, Event | MetaEvent] = {}
        for index, ev in enumerate(batch_events):
            if ev.id in batch or ev.id in known:
                return (index, DuplicateEventId(ev.id)), known
            if isinstance(ev, MetaEvent):
                target = batch.get(ev.target)
                position = known.get(ev.target)
                is_event = isinstance(target, Event) or (
                    target is None and position is not None and origins[position - 1] == position
                )
                if not is_event:
                    return (
                        index,
                        InvalidEvent(
                            f"{type(ev).__name__} {ev.id!r} targets {ev.target!r}, which is not "
                            "an event in the log (corrections and retractions target the "
                            "original event)",
                            field="target",
                        ),
                    ), known
            batch[ev.id] = ev
        return None, known

    # --- queries -------------------------------------------------------------------------
    def records(self, *, known_at: TimeLike | None = None, after: int = 0) -> Iterator[Record]:
        """Records in log order (an iterator that streams the log, decoding as it goes, each row
        checked against the hash chain); with `known_at`, only those recorded by then; with
        `after`, only those after that position."""
        self._sync()
        return self._stream(max(after, 0), self._known_prefix(known_at))

    def _stream(self, after: int, upto: int) -> Iterator[Record]:
        for row in self._checked_rows(after, upto):
            yield self._decode(row)

    def _checked_rows(self, after: int, upto: int) -> Iterator[StoredRecord]:
        """The stored rows in (after, upto], in log order, each checked against the chain from
        the stored row at `after`."""
        if upto <= after:
            return
        previous = self._reader.read_rows([after]) if after else []
        yield from checked_rows(
            islice(self._reader.read(after=after), upto - after),
            after=after,
            previous_hash=previous[0].hash if previous else GENESIS,
            last_recorded=previous[0].recorded_at if previous else "",
        )

    def record(self, event_id: str) -> Record:
        """The record that appended the event or meta-event `event_id`."""
        self._sync()
        position = self._position_of(event_id)
        return self._record_at(position)

    def _position_of(self, event_id: str) -> int:
        position = self._reader.positions_of([event_id]).get(event_id)
        if position is None or position > len(self._columns):
            raise KeyError(event_id)
        return position

    def history(self, event_id: str) -> list[Record]:
        """How knowledge of one event changed: its record, then its corrections and retractions."""
        with self._lock:
            self._sync()
            self._check_meta()  # what the index says is about this event, checked
        position = self._position_of(event_id)
        positions = [position]
        if self._columns.origin[position - 1] == position:
            positions.extend(self._columns.meta.get(position, ()))
        return [self._record_at(p) for p in positions]

    def events(
        self,
        at: TimeLike | None = None,
        *,
        known_at: TimeLike | None = None,
        on_server: bool = False,
    ) -> list[Event]:
        """Effective events (corrections applied, retractions removed) in valid-time order.

        With `at`, only those that occurred by then (their `earliest` at or before `at`).
        ``on_server=True`` asks the store's server which records those are (PostgreSQL: its
        ``effective()`` function over the index table ``record_keys``) instead of this
        process's sorted view; the answer is the same, each row checked against the index
        this process holds. A store that cannot answer raises `TypeError`.
        """
        if on_server:
            return self._events_on_server(at, known_at)
        with self._lock:
            self._sync()
            self._check_meta()
            n = self._known_prefix(known_at)
            if at is not None:
                n = self._same_below(n, _query_us(at))
            for attempt in (1, 2):
                view = self._view_of(n)
                try:
                    if at is None:
                        return view.events()
                    return view.events(0, view.count_by(_query_us(at)))
                except IntegrityError as exc:
                    if attempt == 2:
                        raise
                    self._resort_or_raise(exc)
            raise AssertionError("unreachable")  # pragma: no cover

    def _events_on_server(self, at: TimeLike | None, known_at: TimeLike | None) -> list[Event]:
        store = self._store
        if not isinstance(store, Answers):
            raise TypeError(
                f"{type(store).__name__} cannot answer queries itself: on_server=True needs "
                "a PostgreSQL log"
            )
        with self._lock:
            self._sync()
            self._check_meta()
            upto = self._known_prefix(known_at)
            at_us = None if at is None else _query_us(at)
            rows = store.effective(at_us, None, upto)
            columns = self._columns
            # as many rows as the process's own view holds there, each a different event, in
            # order: with each row checked below, the answer is the view's, no row left out
            view = self._view_of(upto if at_us is None else self._same_below(upto, at_us))
            expected = len(view) if at_us is None else view.count_by(at_us)
            keys = [(lo, hi, origin) for _, origin, lo, hi in rows]
            if (
                len(rows) != expected
                or len({origin for _, origin, _, _ in rows}) != len(rows)
                or keys != sorted(keys)
                or (at_us is not None and any(lo > at_us for lo, _, _ in keys))
            ):
                raise IntegrityError(
                    f"the server's index table record_keys gives {len(rows)} records in effect "
                    f"where the index gives {expected} (`timeline verify` compares every row)",
                    position=upto,
                )
            for position, origin, lo, hi in rows:
                held = (
                    (
                        columns.origin[position - 1],
                        columns.lo[position - 1],
                        columns.hi[position - 1],
                    )
                    if 0 < position <= upto
                    else None
                )
                if held != (origin, lo, hi) or columns.version_at(origin, upto) != position:
                    raise IntegrityError(
                        "the server's index table record_keys does not match the index "
                        "(`timeline verify` compares every row)",
                        position=position,
                    )
            return self._effective([position for position, _, _, _ in rows])

    @overload
    def state_at(
        self, at: TimeLike, *, known_at: TimeLike | None = ..., certain: bool = ...
    ) -> S: ...

    @overload
    def state_at(
        self,
        at: TimeLike,
        *,
        known_at: TimeLike | None = ...,
        projection: Projection[T],
        certain: bool = ...,
    ) -> T: ...

    def state_at(
        self,
        at: TimeLike,
        *,
        known_at: TimeLike | None = None,
        projection: Projection[Any] | None = None,
        certain: bool = False,
    ) -> Any:
        """The state of the world at `at`, as the log knew it at `known_at` (default: now).

        Folds, in valid-time order, the effective events whose `occurred.earliest` is at or
        before `at` (with ``certain=True``: whose `occurred.latest` is), among the records
        recorded by `known_at`. A bare date means the end of that day. Reuse one projection
        object across queries: its checkpoints are kept per object.
        """
        at_us = _query_us(at)
        proj = projection or self._projection
        # one query at a time per timeline: a writer or follower thread that shares it waits,
        # so that the view does not change in the middle of a fold
        with self._lock:
            self._sync()
            n = self._known_prefix(known_at)
            self._prime()
            self._check_meta()
            same = self._same_below(n, at_us)
            try:
                view = self._view_of(same)
                self._use_snapshots(proj, view, at_us)
                state = view.state(proj, at_us, certain)
            except IntegrityError as exc:  # a persisted view that does not match: sort again
                self._resort_or_raise(exc)
                view = self._view_of(same)
                self._use_snapshots(proj, view, at_us)
                state = view.state(proj, at_us, certain)
        label = getattr(state, "with_as_of", None)
        if callable(label):  # a state that can say which time it is for (its HTML heading)
            known = (
                _from_us(self._columns.recorded[n - 1]).isoformat() if n else "before any record"
            )
            state = label(str(to_when(at)), known)
        return state

    def diff(
        self,
        a: TimeLike,
        b: TimeLike,
        *,
        known_at: TimeLike | None = None,
        projection: Projection[Any] | None = None,
    ) -> Changes:
        """What changed in the world between valid times `a` and `b` (same knowledge)."""
        proj = projection or self._projection
        before = self.state_at(a, known_at=known_at, projection=proj)
        after = self.state_at(b, known_at=known_at, projection=proj)
        return _changes(proj, before, after)

    def revisions(
        self,
        at: TimeLike,
        *deprecated: TimeLike | None,
        known_before: TimeLike | None = None,
        known_after: TimeLike | None = None,
        projection: Projection[Any] | None = None,
    ) -> Changes:
        """What the log learned about the world at `at` between knowledge times `known_before`
        and `known_after` (default: now).

        ``revisions(at, before, after)`` with positional knowledge times is the spelling of
        0.1 and still works, with a `DeprecationWarning`.
        """
        if deprecated:
            if len(deprecated) > 2 or known_before is not None or known_after is not None:
                raise TypeError("revisions() takes at, then known_before= and known_after=")
            warnings.warn(
                "revisions(at, before, after) is deprecated; use "
                "revisions(at, known_before=…, known_after=…)",
                DeprecationWarning,
                stacklevel=2,
            )
            known_before = deprecated[0]
            known_after = deprecated[1] if len(deprecated) == 2 else None
        if known_before is None:
            raise TypeError("revisions() needs known_before=, the earlier knowledge time")
        proj = projection or self._projection
        old = self.state_at(at, known_at=known_before, projection=proj)
        new = self.state_at(at, known_at=known_after, projection=proj)
        return _changes(proj, old, new)

    def _known_prefix(self, known_at: TimeLike | None) -> int:
        if known_at is None:
            return len(self._columns)
        return bisect_right(self._columns.recorded, _query_us(known_at))

    def _view(self, known_at: TimeLike | None) -> View:
        return self._view_of(self._known_prefix(known_at))

    def _same_below(self, n: int, at_us: int) -> int:
        """`n`, or the whole log if the records after the first `n` touch no valid time at or
        before `at_us`: then the latest view holds the same entries up to `at_us` as the view
        of the first `n` records would, with its checkpoints and snapshots, and answers without
        a view being derived."""
        size = len(self._columns)
        if n == size:
            return n
        since, least = self._least.get(n, (n, TOP_KEY))
        if since < size:  # what records appended since the last look touch, added in
            least = min(least, self._columns.least_touched(since, size))
            self._least[n] = (size, least)
            if len(self._least) > _KNOWN_VIEWS:
                del self._least[next(iter(self._least))]
        return size if at_us < least[0] else n

    def _view_of(self, n: int) -> View:
        """The view of the first `n` records (all of them: the latest view)."""
        if n == len(self._columns):
            return self._latest
        view = self._views.get(n)
        if view is None:
            view = View.derived(self._latest, n)
            self._views[n] = view
            if len(self._views) > _KNOWN_VIEWS:
                self._views.popitem(last=False)
        else:
            self._views.move_to_end(n)
        return view

    # --- snapshots -------------------------------------------------------------------------
    def _use_snapshots(self, projection: Projection[Any], view: View, at_us: int) -> None:
        """Before a query, place into the latest view's checkpoints the nearest persisted
        snapshot of `projection` at or below what the query folds, if it is still valid and
        nearer than any checkpoint there."""
        if not isinstance(projection, Snapshots):
            return
        latest = self._latest
        n = view.count_by(at_us)
        if view is not latest:  # an older knowledge time borrows the latest view's checkpoints
            if view._base is None or view._base[0] is not latest:
                return
            n = min(n, latest.find(view._base[1]))
        every = _index.CHECKPOINT_EVERY
        have = latest.known_slot(projection, n) * every
        rows = self._valid_snapshots(projection)
        index = bisect_right([row.entries for row in rows], n) - 1
        if index < 0 or rows[index].entries <= have:
            return
        row = rows[index]
        try:
            text = self._reader.read_snapshot_state(row.projection, row.version, row.entries)
            if text is None:
                raise LookupError("it was dropped meanwhile")
            state = projection.load_state(parse(text))
        except Exception as exc:  # noqa: BLE001 - a cache that cannot be read is skipped
            warnings.warn(
                f"snapshot {row.projection} v{row.version} after {row.entries} events cannot be "
                f"read ({exc!r}); folding instead",
                RuntimeWarning,
                stacklevel=4,
            )
            rows.remove(row)
            return
        latest.place(projection, row.entries, state)

    def _valid_snapshots(self, projection: Snapshots[Any]) -> list[SnapshotRow]:
        """The stored snapshots of `projection` (this version) that the current log still
        orders the same way below them, by `entries` (read once per head)."""
        name, version = projection.snapshot_name, projection.snapshot_version
        size = len(self._columns)
        cached = self._snapshots.get(f"{name}\0{version}")
        if cached is not None and self._placed.get((name, version)) == size:
            return cached
        latest = self._latest
        least: dict[int, Key] = {}
        valid = []
        for row in self._reader.read_snapshots(name, states=False):
            key = _snapshot_key(row.key)
            if row.version != version or key is None or not _usable(row, key, latest, size):
                continue
            if row.head not in least:
                least[row.head] = self._columns.least_touched(row.head, size)
            if key < least[row.head]:  # no later record touched what this snapshot folded
                valid.append(row)
        valid.sort(key=lambda row: row.entries)
        self._snapshots[f"{name}\0{version}"] = valid
        self._placed[name, version] = size
        return valid

    def save_snapshots(
        self,
        projection: Projection[Any] | None = None,
        *,
        every: int = SNAPSHOT_EVERY,
        progress: bool | None = None,
    ) -> int:
        """Fold the whole log with `projection` (default: the timeline's) and store its state
        after every `every` events in valid-time order, replacing the snapshots it had; return
        how many were stored (0 when the store is read-only).

        Snapshots are a cache beside the log, outside the hash chain: a fresh process answers
        from the nearest valid one plus a short tail; `drop_snapshots` removes them at will.
        The projection must have a stable ``snapshot_name`` and ``snapshot_version`` and
        ``dump_state``/``load_state`` (`timeline.projection.Snapshots`).
        """
        proj = projection or self._projection
        if not isinstance(proj, Snapshots):
            raise TypeError(
                f"{type(proj).__name__} cannot be snapshotted: give it snapshot_name, "
                "snapshot_version, dump_state and load_state (timeline.projection.Snapshots)"
            )
        if every < _index.CHECKPOINT_EVERY or every % _index.CHECKPOINT_EVERY:
            raise ValueError(
                f"every must be a positive multiple of {_index.CHECKPOINT_EVERY}, not {every}"
            )
        with self._lock:
            return self._save_snapshots(proj, every, progress)

    def _save_snapshots(self, proj: Snapshots[Any], every: int, progress: bool | None) -> int:
        self._sync()
        self._check_meta()
        view = self._latest
        size = len(self._columns)
        counts = range(every, len(view) + 1, every)
        rows = []
        with Progress(
            f"snapshots of {proj.snapshot_name}", total=len(counts), enabled=progress
        ) as bar:
            for count in counts:
                state = view.state_after(proj, count)
                text = canonical_json(proj.dump_state(state))
                rows.append(
                    SnapshotRow(
                        proj.snapshot_name,
                        proj.snapshot_version,
                        count,
                        size,
                        ",".join(map(str, view.entry(count - 1))),
                        text,
                    )
                )
                bar.advance()
        if not rows:
            return 0  # fewer events than `every`: the snapshots it had stay
        self._reader.drop_snapshots(proj.snapshot_name)
        self._reader.drop_snapshots(_VIEW)
        self._placed.clear()
        self._snapshots.clear()
        rows.append(self._view_row())
        return len(rows) - 1 if self._reader.write_snapshots(rows) else 0

    def _view_row(self) -> SnapshotRow:
        """The latest view's sorted entries, persisted beside the snapshots: a fresh process
        loads them instead of sorting the whole log again."""
        view = self._latest
        view.sources()  # merged
        data = b"".join(pack_columns(column) for column in (view.lo, view.hi, view.origin))
        return SnapshotRow(
            _VIEW,
            _VIEW_FORMAT,
            len(view.origin),
            view.size,
            self._head.hash,
            hashlib.sha256(data).digest() + data,  # raw bytes: no text to decode when loaded
        )

    def _resort_or_raise(self, exc: IntegrityError) -> None:
        """Sort again if `exc` may come from the persisted sorted view (an entry that does not
        match its event, or names a record that is not a live event); raise it otherwise. An
        error of the records themselves comes back after the sort, from the index."""
        if not (isinstance(exc, StaleView) or self._persisted_view):
            raise exc
        self._resort()

    def _resort(self) -> None:
        """Drop the views (a persisted one did not match the events) and sort from the index."""
        warnings.warn(
            "the persisted sorted view does not match the events; sorting again (save the "
            "snapshots again to replace it)",
            RuntimeWarning,
            stacklevel=4,
        )
        self._latest = View(self._columns, self._effective)
        self._latest.add(len(self._columns))
        self._persisted_view = False
        self._views.clear()
        self._placed.clear()
        self._snapshots.clear()

    def _prime(self) -> None:
        """Before the first query of a long log: start the latest view from its persisted
        sorted entries, when they are of this log (the hash at their head matches)."""
        view = self._latest
        if self._primed or view.size or len(self._columns) < _PRIME_FROM:
            return
        self._primed = True
        if self._load_view(view):
            self._persisted_view = True
            view.add(len(self._columns))

    def _load_view(self, view: View) -> bool:
        """Load the persisted sorted view into `view` if it is well formed and of this log."""
        rows = [r for r in self._reader.read_snapshots(_VIEW) if r.version == _VIEW_FORMAT]
        if not rows:
            return False
        row = rows[-1]
        fields: tuple[object, ...] = (row.head, row.entries, row.key)
        if not all(isinstance(f, t) for f, t in zip(fields, (int, int, str), strict=True)):
            return False  # a damaged row (SQLite keeps what it is given)
        if not isinstance(row.state, bytes) or not 0 < row.head <= len(self._columns):
            return False
        at_head = self._reader.read_rows([row.head])
        if not at_head or at_head[0].hash != row.key:
            return False
        stored = memoryview(row.state)
        digest, data = stored[:32], stored[32:]
        third = len(data) // 3
        if len(data) != 3 * third or third != row.entries * 8:
            return False
        if hashlib.sha256(data).digest() != bytes(digest):
            return False
        lo, hi, origin = (unpack_columns(data[i * third : (i + 1) * third]) for i in range(3))
        if not _plausible(origin, self._columns, row.head):
            return False
        view.load(row.head, lo, hi, origin)
        return True

    def drop_snapshots(self, projection: Projection[Any] | str | None = None) -> int:
        """Delete the stored snapshots of one projection (or its ``snapshot_name``), or of all;
        return how many. Queries fold instead, as they did before any snapshot."""
        name = (
            projection
            if isinstance(projection, str) or projection is None
            else getattr(projection, "snapshot_name", None)
        )
        if projection is not None and name is None:
            raise TypeError(f"{type(projection).__name__} has no snapshot_name")
        self._placed.clear()
        self._snapshots.clear()
        return self._reader.drop_snapshots(name)

    # --- export, verify, close ------------------------------------------------------------
    def export_jsonl(
        self, path: str | Path, *, overwrite: bool = False, progress: bool | None = None
    ) -> int:
        """Write every record, as stored, one canonical JSON object per line; return the count.

        Each row is checked against the hash chain as it is read. The file is written beside
        `path` and renamed into place when complete, so a failed export leaves nothing behind;
        an existing file is refused unless `overwrite`, and the log's own file always.
        """
        return _jsonl.export_store(self._store, Path(path), overwrite=overwrite, progress=progress)

    def _append_imported(
        self, lines: Sequence[_jsonl.ImportLine], expected_position: int
    ) -> list[Record]:
        """Append parsed import lines as one atomic batch (`timeline.transfer.import_jsonl`),
        only if the head is still at `expected_position`, where the lines were checked."""
        self._sync()
        problem, _ = self._resolve([line.event for line in lines])
        if problem is not None:
            index, exc = problem
            raise DataError(str(exc), line=lines[index].number) from exc
        stamp = recorded_text(self._clock())
        items = [
            (line.event, (line.version, line.data), line.recorded_at or stamp) for line in lines
        ]
        # lines without recorded_at get the clock's, moved up to the head's as in `append`
        explicit = any(line.recorded_at for line in lines)
        return self._append(items, explicit, expected_position)

    def verify(self, *, head_hash: str | None = None) -> str:
        """Check every stored record (see `verify_store`) and recompute its index row from its
        event: an edited index column is an `IntegrityError` naming the position. Return the
        head hash."""
        head = verify_store(self._store, head_hash=head_hash)
        self._sync()
        with self._lock:
            upto = len(self._columns)
            derived = self._derive_index(0, upto)
            stored = self._stored_columns(upto)
            self._check_view_cache()
            if isinstance(self._store, Answers):
                self._check_key_table(self._store.read_keys(), upto)
        for held in (self._columns, stored):
            for row in derived[: len(held)]:
                p = row.position
                have = (held.recorded[p - 1], held.lo[p - 1], held.hi[p - 1], held.origin[p - 1])
                if have != row[1:]:
                    raise IntegrityError(
                        f"the index row does not match the stored event: {have} where "
                        f"{tuple(row[1:])} was expected",
                        position=p,
                    )
        return head

    def _check_key_table(self, keys: bytes, upto: int) -> None:
        """`verify`: the server's index table holds the index, row for row."""
        held = self._columns
        server = Columns()
        if len(keys) // 32 > max(upto, self._store.head().position):
            raise IntegrityError(
                "the index table record_keys has rows beyond the log", position=upto + 1
            )
        if keys:
            try:
                server.extend([(1, keys)], min(upto, len(keys) // 32))
            except IntegrityError as exc:
                reason = str(exc.args[0]).split(": ", 1)[-1] if exc.position else exc.args[0]
                raise IntegrityError(
                    f"the index table record_keys: {reason}", position=exc.position
                ) from None
        if len(server) < upto:
            raise IntegrityError(
                "the index table record_keys ends before the log", position=len(server) + 1
            )
        for name in ("recorded", "lo", "hi", "origin"):
            mine, theirs = getattr(held, name), getattr(server, name)
            if mine != theirs:
                at = next(i for i, (a, b) in enumerate(zip(mine, theirs, strict=False)) if a != b)
                raise IntegrityError(
                    f"the index table record_keys does not match the index (column {name})",
                    position=at + 1,
                )

    def _stored_columns(self, upto: int) -> Columns:
        """The index as stored (its blocks from position 1, as far as they reach)."""
        stored = Columns()
        blocks = []
        have = 0
        for first, data in self._reader.read_index():
            if first != have + 1 or not isinstance(data, (bytes, bytearray)):
                break
            blocks.append((first, bytes(data)))
            have = first - 1 + len(data) // 32
            if have >= upto:
                break
        if blocks:
            stored.extend(blocks, min(have, upto))
        return stored

    def _check_view_cache(self) -> None:
        """`verify`: the persisted sorted view, where there is one for the current head, must
        be the order the index gives."""
        view = View(self._columns, self._effective)
        loaded = View(self._columns, self._effective)
        if not self._load_view(loaded) or loaded.size != len(self._columns):
            return
        view.add(len(self._columns))
        view.sources()
        if (view.lo, view.hi, view.origin) != (loaded.lo, loaded.hi, loaded.origin):
            raise IntegrityError(
                "the persisted sorted view (snapshot 'timeline.view') does not match the "
                "index: drop the snapshots and save them again",
                position=loaded.size,
            )

    def follow(
        self, *, after: int | None = None, timeout: float | None = None, poll: float = 0.2
    ) -> Iterator[Record]:
        """Yield records as they are committed, by this or any other writer, in log order.

        Starts after `after` (default: the current head, so only new records). Stops when no
        record came for `timeout` seconds (None: never). A store with the optional `wait`
        capability (PostgreSQL: LISTEN/NOTIFY) wakes up at once; others (SQLite, memory) are
        polled every `poll` seconds. Each record is also taken into this timeline, so
        ``state_at`` stays current as you go. See `timeline.follow`.
        """
        return follow(self, after=after, timeout=timeout, poll=poll)

    # --- notebooks (extra: timeline-asof[notebook]) ---------------------------------------
    def to_pandas(self, at: TimeLike | None = None, *, known_at: TimeLike | None = None) -> Any:
        """The effective events as a pandas DataFrame, one row each (see `timeline.notebook`)."""
        return extensions.frame_builder()(self.events(at, known_at=known_at))

    def plot(
        self, kind: str = "events", *, ax: Any = None, known_at: TimeLike | None = None
    ) -> Any:
        """Plot the timeline with a registered plot kind and return the Axes.

        ``"events"`` (every event by type) is always there; a domain registers its own (the
        support domain: ``"commitments"``) with `timeline.extensions.register_plot`.
        """
        plots = extensions.plot_kinds()
        if kind not in plots:
            raise ValueError(f"kind must be one of {sorted(plots)}, not {kind!r}")
        return plots[kind](self, ax=ax, known_at=known_at)

    # --- publishing -------------------------------------------------------------------
    def to_html(self, path: str | Path, **options: Any) -> publish.Page:
        """Write one self-contained HTML page of this timeline with a "known at" slider; see
        `timeline.publish.page` for the options (``title``, ``group``, ``projection``)."""
        return publish.to_html(self, path, **options)

    def to_timelinejs(self, path: str | Path, **options: Any) -> dict[str, Any]:
        """Write the TimelineJS 3 JSON of the effective events; see `timeline.publish.timelinejs`."""
        return publish.to_timelinejs(self, path, **options)

    def _repr_html_(self) -> str:
        with self._lock:
            self._sync()
            self._check_meta()
            events = self._latest.events()
        return _html.events_table(events, caption=f"{self!r}: {len(events)} effective events")

    def close(self) -> None:
        """Close the store."""
        self._store.close()

    def __enter__(self) -> Timeline[S]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while many acyclic objects are built: its passes
    over an ever larger heap otherwise cost more than the decoding (measured: 2-3x)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _nested_type(data: str) -> str | None:
    """The type name of the event a stored correction holds, if its data says one."""
    try:
        loaded = json.loads(data)
    except ValueError:
        return None
    replacement = loaded.get("replacement") if isinstance(loaded, dict) else None
    name = replacement.get("type") if isinstance(replacement, dict) else None
    return name if isinstance(name, str) else None


def _bounds(ev: Event) -> tuple[int, int]:
    return ev.occurred._lo, ev.occurred._hi


def _effective_of(ev: Event | MetaEvent) -> Event | None:
    """What a record puts in effect: the event, a correction's replacement (under the
    original's id), or nothing (a retraction)."""
    if isinstance(ev, Event):
        return ev
    if isinstance(ev, Correction):
        return attrs.evolve(ev.replacement, id=ev.target)
    return None


def _index_rows(
    rows: Sequence[StoredRecord],
    events: Sequence[Event | MetaEvent],
    known: dict[str, int],
    moments: _Moments,
) -> list[IndexRow]:
    """The index rows of a batch being appended (`known`: positions of ids already logged)."""
    here = dict(known)
    made = []
    for row, ev in zip(rows, events, strict=True):
        here[ev.id] = row.position
        us = moments[row.recorded_at][0]
        if isinstance(ev, Event):
            made.append(IndexRow(row.position, us, *_bounds(ev), row.position))
        elif isinstance(ev, Correction):
            made.append(IndexRow(row.position, us, *_bounds(ev.replacement), here[ev.target]))
        else:
            made.append(IndexRow(row.position, us, RETRACTED, RETRACTED, here[ev.target]))
    return made


class _Moments(dict[str, tuple[int, pendulum.DateTime]]):
    """Stored `recorded_at` texts parsed once each, as `parse_recorded` gives them (the rows
    of a batch share one, mostly)."""

    def __missing__(self, text: str) -> tuple[int, pendulum.DateTime]:
        moment = self[text] = parse_recorded(text)
        return moment


def _edited(position: int, column: str) -> IntegrityError:
    return IntegrityError(
        f"the index column {column} does not match the stored event: the index was edited "
        "(`timeline verify` checks every row)",
        position=position,
    )


def _plausible(origin: array[int], columns: Columns, head: int) -> bool:
    """Whether persisted view entries have the count the index gives for the first `head`
    records (the digest stored with them has matched: they are as written)."""
    metas = sum(1 for ps in columns.meta.values() for p in ps if p <= head)
    retracted = sum(
        1 for o, ps in columns.meta.items() if ps[0] <= head and not columns.version_at(o, head)
    )
    return len(origin) == head - metas - retracted


def _snapshot_key(text: object) -> Key | None:
    if not isinstance(text, str):
        return None
    parts = text.split(",")
    if len(parts) != 3:
        return None
    try:
        lo, hi, origin = map(int, parts)
    except ValueError:
        return None
    return (lo, hi, origin)


def _usable(row: SnapshotRow, key: Key | None, view: View, size: int) -> bool:
    """Whether a stored snapshot row is well formed and fits the current view's order."""
    count = row.entries
    if key is None or not isinstance(count, int) or not isinstance(row.head, int):
        return False
    if not (0 < count <= len(view)) or count % _index.CHECKPOINT_EVERY:
        return False
    if not 0 < row.head <= size:
        return False
    return view.entry(count - 1) == key


class _Unindexed:
    """A store without the `Indexed` capability, seen through it: the index is derived by the
    reader (nothing is persisted), rows and ids are found by reading the log."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._ids: dict[str, int] = {}
        self._seen = 0

    @property
    def location(self) -> str:
        return self._store.location

    def head(self) -> Head:
        return self._store.head()

    def read(self, after: int = 0) -> Iterator[StoredRecord]:
        return self._store.read(after)

    def append(self, build: Build, expected_position: int | None) -> Sequence[StoredRecord]:
        return self._store.append(build, expected_position)

    def append_indexed(
        self, build: Build, expected_position: int | None, index: MakeIndex
    ) -> Sequence[StoredRecord]:
        return self._store.append(build, expected_position)

    def close(self) -> None:
        self._store.close()

    def read_index(self, after: int = 0) -> Iterator[tuple[int, bytes]]:
        return iter(())

    def add_index(self, first: int, data: bytes) -> bool:
        return False

    def read_page(self, after: int, limit: int) -> list[StoredRecord]:
        return list(islice(self._store.read(after), limit))

    def read_rows(self, positions: Sequence[int]) -> list[StoredRecord]:
        if not positions:
            return []
        wanted = set(positions)
        first, last = min(wanted), max(wanted)
        return [
            row
            for row in islice(self._store.read(first - 1), last - first + 1)
            if row.position in wanted
        ]

    def positions_of(self, ids: Sequence[str]) -> dict[str, int]:
        for row in self._store.read(self._seen):
            self._ids[row.id] = row.position
            self._seen = row.position
        return {id_: self._ids[id_] for id_ in ids if id_ in self._ids}

    def read_snapshots(self, projection: str, *, states: bool = True) -> list[SnapshotRow]:
        return []

    def read_snapshot_state(self, projection: str, version: int, entries: int) -> str | None:
        return None

    def write_snapshots(self, rows: Sequence[SnapshotRow]) -> bool:
        return False

    def drop_snapshots(self, projection: str | None = None) -> int:
        return 0


def _changes(projection: Projection[Any], before: Any, after: Any) -> Changes:
    differ = getattr(projection, "diff", None)
    if callable(differ):
        return Changes(differ(before, after))
    return Changes([] if before == after else [StateChanged(before, after)])
