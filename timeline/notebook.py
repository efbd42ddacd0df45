"""Generic notebook helpers: the events table (pandas) and the events plot (matplotlib).

Extra ``timeline-asof[notebook]``. pandas and matplotlib are imported only when a helper is
called; without them the helper raises `ModuleNotFoundError` saying which extra to install.
Importing this module registers `events_frame` and the ``"events"`` plot with
`timeline.extensions`, which is how ``Timeline.to_pandas()`` and ``Timeline.plot()`` find them.
A domain adds columns (`timeline.extensions.register_columns`), plot kinds
(`timeline.extensions.register_plot`) and shading on the events plot (`register_overlay`).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from timeline import extensions
from timeline.events import Event
from timeline.values import Money

if TYPE_CHECKING:  # pragma: no cover
    from timeline.log import Timeline

__all__ = [
    "EXTRA_HINT",
    "Overlay",
    "events_frame",
    "finite_span",
    "plot_events",
    "register_overlay",
    "require",
]

EXTRA_HINT = "pip install 'timeline-asof[notebook]'"


class Overlay(Protocol):
    """Draws on the events plot after the events: `last` is the latest finite valid time shown."""

    def __call__(self, tl: Timeline[Any], ax: Any, known_at: Any, last: Any) -> None: ...


_overlays: list[Overlay] = []

_COLUMNS = (
    "id",
    "type",
    "occurred",
    "occurred_earliest",
    "occurred_latest",
    "precision",
    "amount",
    "currency",
    "approximate",
    "source_publisher",
    "source_published",
    "source_quote",
)


def require(module: str) -> Any:
    """Import `module` (``"pandas"``, ``"matplotlib.pyplot"``) or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            f"{module} is needed for this; install the notebook extra: {EXTRA_HINT}"
        ) from exc


def register_overlay(overlay: Overlay) -> None:
    """Have `plot_events` call ``overlay(tl, ax, known_at, last)`` after drawing the events."""
    if overlay not in _overlays:
        _overlays.append(overlay)


def _money(ev: Event) -> Money | None:
    for field in attrs.fields(type(ev)):
        value = getattr(ev, field.name)
        if isinstance(value, Money):
            return value
    return None


def events_frame(events: Iterable[Event]) -> Any:
    """One row per event: id, type, occurred (text, earliest, latest), precision, the first
    amount (float; exact amounts are on the events) with its currency, the source, and the
    columns domains register (the support domain adds ``actors``)."""
    pd = require("pandas")
    extra = extensions.columns()
    rows = []
    for ev in events:
        money = _money(ev)
        source = ev.source
        row: dict[str, object] = {
            "id": ev.id,
            "type": ev.event_type,
            "occurred": str(ev.occurred),
            "occurred_earliest": ev.occurred.earliest,
            "occurred_latest": min(ev.occurred.latest, _far()),
            "precision": ev.occurred.precision.value,
            "amount": float(money.amount) if money else None,
            "currency": money.currency if money else None,
            "approximate": money.approximate if money else None,
            "source_publisher": source.publisher if source else None,
            "source_published": str(source.published) if source and source.published else None,
            "source_quote": (source.quote or source.title) if source else None,
        }
        for _, columns in extra:
            row.update(columns(ev))
        rows.append(row)
    names = list(_COLUMNS)
    for more, _ in extra:
        names.extend(k for k in more if k not in names)
    frame = pd.DataFrame(rows, columns=names)
    for column in ("occurred_earliest", "occurred_latest"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def _far() -> Any:
    """Open ends are shown at 2100-01-01 (pandas timestamps stop in 2262)."""
    import pendulum

    return pendulum.datetime(2100, 1, 1)


def finite_span(events: Sequence[Event]) -> tuple[Any, Any]:
    """The earliest and latest bounds that are not open ends (year 1 and year 9999)."""
    starts = [e.occurred.earliest for e in events if e.occurred.earliest.year > 1]
    ends = [e.occurred.latest for e in events if e.occurred.latest.year < 9999]
    lo = min(starts + ends, default=_far())
    hi = max(starts + ends, default=_far())
    return lo, hi


def plot_events(tl: Timeline[Any], *, ax: Any = None, known_at: Any = None) -> Any:
    """Events on a time axis, one row per event type, uncertain dates drawn as their span;
    then the registered overlays (the support domain shades pauses of aid). Returns the Axes."""
    plt = require("matplotlib.pyplot")
    events = tl.events(known_at=known_at)
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 4))
    kinds = sorted({e.event_type for e in events})
    lo, hi = finite_span(events)
    for row, kind in enumerate(kinds):
        these = [e for e in events if e.event_type == kind]
        starts = [min(max(e.occurred.earliest, lo), hi) for e in these]
        ax.scatter(starts, [row] * len(these), label=kind, zorder=3)
        for e, start in zip(these, starts, strict=True):
            end = min(max(e.occurred.latest, lo), hi)
            if end > start:  # an uncertain date: draw its span (open ends cut at the data's)
                ax.plot([start, end], [row, row], linewidth=3, alpha=0.4, color="grey")
    ax.set_yticks(range(len(kinds)), kinds)
    if events:
        for overlay in _overlays:
            overlay(tl, ax, known_at, hi)
    ax.set_xlabel("occurred (valid time)")
    ax.set_title("Events by kind" + (f" (known at {known_at})" if known_at else ""))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    ax.figure.autofmt_xdate()
    return ax


extensions.register_frame(events_frame)
extensions.register_plot("events", plot_events)
