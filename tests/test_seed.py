from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import timeline
from timeline import DataError
from timeline.codec import to_dict
from timeline.support.seed import read_seed_file, seed_batches, seed_dir

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
ARTICLE = (SEEDS / "seed-article.txt").read_text(encoding="utf-8")


def test_article_copy_is_in_the_project() -> None:
    assert ARTICLE.startswith("Prime Minister and French President seek international support")
    assert seed_dir().is_dir()


def test_article_batch_has_one_event_per_claim_with_verbatim_quotes() -> None:
    batch = read_seed_file(SEEDS / "article.toml")
    assert 15 <= len(batch.events) <= 25
    for ev in batch.events:
        assert ev.source is not None, ev.id
        assert ev.source.quote, ev.id
        assert ev.source.quote in ARTICLE, ev.id
        own_quote = getattr(ev, "quote", None)
        if own_quote is not None:
            assert own_quote in ARTICLE, ev.id
    assert batch.recorded_at == "2025-03-06T00:00:00Z"


def test_every_seed_event_has_a_source_and_honest_dates() -> None:
    for batch in seed_batches():
        for ev in batch.events:
            assert ev.source is not None
            assert ev.source.title or ev.source.url, ev.id
    uncertain = {ev.id: ev.occurred for b in seed_batches() for ev in b.events}
    assert str(uncertain["us-pauses-intelligence-sharing"]) == "2025-03-03/2025-03-05"
    assert str(uncertain["uk-talks-with-20-countries"]) == "2025-03-04/2025-03-05"
    assert uncertain["reeves-as-long-as-it-takes"].uncertain


def test_seed_files_load_losslessly() -> None:
    """What the TOML says is exactly what the event holds (no field dropped or invented)."""
    for path in sorted(SEEDS.glob("*.toml")):
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        batch = read_seed_file(path)
        for table, ev in zip(doc["events"], batch.events, strict=True):
            data = to_dict(ev)
            for key, value in table.items():
                if key in ("type", "version", "source"):
                    continue
                assert data[key] == value, (ev.id, key)
            for key, value in table.get("source", {}).items():
                assert data["source"][key] == value


def test_load_seed_records_batches_on_their_own_dates() -> None:
    tl = timeline.load_seed()
    stamps = sorted({str(r.recorded_at.date()) for r in tl.records()})
    assert stamps == ["2025-03-06", "2025-03-11", "2025-04-14"]
    article_only = timeline.load_seed(follow_ups=False)
    assert article_only.head == 15
    assert article_only.state_at("2025-03-12").aid_status("US", "military") == "paused"
    tl.verify()


def test_bad_seed_files_name_the_file_and_event(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'recorded_at = "2025-03-06"\n[[events]]\ntype = "aid.paused"\nid = "x"\noccurred = "2025-02-30"\n'
    )
    with pytest.raises(DataError, match=r"bad\.toml: event 1 \(x\)"):
        read_seed_file(bad)
    bad.write_text("not = [toml")
    with pytest.raises(DataError, match=r"bad\.toml: not valid TOML"):
        read_seed_file(bad)
    bad.write_text("[[events]]\n")
    with pytest.raises(DataError, match="event 1"):
        read_seed_file(bad)
    bad.write_text("")
    with pytest.raises(DataError, match="recorded_at"):
        read_seed_file(bad)
    bad.write_text(
        'recorded_at = "2025-03-06"\n[[events]]\ntype = "timeline.retraction"\nid = "r"\ntarget = "x"\n'
    )
    with pytest.raises(DataError, match="events about the world only"):
        read_seed_file(bad)
