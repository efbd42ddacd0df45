"""How layers above the core plug in, without the core importing them.

The core (`Timeline`) offers ``to_pandas()`` and ``plot(kind)``, but tables and plots belong to
the notebook layer and to each domain. They register here, and the core finds them by
registration, never by import: on first use it imports the modules named in the
``timeline.extensions`` entry-point group (this distribution names `timeline.notebook`; another
package can add its own), which register their frame columns and plot kinds as they load. This
is how pandas finds its plotting backends. A domain registers its own when it is imported (the
support domain does), so using a notebook helper never imports a domain, nor registers its
event types.

A domain adds a plot kind like this::

    from timeline import extensions

    def plot_milestones(tl, *, ax=None, known_at=None): ...

    extensions.register_plot("milestones", plot_milestones)
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib.metadata import entry_points
from typing import Any, Final, Protocol

from timeline.errors import TimelineError
from timeline.events import Event

__all__ = [
    "GROUP",
    "Frame",
    "Plot",
    "columns",
    "frame_builder",
    "load",
    "plot_kinds",
    "register_columns",
    "register_frame",
    "register_plot",
]

GROUP: Final = "timeline.extensions"


class Plot(Protocol):
    """A plot kind: draws `tl` (a `Timeline`, as known at `known_at`) on `ax` (a new figure if
    None) and returns the Axes."""

    def __call__(self, tl: Any, *, ax: Any = None, known_at: Any = None) -> Any: ...


class Frame(Protocol):
    """Builds the events table: one row per event."""

    def __call__(self, events: Iterable[Event]) -> Any: ...


_plots: dict[str, Plot] = {}
_columns: list[tuple[tuple[str, ...], Callable[[Event], Mapping[str, object]]]] = []
_frame: list[Frame] = []
_loaded: list[bool] = []


def register_plot(kind: str, plot: Plot) -> None:
    """Make ``Timeline.plot(kind)`` call `plot`. A later registration of a kind replaces it."""
    if not isinstance(kind, str) or not kind:
        raise TypeError(f"a plot kind is a non-empty string, not {kind!r}")
    _plots[kind] = plot


def register_columns(
    columns: Callable[[Event], Mapping[str, object]], *, names: Sequence[str]
) -> None:
    """Add the columns `names` to ``Timeline.to_pandas()``: `columns(event)` returns name → value
    for one row (an empty mapping for events it does not describe). The columns are there even
    when the table has no rows."""
    entry = (tuple(names), columns)
    if entry not in _columns:
        _columns.append(entry)


def register_frame(frame: Frame) -> None:
    """Set the function that builds ``Timeline.to_pandas()`` (the notebook layer does)."""
    _frame[:] = [frame]


def load() -> None:
    """Import every module of the ``timeline.extensions`` entry-point group, once. A module that
    fails to import is reported with a `RuntimeWarning` naming it; the others still load."""
    if _loaded:
        return
    _loaded.append(True)
    for entry in entry_points(group=GROUP):
        module = entry.value.partition(":")[0]
        try:
            importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - one broken extension must not hide the others
            warnings.warn(
                f"timeline extension {entry.name!r} ({module}) failed to import: {exc!r}",
                RuntimeWarning,
                stacklevel=2,
            )


def plot_kinds() -> dict[str, Plot]:
    """The registered plot kinds, by name."""
    load()
    return dict(_plots)


def columns() -> tuple[tuple[tuple[str, ...], Callable[[Event], Mapping[str, object]]], ...]:
    """The registered (column names, column function) pairs, in registration order."""
    load()
    return tuple(_columns)


def frame_builder() -> Frame:
    """The registered events-table builder; `TimelineError` if the notebook layer is missing."""
    load()
    if not _frame:
        raise TimelineError(
            "no notebook layer is registered: install the package (pip install "
            "'timeline-asof[notebook]') so its timeline.extensions entry points are present"
        )
    return _frame[0]
