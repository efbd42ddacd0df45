"""Publishing a timeline: one self-contained HTML page with a "known at" slider, and TimelineJS.

`to_html` writes a page that needs nothing but a browser: data, script and style are inline and
it makes no network request, so it works offline and when mailed. It shows the events on a
valid-time axis (uncertain dates as their span, open ends marked), a slider over the instants
the log learned something (moving it replays what the log knew then: events appear when
recorded, a correction changes its event, a retraction strikes it out), each event's record
history, source and quote, and the projection's state at a chosen date as known at the slider's
time. Those states are computed here, by the Python projection, never in JavaScript: the page
carries one rendered state per (knowledge instant, date) pair, identical ones stored once.

Nothing from the data runs as code: texts are set with ``textContent``; the data is JSON inside
a ``<script type="application/json">`` element with ``<``, ``>`` and ``&`` written as ``\\u``
escapes, so it cannot close its element; the state tables are HTML built by `timeline._html`
(every text escaped) inside ``<template>`` elements, cloned, never parsed from strings.

For large logs (Kiel: thousands of events) the states are computed at month ends instead of at
every event date once there are more than `max_state_dates` dates, and the page lists events
in a table that the browser renders lazily (``content-visibility``).
"""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import hashlib
import html
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Final

import attrs

from timeline import _html
from timeline.errors import StoreError
from timeline.events import Correction, Event, Retraction
from timeline.values import Money
from timeline.when import Precision, When

__all__ = ["MAX_STATE_DATES", "Era", "Page", "page", "timelinejs", "to_html", "to_timelinejs"]

MAX_STATE_DATES: Final = 120
"""Beyond this many event dates, the page carries states at month (quarter, year) ends."""
MAX_STATE_INSTANTS: Final = 40
"""Beyond this many knowledge instants, states are computed for the last of each day (month,
year); the slider keeps every instant and its panel says which knowledge it shows."""


@attrs.frozen
class Era:
    """A span to show behind the events (TimelineJS "eras"), such as a pause of aid."""

    start: dt.datetime
    end: dt.datetime | None
    headline: str


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _day(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).date().isoformat()


def _source(ev: Event) -> dict[str, str] | None:
    source = ev.source
    if source is None:
        return None
    return {
        "title": source.title or "",
        "publisher": source.publisher or "",
        "published": str(source.published) if source.published else "",
        "quote": source.quote or "",
        "url": source.url or "",
    }


def _amounts(ev: Event) -> list[str]:
    found: list[str] = []
    for field in attrs.fields(type(ev)):
        value = getattr(ev, field.name)
        values = value if isinstance(value, tuple) else (value,)
        found.extend(str(v) for v in values if isinstance(v, Money))
    return found


def _version(ev: Event) -> dict[str, Any]:
    """One known form of an event, as the page shows it."""
    when = ev.occurred
    return {
        "type": ev.event_type,
        "occurred": str(when),
        "start": None if _is_open_start(when) else _ms(when.earliest),
        "end": None if _is_open_end(when) else _ms(when.latest),
        "precision": when.precision.value,
        "summary": _html.details(ev),
        "amounts": _amounts(ev),
        "source": _source(ev),
    }


def _history(tl: Any, event_id: str) -> list[dict[str, Any]]:
    rows = []
    for record in tl.history(event_id):
        ev = record.event
        kind = (
            "correction"
            if isinstance(ev, Correction)
            else "retraction"
            if isinstance(ev, Retraction)
            else "recorded"
        )
        rows.append(
            {
                "position": record.position,
                "recorded_at": record.recorded_at.isoformat(),
                "recorded_ms": _ms(record.recorded_at),
                "kind": kind,
                "reason": getattr(ev, "reason", None) or "",
            }
        )
    return rows


def _state_html(state: object, at: str, known: str) -> str:
    labelled = getattr(state, "as_of", None) is not None  # its own HTML says which time
    heading = (
        "" if labelled else f"<h3>State at {html.escape(at)}, as known at {html.escape(known)}</h3>"
    )
    render = getattr(state, "_repr_html_", None)
    try:
        body = render() if callable(render) else None
        if not isinstance(body, str):
            body = f"<pre>{html.escape(repr(state))}</pre>"
    except Exception as exc:  # noqa: BLE001 - one state that cannot render must not lose the page
        body = f"<p>(this state could not be shown: {html.escape(repr(exc))})</p>"
    return heading + _html.unstyled(body)


def _is_open_start(when: When) -> bool:
    return when.precision is Precision.INTERVAL and when.start is None


def _is_open_end(when: When) -> bool:
    return when.precision is Precision.INTERVAL and when.end is None


def _ends(day: str, unit: str) -> str:
    """The last day of the month, quarter or year that `day` (ISO) falls in."""
    year, month = int(day[:4]), int(day[5:7])
    if unit == "year":
        month = 12
    elif unit == "quarter":
        month = (month + 2) // 3 * 3
    return dt.date(year, month, calendar.monthrange(year, month)[1]).isoformat()


def _state_dates(events: Sequence[Event], limit: int) -> list[str]:
    """Dates for the state panel: each event's day (every version's), or, past `limit` of
    them, the ends of their months, quarters or years: never more than `limit`."""
    days = sorted({_day(ev.occurred.earliest) for ev in events if not _is_open_start(ev.occurred)})
    for unit in ("day", "month", "quarter", "year"):
        chosen = days if unit == "day" else sorted({_ends(day, unit) for day in days})
        if len(chosen) <= limit:
            return chosen
    return chosen[-limit:]


def _panel_instants(instants: Sequence[dt.datetime], limit: int) -> list[int]:
    """Indexes of the knowledge instants that get state panels: all of them, or, past `limit`,
    the last instant of each day, month or year (never more than `limit`)."""
    everything = list(range(len(instants)))
    if len(everything) <= limit:
        return everything
    for width in (10, 7, 4):  # YYYY-MM-DD, YYYY-MM, YYYY
        last: dict[str, int] = {}
        for index, moment in enumerate(instants):
            last[moment.astimezone(dt.UTC).isoformat()[:width]] = index
        chosen = sorted(last.values())
        if len(chosen) <= limit:
            return chosen
    return chosen[-limit:]


def page(
    tl: Any,
    *,
    title: str = "Timeline",
    group: Callable[[Event], object] | None = None,
    projection: Any = None,
    max_state_dates: int = MAX_STATE_DATES,
    max_state_instants: int = MAX_STATE_INSTANTS,
) -> str:
    """The self-contained HTML page of `tl` (see the module docs); `to_html` writes it.

    `group` names the row of each event (default: its type); `projection` is the state shown
    for a date (default: the timeline's own). The state panels are computed for at most
    `max_state_dates` dates and `max_state_instants` knowledge instants (see the module docs),
    so the page stays small for a long log; the slider still has every instant.
    """
    if not isinstance(title, str):
        raise TypeError(f"title must be text, not {title!r}")
    for name, value in (
        ("max_state_dates", max_state_dates),
        ("max_state_instants", max_state_instants),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, not {value!r}")
    group_of = group or (lambda ev: ev.event_type)
    records = list(tl.records())
    instants: list[dt.datetime] = sorted({r.recorded_at for r in records})
    knowledge = [moment.isoformat() for moment in instants]
    effective = [tl.events(known_at=moment) for moment in instants]
    by_id = [{ev.id: ev for ev in events} for events in effective]
    every_version: list[Event] = []
    order: dict[str, Event] = {}
    for events in effective:
        for ev in events:
            order.setdefault(ev.id, ev)
    latest = effective[-1] if effective else []
    in_latest = {ev.id for ev in latest}
    ids = [ev.id for ev in latest] + [i for i in order if i not in in_latest]
    items = []
    for event_id in ids:
        versions: list[Event] = []
        known: list[int] = []
        seen_before = False
        for events_by_id in by_id:
            current = events_by_id.get(event_id)
            if current is None:
                known.append(-2 if seen_before else -1)
                continue
            seen_before = True
            if current not in versions:
                versions.append(current)
            known.append(versions.index(current))
        every_version.extend(versions)
        items.append(
            {
                "id": event_id,
                "group": str(group_of(versions[-1])),
                "versions": [_version(v) for v in versions],
                "known": known,
                "history": _history(tl, event_id),
            }
        )
    dates = _state_dates(every_version, max_state_dates)
    panel_rows = _panel_instants(instants, max_state_instants)
    templates: dict[str, int] = {}
    bodies: list[str] = []
    rows: list[list[int]] = []
    for index in panel_rows:
        row = []
        for day in dates:
            state = tl.state_at(day, known_at=instants[index], projection=projection)
            body = _state_html(state, day, knowledge[index])
            key = hashlib.sha256(body.encode()).hexdigest()
            if key not in templates:
                templates[key] = len(bodies)
                bodies.append(body)
            row.append(templates[key])
        rows.append(row)
    # each knowledge instant shows the panels of the latest instant at or before it that has them
    panel_of = []
    position = -1
    for index in range(len(instants)):
        while position + 1 < len(panel_rows) and panel_rows[position + 1] <= index:
            position += 1
        panel_of.append(position)
    data = {
        "title": title,
        "knowledge": knowledge,
        "knowledge_ms": [_ms(moment) for moment in instants],
        "events": items,
        "dates": dates,
        "states": rows,
        "panel_of": panel_of,
    }
    return _PAGE.format(
        title=html.escape(title),
        csp_script=_SCRIPT_HASH,
        data=_script_json(data),
        templates="".join(
            f'<template id="state-{n}">{body}</template>' for n, body in enumerate(bodies)
        ),
        table=_plain_table(latest),
        style=_STYLE,
        script=_SCRIPT,
    )


def _script_json(data: object) -> str:
    """JSON that is safe inside a script element: it cannot close it or open a comment."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _plain_table(events: Iterable[Event]) -> str:
    return _html.events_table(events, caption="Every event, as known at the latest record")


def _target(path: str | os.PathLike[str], overwrite: bool) -> Path:
    """Check, before anything is built, that `path` may be written."""
    target = Path(path)
    if not str(path) or target.is_dir():
        raise StoreError("is a folder; give a file name", path=str(target))
    if not target.parent.is_dir():
        raise StoreError("its folder does not exist", path=str(target))
    for suffix in ("", "-wal", "-shm", "-journal"):
        if target.name.endswith(suffix) and suffix:
            log = target.with_name(target.name[: -len(suffix)])
            if log.is_file() and _is_sqlite(log):
                raise StoreError("belongs to a log; write the page elsewhere", path=str(target))
    if target.exists() and not overwrite:
        raise StoreError(
            "exists; choose a new file (--force or overwrite=True replaces it)", path=str(target)
        )
    if target.is_file() and _is_sqlite(target):
        raise StoreError("is a log; write the page to another file", path=str(target))
    return target


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(16) == b"SQLite format 3\x00"


def _write(target: Path, text: str) -> Path:
    """Write `text` beside `target` and rename it into place: all or nothing, readable as any
    new file would be (the umask applies)."""
    data = text.encode("utf-8")  # a lone surrogate fails here, before any file exists
    umask = os.umask(0)
    os.umask(umask)
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temp, 0o666 & ~umask)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target


def to_html(
    tl: Any, path: str | os.PathLike[str], *, overwrite: bool = False, **options: Any
) -> Page:
    """Write the page of `tl` to `path` (UTF-8) and return it; options as for `page`. An
    existing file is refused unless `overwrite`."""
    target = _target(path, overwrite)
    text = page(tl, **options)
    return Page(text, _write(target, text))


@attrs.frozen
class Page:
    """A written page: ``str(page)`` is its HTML, and a notebook shows it inline."""

    html: str
    path: Path

    def __str__(self) -> str:
        return self.html

    def _repr_html_(self) -> str:
        # inline in a notebook: in an iframe, so its script and style stay its own
        return (
            '<iframe sandbox="allow-scripts" '
            'style="width:100%;height:640px;border:1px solid #ccc" '
            f'srcdoc="{html.escape(self.html, quote=True)}"></iframe>'
        )


def _date_parts(moment: dt.datetime, precision: str) -> dict[str, Any]:
    parts: dict[str, Any] = {"year": moment.year}
    if precision in ("month", "day", "instant"):
        parts["month"] = moment.month
    if precision in ("day", "instant"):
        parts["day"] = moment.day
    if precision == "instant":
        parts.update(hour=moment.hour, minute=moment.minute, second=moment.second)
    return parts


def _tljs_id(event_id: str, taken: set[str]) -> str:
    """An id TimelineJS keeps as it is (it lowercases ids and drops all but ``[a-z0-9 -]``, and
    uses them in URL hashes), unique within the document."""
    base = "".join(c if c.isascii() and (c.isalnum() or c == "-") else "-" for c in event_id)
    base = base.lower().strip("-") or "event"
    if base[0].isdigit():
        base = f"e-{base}"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return candidate


def _slide_dates(when: When) -> dict[str, Any] | None:
    """start_date, end_date and display_date of a slide; None when nothing can be placed."""
    open_start, open_end = _is_open_start(when), _is_open_end(when)
    if open_start and open_end:  # pragma: no cover - a When cannot be open at both ends
        return None
    precision = when.precision.value
    exact = not (when.approximate or when.uncertain or when.unspecified)
    dates: dict[str, Any] = {}
    if when.precision is Precision.INTERVAL or when.unspecified:
        start = when.latest if open_start else when.earliest
        dates["start_date"] = _date_parts(start, "day")
        if not open_start and not open_end and _day(when.earliest) != _day(when.latest):
            dates["end_date"] = _date_parts(when.latest, "day")
    else:
        dates["start_date"] = _date_parts(when.earliest, precision)
    if not exact or when.precision is Precision.INTERVAL:
        dates["display_date"] = _display(when)
    return dates


def _display(when: When) -> str:
    if _is_open_start(when):
        return f"by {when.end} (start unknown)"
    if _is_open_end(when):
        return f"from {when.start} (end unknown)"
    text = str(when).replace("/", " to ")
    notes = []
    if when.approximate and when.uncertain:
        notes.append("approximate and uncertain")
    elif when.approximate:
        notes.append("approximate")
    elif when.uncertain:
        notes.append("uncertain")
    if when.unspecified:
        notes.append("some digits unknown")
    plain = text.replace("%", "").replace("~", "").replace("?", "")
    return plain + (f" ({', '.join(notes)})" if notes else "")


def timelinejs(
    tl: Any,
    *,
    title: str = "Timeline",
    group: Callable[[Event], object] | None = None,
    eras: Sequence[Era] = (),
) -> dict[str, Any]:
    """The TimelineJS 3 document of `tl`'s effective events (the latest knowledge).

    Each event is a slide with ``start_date`` (and ``end_date`` for a span) in the parts its
    precision allows, a ``display_date`` for every interval, approximate, uncertain or partly
    unknown date (TimelineJS would otherwise show a false exact day), ``text.headline`` and
    ``text.text`` (HTML, every text escaped: TimelineJS renders it as HTML) with the quote and
    its source, an escaped ``group``, and a ``unique_id`` TimelineJS keeps as it is. `eras`
    become TimelineJS eras (an open era ends at the latest event).
    """
    if not isinstance(title, str):
        raise TypeError(f"title must be text, not {title!r}")
    group_of = group or (lambda ev: ev.event_type)
    events: list[Event] = tl.events()
    slides = []
    taken: set[str] = set()
    for ev in events:
        dates = _slide_dates(ev.occurred)
        if dates is None:  # pragma: no cover - see _slide_dates
            continue
        slides.append(
            {
                "unique_id": _tljs_id(ev.id, taken),
                "group": html.escape(str(group_of(ev))),
                "text": {"headline": html.escape(_headline(ev)), "text": _slide_text(ev)},
                **dates,
            }
        )
    doc: dict[str, Any] = {
        "title": {"text": {"headline": html.escape(title), "text": ""}},
        "events": slides,
    }
    if eras:
        fallback = _latest_event(events)
        doc["eras"] = [
            {
                "start_date": _date_parts(era.start, "day"),
                "end_date": _date_parts(era.end or fallback or era.start, "day"),
                "text": {"headline": html.escape(era.headline)},
            }
            for era in eras
        ]
    return doc


def _latest_event(events: Sequence[Event]) -> dt.datetime | None:
    ends = [e.occurred.latest for e in events if not _is_open_end(e.occurred)]
    starts = [e.occurred.earliest for e in events if not _is_open_start(e.occurred)]
    return max(ends + starts, default=None)


def _headline(ev: Event) -> str:
    return f"{ev.event_type}: {ev.id}"


def _slide_text(ev: Event) -> str:
    parts = [f"<p>{html.escape(_html.details(ev))}</p>"]
    if ev.source is not None:
        source = ev.source
        if source.quote:
            parts.append(f"<blockquote>{html.escape(source.quote)}</blockquote>")
        cited = ", ".join(str(p) for p in (source.title, source.publisher, source.published) if p)
        if cited:
            parts.append(f"<p>{html.escape(cited)}</p>")
    return "".join(parts)


def to_timelinejs(
    tl: Any, path: str | os.PathLike[str], *, overwrite: bool = False, **options: Any
) -> dict[str, Any]:
    """Write `timelinejs` of `tl` to `path` as JSON and return the document. An existing file
    is refused unless `overwrite`."""
    target = _target(path, overwrite)
    doc = timelinejs(tl, **options)
    _write(target, json.dumps(doc, ensure_ascii=False, indent=1))
    return doc


_STYLE: Final = """
body{font:15px/1.4 system-ui,sans-serif;margin:0;color:#111;background:#fff}
header{padding:12px 16px;border-bottom:1px solid #ccc;position:sticky;top:0;background:#fff;z-index:2}
h1{font-size:20px;margin:0 0 8px}
label{font-weight:600;margin-right:8px}
#known{width:min(640px,90vw);vertical-align:middle}
main{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:16px;padding:16px}
#scroll{overflow-x:auto;border:1px solid #ccc}
#axis{position:relative;min-height:80px}
.row{position:relative;height:30px;border-top:1px dotted #ddd}
.row .name{position:sticky;left:0;display:inline-block;width:100px;padding:6px 4px;font-size:12px;color:#333;background:#fff;z-index:1}
.ticks{position:relative;height:18px;border-top:1px solid #999}
.tick{position:absolute;top:2px;font-size:11px;color:#555;border-left:1px solid #999;padding-left:2px}
.ev{position:absolute;height:22px;min-width:10px;border:1px solid #225;border-radius:10px;
background:#46c;color:#fff;font-size:11px;padding:0 4px;cursor:pointer;overflow:hidden;white-space:nowrap}
.ev.span{background:rgba(70,100,200,.35);color:#000}
.ev.open-start{border-left:3px dashed #c22}.ev.open-end{border-right:3px dashed #c22}
.ev.retracted{text-decoration:line-through;background:#bbb;color:#333}
.ev.corrected{outline:3px solid #e90}
.ev[hidden]{display:none}
.ev:focus{outline:3px solid #000}
#detail,#state{border:1px solid #ccc;padding:8px 12px;margin-bottom:12px}
#detail q,blockquote{font-style:italic}
.old{text-decoration:line-through;color:#a00}.new{color:#060;font-weight:600}
table{border-collapse:collapse}td,th{border-bottom:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}
#plain{padding:0 16px 16px;content-visibility:auto}
@media print{header{position:static}#known{display:none}}
"""

_SCRIPT: Final = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("timeline-data").textContent);
  var slider = document.getElementById("known");
  var knownLabel = document.getElementById("known-label");
  var axis = document.getElementById("axis");
  var detail = document.getElementById("detail");
  var datePick = document.getElementById("date");
  var statePanel = document.getElementById("state");
  var selected = null;
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  var lo = Infinity, hi = -Infinity;
  data.events.forEach(function (e) {
    e.versions.forEach(function (v) {
      [v.start, v.end].forEach(function (t) {
        if (t !== null) { lo = Math.min(lo, t); hi = Math.max(hi, t); }
      });
    });
  });
  if (!isFinite(lo)) { lo = 0; hi = 1; }
  if (hi === lo) hi = lo + 86400000;
  var DAY = 86400000, LABEL = 110, LANE = 26;
  var width = Math.max(760, Math.min(24000, Math.round((hi - lo) / DAY) * 56));
  axis.style.width = width + "px";
  function px(t) { return Math.round(LABEL + (width - LABEL - 20) * (t - lo) / (hi - lo)); }
  var groups = [];
  data.events.forEach(function (e) { if (groups.indexOf(e.group) < 0) groups.push(e.group); });
  var rows = {}, lanes = {};
  groups.forEach(function (g) {
    var row = el("div", null, "row");
    row.appendChild(el("span", g, "name"));
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", g);
    axis.appendChild(row);
    rows[g] = row;
    lanes[g] = [];
  });
  var ticks = el("div", null, "ticks");
  var first = new Date(lo), stepMonths = (hi - lo) / DAY > 800 ? 12 : (hi - lo) / DAY > 200 ? 3 : 1;
  var tick = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 1));
  while (tick.getTime() <= hi) {
    var mark = el("span", tick.toISOString().slice(0, 7), "tick");
    mark.style.left = px(tick.getTime()) + "px";
    ticks.appendChild(mark);
    tick = new Date(Date.UTC(tick.getUTCFullYear(), tick.getUTCMonth() + stepMonths, 1));
  }
  axis.appendChild(ticks);
  var buttons = data.events.map(function (e, i) {
    var b = el("button", e.id, "ev");
    b.type = "button";
    b.dataset.index = String(i);
    b.dataset.id = e.id;
    b.addEventListener("click", function () { select(i); });
    var v = e.versions[e.versions.length - 1];
    var left = px(v.start === null ? lo : v.start);
    var right = Math.max(left + LABEL, px(v.end === null ? hi : v.end));
    var used = lanes[e.group], lane = 0;
    while (lane < used.length && used[lane] > left) lane++;
    used[lane] = right + 4;
    b.style.top = (4 + lane * LANE) + "px";
    rows[e.group].style.height = Math.max(30, 8 + used.length * LANE) + "px";
    rows[e.group].appendChild(b);
    return b;
  });
  function versionAt(e, k) { return e.known[k]; }
  function place(b, v) {
    var start = v.start === null ? lo : v.start;
    var end = v.end === null ? hi : v.end;
    b.style.left = px(start) + "px";
    b.style.width = Math.max(LABEL - 8, px(end) - px(start)) + "px";
    b.classList.toggle("span", end - start > DAY * 1.5);
    b.classList.toggle("open-start", v.start === null);
    b.classList.toggle("open-end", v.end === null);
    b.title = v.type + " · " + v.occurred + (v.start === null ? " (open start)" : "") +
      (v.end === null ? " (open end)" : "");
  }
  function knownRecords(e, k) {
    var limit = data.knowledge_ms[k];
    return e.history.filter(function (h) { return h.recorded_ms <= limit; });
  }
  function isCorrected(e, k) {
    return knownRecords(e, k).some(function (h) { return h.kind === "correction"; });
  }
  function previousVersion(e, k) {
    var n = e.known[k];
    for (var j = k - 1; j >= 0; j--) if (e.known[j] >= 0 && e.known[j] !== n) return e.known[j];
    return -1;
  }
  function render() {
    var k = Number(slider.value);
    knownLabel.textContent = data.knowledge[k] || "(empty log)";
    data.events.forEach(function (e, i) {
      var b = buttons[i];
      var n = versionAt(e, k);
      b.hidden = n === -1;
      b.classList.toggle("retracted", n === -2);
      var last = n >= 0 ? n : lastKnown(e, k);
      if (last >= 0) place(b, e.versions[last]);
      var corrected = n >= 0 && isCorrected(e, k);
      b.classList.toggle("corrected", corrected);
      b.setAttribute("aria-label", e.id + (n === -2 ? " (retracted)" : corrected ? " (corrected)" : ""));
    });
    if (selected !== null) showDetail(selected);
    showState();
  }
  function lastKnown(e, k) {
    for (var j = k; j >= 0; j--) if (e.known[j] >= 0) return e.known[j];
    return -1;
  }
  function showDetail(i) {
    var e = data.events[i], k = Number(slider.value), n = versionAt(e, k);
    detail.replaceChildren();
    detail.appendChild(el("h3", e.id));
    if (n === -1) { detail.appendChild(el("p", "Not known yet at this time.")); return; }
    var v = e.versions[n >= 0 ? n : lastKnown(e, k)];
    if (n === -2) detail.appendChild(el("p", "Retracted: it no longer counts.", "old"));
    var before = n >= 0 ? previousVersion(e, k) : -1;
    if (before >= 0) {
      var old = e.versions[before];
      var was = el("p", null);
      was.appendChild(el("span", "was: " + old.occurred + " · " + old.summary, "old"));
      was.appendChild(document.createElement("br"));
      was.appendChild(el("span", "now: " + v.occurred + " · " + v.summary, "new"));
      detail.appendChild(was);
    }
    detail.appendChild(el("p", v.type + " · occurred " + v.occurred + " (" + v.precision + ")"));
    detail.appendChild(el("p", v.summary));
    if (v.amounts.length) detail.appendChild(el("p", "Amounts: " + v.amounts.join("; ")));
    if (v.source) {
      if (v.source.quote) detail.appendChild(el("blockquote", v.source.quote));
      var cite = [v.source.title, v.source.publisher, v.source.published].filter(Boolean).join(", ");
      if (cite) detail.appendChild(el("p", "Source: " + cite));
    }
    var list = el("ul", null);
    knownRecords(e, k).forEach(function (h) {
      list.appendChild(el("li", "#" + h.position + " " + h.kind + " at " + h.recorded_at + (h.reason ? " — " + h.reason : "")));
    });
    detail.appendChild(el("h4", "Records known then"));
    detail.appendChild(list);
  }
  function select(i) {
    selected = i;
    showDetail(i);
    // the state at the event's date: the first state date on or after it, so it counts
    var e = data.events[i], n = lastKnown(e, Number(slider.value));
    var v = e.versions[n >= 0 ? n : e.versions.length - 1];
    if (v.start !== null && data.dates.length) {
      var day = new Date(v.start).toISOString().slice(0, 10);
      var best = data.dates.length - 1;
      for (var j = data.dates.length - 1; j >= 0; j--) if (data.dates[j] >= day) best = j;
      datePick.value = String(best);
      showState();
    }
  }
  function showState() {
    var k = Number(slider.value), j = Number(datePick.value);
    statePanel.replaceChildren();
    if (!data.dates.length || k >= data.panel_of.length || data.panel_of[k] < 0) return;
    var t = document.getElementById("state-" + data.states[data.panel_of[k]][j]);
    statePanel.appendChild(t.content.cloneNode(true));
  }
  data.dates.forEach(function (d, j) {
    var o = el("option", d);
    o.value = String(j);
    datePick.appendChild(o);
  });
  var starts = data.events.map(function (e) { return e.versions[e.versions.length - 1].start; })
    .filter(function (t) { return t !== null; }).sort(function (a, b) { return a - b; });
  if (starts.length) {
    var scroller = document.getElementById("scroll");
    scroller.scrollLeft = Math.max(0, px(starts[Math.floor(starts.length / 2)]) - scroller.clientWidth / 2);
  }
  slider.max = String(Math.max(0, data.knowledge.length - 1));
  slider.value = slider.max;
  slider.addEventListener("input", render);
  datePick.addEventListener("change", showState);
  datePick.value = String(Math.max(0, data.dates.length - 1));
  render();
})();
"""

_PAGE: Final = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src '{csp_script}'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>{style}</style></head>
<body>
<header><h1>{title}</h1>
<label for="known">Known at</label><input type="range" id="known" min="0" max="0" step="1" value="0">
<output id="known-label" for="known"></output>
</header>
<main>
<section aria-label="Events on the valid-time axis"><div id="scroll"><div id="axis"></div></div>
<p>Click an event (or Tab to it and press Enter) for its source and records. Events appear when the log
learned them; a dashed edge is an open end; struck out: retracted; outlined: corrected.</p></section>
<section aria-label="Details and state">
<div id="detail" aria-live="polite"><p>Select an event.</p></div>
<label for="date">State at</label><select id="date"></select>
<div id="state" aria-live="polite"></div>
</section>
</main>
<section id="plain"><h2>All events</h2>{table}</section>
{templates}
<script type="application/json" id="timeline-data">{data}</script>
<script>{script}</script>
</body></html>
"""

_SCRIPT_HASH: Final = (
    "sha256-" + base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
)
"""The Content-Security-Policy source that lets exactly the page's own script run."""
