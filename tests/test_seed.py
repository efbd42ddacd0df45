from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import timeline
from timeline import DataError, support
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
    assert batch.recorded_at == "2025-03-06T23:59:59.999999Z"


def world(ev: timeline.Event | timeline.Correction) -> timeline.Event:
    """The event about the world a seed entry states (a correction's replacement)."""
    return ev.replacement if isinstance(ev, timeline.Correction) else ev


def test_every_seed_event_has_a_source_and_honest_dates() -> None:
    for batch in seed_batches():
        for ev in map(world, batch.events):
            assert ev.source is not None
            assert ev.source.title or ev.source.url, ev.id
    uncertain = {
        ev.id: ev.occurred
        for b in seed_batches()
        for ev in b.events
        if not isinstance(ev, timeline.Correction)
    }
    # low confidence in the start (seed-facts): both ends marked uncertain
    assert str(uncertain["us-pauses-intelligence-sharing"]) == "2025-03-03?/2025-03-05?"
    # ordered on the evening of 3 March US Eastern time, reported at 00:45 UTC on the 4th
    assert str(uncertain["us-pauses-military-aid"]) == "2025-03-03/2025-03-04T00:45:00Z"
    assert str(uncertain["uk-talks-with-20-countries"]) == "2025-03-04/2025-03-05"
    assert uncertain["reeves-as-long-as-it-takes"].uncertain


def test_seed_files_load_losslessly() -> None:
    """What the TOML says is exactly what the event holds (no field dropped or invented)."""
    for path in sorted(SEEDS.glob("*.toml")):
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        batch = read_seed_file(path)
        for table, entry in zip(doc["events"], batch.events, strict=True):
            if isinstance(entry, timeline.Correction):
                assert entry.target == table["target"]
                assert entry.reason == table["reason"]
                table = table["replacement"]  # noqa: PLW2901 - compare what it says
            ev = world(entry)
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
    assert stamps == ["2025-03-06", "2025-03-11", "2025-03-13", "2025-04-14"]
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


# --- a seed that never overstates -----------------------------------------------------------
def test_no_seed_event_counts_before_its_facts_allow() -> None:
    """No open start: an event with an unknown start is bounded by the earliest date its
    sources allow, so it never counts in 1990."""
    earliest_allowed = {"trump-calls-for-european-defence": "2025-01-20"}  # his term began
    for batch in seed_batches():
        for ev in map(world, batch.events):
            assert ev.occurred.earliest.year > 1, f"{ev.id} has an open start"
            floor = earliest_allowed.get(ev.id, "2024-10-01")
            assert ev.occurred.earliest >= timeline.When.parse(floor).earliest, ev.id
    seed = timeline.load_seed()
    assert dict(seed.state_at("1990-01-01").positions) == {}
    assert seed.events("2024-12-31")[-1].id == "uk-era-loan-announced"
    assert "trump-calls-for-european-defence" not in {e.id for e in seed.events("2025-01-19")}


def test_knowledge_never_precedes_its_source() -> None:
    """A batch is recorded at the end of its source's publication day (the instant is not
    known), never before the events it reports."""
    for batch in seed_batches():
        recorded = timeline.When.parse(batch.recorded_at).earliest
        assert recorded.strftime("%H:%M:%S.%f") == "23:59:59.999999", batch.name
        for ev in map(world, batch.events):
            assert ev.occurred.earliest <= recorded, ev.id
            if ev.source and ev.source.published:
                assert ev.source.published.latest <= recorded, ev.id
    seed = timeline.load_seed()
    morning = "2025-03-11T06:00:00Z"
    assert seed.state_at("2025-03-12", known_at=morning).aid_status("US", "military") == "paused"
    assert seed.state_at("2025-03-12").aid_status("US", "military") == "active"


def test_rearm_europe_is_context_not_support() -> None:
    state = timeline.load_seed().state_at("2025-03-07")
    assert "EUR" not in state.totals()
    assert state.totals(kind="spending") == {"EUR": 800_000_000_000}
    assert any(c.kind == "spending" for c in state.commitments)  # still there, as context


def test_a_sum_with_an_approximate_part_is_approximate() -> None:
    state = timeline.load_seed().state_at("2025-03-07")
    gbp = state.amounts(provider="GB")["GBP"]
    assert gbp.amount == 2_290_000_000
    assert gbp.approximate
    assert str(gbp) == "~GBP 2,290,000,000"
    loan_only = state.amounts(provider="GB", kind="loan")["GBP"]
    assert not loan_only.approximate


def test_the_diff_dates_a_tranche_by_its_payment_and_says_no_record() -> None:
    seed = timeline.load_seed()
    lines = [str(c) for c in seed.revisions("2025-04-30", known_before="2025-03-07")]
    assert any("2 tranche(s) paid (2025-04-14)" in line for line in lines), lines
    first = [str(c) for c in seed.diff("2025-03-05", "2025-03-07")]
    assert any("1 tranche(s) paid (2025-03-06)" in line for line in first), first
    pause = next(str(c) for c in seed.diff("2025-02-27", "2025-03-07"))
    assert pause.startswith("US military aid: no record → paused")


def test_seeds_readme_is_the_provenance_file() -> None:
    readme = (SEEDS / "README.md").read_text(encoding="utf-8")
    assert "Knowledge never precedes its source" in readme
    assert "2025-01-20" in readme


def test_paraphrases_are_not_presented_as_the_speakers_words() -> None:
    state = timeline.load_seed().state_at("2025-03-31")
    assert state.positions["US"]["european-defence-spending"].paraphrase
    assert state.positions["US"]["uk-france-lead-coalition"].paraphrase
    assert not state.positions["RU"]["nato-troops-in-ukraine"].paraphrase
    assert "(paraphrase)" in state._repr_html_()


def test_a_version_1_statement_reads_as_not_a_paraphrase() -> None:
    from timeline.codec import decode

    v1 = {
        "id": "s",
        "occurred": "2025-03-06",
        "source": None,
        "speaker": {"name": "A", "role": None, "actor": None},
        "actor": "GB",
        "subject": "x",
        "stance": "supports",
        "quote": "words",
    }
    ev = decode("statement.made", 1, v1)
    assert getattr(ev, "paraphrase", None) is False
    with pytest.raises(timeline.InvalidEvent, match="paraphrase"):
        decode("statement.made", 2, {**v1, "paraphrase": "yes"})


def test_ukraine_accepting_the_ceasefire_proposal_is_recorded_with_its_source() -> None:
    seed = timeline.load_seed()
    record = seed.record("ukraine-accepts-ceasefire-proposal")
    assert record.event.source is not None
    assert record.event.source.publisher == "Politico Europe"
    position = seed.state_at("2025-03-12").positions["UA"]["30-day-ceasefire"]
    assert position.stance.value == "supports"
    assert position.quote is None  # the source gives no verbatim words for it


def test_vance_joins_the_oval_office_meeting_by_a_correction_citing_its_source() -> None:
    seed = timeline.load_seed()
    meeting = next(e for e in seed.events() if e.id == "oval-office-clash")
    assert "J. D. Vance" in {p.name for p in meeting.people}  # type: ignore[attr-defined]
    assert meeting.source is not None
    assert meeting.source.url is not None
    assert "people.cn" in meeting.source.url
    history = seed.history("oval-office-clash")
    assert len(history) == 2  # the article's version stays in the log beneath the correction
    original = history[0].event
    assert isinstance(original, support.MeetingHeld)
    assert "J. D. Vance" not in {p.name for p in original.people}
    assert original.source is not None
    assert original.source.quote is not None
    assert original.source.quote in ARTICLE


def test_rzeszow_deliveries_and_the_anduril_contract_as_their_sources_say() -> None:
    seed = timeline.load_seed()
    rzeszow = seed.record("us-deliveries-via-rzeszow-resume")
    assert str(rzeszow.recorded_at.date()) == "2025-03-13"
    assert isinstance(rzeszow.event, support.AidResumed)
    assert rzeszow.event.scope is not None
    assert "Rzeszów" in rzeszow.event.scope
    assert (
        seed.state_at("2025-03-12", known_at="2025-03-12T23:00:00Z").aid_status("US", "military")
        == "active"
    )  # resumed by the 11 March announcement already
    deal = next(e for e in seed.events() if e.id == "uk-anduril-drones")
    assert isinstance(deal, support.DealAnnounced)  # no source says it was signed
    assert deal.funding == "International Fund for Ukraine"
    anduril = next(c for c in seed.state_at("2025-03-07").commitments if c.id == deal.id)
    assert anduril.reached is support.Stage.ANNOUNCED
    assert anduril.amount.approximate


def test_bad_seed_corrections_name_the_file_and_entry(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    head = 'recorded_at = "2025-03-06"\n[[events]]\ntype = "timeline.correction"\nid = "c"\n'
    bad.write_text(head + 'target = "x"\n')
    with pytest.raises(DataError, match=r"bad\.toml: event 1 \(c\): .*replacement"):
        read_seed_file(bad)
    bad.write_text(head + 'target = "x"\nwhy = "y"\n[events.replacement]\ntype = "aid.paused"\n')
    with pytest.raises(DataError, match="unknown correction fields"):
        read_seed_file(bad)
    bad.write_text(
        head + '[events.replacement]\ntype = "timeline.retraction"\nid = "r"\ntarget = "x"\n'
    )
    with pytest.raises(DataError, match=r"events about the world only|target"):
        read_seed_file(bad)
