"""Notebook helpers: pandas tables, matplotlib plots and HTML views (extra ``timeline[notebook]``).

pandas and matplotlib are imported only when a helper is called; without them the helper
raises `ModuleNotFoundError` saying which extra to install.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from timeline.events import Event
from timeline.values import Money

if TYPE_CHECKING:  # pragma: no cover
    from timeline.log import Timeline
    from timeline.support.state import SupportState

__all__ = [
    "changes_html",
    "events_frame",
    "plot_commitments",
    "plot_events",
    "state_frame",
    "state_html",
    "timeline_html",
]

_ACTOR_FIELDS = (
    "provider",
    "recipient",
    "lender",
    "borrower",
    "buyer",
    "beneficiary",
    "host",
    "actor",
    "leads",
    "actors",
    "participants",
)


def _require(module: str) -> Any:
    try:
        return __import__(module, fromlist=["_"])
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            f"{module} is needed for this; install the notebook extra: "
            "pip install 'timeline[notebook]'"
        ) from exc


def _actors(ev: Event) -> str:
    found: list[str] = []
    for name in _ACTOR_FIELDS:
        value = getattr(ev, name, None)
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, tuple):
            found.extend(v for v in value if isinstance(v, str))
    return ", ".join(dict.fromkeys(found))


def _money(ev: Event) -> Money | None:
    amount = getattr(ev, "amount", None)
    return amount if isinstance(amount, Money) else None


def events_frame(events: Iterable[Event]) -> Any:
    """One row per event: id, type, occurred (text, earliest, latest), precision, actors,
    amount (float; exact amounts are on the events), currency, approximate, source."""
    pd = _require("pandas")
    rows = []
    for ev in events:
        money = _money(ev)
        source = ev.source
        rows.append(
            {
                "id": ev.id,
                "type": ev.event_type,
                "occurred": str(ev.occurred),
                "occurred_earliest": ev.occurred.earliest,
                "occurred_latest": min(ev.occurred.latest, _far()),
                "precision": ev.occurred.precision.value,
                "actors": _actors(ev),
                "amount": float(money.amount) if money else None,
                "currency": money.currency if money else None,
                "approximate": money.approximate if money else None,
                "source": (source.quote or source.title) if source else None,
            }
        )
    columns = [
        "id",
        "type",
        "occurred",
        "occurred_earliest",
        "occurred_latest",
        "precision",
        "actors",
        "amount",
        "currency",
        "approximate",
        "source",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("occurred_earliest", "occurred_latest"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def _far() -> Any:
    """Open ends are shown at 2100-01-01 (pandas timestamps stop in 2262)."""
    import pendulum

    return pendulum.datetime(2100, 1, 1)


def _finite_span(events: Sequence[Event]) -> tuple[Any, Any]:
    """The earliest and latest bounds that are not open ends (year 1 and year 9999)."""
    starts = [e.occurred.earliest for e in events if e.occurred.earliest.year > 1]
    ends = [e.occurred.latest for e in events if e.occurred.latest.year < 9999]
    lo = min(starts + ends, default=_far())
    hi = max(starts + ends, default=_far())
    return lo, hi


def state_frame(state: SupportState) -> Any:
    """The commitments of a `SupportState`, one row each."""
    pd = _require("pandas")
    rows = [
        {
            "id": c.id,
            "provider": c.provider,
            "recipient": c.recipient,
            "kind": c.kind,
            "amount": float(c.amount.amount),
            "currency": c.amount.currency,
            "approximate": c.amount.approximate,
            "stage": c.stage.value if c.stage else None,
            "occurred": str(c.occurred),
            "disbursed": float(sum((m.amount for m in c.disbursed), Decimal(0))),
            "description": c.description,
        }
        for c in state.commitments
    ]
    columns = [
        "id",
        "provider",
        "recipient",
        "kind",
        "amount",
        "currency",
        "approximate",
        "stage",
        "occurred",
        "disbursed",
        "description",
    ]
    return pd.DataFrame(rows, columns=columns)


def plot_events(tl: Timeline[Any], *, ax: Any = None, known_at: Any = None) -> Any:
    """Events on a time axis, one row per event type; pauses of aid shaded. Returns the Axes."""
    plt = _require("matplotlib.pyplot")
    from timeline.support.state import SupportState

    events = tl.events(known_at=known_at)
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 4))
    kinds = sorted({e.event_type for e in events})
    lo, hi = _finite_span(events)
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
        last = hi
        state = tl.state_at(last, known_at=known_at)
        if isinstance(state, SupportState):
            for pause in state.pauses():
                end = pause.end.latest if pause.end else last
                ax.axvspan(
                    pause.start.earliest,
                    end,
                    alpha=0.15,
                    color="tab:red",
                    label=f"{pause.provider} {pause.channel.value} aid paused",
                )
    ax.set_xlabel("occurred (valid time)")
    ax.set_title("Events by kind" + (f" (known at {known_at})" if known_at else ""))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    ax.figure.autofmt_xdate()
    return ax


def plot_commitments(tl: Timeline[Any], *, ax: Any = None, known_at: Any = None) -> Any:
    """Cumulative commitments per provider over valid time, a step line per (provider, currency)."""
    plt = _require("matplotlib.pyplot")
    from timeline.support.state import SupportState

    events = tl.events(known_at=known_at)
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 4))
    lo, hi = _finite_span(events)
    moments = sorted({min(max(e.occurred.earliest, lo), hi) for e in events})
    series: dict[tuple[str, str], list[float]] = {}
    for index, moment in enumerate(moments):
        state = tl.state_at(moment, known_at=known_at)
        if not isinstance(state, SupportState):
            break
        for c in state.commitments:
            series.setdefault((c.provider, c.amount.currency), [0.0] * len(moments))
        for key, values in series.items():
            values[index] = float(state.totals(provider=key[0]).get(key[1], Decimal(0)))
    for (provider, currency), values in sorted(series.items()):
        ax.step(moments, values, where="post", label=f"{provider} ({currency})")
    ax.set_yscale("symlog")
    ax.set_xlabel("occurred (valid time)")
    ax.set_ylabel("cumulative commitments (own currency)")
    ax.set_title("Commitments per provider")
    if series:
        ax.legend(loc="upper left", fontsize="small")
    ax.figure.autofmt_xdate()
    return ax


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def timeline_html(tl: Timeline[Any]) -> str:
    """The effective events of a timeline as an HTML table."""
    events = tl.events()
    rows = [(e.occurred, e.event_type, e.id, _actors(e), _money(e) or "") for e in events]
    return f"<p>{html.escape(repr(tl))}</p>" + _table(
        ["occurred", "type", "id", "actors", "amount"], rows
    )


def state_html(state: SupportState) -> str:
    """A `SupportState` as HTML tables: aid, commitments, positions."""
    aid = _table(
        ["provider", "channel", "status", "since"],
        [(s.provider, s.channel.value, s.status, s.since) for s in state.aid_statuses],
    )
    money = _table(
        ["provider", "kind", "amount", "stage", "occurred"],
        [
            (c.provider, c.kind, c.amount, c.stage.value if c.stage else "", c.occurred)
            for c in state.commitments
        ],
    )
    positions = _table(
        ["actor", "subject", "stance", "speaker", "quote"],
        [
            (p.actor, p.subject, p.stance.value, p.speaker.name, p.quote or "")
            for subjects in state.positions.values()
            for p in subjects.values()
        ],
    )
    return f"<h4>Aid</h4>{aid}<h4>Commitments</h4>{money}<h4>Positions</h4>{positions}"


def changes_html(changes: Iterable[object]) -> str:
    """A list of changes as an HTML table of their one-line descriptions."""
    return _table(["change"], [(str(c),) for c in changes])
