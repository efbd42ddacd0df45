"""The event catalogue of support for Ukraine.

Actors are ISO 3166-1 alpha-2 codes (``US``, ``GB``, ``UA``, ``RU``…) or the organisation codes
in `timeline.support.actors.ORGANISATIONS` (``EU``, ``NATO``, ``G7``…); people are `Person` values.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs

from timeline.events import Event, abstract_event, event, upcaster
from timeline.support.actors import Person, actor_code
from timeline.values import Money, optional_when
from timeline.when import When

__all__ = [
    "AidPaused",
    "AidResumed",
    "Channel",
    "CoalitionLaunched",
    "DealAnnounced",
    "DealSigned",
    "LoanAnnounced",
    "LoanDisbursed",
    "LoanStage",
    "MeetingHeld",
    "SpendingAnnounced",
    "Stance",
    "StatementMade",
    "TalksHeld",
    "TroopsPledged",
]


class Channel(enum.Enum):
    """What kind of support flows (or stops)."""

    MILITARY = "military"
    INTELLIGENCE = "intelligence"
    FINANCIAL = "financial"
    HUMANITARIAN = "humanitarian"


class LoanStage(enum.Enum):
    """How far a loan has got; a later stage of the same loan supersedes an earlier one."""

    ANNOUNCED = "announced"
    AGREED = "agreed"
    DISBURSED = "disbursed"


class Stance(enum.Enum):
    """An actor's position on a subject."""

    SUPPORTS = "supports"
    OPPOSES = "opposes"
    CALLS_FOR = "calls-for"


def _actor(value: str) -> str:
    return actor_code(value)


def _actors(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(actor_code(v) for v in values)


def _positive(_instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValueError(f"{attribute.name} must be a non-negative integer, not {value!r}")


def _people(values: tuple[Person, ...]) -> tuple[Person, ...]:
    people = tuple(values)
    for person in people:
        if not isinstance(person, Person):
            raise TypeError(f"expected Person values, got {person!r}")
    return people


@event("aid.paused", version=1)
class AidPaused(Event):
    """`provider` stops a channel of support to `recipient`."""

    provider: str = attrs.field(converter=_actor)
    recipient: str = attrs.field(converter=_actor)
    channel: Channel = attrs.field(converter=Channel)
    scope: str | None = None
    people: tuple[Person, ...] = attrs.field(default=(), converter=_people)


@event("aid.resumed", version=1)
class AidResumed(Event):
    """`provider` resumes a channel of support to `recipient`."""

    provider: str = attrs.field(converter=_actor)
    recipient: str = attrs.field(converter=_actor)
    channel: Channel = attrs.field(converter=Channel)
    scope: str | None = None
    people: tuple[Person, ...] = attrs.field(default=(), converter=_people)


@event("loan.announced", version=1)
class LoanAnnounced(Event):
    """A loan at some stage. Events with the same `loan` key are one commitment; the latest wins."""

    loan: str
    lender: str = attrs.field(converter=_actor)
    borrower: str = attrs.field(converter=_actor)
    amount: Money
    stage: LoanStage = attrs.field(converter=LoanStage)
    backing: str | None = None
    tranches: tuple[Money, ...] = ()
    programme: str | None = None
    people: tuple[Person, ...] = attrs.field(default=(), converter=_people)


@event("loan.disbursed", version=1)
class LoanDisbursed(Event):
    """A tranche of the loan `loan` is paid out."""

    loan: str
    lender: str = attrs.field(converter=_actor)
    borrower: str = attrs.field(converter=_actor)
    amount: Money
    tranche: int | None = attrs.field(default=None, validator=_positive)


@abstract_event
class _Deal(Event):
    """A procurement deal: `buyer` buys `items` from `supplier` for `beneficiary`."""

    buyer: str = attrs.field(converter=_actor)
    supplier: str
    beneficiary: str = attrs.field(converter=_actor)
    amount: Money
    items: tuple[str, ...] = ()
    funding: str | None = None
    delivery: When | None = attrs.field(default=None, converter=optional_when)
    people: tuple[Person, ...] = attrs.field(default=(), converter=_people)


@event("deal.signed", version=1)
class DealSigned(_Deal):
    """`buyer` buys `items` from `supplier` for `beneficiary`: a contract signed (stage agreed)."""


@event("deal.announced", version=1)
class DealAnnounced(_Deal):
    """A deal that `buyer` (or `supplier`) announced or confirmed, where the sources do not say
    it was signed: it counts at the announced stage, until a `DealSigned` of the same id (a
    correction) says more."""


@event("talks.held", version=1)
class TalksHeld(Event):
    """Talks hosted by `host`. `participant_count` may be approximate (``around 20``)."""

    host: str = attrs.field(converter=_actor)
    topic: str
    participants: tuple[str, ...] = attrs.field(default=(), converter=_actors)
    participant_count: int | None = attrs.field(default=None, validator=_positive)
    count_approximate: bool = False
    description: str | None = None


@event("coalition.launched", version=1)
class CoalitionLaunched(Event):
    """A coalition led by `leads` is launched; `coalition` is its key."""

    coalition: str
    name: str
    leads: tuple[str, ...] = attrs.field(converter=_actors)
    purpose: str
    people: tuple[Person, ...] = attrs.field(default=(), converter=_people)


@event("troops.pledged", version=1)
class TroopsPledged(Event):
    """`actor` pledges troops (a number when one was given) to `coalition`."""

    coalition: str
    actor: str = attrs.field(converter=_actor)
    troops: int | None = attrs.field(default=None, validator=_positive)
    description: str | None = None


@event("statement.made", version=2)
class StatementMade(Event):
    """`speaker`, for `actor`, takes a `stance` on `subject` (a short key such as ``nato-troops-in-ukraine``).

    `quote` is the speaker's words; ``paraphrase=True`` says it is a source's paraphrase of
    them, not a quotation (version 2; stored version-1 statements read as ``paraphrase=False``).
    """

    speaker: Person
    actor: str = attrs.field(converter=_actor)
    subject: str
    stance: Stance = attrs.field(converter=Stance)
    quote: str | None = None
    paraphrase: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))


@upcaster("statement.made", from_version=1)
def _statement_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 had no `paraphrase`: its quotes were taken as the speaker's words."""
    return {**data, "paraphrase": False}


@event("spending.announced", version=1)
class SpendingAnnounced(Event):
    """`actor` announces spending of `amount` on `programme`."""

    actor: str = attrs.field(converter=_actor)
    amount: Money
    programme: str
    purpose: str | None = None
    people: tuple[Person, ...] = attrs.field(default=(), converter=_people)


@event("meeting.held", version=1)
class MeetingHeld(Event):
    """A meeting between `actors` (and named `people`) at `place`, in a `tone` when reported."""

    actors: tuple[str, ...] = attrs.field(converter=_actors)
    topic: str
    place: str | None = None
    tone: str | None = None
    outcome: str | None = None
    people: tuple[Person, ...] = attrs.field(default=(), converter=_people)
