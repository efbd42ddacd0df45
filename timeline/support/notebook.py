"""The support domain's tables, HTML and plots, registered with the generic notebook layer.

Importing the support domain imports this module, which adds an ``actors`` column to
``Timeline.to_pandas()``, shades pauses of aid on the events plot, and registers the
``"commitments"`` plot kind. It needs no pandas until a table or plot is asked for.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from timeline import _html, extensions
from timeline.events import Event
from timeline.notebook import finite_span, register_overlay, require

if TYPE_CHECKING:  # pragma: no cover
    from timeline.log import Timeline
    from timeline.support.state import SupportState

__all__ = [
    "actors",
    "conversion_frame",
    "lead_times_frame",
    "pipeline_frame",
    "plot_commitments",
    "plot_pipeline",
    "shade_pauses",
    "state_frame",
    "state_html",
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


def actors(ev: Event) -> str:
    """The actor codes an event of the support catalogue names, in field order, once each."""
    found: list[str] = []
    for name in _ACTOR_FIELDS:
        value = getattr(ev, name, None)
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, tuple):
            found.extend(v for v in value if isinstance(v, str))
    return ", ".join(dict.fromkeys(found))


def _actor_column(ev: Event) -> Mapping[str, object]:
    return {"actors": actors(ev)}


def _quote(position: Any) -> str:
    if not position.quote:
        return ""
    return f"{position.quote} (paraphrase)" if position.paraphrase else position.quote


def _frame(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> Any:
    """A DataFrame of `rows` (tuples in the order of `columns`); empty ones keep the columns."""
    pd = require("pandas")
    return pd.DataFrame([dict(zip(columns, row, strict=True)) for row in rows], columns=columns)


def state_frame(state: SupportState) -> Any:
    """The commitments of a `SupportState`, one row each."""
    columns = (
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
    )
    return _frame(
        columns,
        (
            (
                c.id,
                c.provider,
                c.recipient,
                c.kind,
                float(c.amount.amount),
                c.amount.currency,
                c.amount.approximate,
                c.stage.value if c.stage else None,
                str(c.occurred),
                float(sum((m.amount for m in c.disbursed), Decimal(0))),
                c.description,
            )
            for c in state.commitments
        ),
    )


def pipeline_frame(state: SupportState) -> Any:
    """`SupportState.pipeline` as a DataFrame: provider, currency, one column per stage
    (floats; the exact amounts are on the state), and whether any part is approximate."""
    columns = (
        "provider",
        "currency",
        "announced",
        "agreed",
        "disbursed",
        "delivered",
        "approximate",
    )
    rows = []
    for row in state.pipeline():
        stages = (row.announced, row.agreed, row.disbursed, row.delivered)
        rows.append(
            (
                row.provider,
                row.currency,
                *(float(m.amount) for m in stages),
                any(m.approximate for m in stages),
            )
        )
    return _frame(columns, rows)


def lead_times_frame(state: SupportState) -> Any:
    """`SupportState.lead_times` as a DataFrame, with the range in days."""
    columns = (
        "provider",
        "commitment",
        "from",
        "to",
        "from_date",
        "to_date",
        "shortest_days",
        "longest_days",
    )
    return _frame(
        columns,
        (
            (
                lead.provider,
                lead.commitment,
                lead.start_stage.value,
                lead.end_stage.value,
                str(lead.start),
                str(lead.end),
                lead.shortest.total_seconds() / 86400,
                lead.longest.total_seconds() / 86400,
            )
            for lead in state.lead_times()
        ),
    )


def conversion_frame(conversion: Any) -> Any:
    """A `Conversion` (``state.convert("EUR")``) as a DataFrame: each amount, what it became,
    and the rate and day used."""
    columns = (
        "id",
        "provider",
        "amount",
        "currency",
        "date",
        "converted",
        "to",
        "rates",
        "approximate",
    )
    return _frame(
        columns,
        (
            (
                commitment.id,
                commitment.provider,
                float(converted.original.amount),
                converted.original.currency,
                converted.on,
                float(converted.amount.amount),
                converted.amount.currency,
                "; ".join(f"{c} {rate} on {day}" for c, day, rate in converted.rates),
                converted.amount.approximate,
            )
            for commitment, converted in conversion.items
        ),
    )


def _states_over_time(
    tl: Timeline[Any], ax: Any, known_at: Any
) -> tuple[Any, list[Any], list[SupportState]]:
    """The Axes (a new figure if None), each event's date, and the support state then."""
    from timeline.support.state import SupportProjection

    plt = require("matplotlib.pyplot")
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 4))
    events = tl.events(known_at=known_at)
    lo, hi = finite_span(events)
    moments = sorted({min(max(e.occurred.earliest, lo), hi) for e in events})
    projection = SupportProjection()
    states = [tl.state_at(m, known_at=known_at, projection=projection) for m in moments]
    return ax, moments, states


def plot_pipeline(tl: Timeline[Any], *, ax: Any = None, known_at: Any = None) -> Any:
    """Pledged (agreed or further) against disbursed, over valid time, per provider and
    currency, as known at `known_at`: two step lines each. Returns the Axes."""
    from timeline.support.state import Stage

    ax, moments, states = _states_over_time(tl, ax, known_at)
    lines: dict[tuple[str, str, str], list[float]] = {}
    for index, state in enumerate(states):
        for stage, label in ((Stage.AGREED, "pledged"), (Stage.DISBURSED, "disbursed")):
            for provider in {c.provider for c in state.commitments if c.kind != "spending"}:
                for currency, money in state.amounts(provider, stage=stage).items():
                    key = (provider, currency, label)
                    lines.setdefault(key, [0.0] * len(moments))[index] = float(money.amount)
    for (provider, currency, label), values in sorted(lines.items()):
        style = "-" if label == "pledged" else "--"
        ax.step(
            moments, values, where="post", linestyle=style, label=f"{provider} {label} ({currency})"
        )
    ax.set_xlabel("occurred (valid time)")
    ax.set_ylabel("cumulative amount (own currency)")
    ax.set_title("Pledged and disbursed" + (f" (known at {known_at})" if known_at else ""))
    if lines:
        ax.legend(loc="upper left", fontsize="small")
    ax.figure.autofmt_xdate()
    return ax


def state_html(state: SupportState) -> str:
    """A `SupportState` as HTML tables: aid, commitments, positions (no pandas needed)."""
    aid = _html.table(
        ["provider", "channel", "status", "since"],
        [(s.provider, s.channel.value, s.status, s.since) for s in state.aid_statuses],
    )
    money = _html.table(
        ["provider", "kind", "amount", "stage", "occurred"],
        [
            (c.provider, c.kind, c.amount, c.stage.value if c.stage else "", c.occurred)
            for c in state.commitments
        ],
    )
    positions = _html.table(
        ["actor", "subject", "stance", "speaker", "quote"],
        [
            (p.actor, p.subject, p.stance.value, p.speaker.name, _quote(p))
            for subjects in state.positions.values()
            for p in subjects.values()
        ],
    )
    heading = (
        f"<p><strong>State at {html.escape(state.as_of[0])}, as known at "
        f"{html.escape(state.as_of[1])}</strong></p>"
        if state.as_of
        else ""
    )
    return f"{heading}<h4>Aid</h4>{aid}<h4>Commitments</h4>{money}<h4>Positions</h4>{positions}"


def shade_pauses(tl: Timeline[Any], ax: Any, known_at: Any, last: Any) -> None:
    """Shade each pause of aid the log knows of (an overlay of the events plot)."""
    from timeline.support.state import SupportProjection

    state = tl.state_at(last, known_at=known_at, projection=SupportProjection())
    for pause in state.pauses():
        end = pause.end.latest if pause.end else last
        ax.axvspan(
            pause.start.earliest,
            end,
            alpha=0.15,
            color="tab:red",
            label=f"{pause.provider} {pause.channel.value} aid paused",
        )


def plot_commitments(tl: Timeline[Any], *, ax: Any = None, known_at: Any = None) -> Any:
    """Cumulative commitments per provider over valid time, a step line per (provider, currency)."""
    ax, moments, states = _states_over_time(tl, ax, known_at)
    series: dict[tuple[str, str], list[float]] = {}
    for index, state in enumerate(states):
        for c in state.commitments:
            if c.kind != "spending":  # context, not support (see SupportState.totals)
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


extensions.register_columns(_actor_column, names=["actors"])
extensions.register_plot("commitments", plot_commitments)
extensions.register_plot("pipeline", plot_pipeline)
register_overlay(shade_pauses)
