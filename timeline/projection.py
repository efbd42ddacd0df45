"""Projections: pure folds over events, and the `Reducer` helper that dispatches on event type.

Any object with ``initial()`` and ``apply(state, event)`` is a projection. `apply` must not
change `state` in place: the log keeps checkpoints of earlier states and hands them out again.
A projection may also define ``diff(before, after)`` returning a list of changes with a readable
``str``; `Timeline.diff` uses it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Generic, Protocol, TypeVar, runtime_checkable

import attrs

from timeline.events import Event

__all__ = ["Change", "Changes", "Projection", "Reducer", "StateChanged", "fold", "on"]

S = TypeVar("S")
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
        from timeline.notebook import changes_html

        return changes_html(self)


def fold(projection: Projection[S], events: Iterable[Event], state: S | None = None) -> S:
    """Apply `events` in order, from `state` or the projection's initial state."""
    current = projection.initial() if state is None else state
    apply = projection.apply
    for ev in events:
        current = apply(current, ev)
    return current


def on(*types: type[Event]) -> Callable[[F], F]:
    """Mark a `Reducer` method as the handler of events of `types` (and their subclasses)."""
    if not types:
        raise TypeError("on() needs at least one event type")

    def mark(method: F) -> F:
        method.__timeline_handles__ = types  # type: ignore[attr-defined]
        return method

    return mark


class Reducer(Generic[S]):
    """A projection whose `apply` calls the method marked `@on(EventType)`; others pass through.

    ::

        class Milestones(timeline.Reducer[tuple[str, ...]]):
            def initial(self) -> tuple[str, ...]:
                return ()

            @timeline.on(MilestoneReached)
            def reached(self, state: tuple[str, ...], event: MilestoneReached) -> tuple[str, ...]:
                return (*state, event.name)
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
