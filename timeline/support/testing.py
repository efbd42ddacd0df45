"""Hypothesis strategies for the support domain's events (needs the ``test`` extra)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from timeline.support import events as se
from timeline.support.actors import Person
from timeline.testing import ids, moneys, sources, texts, whens
from timeline.when import When

__all__ = ["ACTORS", "support_events"]

ACTORS = ("US", "GB", "FR", "DE", "UA", "RU", "PL", "EU", "NATO")
"""The actor codes the strategies draw from."""
_actors = st.sampled_from(ACTORS)
_people = st.lists(
    st.builds(Person, name=texts, role=st.none() | texts, actor=st.none() | _actors), max_size=2
).map(tuple)


def support_events(occurred: st.SearchStrategy[When] | None = None) -> st.SearchStrategy[Any]:
    """Any support event with random (valid) fields."""
    common: dict[str, Any] = {
        "id": ids,
        "occurred": occurred if occurred is not None else whens(),
        "source": sources,
    }
    loan_keys = st.sampled_from(["loan-a", "loan-b", "loan-c"])
    return st.one_of(
        st.builds(
            se.AidPaused,
            **common,
            provider=_actors,
            recipient=st.just("UA"),
            channel=st.sampled_from(se.Channel),
            scope=st.none() | texts,
            people=_people,
        ),
        st.builds(
            se.AidResumed,
            **common,
            provider=_actors,
            recipient=st.just("UA"),
            channel=st.sampled_from(se.Channel),
        ),
        st.builds(
            se.LoanAnnounced,
            **common,
            loan=loan_keys,
            lender=_actors,
            borrower=st.just("UA"),
            amount=moneys(),
            stage=st.sampled_from(se.LoanStage),
            tranches=st.lists(moneys(), max_size=3).map(tuple),
            backing=st.none() | texts,
        ),
        st.builds(
            se.LoanDisbursed,
            **common,
            loan=loan_keys,
            lender=_actors,
            borrower=st.just("UA"),
            amount=moneys(),
            tranche=st.none() | st.integers(1, 5),
        ),
        st.sampled_from([se.DealSigned, se.DealAnnounced]).flatmap(
            lambda deal: st.builds(
                deal,
                **common,
                buyer=_actors,
                supplier=texts,
                beneficiary=st.just("UA"),
                amount=moneys(),
                items=st.lists(texts, max_size=2).map(tuple),
                delivery=st.none() | whens(),
            )
        ),
        st.builds(
            se.TalksHeld,
            **common,
            host=_actors,
            topic=texts,
            participants=st.lists(_actors, max_size=3).map(tuple),
            participant_count=st.none() | st.integers(0, 50),
            count_approximate=st.booleans(),
        ),
        st.builds(
            se.CoalitionLaunched,
            **common,
            coalition=st.sampled_from(["c1", "c2"]),
            name=texts,
            leads=st.lists(_actors, min_size=1, max_size=2).map(tuple),
            purpose=texts,
        ),
        st.builds(
            se.TroopsPledged,
            **common,
            coalition=st.sampled_from(["c1", "c2"]),
            actor=_actors,
            troops=st.none() | st.integers(0, 10_000),
        ),
        st.builds(
            se.StatementMade,
            **common,
            speaker=st.builds(Person, name=texts),
            actor=_actors,
            subject=st.sampled_from(["troops", "aid", "peace"]),
            stance=st.sampled_from(se.Stance),
            quote=st.none() | texts,
        ),
        st.builds(
            se.SpendingAnnounced,
            **common,
            actor=_actors,
            amount=moneys(),
            programme=texts,
        ),
        st.builds(
            se.MeetingHeld,
            **common,
            actors=st.lists(_actors, min_size=1, max_size=3).map(tuple),
            topic=texts,
            tone=st.none() | texts,
        ),
    )
