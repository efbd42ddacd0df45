"""The support domain's tables, HTML and plots, registered with the generic notebook layer.

Importing the support domain imports this module, which adds an ``actors`` column to
``Timeline.to_pandas()``, shades pauses of aid on the events plot, and registers the
``"commitments"`` plot kind. It needs no pandas until a table or plot is asked for.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
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


def state_frame(state: SupportState) -> Any:
    """The commitments of a `SupportState`, one row each."""
    pd = require("pandas")
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


def pipeline_frame(state: SupportState) -> Any:
    """`SupportState.pipeline` as a DataFrame: provider, currency, one column per stage
    (floats; the exact amounts are on the state), and whether any part is approximate."""
    pd = require("pandas")
    rows = [
        {
            "provider": row.provider,
            "currency": row.currency,
            "announced": float(row.announced.amount),
            "agreed": float(row.agreed.amount),
            "disbursed": float(row.disbursed.amount),
            "delivered": float(row.delivered.amount),
            "approximate": any(
                m.approximate for m in (row.announced, row.agreed, row.disbursed, row.delivered)
            ),
        }
        for row in state.pipeline()
    ]
    columns = [
        "provider",
        "currency",
        "announced",
        "agreed",
        "disbursed",
        "delivered",
        "approximate",
    ]
    return pd.DataFrame(rows, columns=columns)


def lead_times_frame(state: SupportState) -> Any:
    """`SupportState.lead_times` as a DataFrame, with the range in days."""
    pd = require("pandas")
    rows = [
        {
            "provider": lead.provider,
            "commitment": lead.commitment,
            "from": lead.start_stage.value,
            "to": lead.end_stage.value,
            "from_date": str(lead.start),
            "to_date": str(lead.end),
            "shortest_days": lead.shortest.total_seconds() / 86400,
            "longest_days": lead.longest.total_seconds() / 86400,
        }
        for lead in state.lead_times()
    ]
    columns = [
        "provider",
        "commitment",
        "from",
        "to",
        "from_date",
        "to_date",
        "shortest_days",
        "longest_days",
    ]
    return pd.DataFrame(rows, columns=columns)


def conversion_frame(conversion: Any) -> Any:
    """A `Conversion` (``state.convert("EUR")``) as a DataFrame: each amount, what it became,
    and the rate and day used."""
    pd = require("pandas")
    rows = [
        {
            "id": commitment.id,
            "provider": commitment.provider,
            "amount": float(converted.original.amount),
            "currency": converted.original.currency,
            "date": converted.on,
            "converted": float(converted.amount.amount),
            "to": converted.amount.currency,
            "rates": "; ".join(f"{c} {rate} on {day}" for c, day, rate in converted.rates),
            "approximate": converted.amount.approximate,
        }
        for commitment, converted in conversion.items
    ]
    columns = [
        "id",
        "provider",
        "amount",
        "currency",
        "date",
        "converted",
        "to",
        "rates",
        "approximate",
    ]
    return pd.DataFrame(rows, columns=columns)


def plot_pipeline(tl: Timeline[Any], *, ax: Any = None, known_at: Any = None) -> Any:
    """Pledged (agreed or further) against disbursed, over valid time, per provider and
    currency, as known at `known_at`: two step lines each. Returns the Axes."""
    from timeline.support.state import Stage, SupportProjection

    plt = require("matplotlib.pyplot")
    projection = SupportProjection()
    events = tl.events(known_at=known_at)
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 4))
    lo, hi = finite_span(events)
    moments = sorted({min(max(e.occurred.earliest, lo), hi) for e in events})
    lines: dict[tuple[str, str, str], list[float]] = {}
    for index, moment in enumerate(moments):
        state = tl.state_at(moment, known_at=known_at, projection=projection)
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
    from timeline.support.state import SupportProjection

    plt = require("matplotlib.pyplot")
    projection = SupportProjection()
    events = tl.events(known_at=known_at)
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 4))
    lo, hi = finite_span(events)
    moments = sorted({min(max(e.occurred.earliest, lo), hi) for e in events})
    series: dict[tuple[str, str], list[float]] = {}
    for index, moment in enumerate(moments):
        state = tl.state_at(moment, known_at=known_at, projection=projection)
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
