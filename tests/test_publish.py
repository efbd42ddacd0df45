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
    assert isinstance(deal, support.DealSigned)
    tl.append(
        timeline.Correction(
            target="uk-anduril-drones",
            replacement=support.DealSigned(
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
        "2025-04-14T23:59:59.999999+00:00",
        "2025-05-01T00:00:00+00:00",
    ]
    events = {e["id"]: e for e in data["events"]}
    assert events["us-resumes-military-aid"]["known"] == [-1, 0, 0, 0]
    deal = events["uk-anduril-drones"]
    assert deal["known"] == [0, 0, 0, 1]
    assert [v["amounts"] for v in deal["versions"]] == [["~GBP 30,000,000"], ["GBP 31,000,000"]]
    assert [h["kind"] for h in deal["history"]] == ["recorded", "correction"]
    assert deal["history"][1]["reason"] == "a later report gives £31m"
    assert events["lavrov-opposes-nato-troops"]["known"] == [0, 0, 0, -2]
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


def test_many_dates_are_summarised_at_month_ends() -> None:
    tl = support.load_seed()
    data = page_data(publish.page(tl, max_state_dates=3))
    assert data["dates"] == ["2024-10-31", "2025-01-31", "2025-02-28", "2025-03-31", "2025-04-30"]


def test_the_command_line_publishes_the_seed(tmp_path: Path) -> None:
    out = tmp_path / "seed.html"
    done = subprocess.run(
        [sys.executable, "-m", "timeline", "html", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    data = page_data(out.read_text(encoding="utf-8"))
    assert {e["group"] for e in data["events"]} >= {"US", "GB", "EU", "RU"}
    done = subprocess.run(
        [sys.executable, "-m", "timeline", "timelinejs", str(tmp_path / "seed.json")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    check_timelinejs(json.loads((tmp_path / "seed.json").read_text(encoding="utf-8")))
    again = subprocess.run(
        [sys.executable, "-m", "timeline", "html", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 2
    assert "exists" in again.stderr
