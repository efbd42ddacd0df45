"""`Timeline`: the append-only, bitemporal log and its as-of queries.

Two time axes, as in XTDB and Datomic: an event's `occurred` (valid time, a `When`) and its
record's `recorded_at` (transaction time, never decreasing along the log).
``state_at(at, known_at=k)`` folds, in valid-time order, the effective events that had occurred
by `at` among the records recorded by `k`.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import threading
import time
import warnings
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Generic, TypeVar, overload

import pendulum

from timeline import _html, _jsonl, extensions, publish
from timeline._index import View
from timeline._index import _key as index_key
from timeline.codec import decode_trusted, stored_form
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
from timeline.events import Correction, Event, MetaEvent
from timeline.follow import follow
from timeline.projection import Changes, Projection, StateChanged
from timeline.records import (
    GENESIS,
    Record,
    StoredRecord,
    chain_hash,
    parse_recorded,
    recorded_text,
)
from timeline.stores import Head, Store
from timeline.verify import checked_rows, verify_store
from timeline.when import TimeLike, _query_us, _to_us, to_when

__all__ = ["Clock", "Timeline"]

S = TypeVar("S")
T = TypeVar("T")
Clock = Callable[[], dt.datetime]
_KNOWN_VIEWS: Final = 16


def _utc_now() -> dt.datetime:
    return pendulum.now("UTC")


@functools.lru_cache(maxsize=4096)
def _recorded_us(moment: dt.datetime) -> int:
    return _to_us(moment)


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
    """

    def __init__(
        self, store: Store, *, projection: Projection[S], clock: Clock | None = None
    ) -> None:
        self._store = store
        self._projection = projection
        self._clock = clock or _utc_now
        self._records: list[Record] = []
        self._recorded_us: list[int] = []
        self._positions_by_id: dict[str, list[int]] = {}
        self._latest = View()
        self._views: OrderedDict[int, View] = OrderedDict()
        # one lock for taking records in, so a follower thread and a writer thread that share
        # this timeline never ingest the same record twice
        self._lock = threading.RLock()
        self._sync()

    # --- reading the store ---------------------------------------------------------------
    def _sync(self) -> None:
        """Take in records other writers (or processes) appended since we last looked."""
        with self._lock:
            known = len(self._records)
            if self._store.head().position == known:
                return
            last = self._records[-1] if self._records else None
            rows = checked_rows(
                self._store.read(after=known),
                after=known,
                previous_hash=last.hash if last else GENESIS,
                last_recorded=recorded_text(last.recorded_at) if last else "",
            )
            records = [self._decode(row) for row in rows]
            self._ingest(records)

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
            raise IntegrityError(
                f"stored event cannot be read: {exc}", position=row.position
            ) from None
        except (ValueError, TypeError, KeyError) as exc:
            raise IntegrityError(
                f"stored event cannot be read: {exc!r}", position=row.position
            ) from None
        return Record(row.position, parse_recorded(row.recorded_at)[1], ev, row.hash)

    def _ingest(self, records: Sequence[Record]) -> None:
        positions = self._positions_by_id
        next_position = len(self._records) + 1
        for record in records:
            if record.position != next_position:
                raise IntegrityError(
                    f"expected position {next_position} next; the log has a gap",
                    position=record.position,
                )
            next_position += 1
            ev = record.event
            positions.setdefault(ev.id, []).append(record.position)
            if isinstance(ev, MetaEvent):
                positions.setdefault(ev.target, []).append(record.position)
            self._records.append(record)
            self._recorded_us.append(_recorded_us(record.recorded_at))
        self._latest.add(records)

    # --- properties ----------------------------------------------------------------------
    @property
    def head(self) -> int:
        """Position of the last record (0 when the log is empty)."""
        self._sync()
        return len(self._records)

    @property
    def head_hash(self) -> str:
        """Hash of the last record: publish it, and `verify(head_hash=…)` later detects truncation."""
        self._sync()
        return self._records[-1].hash if self._records else GENESIS

    @property
    def store(self) -> Store:
        """The store this timeline reads and writes."""
        return self._store

    @property
    def projection(self) -> Projection[S]:
        """The default projection of `state_at`."""
        return self._projection

    def __repr__(self) -> str:
        return f"<Timeline {self._store.location} head={len(self._records)}>"

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
            self.check_batch([ev for ev, _, _ in items])
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

            rows = self._store.append(build, expected_position)
            if rows[0].position == len(self._records) + 1:
                records = [
                    Record(row.position, parse_recorded(row.recorded_at)[1], ev, row.hash)
                    for row, (ev, _, _) in zip(rows, items, strict=True)
                ]
                self._ingest(records)
            else:
                self._sync()
            return [self._records[row.position - 1] for row in rows]

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
            head = len(self._records)
            try:
                return self.append(*decide(self), expected_position=head)
            except ConcurrencyError:
                if attempt == attempts - 1:
                    raise
                sleep(backoff * (2 ** min(attempt, 6)) * (0.5 + random.random()))  # noqa: S311 - jitter
        raise AssertionError("unreachable")  # pragma: no cover

    def check_batch(self, events: Sequence[Event | MetaEvent]) -> None:
        """Raise what appending `events` would raise for their ids and targets; write nothing."""
        problem = self._batch_problem(events)
        if problem is not None:
            raise problem[1]

    def _batch_problem(self, events: Sequence[object]) -> tuple[int, TimelineError] | None:
        batch: dict[str, Event | MetaEvent] = {}
        for index, ev in enumerate(events):
            if not isinstance(ev, (Event, MetaEvent)):
                return index, InvalidEvent(f"item {index} of the batch is not an event: {ev!r}")
            if ev.id in batch or self._is_record_id(ev.id):
                return index, DuplicateEventId(ev.id)
            if isinstance(ev, MetaEvent):
                target = batch.get(ev.target)
                if target is None and self._is_record_id(ev.target):
                    target = self._records[self._positions_by_id[ev.target][0] - 1].event
                if not isinstance(target, Event):
                    return index, InvalidEvent(
                        f"{type(ev).__name__} {ev.id!r} targets {ev.target!r}, which is not an "
                        "event in the log (corrections and retractions target the original event)",
                        field="target",
                    )
            batch[ev.id] = ev
        return None

    def _is_record_id(self, id_: str) -> bool:
        # every key is the id of a record: meta-events only ever target ids already in the log
        return id_ in self._positions_by_id

    # --- queries -------------------------------------------------------------------------
    def records(self, *, known_at: TimeLike | None = None, after: int = 0) -> Iterator[Record]:
        """Records in log order (an iterator: the one read that streams the whole log); with
        `known_at`, only those recorded by then; with `after`, only those after that position."""
        self._sync()
        return iter(self._records[max(after, 0) : self._known_prefix(known_at)])

    def record(self, event_id: str) -> Record:
        """The record that appended the event or meta-event `event_id`."""
        self._sync()
        if not self._is_record_id(event_id):
            raise KeyError(event_id)
        return self._records[self._positions_by_id[event_id][0] - 1]

    def history(self, event_id: str) -> list[Record]:
        """How knowledge of one event changed: its record, then its corrections and retractions."""
        self._sync()
        if not self._is_record_id(event_id):
            raise KeyError(event_id)
        return [self._records[p - 1] for p in self._positions_by_id[event_id]]

    def events(
        self, at: TimeLike | None = None, *, known_at: TimeLike | None = None
    ) -> list[Event]:
        """Effective events (corrections applied, retractions removed) in valid-time order.

        With `at`, only those that occurred by then (their `earliest` at or before `at`).
        """
        self._sync()
        view = self._view(known_at)
        if at is None:
            return list(view.sorted_events())
        return view.sorted_events()[: view.count_by(_query_us(at))]

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
        self._sync()
        at_us = _query_us(at)
        n = self._known_prefix(known_at)
        state = self._view_of(n).state(projection or self._projection, at_us, certain)
        label = getattr(state, "with_as_of", None)
        if callable(label):  # a state that can say which time it is for (its HTML heading)
            known = self._records[n - 1].recorded_at.isoformat() if n else "before any record"
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
            return len(self._records)
        return bisect_right(self._recorded_us, _query_us(known_at))

    def _view(self, known_at: TimeLike | None) -> View:
        return self._view_of(self._known_prefix(known_at))

    def _view_of(self, n: int) -> View:
        """The view of the first `n` records (all of them: the latest view)."""
        if n == len(self._records):
            return self._latest
        view = self._views.get(n)
        if view is None:
            view = View.of(self._records[:n])
            view.share_below(self._latest, self._least_key_after(n))
            self._views[n] = view
            if len(self._views) > _KNOWN_VIEWS:
                self._views.popitem(last=False)
        else:
            self._views.move_to_end(n)
        return view

    def _least_key_after(self, n: int) -> tuple[int, int, int]:
        """A lower bound of the valid-time keys that the records after the first `n` add or
        remove: below it, the views of knowledge `n` and of the latest hold the same events."""
        least = (1 << 62, 0, 0)
        for record in self._records[n:]:
            ev = record.event
            if isinstance(ev, Event):
                least = min(least, index_key(ev, record.position))
                continue
            positions = self._positions_by_id[ev.target]
            origin = positions[0]
            for position in positions:  # every version the target ever had
                version = self._records[position - 1].event
                if isinstance(version, Correction):
                    least = min(least, index_key(version.replacement, origin))
                elif isinstance(version, Event):
                    least = min(least, index_key(version, origin))
        return least

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
        problem = self._batch_problem([line.event for line in lines])
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
        """Check every stored record; see `verify_store`. Return the head hash."""
        return verify_store(self._store, head_hash=head_hash)

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
        self._sync()
        events = self._latest.sorted_events()
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


def _changes(projection: Projection[Any], before: Any, after: Any) -> Changes:
    differ = getattr(projection, "diff", None)
    if callable(differ):
        return Changes(differ(before, after))
    return Changes([] if before == after else [StateChanged(before, after)])
