"""Publishing: the self-contained HTML page (its data, its escaping) and TimelineJS JSON."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import timeline
import timeline.support
from timeline import Money, Source, publish, support
from timeline.errors import StoreError

HOSTILE = (
    '</script><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
    "<!-- \u2028 & done"
)


def page_data(text: str) -> dict[str, Any]:
    found = re.search(
        r'<script type="application/json" id="timeline-data">(.*?)</script>', text, re.S
    )
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def corrected_seed() -> timeline.Timeline[support.SupportState]:
    """The seed, then (recorded later) a correction of the Anduril deal and a retraction."""
    tl = support.load_seed()
    deal = tl.record("uk-anduril-drones").event
    assert isinstance(deal, support.DealAnnounced)
    tl.append(
        timeline.Correction(
            target="uk-anduril-drones",
            replacement=support.DealAnnounced(
                occurred=deal.occurred,
                buyer="GB",
                supplier=deal.supplier,
                beneficiary="UA",
                amount=Money(Decimal("31000000"), "GBP"),
                source=deal.source,
            ),
            reason="a later report gives £31m",
        ),
        timeline.Retraction(target="lavrov-opposes-nato-troops", reason="test retraction"),
        recorded_at="2025-05-01",
    )
    return tl


def test_the_page_replays_what_was_known_when() -> None:
    data = page_data(publish.page(corrected_seed()))
    assert data["knowledge"] == [
        "2025-03-06T23:59:59.999999+00:00",
        "2025-03-11T23:59:59.999999+00:00",
        "2025-03-13T23:59:59.999999+00:00",
        "2025-04-14T23:59:59.999999+00:00",
        "2025-05-01T00:00:00+00:00",
    ]
    events = {e["id"]: e for e in data["events"]}
    assert events["us-resumes-military-aid"]["known"] == [-1, 0, 0, 0, 0]
    assert events["us-deliveries-via-rzeszow-resume"]["known"] == [-1, -1, 0, 0, 0]
    oval = events["oval-office-clash"]  # corrected in the same batch it was recorded in
    assert [h["kind"] for h in oval["history"]] == ["recorded", "correction"]
    deal = events["uk-anduril-drones"]
    assert deal["known"] == [0, 0, 0, 0, 1]
    assert [v["amounts"] for v in deal["versions"]] == [["~GBP 30,000,000"], ["GBP 31,000,000"]]
    assert [h["kind"] for h in deal["history"]] == ["recorded", "correction"]
    assert deal["history"][1]["reason"] == "a later report gives £31m"
    assert events["lavrov-opposes-nato-troops"]["known"] == [0, 0, 0, 0, -2]
    trump = events["trump-calls-for-european-defence"]["versions"][0]
    assert trump["occurred"] == "2025-01-20/2025-03-06"
    assert trump["start"] == 1737331200000  # 2025-01-20T00:00Z, in ms


def test_open_ends_are_marked_open_not_drawn_from_year_1() -> None:
    @timeline.event("test.publish.open", version=1)
    class Ongoing(timeline.Event):
        what: str

    tl = timeline.open()
    tl.append(
        Ongoing(id="since", occurred="2025-03-02/..", what="recruiting"),
        Ongoing(id="until", occurred="../2025-03-06", what="said by then"),
    )
    events = {e["id"]: e["versions"][0] for e in page_data(publish.page(tl))["events"]}
    assert events["since"]["end"] is None
    assert events["since"]["start"] is not None
    assert events["until"]["start"] is None
    slides = {s["unique_id"]: s for s in publish.timelinejs(tl)["events"]}
    assert slides["since"]["display_date"] == "from 2025-03-02 (end unknown)"
    assert slides["until"]["display_date"] == "by 2025-03-06 (start unknown)"


def test_states_are_computed_in_python_for_each_knowledge_and_date() -> None:
    tl = corrected_seed()
    data = page_data(text := publish.page(tl))
    k = data["knowledge"].index("2025-03-06T23:59:59.999999+00:00")
    j = data["dates"].index("2025-03-04")
    template = re.search(
        rf'<template id="state-{data["states"][k][j]}">(.*?)</template>', text, re.S
    )
    assert template is not None
    panel = template.group(1)
    assert "State at 2025-03-04, as known at 2025-03-06T23:59:59.999999+00:00" in panel
    assert re.search(r"<td>US</td><td>military</td><td>paused</td>", panel)
    # identical states are stored once
    assert len(re.findall("<template ", text)) <= len(data["dates"]) * len(data["knowledge"])


def test_hostile_text_cannot_close_the_script_or_run() -> None:
    tl = timeline.open()

    @timeline.event("test.publish.said", version=1)
    class Said(timeline.Event):
        text: str

    tl.append(
        Said(
            id="hostile",
            occurred="2025-03-03",
            text=HOSTILE,
            source=Source(quote=HOSTILE, publisher=HOSTILE, title=HOSTILE),
        )
    )
    text = publish.page(tl, title=HOSTILE)
    assert "<script>window.__pwned" not in text
    assert "<img src=x" not in text
    assert text.count("</script>") == 2  # the data element's and the code's own
    assert page_data(text)["events"][0]["versions"][0]["source"]["quote"] == HOSTILE
    doc = publish.timelinejs(tl, title=HOSTILE)
    slide = doc["events"][0]
    assert "<img" not in slide["text"]["text"]
    assert "&lt;/script&gt;" in slide["text"]["text"]
    assert "<script" not in doc["title"]["text"]["headline"]


def _check_date(part: object) -> None:
    assert isinstance(part, dict)
    assert set(part) <= {"year", "month", "day", "hour", "minute", "second", "millisecond"}
    assert isinstance(part["year"], int)
    assert 1 <= part.get("month", 1) <= 12
    assert 1 <= part.get("day", 1) <= 31


def check_timelinejs(doc: dict[str, Any]) -> None:
    """The shape TimelineJS 3 documents (timeline.knightlab.com/docs/json-format.html)."""
    assert set(doc) <= {"events", "title", "eras", "scale"}
    assert isinstance(doc["events"], list)
    for slide in doc["events"]:
        assert set(slide) <= {
            "start_date",
            "end_date",
            "text",
            "media",
            "group",
            "display_date",
            "background",
            "autolink",
            "unique_id",
        }
        _check_date(slide["start_date"])
        if "end_date" in slide:
            _check_date(slide["end_date"])
        assert set(slide["text"]) <= {"headline", "text"}
        assert all(isinstance(v, str) for v in slide["text"].values())
        assert isinstance(slide.get("group", ""), str)
        assert isinstance(slide.get("display_date", ""), str)
    for era in doc.get("eras", []):
        assert set(era) <= {"start_date", "end_date", "text"}
        _check_date(era["start_date"])
        _check_date(era["end_date"])
    ids = [slide["unique_id"] for slide in doc["events"]]
    assert len(ids) == len(set(ids))


def test_timelinejs_has_the_documented_shape(tmp_path: Path) -> None:
    tl = support.load_seed()
    pauses = tl.state_at("2025-04-30").pauses()
    eras = [
        publish.Era(p.start.earliest, p.end.latest if p.end else None, "paused") for p in pauses
    ]
    doc = tl.to_timelinejs(tmp_path / "seed.json", eras=eras)
    assert json.loads((tmp_path / "seed.json").read_text(encoding="utf-8")) == doc
    check_timelinejs(doc)
    slides = {s["unique_id"]: s for s in doc["events"]}
    loan = slides["uk-era-loan-agreed"]
    assert loan["start_date"] == {"year": 2025, "month": 3, "day": 1}
    assert "display_date" not in loan
    trump = slides["trump-calls-for-european-defence"]
    assert trump["display_date"] == "2025-01-20 to 2025-03-06"
    assert trump["end_date"] == {"year": 2025, "month": 3, "day": 6}
    assert len(doc["eras"]) == 2
    assert doc["eras"][0]["start_date"] == {"year": 2025, "month": 3, "day": 3}


def test_files_are_written_whole_and_never_over_a_log(tmp_path: Path) -> None:
    tl = support.load_seed()
    page = tl.to_html(tmp_path / "seed.html", title="Seed")
    assert page.path.read_text(encoding="utf-8") == str(page)
    assert "<iframe" in page._repr_html_()
    assert "&lt;script" in page._repr_html_()  # the page is inside srcdoc, escaped
    with pytest.raises(StoreError, match="exists"):
        tl.to_html(tmp_path / "seed.html")
    log = tmp_path / "log.db"
    timeline.open(log).close()
    with pytest.raises(StoreError, match="is a log"):
        tl.to_html(log, overwrite=True)
    assert list(tmp_path.glob(".*")) == []  # no temporary file left behind


def test_many_dates_are_summarised_at_month_then_quarter_ends() -> None:
    tl = support.load_seed()
    data = page_data(publish.page(tl, max_state_dates=5))
    assert data["dates"] == ["2024-10-31", "2025-01-31", "2025-02-28", "2025-03-31", "2025-04-30"]
    data = page_data(publish.page(tl, max_state_dates=3))
    assert data["dates"] == ["2024-12-31", "2025-03-31", "2025-06-30"]
    with pytest.raises(ValueError, match="positive"):
        publish.page(tl, max_state_dates=0)


def timeline_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "timeline", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_line_publishes_the_seed(tmp_path: Path) -> None:
    out = tmp_path / "seed.html"
    done = timeline_cli("html", str(out))
    assert done.returncode == 0, done.stderr
    data = page_data(out.read_text(encoding="utf-8"))
    assert {e["group"] for e in data["events"]} >= {"US", "GB", "EU", "RU"}
    done = timeline_cli("timelinejs", str(tmp_path / "seed.json"))
    assert done.returncode == 0, done.stderr
    check_timelinejs(json.loads((tmp_path / "seed.json").read_text(encoding="utf-8")))
    again = timeline_cli("html", str(out))
    assert again.returncode == 2
    assert "exists" in again.stderr


@timeline.event("test.publish.x", version=1)
class X(timeline.Event):
    what: str = ""


def test_a_long_log_keeps_the_page_small() -> None:
    """Every append its own instant: the slider keeps them all; states are computed for at
    most max_state_instants of them and max_state_dates dates."""
    tl = timeline.open()
    for n in range(300):
        day = f"2025-{1 + n // 28:02d}-{1 + n % 28:02d}"
        tl.append(X(id=f"e{n}", occurred=day), recorded_at=f"{day}T12:00:00Z")
    text = publish.page(tl)
    data = page_data(text)
    assert len(data["knowledge"]) == 300
    assert len(data["states"]) <= publish.MAX_STATE_INSTANTS
    assert len(data["dates"]) <= publish.MAX_STATE_DATES
    assert len(data["panel_of"]) == 300
    assert data["panel_of"] == sorted(data["panel_of"])
    assert len(text) < 20_000_000


def test_records_carry_their_instant_for_the_slider() -> None:
    tl = timeline.open()
    tl.append(X(id="abcb", occurred="2025-01-10", what="A"), recorded_at="2025-02-01")
    for n, what in enumerate("BCB", 2):
        fix = timeline.Correction(target="abcb", replacement=X(occurred="2025-01-10", what=what))
        tl.append(fix, recorded_at=f"2025-02-0{n}")
    [event] = page_data(publish.page(tl))["events"]
    assert event["known"] == [0, 1, 2, 1]
    assert [v["summary"] for v in event["versions"]] == ["what=A", "what=B", "what=C"]
    assert [h["recorded_ms"] for h in event["history"]] == page_data(publish.page(tl))[
        "knowledge_ms"
    ]


def test_written_files_are_readable_like_any_new_file(tmp_path: Path) -> None:
    import os
    import stat

    umask = os.umask(0o022)
    try:
        page = support.load_seed().to_html(tmp_path / "seed.html")
        doc_path = tmp_path / "seed.json"
        support.load_seed().to_timelinejs(doc_path)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(page.path.stat().st_mode) == 0o644
    assert stat.S_IMODE(doc_path.stat().st_mode) == 0o644


def test_bad_targets_are_refused_before_any_work(tmp_path: Path) -> None:
    tl = support.load_seed()
    with pytest.raises(StoreError, match="folder does not exist") as missing:
        tl.to_html(tmp_path / "no" / "such" / "page.html")
    assert "page.html" in str(missing.value)
    with pytest.raises(StoreError, match="is a folder"):
        tl.to_html(tmp_path)
    log = tmp_path / "w.db"
    timeline.open(log).close()
    with pytest.raises(StoreError, match="belongs to a log"):
        tl.to_html(tmp_path / "w.db-wal", overwrite=True)
    with pytest.raises(TypeError, match="title must be text"):
        publish.page(tl, title=None)  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.db"]


def test_odd_groups_states_and_eras_do_not_break_the_page() -> None:
    import enum

    class Side(enum.Enum):
        A = "a"

    class Broken:
        def initial(self) -> object:
            return self

        def apply(self, state: object, event: timeline.Event) -> object:
            return state

        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    tl = timeline.open()
    tl.append(X(id="x", occurred="2025-03-03"))
    data = page_data(text := publish.page(tl, group=lambda ev: Side.A, projection=Broken()))
    assert data["events"][0]["group"] == "Side.A"
    assert "could not be shown" in text
    empty = publish.timelinejs(
        timeline.open(), eras=[publish.Era(tl.events()[0].occurred.earliest, None, "x")]
    )
    assert empty["events"] == []
    assert empty["eras"][0]["end_date"] == {"year": 2025, "month": 3, "day": 3}


def test_timelinejs_never_states_a_false_exact_day() -> None:
    tl = timeline.open()
    tl.append(
        X(id="US-1", occurred="2025-03-XX"),
        X(id="us-1", occurred="2025-03-04%"),
        X(id="old", occurred="0001-06-01"),
        X(id="far", occurred="9999-06-01"),
        X(id="1st", occurred="2025-03-1X"),
    )
    doc = publish.timelinejs(tl, group=lambda ev: "<b>group</b>")
    check_timelinejs(doc)
    slides = {s["unique_id"]: s for s in doc["events"]}
    assert set(slides) == {"us-1", "us-1-2", "old", "far", "e-1st"}
    xx = slides["us-1"]
    assert xx["start_date"] == {"year": 2025, "month": 3, "day": 1}
    assert xx["end_date"] == {"year": 2025, "month": 3, "day": 31}
    assert xx["display_date"] == "2025-03-XX (some digits unknown)"
    assert slides["us-1-2"]["display_date"] == "2025-03-04 (approximate and uncertain)"
    assert "display_date" not in slides["old"]
    assert slides["old"]["start_date"] == {"year": 1, "month": 6, "day": 1}
    assert slides["far"]["start_date"] == {"year": 9999, "month": 6, "day": 1}
    assert slides["e-1st"]["display_date"] == "2025-03-1X (some digits unknown)"
    assert all(s["group"] == "&lt;b&gt;group&lt;/b&gt;" for s in doc["events"])


def test_the_page_runs_only_its_own_script_and_the_notebook_frame_is_sandboxed() -> None:
    text = publish.page(support.load_seed())
    assert "script-src 'unsafe-inline'" not in text
    assert f"script-src '{publish._SCRIPT_HASH}'" in text
    page = publish.Page(text, Path("x.html"))
    assert '<iframe sandbox="allow-scripts"' in page._repr_html_()


def test_the_command_line_publishes_a_log_file(tmp_path: Path) -> None:
    log = tmp_path / "seed.db"
    support.fill(support.open(log)).close()
    for command, out in (("html", "seed.html"), ("timelinejs", "seed.json")):
        done = timeline_cli(command, str(tmp_path / out), "--db", str(log))
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("wrote")


def test_a_huge_quote_is_not_copied_into_every_state() -> None:
    tl = timeline.open()
    quote = "q" * 1_000_000
    tl.append(
        X(id="big", occurred="2025-01-01", source=Source(quote=quote)), recorded_at="2025-02-01"
    )
    for n in range(1, 20):
        tl.append(
            X(id=f"e{n}", occurred=f"2025-01-{n + 1:02d}"), recorded_at=f"2025-02-{n + 1:02d}"
        )
    text = publish.page(tl)
    assert len(text) < 5_000_000
    big = next(e for e in page_data(text)["events"] if e["id"] == "big")
    assert big["versions"][0]["source"]["quote"] == quote  # the event detail keeps it whole
