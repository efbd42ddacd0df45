"""Stages, pledge-to-delivery and lead times, pinned against a hand reading of the seed:
the UK's £2.26 bn loan was announced in October 2024 (21/22 October), agreed on 1 March 2025,
its first tranche of about £752 m paid on 6 March and the second on 14 April 2025 (recorded
on 14 April)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import timeline
from timeline import Money, support
from timeline.projection import fold
from timeline.support import Stage, SupportProjection
from timeline.support.testing import support_events

LOAN = Decimal("2260000000")
TRANCHE = Decimal("752000000")
DEAL = Decimal("30000000")


def test_the_loan_reaches_each_stage_on_its_date() -> None:
    state = support.load_seed().state_at("2025-04-30")
    loan = next(c for c in state.commitments if c.id == "uk-era-loan")
    assert [(stage.value, str(when)) for stage, when in loan.stages] == [
        ("announced", "2024-10-21/2024-10-22"),
        ("agreed", "2025-03-01"),
        ("disbursed", "2025-03-06"),
    ]
    assert loan.reached is Stage.DISBURSED


@pytest.mark.parametrize(
    ("at", "known_at", "announced", "agreed", "disbursed"),
    [
        ("2024-12-31", None, LOAN, None, None),  # announced only: nothing agreed yet
        ("2025-03-01", None, LOAN, LOAN, None),
        # the Anduril contract was announced, not (its sources say) signed: announced only
        ("2025-03-07", None, LOAN + DEAL, LOAN, TRANCHE),
        ("2025-04-30", None, LOAN + DEAL, LOAN, 2 * TRANCHE),
        # both tranches were recorded on 14 April: known on the 13th, nothing was paid yet
        ("2025-04-30", "2025-04-13", LOAN + DEAL, LOAN, None),
    ],
)
def test_totals_by_stage(
    at: str,
    known_at: str | None,
    announced: Decimal,
    agreed: Decimal | None,
    disbursed: Decimal | None,
) -> None:
    state = support.load_seed().state_at(at, known_at=known_at)
    assert state.totals(provider="GB", stage="announced") == {"GBP": announced}
    assert state.totals(provider="GB", stage=Stage.AGREED) == ({"GBP": agreed} if agreed else {})
    assert state.totals(provider="GB", stage="disbursed") == (
        {"GBP": disbursed} if disbursed else {}
    )
    assert state.totals(provider="GB", stage="delivered") == {}
    # without a stage every commitment counts in full from its first stage, as before
    assert state.totals(provider="GB") == {"GBP": announced}


def test_the_pipeline_says_what_is_at_each_stage_per_currency() -> None:
    [row] = support.load_seed().state_at("2025-04-30").pipeline()
    assert (row.provider, row.currency) == ("GB", "GBP")
    assert row.announced == Money(LOAN + DEAL, "GBP", approximate=True)
    assert row.agreed == Money(LOAN, "GBP")  # exact: the deal's "nearly £30m" is not agreed
    assert row.disbursed == Money(2 * TRANCHE, "GBP", approximate=True)  # "about £752 m"
    assert row.delivered == Money(Decimal(0), "GBP")


def test_lead_times_keep_the_uncertainty_of_both_dates() -> None:
    state = support.load_seed().state_at("2025-04-30")
    leads = {(lead.start_stage, lead.end_stage): lead for lead in state.lead_times()}
    announced = leads[(Stage.ANNOUNCED, Stage.AGREED)]
    # from the end of 22 October to the start of 1 March, or the start of 21 October to the
    # end of 1 March
    assert announced.shortest == dt.datetime(2025, 3, 1, tzinfo=dt.UTC) - dt.datetime(
        2024, 10, 23, tzinfo=dt.UTC
    ) + dt.timedelta(microseconds=1)
    assert announced.longest == dt.datetime(2025, 3, 2, tzinfo=dt.UTC) - dt.datetime(
        2024, 10, 21, tzinfo=dt.UTC
    ) - dt.timedelta(microseconds=1)
    paid = leads[(Stage.AGREED, Stage.DISBURSED)]
    assert str(paid) == "GB uk-era-loan: agreed (2025-03-01) → disbursed (2025-03-06): 4–6 days"
    [first, second] = state.lead_time_summary()
    assert (first.provider, first.start_stage, first.end_stage, first.count) == (
        "GB",
        Stage.ANNOUNCED,
        Stage.AGREED,
        1,
    )
    assert second.shortest == paid.shortest
    assert second.longest == paid.longest


def test_a_stage_name_that_does_not_exist_is_an_error() -> None:
    state = support.load_seed().state_at("2025-04-30")
    with pytest.raises(ValueError, match="'pledged' is not a valid Stage"):
        state.totals(stage="pledged")


@given(st.lists(support_events(), max_size=25))
def test_each_stage_counts_no_more_than_the_one_before(events: list[object]) -> None:
    state = fold(SupportProjection(), events)  # type: ignore[arg-type]
    for row in state.pipeline():
        assert row.delivered.amount == 0  # nothing in the catalogue records a delivery yet
    for c in state.commitments:
        amounts = dict(c.stage_amounts)
        assert all(stage.rank <= c.reached.rank for stage in amounts)  # reached implies before
    for lead in state.lead_times():
        assert lead.start_stage.rank < lead.end_stage.rank
        assert lead.shortest <= lead.longest
        assert lead.reversed == (lead.longest < dt.timedelta(0))


def loan(id_: str, stage: str, amount: int, when: str) -> support.LoanAnnounced:
    return support.LoanAnnounced(
        id=id_,
        occurred=when,
        loan="x",
        lender="GB",
        borrower="UA",
        amount=Money(Decimal(amount), "GBP"),
        stage=stage,
    )


def paid(id_: str, amount: int, when: str, currency: str = "GBP") -> support.LoanDisbursed:
    return support.LoanDisbursed(
        id=id_,
        occurred=when,
        loan="x",
        lender="GB",
        borrower="UA",
        amount=Money(Decimal(amount), currency),
    )


def test_a_later_announcement_does_not_raise_what_was_agreed() -> None:
    tl = support.open()
    tl.append(
        loan("a1", "announced", 100, "2025-01-01"),
        loan("a2", "agreed", 80, "2025-03-01"),
        loan("a3", "announced", 150, "2025-04-01"),
    )
    state = tl.state_at("2025-06-01")
    assert state.totals(stage="agreed") == {"GBP": 80}
    assert state.totals(stage="announced") == {"GBP": 150}
    assert state.totals() == {"GBP": 150}


def test_disbursed_is_the_payments_or_the_recorded_stage_and_dated_by_the_first() -> None:
    tl = support.open()
    tl.append(loan("a", "disbursed", 100, "2025-04-14"))
    state = tl.state_at("2025-06-01")
    assert state.totals(stage="disbursed") == {"GBP": 100}  # recorded as paid, no payment
    tl.append(paid("p", 40, "2025-03-06"), paid("q", 5, "2025-03-07", currency="EUR"))
    state = tl.state_at("2025-06-01")
    [c] = state.commitments
    assert dict(c.stages)[Stage.DISBURSED] == timeline.When.parse("2025-03-06")
    assert state.totals(stage="disbursed") == {"GBP": 40, "EUR": 5}
    assert {(row.currency, row.disbursed.amount) for row in state.pipeline()} == {
        ("GBP", Decimal(40)),
        ("EUR", Decimal(5)),
    }


def test_a_stage_dated_before_the_one_it_follows_shows_as_reversed() -> None:
    tl = support.open()
    tl.append(loan("a1", "agreed", 100, "2025-03-01"), loan("a2", "announced", 100, "2025-04-01"))
    [lead] = tl.state_at("2025-06-01").lead_times()
    assert lead.reversed
    assert lead.longest < dt.timedelta(0)
    assert "dated in reverse" in str(lead)
