from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import timeline
from timeline import Money, When
from timeline.projection import fold
from timeline.support import (
    AidChanged,
    AidPaused,
    Channel,
    CoalitionLaunched,
    CommitmentChanged,
    LoanAnnounced,
    Person,
    PositionChanged,
    Stance,
    StatementMade,
    SupportProjection,
    SupportState,
    TroopsPledged,
)
from timeline.support.testing import support_events


@pytest.fixture(scope="module")
def seed() -> timeline.Timeline[SupportState]:
    return timeline.load_seed()


def test_us_military_aid_paused_on_the_4th_not_the_2nd(
    seed: timeline.Timeline[SupportState],
) -> None:
    assert seed.state_at("2025-03-04").aid_status("US", "military") == "paused"
    assert seed.state_at("2025-03-02").aid_status("US", "military") != "paused"
    status = seed.state_at("2025-03-04").aid("US", Channel.MILITARY)
    assert status is not None
    assert status.since == When.parse("2025-03-03/2025-03-04T00:45:00Z")


def test_uk_totals_include_the_loan_and_the_drone_deal(
    seed: timeline.Timeline[SupportState],
) -> None:
    state = seed.state_at("2025-03-07")
    assert state.totals(provider="GB") == {"GBP": Decimal("2260000000") + Decimal("30000000")}
    assert state.totals(provider="GB", kind="loan") == {"GBP": Decimal("2260000000")}
    deal = next(c for c in state.commitments if c.kind == "deal")
    assert deal.amount == Money(Decimal(30000000), "GBP", approximate=True)
    assert "Anduril" in deal.description
    loan = next(c for c in state.commitments if c.kind == "loan")
    assert loan.backing == "profits on immobilised Russian sovereign assets"
    assert loan.stage is not None
    assert loan.stage.value == "agreed"
    assert state.totals() == {"GBP": Decimal("2290000000")}  # ReArm Europe is context


def test_coalition_led_by_gb_and_fr(seed: timeline.Timeline[SupportState]) -> None:
    coalition = seed.state_at("2025-03-05").coalition
    assert coalition is not None
    assert coalition.leads == ("GB", "FR")
    assert coalition.participants == ("GB", "FR")
    assert seed.state_at("2025-03-01").coalition is None


def test_russia_opposes_nato_troops_in_lavrovs_words(seed: timeline.Timeline[SupportState]) -> None:
    position = seed.state_at("2025-03-06").positions["RU"]["nato-troops-in-ukraine"]
    assert position.stance is Stance.OPPOSES
    assert position.speaker.name == "Sergei Lavrov"
    assert position.quote == "direct involvement of NATO members in the war against Russia"
    assert "RU" not in seed.state_at("2025-03-05").positions


def test_talks_had_about_20_participants(seed: timeline.Timeline[SupportState]) -> None:
    (talks,) = seed.state_at("2025-03-06").talks
    assert talks.participant_count == 20
    assert talks.count_approximate
    assert talks.host == "GB"


def test_follow_ups_resume_aid_only_for_those_who_knew(
    seed: timeline.Timeline[SupportState],
) -> None:
    assert seed.state_at("2025-03-12").aid_status("US", "military") == "active"
    assert (
        seed.state_at("2025-03-12", known_at="2025-03-07").aid_status("US", "military") == "paused"
    )
    assert seed.state_at("2025-03-12").aid_status("US", "intelligence") == "active"


def test_pauses_are_intervals(seed: timeline.Timeline[SupportState]) -> None:
    pauses = {p.channel: p for p in seed.state_at("2025-03-12").pauses()}
    assert pauses[Channel.MILITARY].start == When.parse("2025-03-03/2025-03-04T00:45:00Z")
    assert pauses[Channel.MILITARY].end == When.parse("2025-03-11")
    open_pause = {p.channel: p for p in seed.state_at("2025-03-07").pauses()}[Channel.INTELLIGENCE]
    assert open_pause.end is None


def test_loan_tranches_are_known_from_april(seed: timeline.Timeline[SupportState]) -> None:
    loan = next(c for c in seed.state_at("2025-03-07").commitments if c.kind == "loan")
    assert [m.amount for m in loan.disbursed] == [Decimal(752000000)]
    loan_then = next(
        c
        for c in seed.state_at("2025-03-07", known_at="2025-03-07").commitments
        if c.kind == "loan"
    )
    assert loan_then.disbursed == ()


def test_diff_lines(seed: timeline.Timeline[SupportState]) -> None:
    changes = seed.diff("2025-02-27", "2025-03-07")
    lines = [str(c) for c in changes]
    assert lines[0] == "US military aid: no record → paused (2025-03-03/2025-03-04T00:45:00Z)"
    assert isinstance(changes[0], AidChanged)
    assert any(isinstance(c, CommitmentChanged) and "Anduril" in str(c) for c in changes)
    assert "RU on nato-troops-in-ukraine: — → opposes (2025-03-06)" in lines
    assert any(line.startswith("coalition 'Coalition of the willing' launched") for line in lines)
    back = [str(c) for c in seed.diff("2025-03-07", "2025-03-12")]
    assert back[:2] == [
        "US military aid: paused → active (2025-03-11)",
        "US intelligence aid: paused → active (2025-03-11)",
    ]


def test_revisions_between_knowledge_times(seed: timeline.Timeline[SupportState]) -> None:
    lines = [str(c) for c in seed.revisions("2025-04-30", known_before="2025-03-07")]
    assert lines[:2] == [
        "US military aid: paused → active (2025-03-11)",
        "US intelligence aid: paused → active (2025-03-11)",
    ]
    assert "2 tranche(s) paid" in lines[2]


def test_retraction_shows_as_removal() -> None:
    tl = timeline.load_seed()
    tl.append(
        timeline.Retraction(target="lavrov-opposes-nato-troops", reason="test"),
        recorded_at="2025-05-01",
    )
    tl.append(
        timeline.Retraction(target="uk-anduril-drones", reason="test"), recorded_at="2025-05-01"
    )
    tl.append(
        timeline.Retraction(target="uk-talks-with-20-countries", reason="test"),
        recorded_at="2025-05-01",
    )
    tl.append(
        timeline.Retraction(target="coalition-of-the-willing", reason="test"),
        recorded_at="2025-05-01",
    )
    lines = [
        str(c)
        for c in tl.revisions("2025-03-07", known_before="2025-04-30", known_after="2025-05-02")
    ]
    assert "RU on nato-troops-in-ukraine: opposes → — (2025-03-06)" in lines
    assert any("Anduril" in line and "→ —" in line for line in lines)
    assert "talks 'peacekeeping coalition for Ukraine' withdrawn (2025-03-04/2025-03-05)" in lines
    assert any(line.startswith("coalition 'Coalition of the willing' withdrawn") for line in lines)


def test_state_is_immutable_and_readable(seed: timeline.Timeline[SupportState]) -> None:
    state = seed.state_at("2025-03-07")
    with pytest.raises(TypeError):
        state.positions["RU"] = {}  # type: ignore[index]
    with pytest.raises(TypeError):
        state.positions["RU"]["x"] = None  # type: ignore[index]
    with pytest.raises(TypeError):
        state.coalitions["x"] = None  # type: ignore[index]
    assert isinstance(state.commitments, tuple)
    assert repr(state).startswith(
        "<SupportState aid=[US military: paused, US intelligence: paused]"
    )
    assert "GBP 2,290,000,000" in repr(state)
    assert len(state.meetings) == 3
    assert len(state.aid_statuses) == 2
    assert state.aid_status("US", "humanitarian") is None


def test_troop_pledges_join_the_coalition() -> None:
    projection = SupportProjection()
    launch = CoalitionLaunched(
        occurred="2025-03-02", coalition="c", name="C", leads=("GB", "FR"), purpose="p"
    )
    pledge = TroopsPledged(occurred="2025-03-10", coalition="c", actor="AU", troops=None)
    early = TroopsPledged(occurred="2025-03-01", coalition="d", actor="DK", troops=100)
    state = fold(projection, [early, launch, pledge])
    coalition = state.coalition
    assert coalition is not None
    assert coalition.participants == ("GB", "FR", "AU")
    assert state.coalitions["d"].pledges[0].troops == 100
    relaunched = fold(projection, [launch, pledge, launch], state=None)
    assert relaunched.coalitions["c"].pledges[0].actor == "AU"


def test_position_changes_have_their_own_type() -> None:
    lavrov = Person(name="Sergei Lavrov", role="Foreign Minister", actor="RU")
    said = StatementMade(
        occurred="2025-03-06", speaker=lavrov, actor="RU", subject="s", stance="opposes"
    )
    again = StatementMade(
        occurred="2025-03-12", speaker=lavrov, actor="RU", subject="s", stance="supports"
    )
    p = SupportProjection()
    changes = p.diff(fold(p, [said]), fold(p, [said, again]))
    assert isinstance(changes[0], PositionChanged)
    assert str(changes[0]) == "RU on s: opposes → supports (2025-03-12)"


@given(st.lists(support_events(), max_size=30))
def test_random_support_events_never_raise_and_totals_add_up(events: list[timeline.Event]) -> None:
    projection = SupportProjection()
    state = fold(projection, events)
    repr(state)
    state.pauses()
    expected: dict[str, Decimal] = {}
    for c in state.commitments:
        if c.kind != "spending":  # context, not support
            expected[c.amount.currency] = (
                expected.get(c.amount.currency, Decimal(0)) + c.amount.amount
            )
    assert state.totals() == expected
    for currency, money in state.amounts().items():
        parts = [
            c for c in state.commitments if c.kind != "spending" and c.amount.currency == currency
        ]
        assert money.approximate == any(c.amount.approximate for c in parts)
    loans = [e for e in events if isinstance(e, LoanAnnounced)]
    assert len([c for c in state.commitments if c.kind == "loan"]) == len({e.loan for e in loans})
    for currency in {c.amount.currency for c in state.commitments if c.kind != "spending"}:
        assert all(isinstance(v, Decimal) for v in state.totals().values())
        assert currency in state.totals()
    assert projection.diff(projection.initial(), state) is not None


def test_projection_instances_share_checkpoints() -> None:
    assert SupportProjection() == SupportProjection()
    assert hash(SupportProjection()) == hash(SupportProjection())
    assert SupportProjection() != object()


def test_aid_needs_a_channel() -> None:
    with pytest.raises(ValueError, match="moral"):
        SupportState().aid("US", "moral")
    assert AidPaused.event_type == "aid.paused"
