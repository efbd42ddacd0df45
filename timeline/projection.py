"""Projections: pure folds over events, and the `Reducer` helper that dispatches on event type.

Any object with ``initial()`` and ``apply(state, event)`` is a projection. `apply` must not
change `state` in place: the log keeps checkpoints of earlier states and hands them out again.
A projection may also define ``diff(before, after)`` returning a list of changes with a readable
``str``; `Timeline.diff` uses it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import (
    Any,
    ClassVar,
    Generic,
    Literal,
    Protocol,
    TypeVar,
    cast,
    overload,
    runtime_checkable,
)

import attrs

from timeline import _html
from timeline.events import Event

__all__ = [
    "Change",
    "Changes",
    "EventChanged",
    "Happened",
    "HappenedProjection",
    "Projection",
    "Reducer",
    "SharedByType",
    "Snapshots",
    "StateChanged",
    "evolver",
    "fold",
    "on",
]

S = TypeVar("S")
T = TypeVar("T")
E = TypeVar("E", bound=Event)
F = TypeVar("F", bound=Callable[..., Any])


@runtime_checkable
class Projection(Protocol[S]):
    """A pure fold: the state before any event, and the state after one more event."""

    def initial(self) -> S:
        """The state before any event."""
        ...

    def apply(self, state: S, event: Event) -> S:
        """The state after `event`; never modifies `state`."""
        ...


@runtime_checkable
class Snapshots(Projection[S], Protocol[S]):
    """A projection whose checkpoints can be persisted beside the log (snapshots).

    `snapshot_name` names it stably across processes and releases; `snapshot_version` changes
    whenever `apply` or the state's shape changes, so that snapshots of an older version are
    never used. `dump_state` returns JSON data (dicts, lists, strings, numbers, booleans,
    None); `load_state` rebuilds an equal state from it. A `cattrs` converter does both for an
    attrs state (see ``docs/snapshots.md``).
    """

    snapshot_name: str
    snapshot_version: int

    def dump_state(self, state: S) -> Any:
        """The state as JSON data."""
        ...

    def load_state(self, data: Any) -> S:
        """The state `dump_state` returned the data of."""
        ...


@runtime_checkable
class Change(Protocol):
    """One difference between two states; ``str(change)`` is one readable line."""

    def __str__(self) -> str: ...


@attrs.frozen
class StateChanged:
    """The change `Timeline.diff` reports for a projection that has no ``diff`` of its own."""

    before: object
    after: object

    def __str__(self) -> str:
        return f"{self.before!r} → {self.after!r}"


class Changes(list[Change]):
    """The list `Timeline.diff` and `Timeline.revisions` return; renders as a table in Jupyter."""

    def __str__(self) -> str:
        return "\n".join(str(change) for change in self)

    def _repr_html_(self) -> str:
        return _html.table(["change"], [(str(change),) for change in self])


def fold(projection: Projection[S], events: Iterable[Event], state: S | None = None) -> S:
    """Apply `events` in order, from `state` or the projection's initial state."""
    current = projection.initial() if state is None else state
    apply = projection.apply
    for ev in events:
        current = apply(current, ev)
    return current


_UNSET: Any = object()


def evolver(cls: type[T]) -> Callable[..., T]:
    """A fast `attrs.evolve` for one attrs class, for a projection's hot path.

    ``attrs.evolve`` looks the fields up on every call; the function returned here is generated
    once from `cls`'s fields (as attrs generates ``__init__``), takes the same keyword
    arguments (the fields' init aliases) and raises `TypeError` for any other.

    >>> @attrs.frozen
    ... class Pair:
    ...     left: int
    ...     _right: int = 0
    >>> evolve = evolver(Pair)
    >>> evolve(Pair(1, 2), right=5)
    Pair(left=1, _right=5)
    """
    fields = [a for a in attrs.fields(cast("type[attrs.AttrsInstance]", cls)) if a.init]
    for a in fields:
        if not a.alias.isidentifier() or not a.name.isidentifier():  # pragma: no cover
            raise TypeError(f"{cls.__qualname__}.{a.name} is not an identifier")
    # the generated names start with "__": an init alias never does, so they cannot clash
    params = ", ".join(f"{a.alias}=__unset" for a in fields)
    args = ", ".join(
        f"{a.alias}=__state.{a.name} if {a.alias} is __unset else {a.alias}" for a in fields
    )
    source = (
        f"def evolve(__state, /, *, {params}):\n"
        "    if type(__state) is not __cls:\n"
        "        raise TypeError(f'this evolver makes {__cls.__qualname__}, "
        "not {type(__state).__qualname__}')\n"
        f"    return __cls({args})\n"
    )
    namespace: dict[str, Any] = {"__cls": cls, "__unset": _UNSET}
    exec(compile(source, f"<evolver {cls.__qualname__}>", "exec"), namespace)  # noqa: S102 - built from attrs fields
    made: Callable[..., T] = namespace["evolve"]
    made.__doc__ = f"`attrs.evolve` for {cls.__qualname__}."
    return made


def on(*types: type[Event]) -> Callable[[F], F]:
    """Mark a `Reducer` method as the handler of events of `types` (and their subclasses)."""
    if not types:
        raise TypeError("on() needs at least one event type")

    def mark(method: F) -> F:
        method.__timeline_handles__ = types  # type: ignore[attr-defined]
        return method

    return mark


_SLOTS: dict[type, tuple[str, ...]] = {}


def _slot_names(cls: type) -> tuple[str, ...]:
    """The instance slots `cls` and its bases declare (looked up once per class)."""
    known = _SLOTS.get(cls)
    if known is not None:
        return known
    names: list[str] = []
    for klass in cls.__mro__:
        slots = getattr(klass, "__slots__", ())
        names.extend(
            name
            for name in ([slots] if isinstance(slots, str) else slots)
            if name not in ("__dict__", "__weakref__")
        )
    _SLOTS[cls] = tuple(names)
    return _SLOTS[cls]


def _has_settings(obj: object) -> bool:
    """Whether `obj` carries instance attributes (in its ``__dict__`` or in slots). Called on
    every `state_at` (checkpoints are looked up by projection), so slots are listed once."""
    if getattr(obj, "__dict__", None):
        return True
    return any(hasattr(obj, name) for name in _slot_names(type(obj)))


class SharedByType:
    """Equality for projections: instances of one class without settings are equal, so a new
    instance finds the checkpoints an earlier one left; an instance with settings (attributes)
    is equal only to itself, so different settings never share checkpoints."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if type(other) is not type(self):
            return NotImplemented
        return not _has_settings(self) and not _has_settings(other)

    def __hash__(self) -> int:
        return object.__hash__(self) if _has_settings(self) else hash(type(self))


class Reducer(SharedByType, Generic[S]):
    """A projection whose `apply` calls the method marked `@on(EventType)`; others pass through.

    ::

        class Milestones(timeline.Reducer[tuple[str, ...]]):
            def initial(self) -> tuple[str, ...]:
                return ()

            @timeline.on(MilestoneReached)
            def reached(self, state: tuple[str, ...], event: MilestoneReached) -> tuple[str, ...]:
                return (*state, event.name)

    Two reducers of the same class without attributes are equal (and hash alike), so a new
    instance of your projection finds the checkpoints an earlier one left: no hand-written
    ``__eq__`` or ``__hash__`` is needed. A reducer with attributes (settings) is equal only to
    itself: reuse that instance to reuse its checkpoints, and do not change its settings once
    it has answered a query.
    """

    _handlers: ClassVar[dict[type, str | None]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        handlers: dict[type, str | None] = {}
        for klass in reversed(cls.__mro__):
            for name, member in vars(klass).items():
                for type_ in getattr(member, "__timeline_handles__", ()):
                    handlers[type_] = name
        cls._handlers = handlers

    def initial(self) -> S:
        raise NotImplementedError(f"{type(self).__name__} must define initial()")

    def apply(self, state: S, event: Event) -> S:
        handlers = self._handlers
        kind = type(event)
        try:
            name = handlers[kind]
        except KeyError:
            # first event of this class: resolve through its bases once, then remember
            name = next((handlers[k] for k in kind.__mro__[1:] if handlers.get(k)), None)
            handlers[kind] = name
        if name is None:
            return state
        result: S = getattr(self, name)(state, event)
        return result


_Cons = tuple[Event, "_Cons"] | None
_HTML_ROWS = 100


class Happened:
    """What had happened: the effective events folded so far, in valid-time order.

    The state of `HappenedProjection`, the projection a timeline uses when it is given none.
    Immutable; successive states share their structure, so folding stays linear. Iterate it,
    take its ``len``, index it, or pick the events of one type with `of_type`.
    """

    __slots__ = ("_as_of", "_cons", "_count", "_tuple")

    def __init__(self, cons: _Cons = None, count: int = 0) -> None:
        self._cons = cons
        self._count = count
        self._tuple: tuple[Event, ...] | None = None
        self._as_of: tuple[str, str] | None = None

    def with_as_of(self, at: str, known_at: str) -> Happened:
        """This state, labelled with the time it is for and the knowledge it reflects (shown in
        its HTML; never part of equality)."""
        labelled = Happened(self._cons, self._count)
        labelled._tuple = self._tuple
        labelled._as_of = (at, known_at)
        return labelled

    @property
    def as_of(self) -> tuple[str, str] | None:
        """(valid time, knowledge time) this state was asked for, when `state_at` made it."""
        return self._as_of

    @classmethod
    def of(cls, events: Iterable[Event]) -> Happened:
        """The state holding `events`, in the order given."""
        state = cls()
        for event in events:
            state = state.then(event)
        return state

    def __reduce__(self) -> tuple[Any, ...]:
        # as the flat tuple, not the linked list (which would recurse once per event)
        return (Happened.of, (self.events,))

    def then(self, event: Event) -> Happened:
        """This state with `event` after the others."""
        return Happened((event, self._cons), self._count + 1)

    @property
    def events(self) -> tuple[Event, ...]:
        """Every event, in valid-time order."""
        if self._tuple is None:
            items: list[Event] = []
            cons = self._cons
            while cons is not None:
                items.append(cons[0])
                cons = cons[1]
            self._tuple = tuple(reversed(items))
        return self._tuple

    def of_type(self, kind: type[E]) -> tuple[E, ...]:
        """The events that are instances of `kind`, in valid-time order."""
        return tuple(ev for ev in self.events if isinstance(ev, kind))

    @property
    def last(self) -> Event | None:
        """The latest event in valid-time order, or None."""
        return self._cons[0] if self._cons is not None else None

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Event: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Event, ...]: ...

    def __getitem__(self, index: int | slice) -> Event | tuple[Event, ...]:
        return self.events[index]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Happened):
            return NotImplemented
        return self is other or (self._count == other._count and self.events == other.events)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        last = self.last
        tail = f", last={last.event_type} {last.id!r} ({last.occurred})" if last else ""
        return f"<Happened {self._count} events{tail}>"

    def _repr_html_(self) -> str:
        shown = self.events[-_HTML_ROWS:]
        caption = f"{self._count} events" + (
            f" (the latest {len(shown)} shown)" if len(shown) < self._count else ""
        )
        if self._as_of is not None:
            caption = f"At {self._as_of[0]}, as known at {self._as_of[1]}: {caption}"
        return _html.events_table(shown, caption=caption)


@attrs.frozen
class EventChanged:
    """One event that appeared, disappeared or changed between two `Happened` states."""

    kind: Literal["added", "removed", "changed"]
    event: Event

    def __str__(self) -> str:
        return f"{self.kind}: {self.event.event_type} {self.event.id!r} ({self.event.occurred})"


class HappenedProjection(SharedByType):
    """The generic projection: the state is `Happened`, the events that had occurred.

    ``timeline.open()`` uses it when no projection is given; a domain such as
    `timeline.support` supplies its own.
    """

    def initial(self) -> Happened:
        """No event yet."""
        return Happened()

    def apply(self, state: Happened, event: Event) -> Happened:
        """`state` with `event` after the others."""
        return state.then(event)

    def diff(self, before: Happened, after: Happened) -> list[EventChanged]:
        """Events added, removed or changed (by id) from `before` to `after`."""
        old = {ev.id: ev for ev in before}
        new = {ev.id: ev for ev in after}
        changes = [EventChanged("removed", ev) for id_, ev in old.items() if id_ not in new]
        for id_, ev in new.items():
            if id_ not in old:
                changes.append(EventChanged("added", ev))
            elif old[id_] != ev:
                changes.append(EventChanged("changed", ev))
        return changes

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
