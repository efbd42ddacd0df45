"""Plain-text tables of a `SupportState`, for the command line and for print()."""

from __future__ import annotations

from collections.abc import Sequence

from timeline.support.state import SupportState

__all__ = ["format_state", "table"]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], indent: str = "  ") -> str:
    """Left-aligned columns separated by two spaces; an empty table says so."""
    if not rows:
        return f"{indent}(none)"
    cells = [[str(h) for h in headers], *[[("" if c is None else str(c)) for c in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(indent + line for line in lines)


def format_state(state: SupportState, title: str = "State of support") -> str:
    """A readable multi-section text report of `state`."""
    parts = [title, "", "Aid"]
    parts.append(
        table(
            ["provider", "recipient", "channel", "status", "since"],
            [
                (s.provider, s.recipient, s.channel.value, s.status, s.since)
                for s in state.aid_statuses
            ],
        )
    )
    parts += ["", "Commitments"]
    parts.append(
        table(
            ["provider", "kind", "amount", "stage", "occurred", "what"],
            [
                (
                    c.provider,
                    c.kind,
                    c.amount,
                    c.stage.value if c.stage else "",
                    c.occurred,
                    c.description,
                )
                for c in state.commitments
            ],
        )
    )
    amounts = state.amounts()
    parts.append(
        "  support totals (spending plans are context, not counted; ~ approximate): "
        + ("; ".join(str(m) for _, m in sorted(amounts.items())) or "none")
    )
    parts += ["", "Coalitions"]
    parts.append(
        table(
            ["name", "leads", "participants", "launched"],
            [
                (c.name, ", ".join(c.leads), ", ".join(c.participants), c.launched)
                for c in state.coalitions.values()
            ],
        )
    )
    parts += ["", "Talks"]
    parts.append(
        table(
            ["occurred", "host", "participants", "topic"],
            [
                (
                    t.occurred,
                    t.host,
                    ("~" if t.count_approximate else "")
                    + (str(t.participant_count) if t.participant_count is not None else "?"),
                    t.topic,
                )
                for t in state.talks
            ],
        )
    )
    parts += ["", "Positions"]
    parts.append(
        table(
            ["actor", "subject", "stance", "speaker", "occurred", "quote"],
            [
                (
                    p.actor,
                    p.subject,
                    p.stance.value,
                    p.speaker.name,
                    p.occurred,
                    f"{p.quote} (paraphrase)" if p.quote and p.paraphrase else p.quote or "",
                )
                for subjects in state.positions.values()
                for p in subjects.values()
            ],
        )
    )
    return "\n".join(parts)
