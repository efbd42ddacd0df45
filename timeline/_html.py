"""Plain HTML for the core's notebook reprs: escaped tables, no pandas, no stylesheet needed.

Every text from the data is escaped; the tables carry their own minimal inline style so they
stay readable outside Jupyter's stylesheet.
"""

from __future__ import annotations

import enum
import html
from collections.abc import Iterable, Sequence
from typing import cast

import attrs

from timeline.events import Event
from timeline.values import Money, Source

__all__ = ["details", "events_table", "source_cell", "table", "unstyled"]

_STYLE = "border-collapse:collapse;text-align:left"
_CELL = "border-bottom:1px solid #ccc;padding:2px 8px;vertical-align:top"
_SKIP = frozenset({"id", "occurred", "source"})
CELL_CHARS = 400
"""Longer texts are cut (with "…") in table cells; the event itself keeps every character."""


def _cut(text: str) -> str:
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


def table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], *, caption: str | None = None
) -> str:
    """An HTML table of `rows` under `headers`; every cell is escaped (a cell that is already
    HTML is passed as `Markup`)."""
    head = "".join(f'<th style="{_CELL}">{html.escape(h)}</th>' for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_CELL}">{_cell(c)}</td>' for c in row) + "</tr>"
        for row in rows
    )
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (
        f'<table style="{_STYLE}">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )


def unstyled(text: str) -> str:
    """`text` without the inline styles `table` adds (for a page with its own stylesheet)."""
    return text.replace(f' style="{_CELL}"', "").replace(f' style="{_STYLE}"', "")


class Markup(str):
    """Text that is already safe HTML (built here from escaped parts)."""

    __slots__ = ()


def _cell(value: object) -> str:
    return value if isinstance(value, Markup) else html.escape(_cut(str(value)))


def _text(value: object) -> str:
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, tuple):
        return ", ".join(_text(v) for v in value)
    if attrs.has(type(value)) and not isinstance(value, Money):
        return "; ".join(
            f"{a.name}={_text(getattr(value, a.name))}"
            for a in attrs.fields(cast("type[attrs.AttrsInstance]", type(value)))
            if getattr(value, a.name) not in (None, ())
        )
    return str(value)


def details(event: Event) -> str:
    """The event's own fields (all but id, occurred and source) as ``name=value`` text."""
    return "; ".join(
        f"{a.name}={_text(getattr(event, a.name))}"
        for a in attrs.fields(type(event))
        if a.name not in _SKIP and getattr(event, a.name) not in (None, ())
    )


def source_cell(source: Source | None) -> Markup:
    """Publisher and date, with the quoted sentence shown on hover (and in the title)."""
    if source is None:
        return Markup("")
    label = ", ".join(
        str(part) for part in (source.publisher or source.title, source.published) if part
    )
    quote = _cut(source.quote or source.title or "")
    return Markup(
        f'<span title="{html.escape(quote)}">{html.escape(_cut(label) or "source")}</span>'
        + (f"<br><q>{html.escape(quote)}</q>" if source.quote else "")
    )


def events_table(events: Iterable[Event], *, caption: str | None = None) -> str:
    """Events as an HTML table: occurred, type, id, details, source."""
    rows = [
        (ev.occurred, ev.event_type, ev.id, details(ev), source_cell(ev.source)) for ev in events
    ]
    return table(["occurred", "type", "id", "details", "source"], rows, caption=caption)
